package transfer

import (
	"fmt"
	"math"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// NaiveBayes is a multinomial Naive Bayes text classifier over bags of
// words (split on white space and normalised with
// tokenizer.NormalizeWord, as the word-vector path does), with add-Alpha
// (Laplace) smoothing and class priors from the training counts: the
// bag-of-words baseline the transfer table compares against. It trains in
// one pass and needs no validation set.
type NaiveBayes struct {
	Alpha     float64
	Labels    int
	logPrior  []float64
	logLike   []map[string]float64 // per class: log P(word | class)
	logUnseen []float64            // per class: log P(unseen word | class)
}

// String describes the model.
func (nb *NaiveBayes) String() string {
	vocab := 0
	if len(nb.logLike) > 0 {
		vocab = len(nb.logLike[0])
	}
	return fmt.Sprintf("NaiveBayes(labels=%d, vocab=%d, alpha=%g)", nb.Labels, vocab, nb.Alpha)
}

func bagOfWords(text string) []string {
	var out []string
	for _, f := range strings.Fields(text) {
		if w := tokenizer.NormalizeWord(f); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// TrainNaiveBayes fits a model to labeled examples (LabelIDs below
// labels); alpha 0 means 1.
func TrainNaiveBayes(ex []data.Example, labels int, alpha float64) *NaiveBayes {
	if alpha <= 0 {
		alpha = 1
	}
	counts := make([]map[string]float64, labels)
	totals := make([]float64, labels)
	docs := make([]float64, labels)
	vocab := map[string]bool{}
	for c := range counts {
		counts[c] = map[string]float64{}
	}
	for _, e := range ex {
		docs[e.LabelID]++
		for _, w := range bagOfWords(e.Text) {
			counts[e.LabelID][w]++
			totals[e.LabelID]++
			vocab[w] = true
		}
	}
	nb := &NaiveBayes{Alpha: alpha, Labels: labels, logPrior: make([]float64, labels),
		logLike: make([]map[string]float64, labels), logUnseen: make([]float64, labels)}
	v := float64(len(vocab))
	for c := 0; c < labels; c++ {
		// A class without examples gets a tiny prior, never -Inf.
		nb.logPrior[c] = math.Log((docs[c] + 1e-3) / (float64(len(ex)) + 1e-3*float64(labels)))
		den := totals[c] + alpha*(v+1) // +1: the unseen-word bucket
		nb.logLike[c] = make(map[string]float64, len(vocab))
		for w := range vocab {
			nb.logLike[c][w] = math.Log((counts[c][w] + alpha) / den)
		}
		nb.logUnseen[c] = math.Log(alpha / den)
	}
	return nb
}

// Scores returns the log joint probability of text under each class.
func (nb *NaiveBayes) Scores(text string) []float64 {
	s := append([]float64(nil), nb.logPrior...)
	for _, w := range bagOfWords(text) {
		for c := range s {
			if l, ok := nb.logLike[c][w]; ok {
				s[c] += l
			} else {
				s[c] += nb.logUnseen[c]
			}
		}
	}
	return s
}

// Evaluate scores the model on labeled examples (names label the
// confusion matrix).
func (nb *NaiveBayes) Evaluate(names []string, ex []data.Example) finetune.Metrics {
	truth, pred := make([]int, len(ex)), make([]int, len(ex))
	pTrue := make([]float32, len(ex))
	for i, e := range ex {
		s := nb.Scores(e.Text)
		best := 0
		mx := math.Inf(-1)
		for c, v := range s {
			if v > s[best] {
				best = c
			}
			mx = math.Max(mx, v)
		}
		var z float64
		for _, v := range s {
			z += math.Exp(v - mx)
		}
		truth[i], pred[i] = e.LabelID, best
		pTrue[i] = float32(math.Exp(s[e.LabelID]-mx) / z)
	}
	return finetune.Score(names, truth, pred, pTrue)
}
