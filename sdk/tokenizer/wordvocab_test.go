package tokenizer

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadWordCorpusCountsAndOrder(t *testing.T) {
	text := "the cat sat\n\non the mat\tthe end\r\nrare\n"
	c, err := ReadWordCorpus(context.Background(), strings.NewReader(text), "t", WordCorpusOptions{MinCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	// "the" (3) first, then count-1 words in first-occurrence order.
	want := []string{"the", "cat", "sat", "on", "mat", "end", "rare"}
	if strings.Join(c.Vocab.Words, " ") != strings.Join(want, " ") {
		t.Fatalf("vocab %v, want %v", c.Vocab.Words, want)
	}
	if c.Vocab.Counts[0] != 3 || c.Tokens != 9 || len(c.IDs) != 9 {
		t.Fatalf("counts %v tokens %d ids %d", c.Vocab.Counts, c.Tokens, len(c.IDs))
	}
	if len(c.Ends) != 3 {
		t.Fatalf("sentences %v, want 3", c.Ends)
	}
	var got []string
	for _, id := range c.Sentence(1) {
		got = append(got, c.Vocab.Words[id])
	}
	if strings.Join(got, " ") != "on the mat the end" {
		t.Fatalf("sentence 1 = %v", got)
	}
}

func TestReadWordCorpusMinCountDropsSentences(t *testing.T) {
	text := "a b a\nx y\nb a z\n"
	c, err := ReadWordCorpus(context.Background(), strings.NewReader(text), "t", WordCorpusOptions{MinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c.Vocab.Len() != 2 || c.Tokens != 8 {
		t.Fatalf("vocab %v tokens %d", c.Vocab, c.Tokens)
	}
	// The "x y" line vanishes entirely.
	if len(c.Ends) != 2 || c.Ends[0] != 3 || c.Ends[1] != 5 {
		t.Fatalf("ends %v", c.Ends)
	}
	if id, ok := c.Vocab.ID("z"); ok {
		t.Fatalf("z kept as %d", id)
	}
}

func TestReadWordCorpusChunkBoundaries(t *testing.T) {
	// One byte per Read exercises tokens that span reads.
	text := strings.Repeat("alpha beta\ngamma ", 50)
	full, err := ReadWordCorpus(context.Background(), strings.NewReader(text), "t", WordCorpusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := ReadWordCorpus(context.Background(), iotest.OneByteReader(strings.NewReader(text)), "t", WordCorpusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if full.Vocab.Len() != 3 || slow.Vocab.Len() != 3 || len(full.IDs) != 150 || len(slow.IDs) != 150 {
		t.Fatalf("full %v slow %v", full, slow)
	}
	for i := range full.IDs {
		if full.IDs[i] != slow.IDs[i] {
			t.Fatalf("id %d differs", i)
		}
	}
}

func TestReadWordCorpusNormalizeAndMaxSentence(t *testing.T) {
	text := "Emma, said “Mr. Knightley” -- EMMA! _word_ É\n"
	c, err := ReadWordCorpus(context.Background(), strings.NewReader(text), "t",
		WordCorpusOptions{Normalize: true, MaxSentence: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := "emma said mr knightley emma word é"
	var got []string
	for _, id := range c.IDs {
		got = append(got, c.Vocab.Words[id])
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("got %q want %q", strings.Join(got, " "), want)
	}
	if len(c.Ends) != 3 {
		t.Fatalf("ends %v, want 3 pieces", c.Ends)
	}
	if NormalizeWord("Don't!") != "don't" {
		t.Fatalf("NormalizeWord = %q", NormalizeWord("Don't!"))
	}
}

func TestReadWordCorpusErrors(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a b\nc\n"), iotest.ErrReader(boom))
	_, err := ReadWordCorpus(context.Background(), r, "file.txt", WordCorpusOptions{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "file.txt:3") {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadWordCorpus(ctx, strings.NewReader("a"), "x", WordCorpusOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel err = %v", err)
	}
}

func TestNewWordVocab(t *testing.T) {
	v, err := NewWordVocab([]string{"a", "b"}, []int64{5, 2})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := v.ID("b"); !ok || id != 1 || v.Total() != 7 {
		t.Fatalf("id %d ok %v total %d", id, ok, v.Total())
	}
	if !strings.Contains(v.String(), "a:5") {
		t.Fatalf("String = %s", v)
	}
	if _, err := NewWordVocab([]string{"a", "a"}, []int64{1, 1}); err == nil {
		t.Fatal("duplicate accepted")
	}
	if _, err := NewWordVocab([]string{"a"}, nil); err == nil {
		t.Fatal("length mismatch accepted")
	}
}

func FuzzReadWordCorpus(f *testing.F) {
	f.Add("a b c\nd e\n", 1, false)
	f.Add("Émile, l'été!\n\n", 2, true)
	f.Fuzz(func(t *testing.T, text string, minCount int, normalize bool) {
		c, err := ReadWordCorpus(context.Background(), strings.NewReader(text), "f",
			WordCorpusOptions{MinCount: minCount % 4, Normalize: normalize, MaxSentence: 3})
		if err != nil {
			t.Fatal(err)
		}
		prev := int32(0)
		for _, e := range c.Ends {
			if e <= prev && prev != 0 || e > int32(len(c.IDs)) {
				t.Fatalf("bad ends %v for %d ids", c.Ends, len(c.IDs))
			}
			prev = e
		}
		if len(c.IDs) > 0 && c.Ends[len(c.Ends)-1] != int32(len(c.IDs)) {
			t.Fatalf("last end %v != %d", c.Ends, len(c.IDs))
		}
		for _, id := range c.IDs {
			if id < 0 || int(id) >= c.Vocab.Len() {
				t.Fatalf("id %d out of vocab %d", id, c.Vocab.Len())
			}
		}
	})
}
