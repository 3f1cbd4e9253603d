package data

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// modelRecords is the reference for Lines and Documents modes: split on
// "\n", drop one trailing "\r" per line, blank lines separate documents.
func modelRecords(in string, mode Mode) []string {
	in = strings.TrimPrefix(in, "\ufeff")
	if in == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(in, "\n"), "\n")
	var out, doc []string
	for _, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		blank := strings.TrimSpace(l) == ""
		if mode == Lines {
			if !blank {
				out = append(out, l)
			}
			continue
		}
		if blank {
			if len(doc) > 0 {
				out = append(out, strings.Join(doc, "\n"))
				doc = nil
			}
			continue
		}
		doc = append(doc, l)
	}
	if len(doc) > 0 {
		out = append(out, strings.Join(doc, "\n"))
	}
	return out
}

func FuzzCorpusReader(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nc\n"), uint8(0), false, uint16(0))
	f.Add([]byte("para one\nline two\n\n\n  \npara two"), uint8(1), true, uint16(5))
	f.Add([]byte("bad \xff utf8\n"), uint8(0), false, uint16(0))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), uint8(0), false, uint16(0))
	f.Add([]byte(strings.Repeat("long line ", 10)+"\n"), uint8(2), false, uint16(20))
	f.Add([]byte{}, uint8(0), true, uint16(0))
	f.Add([]byte("\ufeff\n\ufeffx\n"), uint8(1), false, uint16(0))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8, gz bool, maxLine uint16) {
		content := in
		if gz {
			content = gzipBytes(t, string(in))
		}
		m := Mode(mode % 3)
		// Buffers of the bufio minimum: long-line paths on short inputs.
		opt := CorpusOptions{Mode: m, MaxLineBytes: int(maxLine), bufSize: 16}
		recs, err := scanAll(NewCorpus([]Source{BytesSource("fuzz.txt", content)}, opt))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != "fuzz.txt" {
				t.Fatalf("error %v (%T) does not name the file", err, err)
			}
			return
		}
		if len(in) == 0 {
			t.Fatal("empty input accepted")
		}
		if !utf8.Valid(in) && !(gz == false && len(in) >= 2 && string(in[:2]) == gzipMagic) {
			t.Fatalf("invalid UTF-8 accepted: %q", in)
		}
		if !gz && len(in) >= 2 && string(in[:2]) == gzipMagic {
			return // the input itself was a gzip stream
		}
		var got []string
		last := 0
		for i, r := range recs {
			if r.Index != int64(i) || r.Line <= last || r.Source != "fuzz.txt" {
				t.Fatalf("record %d position: %v", i, r)
			}
			last = r.Line
			got = append(got, r.Text)
		}
		if m == Files {
			if len(recs) > 1 {
				t.Fatalf("files mode gave %d records", len(recs))
			}
			return
		}
		want := modelRecords(string(in), m)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("mode %v: got %q\nwant %q", m, got, want)
		}
		if maxLine > 0 {
			for _, l := range strings.Split(string(in), "\n") {
				if len(l) > int(maxLine) {
					t.Fatalf("line of %d bytes accepted with MaxLineBytes %d", len(l), maxLine)
				}
			}
		}
	})
}

// fuzzLabeled checks the invariants of any labeled read.
func fuzzLabeled(t *testing.T, name string, in []byte, gz bool) {
	content := in
	if gz {
		content = gzipBytes(t, string(in))
	}
	r, err := NewLabeledReader(BytesSource(name, content), LabeledOptions{})
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || ie.File != name {
			t.Fatalf("open error %v (%T) does not name the file", err, err)
		}
		return
	}
	defer r.Close()
	for i := 0; ; i++ {
		ex, err := r.Next()
		if err == io.EOF {
			if i == 0 {
				t.Fatal("EOF without examples and without error")
			}
			return
		}
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != name {
				t.Fatalf("error %v (%T) does not name the file", err, err)
			}
			return
		}
		if ex.Text == "" || ex.Label == "" || r.Labels().Name(ex.LabelID) != ex.Label || ex.Source != name || ex.Line < 1 {
			t.Fatalf("bad example %v", ex)
		}
		if !utf8.ValidString(ex.Text) || !utf8.ValidString(ex.Label) {
			t.Fatalf("invalid UTF-8 in %v", ex)
		}
	}
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"text":"a","label":"x"}`+"\n"+`{"text":"b","label":2}`), false)
	f.Add([]byte("{\"text\":\"a\"}\n[1]\nnull\n{\"text\":\"b\",\"label\":null}"), false)
	f.Add([]byte(`{"text":"\ud800","label":true}`), true)
	f.Fuzz(func(t *testing.T, in []byte, gz bool) { fuzzLabeled(t, "f.jsonl", in, gz) })
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("text,label\n\"a, b\",x\nc,y\n"), false)
	f.Add([]byte("label,text\n\"un,closed\n"), false)
	f.Add([]byte("\ufefftext,label\r\na,b\r\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, gz bool) { fuzzLabeled(t, "f.csv", in, gz) })
}

func FuzzTSV(f *testing.F) {
	f.Add([]byte("text\tlabel\na\tx\n\nb\ty\n"), false)
	f.Add([]byte("text\tlabel\tmore\na\tx\n"), false)
	f.Add([]byte("text\tlabel\na\t\xff\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, gz bool) { fuzzLabeled(t, "f.tsv", in, gz) })
}

func TestModelMatchesDocs(t *testing.T) {
	// Guard the fuzz reference itself against a silent bug.
	if got := modelRecords("a\n\nb\r\nc\n", Documents); fmt.Sprint(got) != "[a b\nc]" {
		t.Fatalf("%q", got)
	}
	if got := modelRecords("a\n \nb", Lines); fmt.Sprint(got) != "[a b]" {
		t.Fatalf("%q", got)
	}
}

func FuzzLabelMap(f *testing.F) {
	f.Add([]byte(`["neg","pos"]`))
	f.Add([]byte(`["a","a"]`))
	f.Add([]byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var m LabelMap
		if err := m.UnmarshalJSON(in); err != nil {
			return
		}
		for i, n := range m.Names() {
			if id, ok := m.ID(n); !ok || id != i {
				t.Fatalf("label %q: id %d, want %d", n, id, i)
			}
		}
		out, _ := m.MarshalJSON()
		var m2 LabelMap
		if err := m2.UnmarshalJSON(out); err != nil || m2.String() != m.String() {
			t.Fatalf("round trip: %v %v vs %v", err, &m2, &m)
		}
	})
}
