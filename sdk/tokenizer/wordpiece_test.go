package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
)

var (
	bertOnce sync.Once
	bert     *WordPiece
	bertErr  error
)

func loadBERT(t testing.TB) *WordPiece {
	t.Helper()
	bertOnce.Do(func() { bert, bertErr = LoadVocab("testdata/bert-base-uncased-vocab.txt.gz", true) })
	if bertErr != nil {
		t.Fatal(bertErr)
	}
	return bert
}

type wpRef struct {
	Text    string   `json:"text"`
	IDs     []int    `json:"ids"`
	Tokens  []string `json:"tokens"`
	Decoded string   `json:"decoded"`
}

func loadWPRefs(t testing.TB) []wpRef {
	t.Helper()
	f, err := os.Open("testdata/wordpiece_reference.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []wpRef
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r wpRef
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.IDs == nil {
			r.IDs = []int{}
		}
		out = append(out, r)
	}
	return out
}

// TestWordPieceReference compares with Hugging Face tokenizers 0.23.2 on
// the sentences of wordpiece_sentences.jsonl (gen_reference.sh).
func TestWordPieceReference(t *testing.T) {
	w := loadBERT(t)
	refs := loadWPRefs(t)
	if len(refs) < 200 {
		t.Fatalf("only %d reference sentences", len(refs))
	}
	for _, r := range refs {
		got := w.Encode(r.Text)
		if !equalInts(got, r.IDs) {
			var toks []string
			for _, id := range got {
				s, _ := w.Token(id)
				toks = append(toks, s)
			}
			t.Errorf("Encode(%q)\n got %v %q\nwant %v %q\nnormalized %q", r.Text, got, toks, r.IDs, r.Tokens, w.Normalize(r.Text))
		}
	}
	for _, r := range refs {
		if got := w.Decode(r.IDs); got != r.Decoded {
			t.Errorf("Decode(%v) = %q, want %q", r.IDs, got, r.Decoded)
		}
	}
	batch := w.EncodeBatch(textsOf(refs))
	for i, r := range refs {
		if !equalInts(batch[i], r.IDs) {
			t.Errorf("EncodeBatch[%d] differs from reference", i)
		}
	}
}

func textsOf(refs []wpRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Text
	}
	return out
}

func TestWordPieceSpecialsAndDecode(t *testing.T) {
	w := loadBERT(t)
	ids := w.Encode("[CLS] Hello, world! [SEP]")
	cls, _ := w.TokenID("[CLS]")
	sep, _ := w.TokenID("[SEP]")
	if len(ids) < 2 || ids[0] != cls || ids[len(ids)-1] != sep {
		t.Fatalf("specials not matched: %v", ids)
	}
	if got := w.Decode([]int{-1, 1 << 30}); got != "" {
		t.Errorf("Decode of unknown ids = %q", got)
	}
	long := strings.Repeat("a", 101)
	unk, _ := w.TokenID("[UNK]")
	if got := w.Encode(long); len(got) != 1 || got[0] != unk {
		t.Errorf("101-char word = %v, want [UNK]", got)
	}
}

type splitRef struct {
	Pattern string   `json:"pattern"`
	Text    string   `json:"text"`
	Pieces  []string `json:"pieces"`
}

// TestSplitReference compares the hand-written split functions with the
// JavaScript regex engine running the original patterns.
func TestSplitReference(t *testing.T) {
	f, err := os.Open("testdata/split_reference.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := map[string]int{}
	for sc.Scan() {
		var r splitRef
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		n[r.Pattern]++
		got := Split(r.Text, r.Pattern)
		if strings.Join(got, "\x00") != strings.Join(r.Pieces, "\x00") {
			t.Errorf("%s: Split(%q)\n got %q\nwant %q", r.Pattern, r.Text, got, r.Pieces)
		}
	}
	for _, p := range []string{SplitGPT2, SplitCL100K, SplitO200K} {
		if n[p] < 200 {
			t.Errorf("pattern %s: only %d cases", p, n[p])
		}
	}
}
