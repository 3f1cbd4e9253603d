package corpus

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/data"
)

func TestEmbeddedMatchesShared(t *testing.T) {
	dir := "../../../shared/data/austen"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared Austen folder absent")
	}
	for _, n := range AustenNovels() {
		want, err := os.ReadFile(filepath.Join(dir, n+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := AustenText(n)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s: embedded text differs from %s (%d vs %d bytes)", n, dir, len(got), len(want))
		}
	}
}

func TestAustenStreamsAllLines(t *testing.T) {
	var lines, words int
	err := Austen().Scan(context.Background(), func(r data.Record) error {
		lines++
		words += len(strings.Fields(r.Text))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The shared README states 717,537 words; strings.Fields counts
	// whitespace-separated tokens, which differs slightly from that count.
	if words < 700_000 || words > 800_000 {
		t.Errorf("words = %d, want about 717k", words)
	}
	var want int
	for _, n := range AustenNovels() {
		txt, _ := AustenText(n)
		for _, l := range strings.Split(txt, "\n") {
			if strings.TrimSpace(l) != "" {
				want++
			}
		}
	}
	if lines != want {
		t.Errorf("streamed %d non-blank lines, text has %d", lines, want)
	}
}

func TestParagraphTask(t *testing.T) {
	ps, err := AustenParagraphs()
	if err != nil {
		t.Fatal(err)
	}
	perNovel := map[string][2]int{}
	nEval := 0
	for _, p := range ps {
		if len(p.Text) < MinParagraphChars {
			t.Fatalf("%v shorter than %d", p, MinParagraphChars)
		}
		if strings.HasPrefix(strings.ToUpper(p.Text), "CHAPTER ") && len(p.Text) < 20 {
			t.Fatalf("heading kept: %v", p)
		}
		if AustenNovels()[p.Label] != p.Novel {
			t.Fatalf("label %d does not name %s", p.Label, p.Novel)
		}
		c := perNovel[p.Novel]
		if p.Eval {
			c[1]++
			nEval++
		} else {
			c[0]++
		}
		perNovel[p.Novel] = c
	}
	if len(perNovel) != 6 {
		t.Fatalf("paragraphs from %d novels, want 6", len(perNovel))
	}
	for n, c := range perNovel {
		if c[1] < 30 || c[0] < 300 {
			t.Errorf("%s: %d train / %d eval paragraphs, too few", n, c[0], c[1])
		}
	}
	frac := float64(nEval) / float64(len(ps))
	if frac < 0.08 || frac > 0.12 {
		t.Errorf("eval fraction %.3f, want about 1/%d", frac, EvalModulus)
	}
	t.Logf("%d paragraphs, %d eval (%.1f%%): %v", len(ps), nEval, 100*frac, perNovel)

	train, labels, err := AustenClassification("train")
	if err != nil {
		t.Fatal(err)
	}
	eval, _, err := AustenClassification("eval")
	if err != nil {
		t.Fatal(err)
	}
	if len(train)+len(eval) != len(ps) || len(eval) != nEval {
		t.Errorf("split sizes %d+%d, want %d with %d eval", len(train), len(eval), len(ps), nEval)
	}
	if labels.Len() != 6 || !labels.Frozen() {
		t.Errorf("labels %v", labels)
	}
	seen := map[string]bool{}
	for _, e := range eval {
		seen[e.Text] = true
	}
	for _, e := range train {
		if seen[e.Text] {
			t.Fatalf("paragraph in both splits: %v", e)
		}
	}
	if _, _, err := AustenClassification("test"); err == nil {
		t.Error("unknown split accepted")
	}
}

func TestPretrainTextExcludesEval(t *testing.T) {
	eval, _, err := AustenClassification("eval")
	if err != nil {
		t.Fatal(err)
	}
	train, _, _ := AustenClassification("train")
	// Rebuild the paragraphs of the pretraining text and check that none is
	// an eval paragraph while every train paragraph is still there.
	docs := map[string]bool{}
	c := AustenPretrainText().WithOptions(data.CorpusOptions{Mode: data.Documents})
	err = c.Scan(context.Background(), func(r data.Record) error {
		docs[strings.Join(strings.Fields(r.Text), " ")] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eval {
		if docs[e.Text] {
			t.Fatalf("eval paragraph in pretraining text: %v", e)
		}
	}
	for _, e := range train {
		if !docs[e.Text] {
			t.Fatalf("train paragraph missing from pretraining text: %v", e)
		}
	}
	// And the eval text does not appear as a substring of the whole stream
	// read line by line (sampled: the first line of a few eval paragraphs).
	var all strings.Builder
	AustenPretrainText().Scan(context.Background(), func(r data.Record) error {
		all.WriteString(r.Text)
		all.WriteByte('\n')
		return nil
	})
	s := all.String()
	for _, e := range eval[:50] {
		txt, _ := AustenText(strings.TrimSuffix(strings.TrimPrefix(e.Source, "austen/"), ".txt"))
		first := strings.Split(txt, "\n")[e.Line-1]
		if len(first) > 60 && strings.Contains(s, first+"\n") {
			t.Errorf("first line of eval paragraph %v still in the pretraining stream", e)
		}
	}
}

func TestDocumentsAreParagraphs(t *testing.T) {
	c := Austen().WithOptions(data.CorpusOptions{Mode: data.Documents})
	n := 0
	err := c.Scan(context.Background(), func(r data.Record) error {
		if strings.Contains(r.Text, "\n\n") {
			t.Fatalf("document with blank line: %v", r)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 9000 {
		t.Errorf("%d documents, want about 10k paragraphs", n)
	}
}

func TestUnknownNovel(t *testing.T) {
	if _, err := AustenText("ulysses"); err == nil || !strings.Contains(err.Error(), "ulysses") {
		t.Errorf("err = %v", err)
	}
	if AustenTitle("prideprejudice") != "Pride and Prejudice" {
		t.Error("title")
	}
}

func BenchmarkAustenScan(b *testing.B) {
	for b.Loop() {
		n := 0
		Austen().Scan(context.Background(), func(r data.Record) error { n += len(r.Text); return nil })
		b.SetBytes(int64(n))
	}
}

func TestLoaderOverAusten(t *testing.T) {
	// One epoch of the pretraining text through the data pipeline sees
	// every word once, with or without workers, and no eval paragraph.
	words := func(s string) []int {
		f := strings.Fields(s)
		ids := make([]int, len(f))
		for i := range ids {
			ids[i] = 5 + len(f[i])
		}
		return ids
	}
	want := 0
	AustenPretrainText().Scan(context.Background(), func(r data.Record) error {
		want += len(strings.Fields(r.Text))
		return nil
	})
	for _, w := range []int{0, 2} {
		l, err := data.NewLoader(context.Background(), data.LoaderConfig{
			Corpus: AustenPretrainText().WithOptions(data.CorpusOptions{Mode: data.Documents}),
			Encode: words, BatchSize: 64, ShuffleBuffer: 1000, Seed: 1, Prefetch: 2, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for {
			b, err := l.Next()
			if err != nil {
				break
			}
			for _, m := range b.AttentionMask {
				got += m
			}
		}
		l.Close()
		if got != want {
			t.Errorf("workers %d: %d tokens, want %d", w, got, want)
		}
	}
}
