package transfer

import (
	"math"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/stretchr/testify/assert"
)

// The scores of a two-document model, worked out by hand: class 0 saw
// "a a b" (3 words), class 1 "b c" (2); vocabulary a, b, c plus the
// unseen bucket, add-one smoothing.
func TestNaiveBayesByHand(t *testing.T) {
	ex := []data.Example{{Text: "A a b.", LabelID: 0}, {Text: "b c", LabelID: 1}}
	nb := TrainNaiveBayes(ex, 2, 1)
	prior := math.Log(0.5)
	want := []float64{prior + math.Log(3.0/7) + math.Log(1.0/7) + math.Log(1.0/7), prior + math.Log(1.0/6) + math.Log(2.0/6) + math.Log(1.0/6)}
	got := nb.Scores("a c zebra")
	for c := range want {
		if math.Abs(got[c]-want[c]) > 1e-6 {
			t.Fatalf("class %d: score %.6f, want %.6f", c, got[c], want[c])
		}
	}
	m := nb.Evaluate([]string{"x", "y"}, []data.Example{{Text: "a a", LabelID: 0}, {Text: "c c", LabelID: 1}, {Text: "a", LabelID: 1}})
	if m.N != 3 || math.Abs(m.Accuracy-2.0/3) > 1e-9 {
		t.Fatalf("metrics %v", m)
	}
}

// On the synthetic topic task NB learns from a few labels.
func TestNaiveBayesTopics(t *testing.T) {
	w := newTopicWorld(4, 60, 7)
	labels := data.NewLabelMap("t0", "t1", "t2", "t3")
	train, test := w.labeled(40, labels), w.labeled(200, labels)
	m := TrainNaiveBayes(train, 4, 1).Evaluate(labels.Names(), test)
	t.Logf("NB with 40 labels: %v", m)
	if m.Accuracy < 0.6 { // chance is 0.25
		t.Fatalf("NB accuracy %.3f", m.Accuracy)
	}
}

// Without a validation set there are no validation curves to compare, and
// the table says so instead of printing "never" and NaN.
func TestTableWithoutValidation(t *testing.T) {
	nan := math.NaN()
	r := Report{Rows: []Row{
		{Budget: 50, PreAcc: 0.6, ScratchAcc: 0.5, StepsToScratchBest: nan, ScratchBestStep: nan, StepRatio: nan, NBAcc: 0.55},
		{Budget: 100, PreAcc: 0.7, ScratchAcc: 0.6, StepsToScratchBest: 20, ScratchBestStep: 40, StepRatio: 0.5, PreReached: 3, SeedsCounted: 3, NBAcc: 0.65},
	}}
	s := r.String()
	assert.Contains(t, s, "| 0.000 | — | — | — |\n")
	assert.Contains(t, s, "| 20 | 40 | 0.50 |\n")
	assert.NotContains(t, s, "NaN")
}
