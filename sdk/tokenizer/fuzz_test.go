package tokenizer

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{"", "hello world", "a\xffb\xc3", "  \n\n x", "It's 'S 'll", "ǅungla ABCdef", "😀👍🏽", "中文 日本語", strings.Repeat("ab", 80)} {
		f.Add(s)
	}
}

// FuzzBPERoundTrip: decode(encode(x)) == x for arbitrary bytes, ids in
// range, and the heap merge agrees with the quadratic one.
func FuzzBPERoundTrip(f *testing.F) {
	fuzzSeeds(f)
	b := loadR50K(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := b.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= b.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		if got := b.Decode(ids); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
		if len(s) > 1 {
			st := &bpeState{}
			quad := append([]int(nil), b.mergeWord(s[:min(len(s), longWord)], st)...)
			heap := b.mergeWordHeap(s[:min(len(s), longWord)], st)
			if !equalInts(quad, heap) {
				t.Fatalf("merge of %q: quadratic %v, heap %v", s, quad, heap)
			}
		}
	})
}

// FuzzSplit: every split pattern cuts any input into non-empty pieces
// that concatenate back to it.
func FuzzSplit(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []string{SplitGPT2, SplitCL100K, SplitO200K} {
			pieces := Split(s, p)
			for _, x := range pieces {
				if x == "" {
					t.Fatalf("%s: empty piece in %q", p, pieces)
				}
			}
			if strings.Join(pieces, "") != s {
				t.Fatalf("%s: pieces %q do not rebuild %q", p, pieces, s)
			}
		}
	})
}

// FuzzWordPiece: encoding never panics and gives ids in range.
func FuzzWordPiece(f *testing.F) {
	fuzzSeeds(f)
	w := loadBERT(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := w.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= w.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		if d := w.Decode(ids); !utf8.ValidString(d) {
			t.Fatalf("Decode gave invalid UTF-8 %q", d)
		}
	})
}

// smallTiktoken is a valid rank file: the 256 bytes, then "ab" and "abc".
func smallTiktoken() string {
	var sb strings.Builder
	for c := 0; c < 256; c++ {
		sb.WriteString(b64([]byte{byte(c)}) + " " + itoa(c) + "\n")
	}
	sb.WriteString(b64([]byte("ab")) + " 256\n" + b64([]byte("abc")) + " 257\n")
	return sb.String()
}

func b64(b []byte) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []byte
	for i := 0; i < len(b); i += 3 {
		var v uint32
		n := len(b) - i
		if n > 3 {
			n = 3
		}
		for k := 0; k < 3; k++ {
			v <<= 8
			if k < n {
				v |= uint32(b[i+k])
			}
		}
		for k := 0; k < 4; k++ {
			if k <= n {
				out = append(out, enc[(v>>(18-6*k))&63])
			} else {
				out = append(out, '=')
			}
		}
	}
	return string(out)
}

// checkParsed exercises a tokenizer a parser accepted.
func checkParsed(t *testing.T, tok Tokenizer) {
	for _, s := range []string{"abc abcab", "x\xff y", ""} {
		ids := tok.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("%v: id %d out of range", tok, id)
			}
		}
		tok.Decode(ids)
	}
}

func FuzzParseTiktoken(f *testing.F) {
	f.Add([]byte(smallTiktoken()))
	f.Add([]byte("IQ== 0\n"))
	f.Add([]byte("!!!! 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := ParseTiktoken(data, "x.tiktoken", SplitGPT2); err == nil {
			checkParsed(t, b)
		}
	})
}

func FuzzParseVocab(f *testing.F) {
	f.Add([]byte("[PAD]\n[UNK]\na\n##b\nab\n"))
	f.Add([]byte("[UNK]\n\xff\n"))
	f.Add([]byte("[UNK]\n[UNK]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if w, err := ParseVocab(data, "vocab.txt", true); err == nil {
			checkParsed(t, w)
		}
	})
}

func FuzzParseGPT2(f *testing.F) {
	var enc strings.Builder
	enc.WriteString("{")
	for c := 0; c < 256; c++ {
		k := strings.ReplaceAll(strings.ReplaceAll(string(byteToRune[c]), `\`, `\\`), `"`, `\"`)
		enc.WriteString(`"` + k + `": ` + itoa(c) + ",")
	}
	enc.WriteString(`"ab": 256, "<|endoftext|>": 257}`)
	f.Add([]byte(enc.String()), []byte("#version: 0.2\na b\n"))
	f.Add([]byte(enc.String()), []byte("a c\n"))
	f.Add([]byte(`{"a": -1}`), []byte(""))
	f.Fuzz(func(t *testing.T, encJSON, merges []byte) {
		if b, err := ParseGPT2(encJSON, "encoder.json", merges, "vocab.bpe"); err == nil {
			checkParsed(t, b)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(tinyJSON(`["a b", "ab ab"]`)))
	f.Add([]byte(tinyJSON(`[["a","b"]]`)))
	f.Add([]byte(`{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1, "##b": 2}, "unk_token": "[UNK]"}, "pre_tokenizer": {"type": "BertPreTokenizer"}, "normalizer": {"type": "BertNormalizer"}}`))
	f.Add([]byte(`{"model": {"type": "WordPiece", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "x"}}, {"type": "ByteLevel"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if tok, err := ParseJSON(data, "tokenizer.json"); err == nil {
			checkParsed(t, tok)
		}
	})
}

// TestBadInput: malformed and missing files give errors that name the
// file and, where there is one, the position.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(smallTiktoken()))
	zw.Close()
	truncated := write("trunc.tiktoken.gz", gz.Bytes()[:gz.Len()/2])
	notGzip := write("plain.tiktoken.gz", []byte(smallTiktoken()))
	cases := []struct {
		name string
		load func() error
		want string
	}{
		{"missing vocab", func() error { _, err := LoadVocab(filepath.Join(dir, "nope.txt"), true); return err }, "nope.txt"},
		{"missing tiktoken", func() error { _, err := LoadTiktoken(filepath.Join(dir, "nope.tiktoken"), "r50k_base"); return err }, "nope.tiktoken"},
		{"missing json", func() error { _, err := Load(filepath.Join(dir, "nope.json")); return err }, "nope.json"},
		{"truncated gzip", func() error { _, err := LoadTiktoken(truncated, "r50k_base"); return err }, "trunc.tiktoken.gz: gzip: unexpected EOF"},
		{"not gzip", func() error { _, err := LoadTiktoken(notGzip, "r50k_base"); return err }, "plain.tiktoken.gz: gzip: invalid header"},
		{"empty vocab", func() error { _, err := ParseVocab(nil, "v.txt", true); return err }, "v.txt: empty vocabulary"},
		{"invalid UTF-8 vocab", func() error { _, err := ParseVocab([]byte("[UNK]\na\n\xff\xfe\n"), "v.txt", true); return err }, "v.txt:3: token is not valid UTF-8"},
		{"duplicate vocab", func() error { _, err := ParseVocab([]byte("[UNK]\na\na\n"), "v.txt", true); return err }, "v.txt:3: token \"a\" already on line 2"},
		{"empty line vocab", func() error { _, err := ParseVocab([]byte("[UNK]\n\na\n"), "v.txt", true); return err }, "v.txt:2: empty token"},
		{"no unk", func() error { _, err := ParseVocab([]byte("a\nb\n"), "v.txt", true); return err }, "v.txt: no [UNK]"},
		{"bad base64", func() error { _, err := ParseTiktoken([]byte("IQ== 0\n!!! 1\n"), "r.tiktoken", "gpt2"); return err }, "r.tiktoken:2:1: bad base64"},
		{"bad rank", func() error { _, err := ParseTiktoken([]byte("IQ== 0\nIg== x\n"), "r.tiktoken", "gpt2"); return err }, "r.tiktoken:2:6: bad rank"},
		{"missing bytes", func() error { _, err := ParseTiktoken([]byte("IQ== 0\n"), "r.tiktoken", "gpt2"); return err }, "r.tiktoken: tokenizer: byte 0x00 has no token"},
		{"empty tiktoken", func() error { _, err := ParseTiktoken(nil, "r.tiktoken", "gpt2"); return err }, "r.tiktoken"},
		{"bad encoder.json", func() error {
			_, err := ParseGPT2([]byte("{\n\"a\": 1,\n\"b\" 2}"), "encoder.json", nil, "vocab.bpe")
			return err
		}, "encoder.json:3:"},
		{"bad vocab.bpe", func() error {
			_, err := ParseGPT2([]byte(`{"a": 0, "b": 1}`), "encoder.json", []byte("#version: 0.2\na b\n"), "vocab.bpe")
			return err
		}, "vocab.bpe:2:1: merge result \"ab\""},
		{"empty json", func() error { _, err := ParseJSON(nil, "t.json"); return err }, "t.json"},
		{"truncated json", func() error { _, err := ParseJSON([]byte(tinyJSON(`[]`))[:300], "t.json"); return err }, "t.json"},
	}
	for _, c := range cases {
		err := c.load()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.want)
		}
	}
}
