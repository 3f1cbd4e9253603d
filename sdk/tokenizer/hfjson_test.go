package tokenizer

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestHFSavedWordPiece loads the tokenizer.json that Hugging Face
// tokenizers saved and checks it against HF's ids.
func TestHFSavedWordPiece(t *testing.T) {
	tok, err := Load("testdata/bert_hf_tokenizer.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	w, ok := tok.(*WordPiece)
	if !ok {
		t.Fatalf("Load returned %T", tok)
	}
	if len(w.SpecialTokens()) != 5 {
		t.Errorf("specials %q", w.SpecialTokens())
	}
	for _, r := range loadWPRefs(t) {
		if got := w.Encode(r.Text); !equalInts(got, r.IDs) {
			t.Errorf("Encode(%q) = %v, want %v", r.Text, got, r.IDs)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	// WordPiece.
	p := filepath.Join(dir, "bert.json")
	if err := loadBERT(t).Save(p); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range loadWPRefs(t) {
		if got := tok.Encode(r.Text); !equalInts(got, r.IDs) {
			t.Fatalf("reloaded WordPiece: Encode(%q) = %v, want %v", r.Text, got, r.IDs)
		}
	}
	// Byte-level BPE with derived (tiktoken) merges.
	p = filepath.Join(dir, "r50k.json")
	if err := loadR50K(t).Save(p); err != nil {
		t.Fatal(err)
	}
	tok, err = Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != loadR50K(t).VocabSize() || strings.Join(tok.SpecialTokens(), ",") != "<|endoftext|>" {
		t.Errorf("reloaded %v, specials %q", tok, tok.SpecialTokens())
	}
	checkPlans(t, tok, loadPlans(t, "r50k_base"))
	if ids := tok.Encode("a<|endoftext|>b"); len(ids) != 3 || ids[1] != 50256 {
		t.Errorf("special in reloaded tokenizer: %v", ids)
	}
}

// tinyJSON is a hand-written byte-level BPE over the letters a, b with
// two merges, in either merges notation.
func tinyJSON(merges string) string {
	var vocab []string
	for c := 0; c < 256; c++ {
		k := strings.ReplaceAll(strings.ReplaceAll(string(byteToRune[c]), `\`, `\\`), `"`, `\"`)
		vocab = append(vocab, `"`+k+`": `+itoa(c))
	}
	vocab = append(vocab, `"ab": 256`, `"abab": 257`)
	return `{"version":"1.0","added_tokens":[],"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
"model":{"type":"BPE","vocab":{` + strings.Join(vocab, ",") + `},"merges":` + merges + `}}`
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestJSONMergesNotations(t *testing.T) {
	for _, m := range []string{`["a b", "ab ab"]`, `[["a","b"],["ab","ab"]]`} {
		tok, err := ParseJSON([]byte(tinyJSON(m)), "tiny.json")
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if got := tok.Encode("ababa abab"); !equalInts(got, []int{257, 'a', ' ', 257}) {
			t.Errorf("%s: Encode = %v", m, got)
		}
	}
}

func TestJSONErrors(t *testing.T) {
	cases := map[string]string{
		"{\n  \"model\": [1,\n 2,,]}":    "bad.json:3:",
		`{"model": {"type": "Unigram"}}`: "unsupported model type",
		`{}`:                             "no model",
		tinyJSON(`["a c"]`):              "merges[0]",
		tinyJSON(`["a b c"]`):            "merges[0]",
		tinyJSON(`[["a"]]`):              "merges[0]",
		tinyJSON(`{"x": 1}`):             "model.merges",
		strings.Replace(tinyJSON(`[]`), `"ByteLevel"`, `"Whitespace"`, 1):                                                                                   "pre_tokenizer",
		strings.Replace(tinyJSON(`[]`), `"added_tokens":[],`, `"added_tokens":[],"normalizer":{"type":"NFKC"},`, 1):                                         "normalizer \"NFKC\" is not supported",
		`{"model": {"type": "WordPiece", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "BertPreTokenizer"}, "added_tokens": [{"id": 3, "content": "[X]"}]}`: "added_tokens",
		`{"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 5}}, "pre_tokenizer": {"type": "BertPreTokenizer"}}`:                                        "outside",
	}
	for in, want := range cases {
		_, err := ParseJSON([]byte(in), "bad.json")
		if err == nil {
			t.Errorf("no error for %.60q", in)
			continue
		}
		var pe *ParseError
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "bad.json") || !errors.As(err, &pe) && !strings.HasPrefix(err.Error(), "bad.json") {
			t.Errorf("error %q does not name %q and the file", err, want)
		}
	}
}
