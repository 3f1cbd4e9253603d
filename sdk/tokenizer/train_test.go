package tokenizer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainBPESmall(t *testing.T) {
	text := strings.Repeat("low lower lowest newer newest wider ", 50) + "low low low\n"
	b, err := TrainBPE(context.Background(), strings.NewReader(text), TrainOptions{VocabSize: 256 + 1 + 12, SpecialTokens: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	if b.VocabSize() != 269 {
		t.Errorf("VocabSize = %d, want 269", b.VocabSize())
	}
	// " low" is the most frequent word: it must be one token.
	if ids := b.Encode(" low"); len(ids) != 1 {
		t.Errorf("Encode(\" low\") = %v, want one token", ids)
	}
	if id, ok := b.TokenID("<|endoftext|>"); !ok || id != 0 {
		t.Errorf("special id %d %v", id, ok)
	}
	for _, s := range []string{text, "unseen wörds ✓", "<|endoftext|>low"} {
		if got := b.Decode(b.Encode(s)); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	// Deterministic: a second run learns the same merges.
	b2, err := TrainBPE(context.Background(), strings.NewReader(text), TrainOptions{VocabSize: 269, SpecialTokens: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	if m1, m2 := b.mergeList(), b2.mergeList(); len(m1) != len(m2) || len(m1) == 0 {
		t.Fatalf("merges %d vs %d", len(m1), len(m2))
	} else {
		for i := range m1 {
			if m1[i] != m2[i] {
				t.Fatalf("merge %d differs: %v vs %v", i, m1[i], m2[i])
			}
		}
	}
	if _, err := TrainBPE(context.Background(), strings.NewReader(text), TrainOptions{VocabSize: 100}); err == nil {
		t.Error("vocab below 256 accepted")
	}
}

// austenText returns one Austen novel from the shared data, or skips.
func austenText(t testing.TB, name string) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "austen", name))
	if err != nil {
		t.Skipf("Austen corpus not available: %v", err)
	}
	return string(data)
}

func TestTrainOnAusten(t *testing.T) {
	text := austenText(t, "persuasion.txt")
	ctx := context.Background()
	b, err := TrainBPE(ctx, strings.NewReader(text), TrainOptions{VocabSize: 4000})
	if err != nil {
		t.Fatal(err)
	}
	ids := b.Encode(text)
	if ratio := float64(len(text)) / float64(len(ids)); ratio < 3.5 {
		t.Errorf("BPE 4k on its training text: %.2f bytes/token, want >= 3.5", ratio)
	}
	if b.Decode(ids) != text {
		t.Error("BPE round trip failed")
	}
	w, err := TrainWordPiece(ctx, strings.NewReader(text), TrainOptions{VocabSize: 4000, Lowercase: true})
	if err != nil {
		t.Fatal(err)
	}
	if w.VocabSize() != 4000 {
		t.Errorf("WordPiece vocab %d", w.VocabSize())
	}
	wids := w.Encode(text)
	unk, _ := w.TokenID("[UNK]")
	nUnk := 0
	for _, id := range wids {
		if id == unk {
			nUnk++
		}
	}
	words := len(strings.Fields(text))
	if nUnk > 0 || len(wids) > words*2 {
		t.Errorf("WordPiece: %d ids for %d words, %d unknown", len(wids), words, nUnk)
	}
	if got := w.Decode(w.Encode("Anne Elliot walked.")); got != "anne elliot walked." {
		t.Errorf("Decode = %q", got)
	}
	// Trained tokenizers survive tokenizer.json.
	p := filepath.Join(t.TempDir(), "wp.json")
	if err := w.Save(p); err != nil {
		t.Fatal(err)
	}
	w2, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(w2.Encode(text[:20000]), w.Encode(text[:20000])) {
		t.Error("reloaded WordPiece encodes differently")
	}
}
