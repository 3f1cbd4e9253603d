package finetune

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func TestWindows(t *testing.T) {
	ids := make([]int, 80)
	for i := range ids {
		ids[i] = i
	}
	starts := func(ws [][]int) []int {
		var s []int
		for _, w := range ws {
			s = append(s, w[0])
		}
		return s
	}
	for _, c := range []struct {
		n, stride, max int
		want           []int
	}{
		{32, 32, 0, []int{0, 32, 48}},
		{32, 16, 0, []int{0, 16, 32, 48}},
		{80, 80, 0, []int{0}},
		{100, 100, 0, []int{0}},
		{10, 10, 3, []int{0, 30, 70}},
		{10, 10, 1, []int{0}},
	} {
		ws := windows(ids, c.n, c.stride, c.max)
		if got := starts(ws); !slices.Equal(got, c.want) {
			t.Errorf("windows(80 ids, n=%d, stride=%d, max=%d) start at %v, want %v", c.n, c.stride, c.max, got, c.want)
		}
		for _, w := range ws {
			if len(w) != min(c.n, 80) {
				t.Errorf("window of %d ids, want %d", len(w), min(c.n, 80))
			}
		}
	}
}

// The logits of a long text are the mean of its windows' logits (byte
// tokens: a window is a substring).
func TestLogitsAverageWindows(t *testing.T) {
	m := tinyModel(t, 5)
	text := strings.Repeat("abcdefghij", 8) // 80 bytes; windows at 0, 32, 48
	got := m.Logits([]string{text})[0]
	parts := m.Logits([]string{text[0:32], text[32:64], text[48:80]})
	for j := range got {
		want := (parts[0][j] + parts[1][j] + parts[2][j]) / 3
		if math.Abs(float64(got[j]-want)) > 1e-5 {
			t.Fatalf("logit %d: %g, mean of the windows' %g", j, got[j], want)
		}
	}
	if n := m.Windows(text); n != 3 {
		t.Fatalf("Windows = %d, want 3", n)
	}
}

// The label word sits past the first window: reading every window learns
// the task, reading only the first cannot.
func TestWholeDocumentBeatsFirstWindow(t *testing.T) {
	mk := func(n int, seed uint64) []data.Example {
		words := []string{"cat", "dog", "owl"}
		rng := tensor.NewRNG(seed)
		ex := make([]data.Example, n)
		for i := range ex {
			l := rng.Intn(3)
			pad := strings.Repeat("x", 40+rng.Intn(8))
			ex[i] = data.Example{Text: pad + strings.Repeat(" "+words[l], 6), Label: words[l], LabelID: l}
		}
		return ex
	}
	train, test := mk(96, 1), mk(60, 2)
	acc := map[int]float64{}
	for _, maxWin := range []int{0, 1} {
		m := tinyModel(t, 3)
		m.MaxWindows = maxWin
		if _, err := Run(context.Background(), m, train, nil, Config{LR: 3e-3, HeadLR: 1e-2, Steps: 80, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		acc[maxWin] = Evaluate(m, test).Accuracy
	}
	t.Logf("every window %.3f, first window only %.3f", acc[0], acc[1])
	if acc[0] < 0.9 || acc[1] > 0.6 {
		t.Fatalf("every window %.3f (want >= 0.9), first window only %.3f (want <= 0.6)", acc[0], acc[1])
	}
}

func TestSeqLenAboveContextIsAnError(t *testing.T) {
	g, err := gpt.New(gpt.Config{VocabSize: ByteVocab, ContextLen: 32, Dim: 32, Layers: 1, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	_, labels := toy(1, 1)
	_, err = NewModel(NewGPT(g), ByteTokens(), "classify", nil, labels, 64, 1)
	var se *SeqLenError
	if !errors.As(err, &se) || se.Context != 32 || !strings.Contains(err.Error(), "exceeds the backbone's context of 32") {
		t.Fatalf("seq-len 64 on a 32-token backbone: %v", err)
	}
	m, err := NewModel(NewGPT(g), ByteTokens(), "classify", nil, labels, 0, 1)
	if err != nil || m.SeqLen != 32 {
		t.Fatalf("seq-len 0: %v, %v", m, err)
	}
}

func TestSplitValid(t *testing.T) {
	pool, _ := toy(100, 4)
	train, valid, err := SplitValid(pool, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(train)+len(valid) != 100 || len(valid) < 18 || len(valid) > 22 {
		t.Fatalf("split %d + %d", len(train), len(valid))
	}
	seen := map[int]bool{}
	count := map[int][2]int{}
	for _, e := range train {
		seen[e.Line] = true
		c := count[e.LabelID]
		c[0]++
		count[e.LabelID] = c
	}
	for _, e := range valid {
		if seen[e.Line] {
			t.Fatalf("example %d in both", e.Line)
		}
		c := count[e.LabelID]
		c[1]++
		count[e.LabelID] = c
	}
	for l, c := range count {
		if frac := float64(c[1]) / float64(c[0]+c[1]); math.Abs(frac-0.2) > 0.05 {
			t.Errorf("label %d: %d of %d held out", l, c[1], c[0]+c[1])
		}
	}
	again, _, _ := SplitValid(pool, 0.2, 1)
	other, _, _ := SplitValid(pool, 0.2, 2)
	if len(again) != len(train) || again[0].Line != train[0].Line {
		t.Fatal("same seed, different split")
	}
	same := true
	for i := range other {
		same = same && i < len(train) && other[i].Line == train[i].Line
	}
	if same {
		t.Fatal("seeds 1 and 2 split alike")
	}
	tiny := pool[:3] // a label with one example keeps it for training
	tr, va, _ := SplitValid(tiny, 0.5, 1)
	if len(tr)+len(va) != 3 || len(tr) == 0 {
		t.Fatalf("tiny split %d + %d", len(tr), len(va))
	}
	if _, _, err := SplitValid(pool, 1, 1); err == nil {
		t.Fatal("fraction 1 accepted")
	}
	if tr, va, _ := SplitValid(pool, 0, 1); len(tr) != 100 || va != nil {
		t.Fatal("fraction 0 split")
	}
}

func TestReadTexts(t *testing.T) {
	cases := []struct {
		name, body, col string
		want            []string
		err             string
	}{
		{"a.jsonl", "{\"text\": \"one\", \"label\": \"x\"}\n\n{\"text\": \"two\"}\n", "", []string{"one", "two"}, ""},
		{"a.jsonl", "{\"body\": \"one\"}\n", "body", []string{"one"}, ""},
		{"a.jsonl", "{\"body\": \"one\"}\n", "", nil, `a.jsonl:1: no string "text" key`},
		{"a.csv", "label,text\nx,\"hello, world\"\n", "", []string{"hello, world"}, ""},
		{"a.tsv", "text\tlabel\nhi there\tx\n", "", []string{"hi there"}, ""},
		{"a.txt", "line one\n\n  line two \n", "", []string{"line one", "line two"}, ""},
		{"a.txt", "\n\n", "", nil, "no text to classify"},
	}
	for _, c := range cases {
		got, err := ReadTexts(strings.NewReader(c.body), c.name, c.col)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %q: err %v, want %q", c.name, c.body, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s %q: %q, %v", c.name, c.body, got, err)
		}
	}
}
