package finetune

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/data"
)

func exp32(x float32) float32 { return float32(math.Exp(float64(x))) }

// Metrics scores a classifier on labeled examples.
type Metrics struct {
	N         int     // examples scored
	Accuracy  float64 // fraction correct
	MacroF1   float64 // unweighted mean of the per-label F1 scores
	Loss      float64 // mean cross-entropy
	Labels    []string
	Confusion [][]int // [true][predicted] counts
}

// String is a one-line summary.
func (m Metrics) String() string {
	return fmt.Sprintf("accuracy %.4f, macro-F1 %.4f, loss %.4f (n=%d)", m.Accuracy, m.MacroF1, m.Loss, m.N)
}

// Score computes the metrics of predicted against true label ids (with the
// probability given to the true label, for the loss; nil skips it).
func Score(labels []string, truth, pred []int, pTrue []float32) Metrics {
	k := len(labels)
	m := Metrics{N: len(truth), Labels: labels, Confusion: make([][]int, k)}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, k)
	}
	correct := 0
	for i, t := range truth {
		m.Confusion[t][pred[i]]++
		if t == pred[i] {
			correct++
		}
		if pTrue != nil {
			m.Loss -= math.Log(math.Max(float64(pTrue[i]), 1e-12))
		}
	}
	if m.N > 0 {
		m.Accuracy = float64(correct) / float64(m.N)
		m.Loss /= float64(m.N)
	}
	var f1 float64
	for c := 0; c < k; c++ {
		tp, fp, fn := m.Confusion[c][c], 0, 0
		for o := 0; o < k; o++ {
			if o != c {
				fp += m.Confusion[o][c]
				fn += m.Confusion[c][o]
			}
		}
		if tp > 0 {
			p, r := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
			f1 += 2 * p * r / (p + r)
		}
	}
	if k > 0 {
		m.MacroF1 = f1 / float64(k)
	}
	return m
}

// Evaluate classifies examples with m and scores the predictions.
func Evaluate(m *Model, ex []data.Example) Metrics {
	texts := make([]string, len(ex))
	truth := make([]int, len(ex))
	for i, e := range ex {
		texts[i], truth[i] = e.Text, e.LabelID
	}
	preds := m.Predict(texts)
	pred := make([]int, len(ex))
	pTrue := make([]float32, len(ex))
	for i, p := range preds {
		pred[i], pTrue[i] = p.ID, p.Probs[truth[i]]
	}
	return Score(m.Labels.Names(), truth, pred, pTrue)
}

// WriteConfusion prints the confusion matrix, rows true labels, columns
// predicted.
func (m Metrics) WriteConfusion(w io.Writer) {
	width := 6
	for _, l := range m.Labels {
		width = max(width, len(l)+1)
	}
	fmt.Fprintf(w, "%-*s", width, "true\\pred")
	for i := range m.Labels {
		fmt.Fprintf(w, " %6d", i)
	}
	fmt.Fprintln(w)
	for i, row := range m.Confusion {
		fmt.Fprintf(w, "%-*s", width, fmt.Sprintf("%d %s", i, m.Labels[i]))
		for _, n := range row {
			fmt.Fprintf(w, " %6d", n)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, strings.Repeat("-", width+7*len(m.Labels)))
}
