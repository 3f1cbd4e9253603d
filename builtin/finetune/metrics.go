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
	N         int          `json:"n"`        // examples scored
	Accuracy  float64      `json:"accuracy"` // fraction correct
	MacroF1   float64      `json:"macro_f1"` // unweighted mean of the per-label F1 scores
	Loss      float64      `json:"loss"`     // mean cross-entropy
	Labels    []string     `json:"labels"`
	Confusion [][]int      `json:"confusion"` // [true][predicted] counts
	PerClass  []ClassScore `json:"per_class"` // in label id order
}

// ClassScore is one label's precision, recall and F1 (0 where undefined:
// no predictions or no examples of the label) and its number of examples.
type ClassScore struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
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
		cs := ClassScore{Label: labels[c], Support: tp + fn}
		if tp > 0 {
			cs.Precision, cs.Recall = float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
			cs.F1 = 2 * cs.Precision * cs.Recall / (cs.Precision + cs.Recall)
			f1 += cs.F1
		}
		m.PerClass = append(m.PerClass, cs)
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

// WritePerClass prints each label's precision, recall, F1 and support.
func (m Metrics) WritePerClass(w io.Writer) {
	width := 5
	for _, l := range m.Labels {
		width = max(width, len(l))
	}
	fmt.Fprintf(w, "%-*s %9s %9s %9s %8s\n", width, "label", "precision", "recall", "f1", "support")
	for _, c := range m.PerClass {
		fmt.Fprintf(w, "%-*s %9.4f %9.4f %9.4f %8d\n", width, c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
}
