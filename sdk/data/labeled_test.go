package data

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func readLabeledString(name, content string, opt LabeledOptions) ([]Example, *LabelMap, error) {
	r, err := NewLabeledReader(StringSource(name, content), opt)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out []Example
	for {
		ex, err := r.Next()
		if err == io.EOF {
			return out, r.Labels(), nil
		}
		if err != nil {
			return out, r.Labels(), err
		}
		out = append(out, ex)
	}
}

func TestLabeledFormats(t *testing.T) {
	cases := map[string]string{
		"a.jsonl": `{"text": "good film", "label": "pos", "id": 1}
{"text": "bad, \"awful\" film", "label": "neg"}

{"label": "pos", "text": "fine"}
`,
		"a.csv": "id,text,label\n1,good film,pos\n2,\"bad, \"\"awful\"\" film\",neg\n3,fine,pos\n",
		"a.tsv": "text\tlabel\ngood film\tpos\nbad, \"awful\" film\tneg\nfine\tpos\n",
	}
	for name, content := range cases {
		exs, labels, err := readLabeledString(name, content, LabeledOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(exs) != 3 || exs[1].Text != `bad, "awful" film` || exs[1].LabelID != 1 || exs[2].LabelID != 0 || labels.Len() != 2 {
			t.Errorf("%s: %v %v", name, exs, labels)
		}
		if exs[2].Source != name || exs[2].Line != 4 && !strings.HasSuffix(name, "csv") {
			t.Errorf("%s: position %s:%d", name, exs[2].Source, exs[2].Line)
		}
	}
	// Numeric JSON labels, custom columns, a pair column, a shared frozen map.
	m := NewLabelMap("0", "1")
	m.Freeze()
	exs, _, err := readLabeledString("p.jsonl", `{"s1":"a","s2":"b","y":1}`+"\n"+`{"s1":"c","s2":"d","y":0}`,
		LabeledOptions{TextColumn: "s1", TextPairColumn: "s2", LabelColumn: "y", Labels: m})
	if err != nil || exs[0].LabelID != 1 || exs[0].TextPair != "b" || exs[1].Label != "0" {
		t.Fatalf("%v %v", exs, err)
	}
	_, _, err = readLabeledString("p.jsonl", `{"s1":"a","s2":"b","y":2}`, LabeledOptions{TextColumn: "s1", TextPairColumn: "s2", LabelColumn: "y", Labels: m})
	if err == nil || !strings.Contains(err.Error(), `p.jsonl:1: unknown label "2"`) {
		t.Errorf("frozen map: %v", err)
	}
}

func TestLabeledErrors(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"e.jsonl", "", "e.jsonl: empty file"},
		{"e.csv", "", "e.csv: empty file"},
		{"h.csv", "text,label\n", "h.csv: no examples"},
		{"h.tsv", "text\tlabel\n\n", "h.tsv: no examples"},
		{"c.csv", "text,category\nx,y\n", `c.csv:1: header has no column "label" (columns: text, category)`},
		{"c.tsv", "label\tbody\nx\ty\n", `c.tsv:1: header has no column "text"`},
		{"r.csv", "text,label\nok,a\nbad row,a,extra\n", "r.csv:3: bad CSV row"},
		{"q.csv", "text,label\n\"unterminated,a\n", "q.csv:2: bad CSV row"},
		{"r.tsv", "text\tlabel\nok\ta\nno tab here\n", "r.tsv:3: row has 1 fields, header has 2"},
		{"j.jsonl", "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\": \"b\", label: 1}\n", "j.jsonl:2: invalid JSON at column 15"},
		{"m.jsonl", "{\"text\":\"a\"}\n", `m.jsonl:1: missing field "label"`},
		{"n.jsonl", "[1,2]\n", "n.jsonl:1: line is not a JSON object"},
		{"t.jsonl", "{\"text\":5,\"label\":\"x\"}\n", `t.jsonl:1: field "text" must be a string, got 5`},
		{"l.jsonl", "{\"text\":\"a\",\"label\":null}\n", `field "label" must be a string, number or boolean`},
		{"two.jsonl", "{\"text\":\"a\",\"label\":\"x\"} {}\n", "two.jsonl:1: more than one JSON value"},
		{"u.tsv", "text\tlabel\nbad \xff\tx\n", "u.tsv:2: invalid UTF-8 at column 5"},
		{"u.csv", "text,label\nbad \xff,x\n", "u.csv:2: invalid UTF-8 in field 1"},
		{"el.csv", "text,label\nsome text,\n", `el.csv:2: empty "label"`},
		{"et.tsv", "text\tlabel\n\tx\n", `et.tsv:2: empty "text"`},
		{"x.txt", "text,label\n", "cannot tell the format"},
	}
	for _, c := range cases {
		_, _, err := readLabeledString(c.name, c.content, LabeledOptions{})
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestLabelMapRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := NewLabelMap("b", "a")
	if m.Add("c") != 2 || m.Add("a") != 1 {
		t.Fatal("Add")
	}
	p := filepath.Join(dir, "labels.json")
	if err := m.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	m2, err := ReadLabelMap(p)
	if err != nil || m2.String() != `LabelMap{0:"b" 1:"a" 2:"c"}` {
		t.Fatalf("%v %v", m2, err)
	}
	if id, ok := m2.ID("c"); !ok || id != 2 || m2.Name(5) != "" {
		t.Error("lookup")
	}
	writeFile(t, dir, "dup.json", `["a","a"]`)
	if _, err := ReadLabelMap(filepath.Join(dir, "dup.json")); err == nil || !strings.Contains(err.Error(), "dup.json") {
		t.Errorf("duplicate labels: %v", err)
	}
	// A gzip file read from disk.
	writeFile(t, dir, "d.tsv.gz", string(gzipBytes(t, "text\tlabel\nhello\tgreet\n")))
	exs, labels, err := ReadLabeled(filepath.Join(dir, "d.tsv.gz"), LabeledOptions{})
	if err != nil || len(exs) != 1 || labels.Name(0) != "greet" {
		t.Fatalf("%v %v %v", exs, labels, err)
	}
	if _, _, err := ReadLabeled(filepath.Join(dir, "none.csv"), LabeledOptions{}); err == nil || !strings.Contains(err.Error(), "none.csv: cannot open") {
		t.Errorf("missing file: %v", err)
	}
}
