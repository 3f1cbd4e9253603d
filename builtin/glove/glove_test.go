package glove

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

func TestCooccurrences(t *testing.T) {
	c, err := tokenizer.ReadWordCorpus(context.Background(), strings.NewReader("a b c\nc a\n"), "t", tokenizer.WordCorpusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Cooccurrences(context.Background(), c, 2)
	if err != nil {
		t.Fatal(err)
	}
	id := func(w string) int32 { i, _ := c.Vocab.ID(w); return i }
	want := map[[2]int32]float32{
		{id("a"), id("b")}: 1, {id("b"), id("a")}: 1,
		{id("b"), id("c")}: 1, {id("c"), id("b")}: 1,
		{id("a"), id("c")}: 1.5, {id("c"), id("a")}: 1.5, // 1/2 in line 1, 1 in line 2
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, e := range got {
		if k > 0 && (got[k-1].I > e.I || got[k-1].I == e.I && got[k-1].J >= e.J) {
			t.Fatalf("not sorted: %v", got)
		}
		if w, ok := want[[2]int32{e.I, e.J}]; !ok || math.Abs(float64(w-e.X)) > 1e-6 {
			t.Fatalf("entry %+v, want %v", e, w)
		}
	}
}

func topicCorpus(nTopics, perTopic, sentences int, seed int64) string {
	r := rand.New(rand.NewSource(seed))
	var b strings.Builder
	for s := 0; s < sentences; s++ {
		topic := r.Intn(nTopics)
		for k := 0; k < 10; k++ {
			fmt.Fprintf(&b, "t%dw%d ", topic, r.Intn(perTopic))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestTrainLearnsTopicsAndCostFalls(t *testing.T) {
	if raceEnabled {
		t.Skip("slow under the race detector (race builds train on one thread)")
	}
	text := topicCorpus(4, 25, 2000, 1)
	var costs []float64
	v, err := Train(context.Background(), Config{Dim: 20, MinCount: 1, Epochs: 15, Threads: 2,
		Progress: func(p Progress) { costs = append(costs, p.Cost) }}, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) != 15 || !(costs[14] < costs[0]*0.5) {
		t.Fatalf("costs %v", costs)
	}
	good := 0
	for _, w := range v.Words {
		nn, err := v.Nearest(w, 1)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Split(nn[0].Word, "w")[0] == strings.Split(w, "w")[0] {
			good++
		}
	}
	if p := float64(good) / float64(len(v.Words)); p < 0.9 {
		t.Fatalf("topic purity %.2f", p)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []Config{{Dim: -1}, {Window: -1}, {Epochs: -1}, {XMax: -1}} {
		if _, err := Train(context.Background(), c, strings.NewReader("a b\n")); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := Train(context.Background(), Config{MinCount: 1}, strings.NewReader("a\nb\n")); err == nil {
		t.Error("corpus without pairs accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, Config{MinCount: 1}, strings.NewReader("a b\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancel err = %v", err)
	}
	if !strings.Contains(Config{}.Defaults().String(), "x-max 100") {
		t.Error(Config{}.Defaults().String())
	}
}

func BenchmarkGloVeAusten(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "austen", "emma.txt"))
	if err != nil {
		b.Skip("Austen corpus not available:", err)
	}
	c, err := tokenizer.ReadWordCorpus(context.Background(), strings.NewReader(string(data)), "emma",
		tokenizer.WordCorpusOptions{MinCount: 5, Normalize: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := TrainCorpus(context.Background(), Config{Epochs: 5, Threads: 1}, c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCooccurrencesDenseAndSparse checks the dense block and the sparse map
// against a plain map on a vocabulary larger than the dense side.
func TestCooccurrencesDenseAndSparse(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	var b strings.Builder
	for s := 0; s < 1500; s++ {
		for k := 0; k < 12; k++ {
			// Zipf-ish ids so both blocks get entries.
			fmt.Fprintf(&b, "w%d ", int(math.Exp(r.Float64()*math.Log(4*denseSide))))
		}
		b.WriteByte('\n')
	}
	c, err := tokenizer.ReadWordCorpus(context.Background(), strings.NewReader(b.String()), "t", tokenizer.WordCorpusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Vocab.Len() <= denseSide {
		t.Fatalf("vocabulary %d does not exceed the dense side", c.Vocab.Len())
	}
	want := map[[2]int32]float64{}
	for s := range c.Ends {
		sen := c.Sentence(s)
		for i := range sen {
			for j := max(0, i-3); j < i; j++ {
				want[[2]int32{sen[i], sen[j]}] += 1 / float64(i-j)
				want[[2]int32{sen[j], sen[i]}] += 1 / float64(i-j)
			}
		}
	}
	got, err := Cooccurrences(context.Background(), c, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	sparse := 0
	for k, e := range got {
		if k > 0 && (got[k-1].I > e.I || got[k-1].I == e.I && got[k-1].J >= e.J) {
			t.Fatalf("not sorted at %d", k)
		}
		if w := want[[2]int32{e.I, e.J}]; math.Abs(float64(e.X)-w) > 1e-6*w {
			t.Fatalf("entry %+v, want %v", e, want[[2]int32{e.I, e.J}])
		}
		if e.I >= denseSide || e.J >= denseSide {
			sparse++
		}
	}
	if sparse == 0 {
		t.Fatal("no sparse entries exercised")
	}
}
