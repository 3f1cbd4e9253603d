package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzipBytes(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func texts(t testing.TB, c *Corpus) []string {
	t.Helper()
	recs, err := scanAll(c)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Text
	}
	return out
}

func scanAll(c *Corpus) ([]Record, error) {
	r, err := c.Open(context.Background())
	if err != nil {
		return nil, err
	}
	return ReadAll(r)
}

func eq(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestLinesDocumentsFiles(t *testing.T) {
	src := "\ufefffirst line\r\nsecond\n\n  \n\nthird para\nstill third\n\n\nlast without newline"
	s := []Source{StringSource("a.txt", src)}
	eq(t, texts(t, NewCorpus(s, CorpusOptions{})), []string{"first line", "second", "third para", "still third", "last without newline"})
	eq(t, texts(t, NewCorpus(s, CorpusOptions{Mode: Documents})), []string{"first line\nsecond", "third para\nstill third", "last without newline"})
	all := texts(t, NewCorpus(s, CorpusOptions{Mode: Files}))
	if len(all) != 1 || !strings.HasPrefix(all[0], "first line\nsecond\n\n") || !strings.HasSuffix(all[0], "last without newline") {
		t.Fatalf("files mode: %q", all)
	}
	keep := texts(t, NewCorpus(s, CorpusOptions{KeepBlankLines: true}))
	if len(keep) != 10 {
		t.Fatalf("KeepBlankLines: %d records %q", len(keep), keep)
	}
	recs, _ := scanAll(NewCorpus(s, CorpusOptions{Mode: Documents}))
	if recs[1].Line != 6 || recs[2].Line != 10 || recs[2].Index != 2 || recs[1].Source != "a.txt" {
		t.Fatalf("positions: %v", recs)
	}
}

func TestFoldersGlobsGzip(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b/2.txt", "b2\n")
	writeFile(t, dir, "b/1.txt", "b1\n")
	writeFile(t, dir, "b/.hidden", "hidden\n")
	writeFile(t, dir, "a.txt", "a\n")
	writeFile(t, dir, "c.txt.gz", string(gzipBytes(t, "c1\nc2\n")))
	writeFile(t, dir, "d.dat", string(gzipBytes(t, "d (gzip without .gz name)\n")))
	c, err := OpenCorpus(CorpusOptions{}, filepath.Join(dir, "b"), filepath.Join(dir, "*.txt*"), filepath.Join(dir, "d.dat"), filepath.Join(dir, "a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, texts(t, c), []string{"b1", "b2", "a", "c1", "c2", "d (gzip without .gz name)"})
	if len(c.Sources()) != 5 {
		t.Errorf("sources %v: a.txt listed twice?", c.Sources())
	}
}

func TestPathErrors(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	cases := map[string]string{
		filepath.Join(dir, "missing.txt"): "missing.txt: no such file or folder",
		filepath.Join(dir, "*.none"):      "glob matches no file",
		filepath.Join(dir, "empty"):       "folder holds no file",
	}
	for p, want := range cases {
		_, err := OpenCorpus(CorpusOptions{}, p)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", p, err, want)
		}
	}
	if _, err := OpenCorpus(CorpusOptions{}); err == nil {
		t.Error("no paths accepted")
	}
}

// readErr reads the single source and returns the error that ends it.
func readErr(t *testing.T, name string, content []byte, opt CorpusOptions) (*InputError, int) {
	t.Helper()
	recs, err := scanAll(NewCorpus([]Source{BytesSource(name, content)}, opt))
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%s: err = %v (%T), want *InputError", name, err, err)
	}
	if ie.File != name {
		t.Errorf("error names %q, want %q", ie.File, name)
	}
	return ie, len(recs)
}

func TestContentErrors(t *testing.T) {
	ie, _ := readErr(t, "empty.txt", nil, CorpusOptions{})
	if ie.Msg != "empty file" {
		t.Errorf("empty: %v", ie)
	}
	ie, _ = readErr(t, "empty.txt.gz", gzipBytes(t, ""), CorpusOptions{})
	if !strings.Contains(ie.Msg, "empty file") {
		t.Errorf("empty gzip: %v", ie)
	}
	if recs, err := scanAll(NewCorpus([]Source{BytesSource("e", nil)}, CorpusOptions{AllowEmpty: true})); err != nil || len(recs) != 0 {
		t.Errorf("AllowEmpty: %v %v", recs, err)
	}

	bad := []byte("good line\nbad \xff\xfe here\n")
	ie, n := readErr(t, "bad.txt", bad, CorpusOptions{})
	if ie.Line != 2 || ie.Offset != 14 || n != 1 || !strings.Contains(ie.Error(), "bad.txt:2: invalid UTF-8 at column 5 (byte 0xff) (byte 14)") {
		t.Errorf("invalid UTF-8: %v (line %d offset %d after %d records)", ie, ie.Line, ie.Offset, n)
	}
	got := texts(t, NewCorpus([]Source{BytesSource("bad.txt", bad)}, CorpusOptions{AllowInvalidUTF8: true}))
	if len(got) != 2 || got[1] != "bad \uFFFD here" {
		t.Errorf("AllowInvalidUTF8: %q", got)
	}

	var big strings.Builder
	for i := 0; i < 2000; i++ {
		big.WriteString("line number with some text to compress\n")
	}
	gz := gzipBytes(t, big.String())
	ie, n = readErr(t, "cut.txt.gz", gz[:len(gz)/2], CorpusOptions{})
	if ie.Msg != "truncated gzip stream" || ie.Line < 2 || n == 0 {
		t.Errorf("truncated gzip: %v after %d records", ie, n)
	}
	ie, _ = readErr(t, "tail.txt.gz", gz[:len(gz)-4], CorpusOptions{})
	if ie.Msg != "truncated gzip stream" {
		t.Errorf("truncated trailer: %v", ie)
	}
	corrupt := append([]byte(nil), gz...)
	corrupt[len(corrupt)-6] ^= 0xff // CRC32 of the trailer
	ie, _ = readErr(t, "crc.txt.gz", corrupt, CorpusOptions{})
	if !strings.Contains(ie.Msg, "checksum") {
		t.Errorf("corrupt crc: %v", ie)
	}
	ie, _ = readErr(t, "head.txt.gz", gz[:6], CorpusOptions{})
	if ie.Msg != "truncated gzip stream (inside the header)" {
		t.Errorf("truncated header: %v", ie)
	}
	ie, _ = readErr(t, "header.gz", []byte("not gzip at all"), CorpusOptions{})
	if ie.Msg != "bad gzip header" {
		t.Errorf("bad header: %v", ie)
	}

	ie, _ = readErr(t, "long.txt", []byte("short\n"+strings.Repeat("x", 300)+"\n"), CorpusOptions{MaxLineBytes: 100})
	if ie.Line != 2 || !strings.Contains(ie.Msg, "longer than 100") {
		t.Errorf("long line: %v", ie)
	}
	ie, _ = readErr(t, "doc.txt", []byte("a\n"+strings.Repeat("y\n", 100)), CorpusOptions{Mode: Documents, MaxDocumentBytes: 50})
	if ie.Line != 1 || !strings.Contains(ie.Msg, "document longer than 50") {
		t.Errorf("long doc: %v", ie)
	}
	open := Source{Name: "broken", Open: func() (io.ReadCloser, error) { return nil, errors.New("boom") }}
	if _, err := scanAll(NewCorpus([]Source{open}, CorpusOptions{})); err == nil || !strings.Contains(err.Error(), "broken: cannot open") {
		t.Errorf("open error: %v", err)
	}
}

func TestCorpusCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := NewCorpus([]Source{StringSource("x", strings.Repeat("line\n", 100))}, CorpusOptions{})
	r, _ := c.Open(ctx)
	for i := 0; i < 10; i++ {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if _, err := r.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
	r.Close()
	r.Close()
}

func TestCorpusEpochsReopen(t *testing.T) {
	c := NewCorpus([]Source{StringSource("x", "a\nb\n"), BytesSource("y.gz", gzipBytes(t, "c\n"))}, CorpusOptions{})
	for i := 0; i < 3; i++ {
		eq(t, texts(t, c), []string{"a", "b", "c"})
	}
	if s := c.String(); !strings.Contains(s, "2 sources") {
		t.Error(s)
	}
	c2 := c.ShardSources(1, 2)
	eq(t, texts(t, c2), []string{"c"})
}
