package word2vec

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

	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

func TestAliasSampler(t *testing.T) {
	counts := []int64{1000, 300, 100, 10, 1}
	tab := buildAlias(counts, 0.75)
	var sum float64
	want := make([]float64, len(counts))
	for i, c := range counts {
		want[i] = math.Pow(float64(c), 0.75)
		sum += want[i]
	}
	got := make([]float64, len(counts))
	r := newRNG(3, 0)
	const n = 400000
	for i := 0; i < n; i++ {
		got[sample(tab, r.next())]++
	}
	for i := range got {
		p := want[i] / sum
		sd := math.Sqrt(p * (1 - p) / n)
		if math.Abs(got[i]/n-p) > 5*sd+1e-9 {
			t.Errorf("word %d: frequency %.5f, want %.5f", i, got[i]/n, p)
		}
	}
}

func TestHuffman(t *testing.T) {
	counts := []int64{50, 20, 20, 5, 3, 1, 1}
	codes, points := huffman(counts)
	seen := map[string]bool{}
	for w := range counts {
		if len(codes[w]) == 0 || len(codes[w]) != len(points[w]) {
			t.Fatalf("word %d: code %v points %v", w, codes[w], points[w])
		}
		if points[w][0] != int32(len(counts)-2) {
			t.Fatalf("word %d: path does not start at the root: %v", w, points[w])
		}
		for _, p := range points[w] {
			if p < 0 || int(p) >= len(counts)-1 {
				t.Fatalf("word %d: inner node %d out of range", w, p)
			}
		}
		seen[fmt.Sprint(codes[w])] = true
	}
	if len(seen) != len(counts) {
		t.Fatal("codes are not distinct")
	}
	if len(codes[0]) >= len(codes[6]) {
		t.Fatalf("frequent word code %v not shorter than rare %v", codes[0], codes[6])
	}
	// Prefix-free.
	for a := range codes {
		for b := range codes {
			if a != b && len(codes[a]) <= len(codes[b]) && string(codes[a]) == string(codes[b][:len(codes[a])]) {
				t.Fatalf("code %d is a prefix of %d", a, b)
			}
		}
	}
}

// topicCorpus writes sentences whose words all come from one of nTopics
// disjoint word groups, so words of a group share contexts.
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

// topicPurity is the fraction of words whose nearest neighbour shares
// their topic.
func topicPurity(t *testing.T, v *vectors.Vectors) float64 {
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
	return float64(good) / float64(len(v.Words))
}

func TestTrainLearnsTopics(t *testing.T) {
	if raceEnabled {
		t.Skip("slow under the race detector (race builds train on one thread)")
	}
	text := topicCorpus(4, 25, 2000, 1)
	for _, c := range []Config{
		{},
		{CBOW: true},
		{HS: true, NoNegative: true},
		{CBOW: true, HS: true, NoNegative: true},
		{HS: true, Threads: 2},
	} {
		c.Dim, c.MinCount = 20, 1
		if c.Threads == 0 {
			c.Threads = 1
		}
		// Untrained vectors (alpha tiny) set the baseline purity.
		base := c
		base.Alpha, base.Epochs = 1e-9, 1
		v0, err := Train(context.Background(), base, strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		v, err := Train(context.Background(), c, strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		p0, p := topicPurity(t, v0), topicPurity(t, v)
		if p < 0.9 || p0 > 0.6 {
			t.Errorf("%v: purity %.2f after training, %.2f before", c.Defaults(), p, p0)
		}
	}
}

func TestTrainDeterministicOneThread(t *testing.T) {
	text := topicCorpus(3, 10, 300, 2)
	cfg := Config{Dim: 8, MinCount: 1, Threads: 1, Seed: 7, Epochs: 2}
	a, err := Train(context.Background(), cfg, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), cfg, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed = 8
	c, err := Train(context.Background(), cfg, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	same, diff := true, false
	for i := range a.Data {
		same = same && a.Data[i] == b.Data[i]
		diff = diff || a.Data[i] != c.Data[i]
	}
	if !same || !diff {
		t.Fatalf("same seed identical: %v, other seed differs: %v", same, diff)
	}
}

// TestTrainProgressAndCancel also runs under -race: race builds train on
// one thread, so a caller of Train sees no race.
func TestTrainProgressAndCancel(t *testing.T) {
	text := topicCorpus(3, 10, 500, 3)
	var last Progress
	calls := 0
	_, err := Train(context.Background(), Config{Dim: 8, MinCount: 1, Threads: 2, Progress: func(p Progress) { last = p; calls++ }},
		strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || math.Abs(last.Done-1) > 1e-9 || last.Words != 5*5000 || last.Epoch != 5 {
		t.Fatalf("final progress %+v after %d calls", last, calls)
	}
	if !strings.Contains(last.String(), "100.0%") {
		t.Fatalf("String = %s", last)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, Config{MinCount: 1}, strings.NewReader(text)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled err = %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{Dim: -1}, {Window: -2}, {NoNegative: true}, {Threads: -1}, {Alpha: -1}} {
		if _, err := Train(context.Background(), c, strings.NewReader("a b c\n")); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := Train(context.Background(), Config{}, strings.NewReader("a b c\n")); err == nil ||
		!strings.Contains(err.Error(), "MinCount") {
		t.Errorf("empty vocabulary err = %v", err)
	}
	if s := (Config{CBOW: true}).Defaults().String(); !strings.Contains(s, "cbow") || !strings.Contains(s, "alpha 0.05") {
		t.Errorf("String = %s", s)
	}
}

// austen returns a few thousand lines of Austen, or skips.
func austen(t testing.TB, lines int) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "austen", "prideprejudice.txt"))
	if err != nil {
		t.Skip("Austen corpus not available:", err)
	}
	all := strings.Split(string(data), "\n")
	if len(all) > lines {
		all = all[:lines]
	}
	return strings.Join(all, "\n")
}

func TestAustenNeighbours(t *testing.T) {
	if raceEnabled {
		t.Skip("slow under the race detector (race builds train on one thread)")
	}
	text := austen(t, 1<<30) // Pride and Prejudice, 121 k words
	v, err := Train(context.Background(), Config{Normalize: true, Threads: 2, Dim: 50, Epochs: 10}, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		word string
		want []string
	}{{"said", []string{"replied", "cried"}}, {"man", []string{"woman", "gentleman"}}} {
		nn, err := v.Nearest(c.word, 10)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range nn {
			for _, w := range c.want {
				found = found || n.Word == w
			}
		}
		if !found {
			t.Errorf("neighbours of %q = %v, want one of %v", c.word, nn, c.want)
		}
	}
}

func BenchmarkSkipgramAusten(b *testing.B) { benchAusten(b, false) }
func BenchmarkCBOWAusten(b *testing.B)     { benchAusten(b, true) }

func benchAusten(b *testing.B, cbow bool) {
	text := austen(b, 1<<30)
	c, err := tokenizer.ReadWordCorpus(context.Background(), strings.NewReader(text), "austen",
		tokenizer.WordCorpusOptions{MinCount: 5, Normalize: true, MaxSentence: maxSentence})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := TrainCorpus(context.Background(), Config{CBOW: cbow, Epochs: 1, Threads: 1}, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Tokens)*float64(b.N)/b.Elapsed().Seconds(), "words/s")
}
