// Package glove trains GloVe word vectors (Pennington, Socher and Manning,
// 2014): it counts word co-occurrences in a symmetric window weighted by
// 1/distance, then fits w_i·w̃_j + b_i + b̃_j ≈ log X_ij by AdaGrad on the
// weighted least-squares loss f(X_ij)·(…)², f(x) = min(1, (x/x_max)^α).
// The exported vectors are W + W̃, as the reference glove does by default.
//
// Training threads share the parameters without locks (Hogwild, as the
// reference implementation does); race-detector builds train on one thread.
package glove

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// Config holds GloVe's hyper-parameters; zero fields take the defaults shown.
type Config struct {
	// Dim is the vector size. Default 100.
	Dim int
	// Window is the symmetric context size on each side. Default 10.
	Window int
	// MinCount drops rarer words. Default 5.
	MinCount int
	// MaxVocab keeps only the most frequent words when positive.
	MaxVocab int
	// Epochs is the number of AdaGrad passes. Default 25.
	Epochs int
	// XMax is the count where the weighting function saturates. Default 100.
	XMax float64
	// Alpha is the weighting function's exponent. Default 0.75.
	Alpha float64
	// Eta is AdaGrad's learning rate. Default 0.05.
	Eta float64
	// Threads is the number of training goroutines. Default GOMAXPROCS.
	Threads int
	// Seed seeds initialisation and shuffling. Default 1.
	Seed uint64
	// Normalize lowercases tokens and trims punctuation at their edges.
	Normalize bool
	// Progress, when set, is called after each epoch.
	Progress func(Progress)
}

// Progress reports one finished epoch.
type Progress struct {
	// Epoch counts finished epochs, from 1.
	Epoch int
	// Epochs is the total.
	Epochs int
	// Cost is the mean weighted squared error over the co-occurrence
	// entries during the epoch (the reference glove's "cost").
	Cost float64
	// Pairs is the number of non-zero co-occurrence entries.
	Pairs int
	// Elapsed is the time since training started (counting included).
	Elapsed time.Duration
}

// String formats the report as the reference glove prints it.
func (p Progress) String() string {
	return fmt.Sprintf("iter %d/%d  cost %.6f  %d pairs  %v", p.Epoch, p.Epochs, p.Cost, p.Pairs, p.Elapsed.Round(time.Millisecond))
}

// Defaults returns c with zero fields set to their defaults.
func (c Config) Defaults() Config {
	if c.Dim == 0 {
		c.Dim = 100
	}
	if c.Window == 0 {
		c.Window = 10
	}
	if c.MinCount == 0 {
		c.MinCount = 5
	}
	if c.Epochs == 0 {
		c.Epochs = 25
	}
	if c.XMax == 0 {
		c.XMax = 100
	}
	if c.Alpha == 0 {
		c.Alpha = 0.75
	}
	if c.Eta == 0 {
		c.Eta = 0.05
	}
	if c.Threads == 0 {
		c.Threads = runtime.GOMAXPROCS(0)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c
}

// String formats the configuration.
func (c Config) String() string {
	return fmt.Sprintf("glove{dim %d window %d min-count %d epochs %d x-max %g alpha %g eta %g threads %d seed %d}",
		c.Dim, c.Window, c.MinCount, c.Epochs, c.XMax, c.Alpha, c.Eta, c.Threads, c.Seed)
}

func (c Config) validate() error {
	switch {
	case c.Dim < 1 || c.Dim > 1<<14:
		return fmt.Errorf("glove: Dim %d out of range [1, 16384]", c.Dim)
	case c.Window < 1:
		return fmt.Errorf("glove: Window %d must be positive", c.Window)
	case c.Epochs < 1:
		return fmt.Errorf("glove: Epochs %d must be positive", c.Epochs)
	case c.Threads < 1:
		return fmt.Errorf("glove: Threads %d must be positive", c.Threads)
	case !(c.XMax > 0) || !(c.Eta > 0) || !(c.Alpha > 0):
		return fmt.Errorf("glove: XMax %g, Alpha %g and Eta %g must be positive", c.XMax, c.Alpha, c.Eta)
	}
	return nil
}

// Train reads a whitespace-separated corpus from r (a newline ends a
// document; windows do not cross it) and trains GloVe vectors.
func Train(ctx context.Context, cfg Config, r io.Reader) (*vectors.Vectors, error) {
	cfg = cfg.Defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	corpus, err := tokenizer.ReadWordCorpus(ctx, r, "corpus", tokenizer.WordCorpusOptions{
		MinCount: cfg.MinCount, MaxVocab: cfg.MaxVocab, Normalize: cfg.Normalize,
	})
	if err != nil {
		return nil, err
	}
	return TrainCorpus(ctx, cfg, corpus)
}

// Cooc is one non-zero co-occurrence entry.
type Cooc struct {
	// I and J are word ids.
	I, J int32
	// X is the distance-weighted count.
	X float32
}

// denseSide bounds the dense block of the co-occurrence counts: pairs of
// the denseSide most frequent words (most of the updates) are counted in a
// flat array, the rest in a map.
const denseSide = 2048 // 32 MB of float64

// Cooccurrences counts the distance-weighted (1/d), symmetric
// co-occurrences of corpus within window, and returns them sorted by (I, J).
func Cooccurrences(ctx context.Context, corpus *tokenizer.WordCorpus, window int) ([]Cooc, error) {
	V := corpus.Vocab.Len()
	D := min(V, denseSide)
	// Counts accumulate in float64, as the reference does: adding 1/d to a
	// float32 count in the hundreds of thousands would lose most of it.
	dense := make([]float64, D*D)
	sparse := make(map[uint64]float64, 1<<16)
	add := func(a, b int32, x float64) {
		if int(a) < D && int(b) < D {
			dense[int(a)*D+int(b)] += x
			return
		}
		sparse[uint64(a)<<32|uint64(uint32(b))] += x
	}
	prev := int32(0)
	for s, end := range corpus.Ends {
		if s%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		sen := corpus.IDs[prev:end]
		prev = end
		for i, wi := range sen {
			lo := max(0, i-window)
			for j := lo; j < i; j++ {
				x := 1 / float64(i-j)
				add(wi, sen[j], x)
				add(sen[j], wi, x)
			}
		}
	}
	// Merge the dense block (already in (I, J) order) with the sorted
	// sparse keys.
	keys := make([]uint64, 0, len(sparse))
	for k := range sparse {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	nDense := 0
	for _, x := range dense {
		if x != 0 {
			nDense++
		}
	}
	out := make([]Cooc, 0, nDense+len(keys))
	k := 0
	for i := 0; i < D; i++ {
		for j, x := range dense[i*D : i*D+D] {
			if x == 0 {
				continue
			}
			key := uint64(i)<<32 | uint64(j)
			for ; k < len(keys) && keys[k] < key; k++ {
				out = append(out, Cooc{int32(keys[k] >> 32), int32(uint32(keys[k])), float32(sparse[keys[k]])})
			}
			out = append(out, Cooc{int32(i), int32(j), float32(x)})
		}
	}
	for ; k < len(keys); k++ {
		out = append(out, Cooc{int32(keys[k] >> 32), int32(uint32(keys[k])), float32(sparse[keys[k]])})
	}
	return out, nil
}

// TrainCorpus trains on a corpus already read (cfg.MinCount, MaxVocab and
// Normalize are not applied again).
func TrainCorpus(ctx context.Context, cfg Config, corpus *tokenizer.WordCorpus) (*vectors.Vectors, error) {
	cfg = cfg.Defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	V, d := corpus.Vocab.Len(), cfg.Dim
	if V == 0 {
		return nil, errors.New("glove: the corpus has no word seen MinCount times")
	}
	start := time.Now()
	cooc, err := Cooccurrences(ctx, corpus, cfg.Window)
	if err != nil {
		return nil, err
	}
	if len(cooc) == 0 {
		return nil, errors.New("glove: no co-occurrences (every sentence has one word)")
	}
	r := newRNG(cfg.Seed)
	// Shuffle once, as the reference's shuffle tool does.
	for i := len(cooc) - 1; i > 0; i-- {
		j := int(r.next() % uint64(i+1))
		cooc[i], cooc[j] = cooc[j], cooc[i]
	}
	p := &params{
		d: d, w: make([]float32, 2*V*d), b: make([]float32, 2*V),
		gw: make([]float32, 2*V*d), gb: make([]float32, 2*V), V: V,
	}
	for i := range p.w {
		p.w[i] = (float32(r.next()>>40)/(1<<24) - 0.5) / float32(d)
	}
	for i := range p.b {
		p.b[i] = (float32(r.next()>>40)/(1<<24) - 0.5) / float32(d)
	}
	for i := range p.gw {
		p.gw[i] = 1
	}
	for i := range p.gb {
		p.gb[i] = 1
	}
	// Precompute per-entry log X and weight: they never change.
	logx := make([]float32, len(cooc))
	weight := make([]float32, len(cooc))
	for k, c := range cooc {
		logx[k] = float32(math.Log(float64(c.X)))
		if float64(c.X) < cfg.XMax {
			weight[k] = float32(math.Pow(float64(c.X)/cfg.XMax, cfg.Alpha))
		} else {
			weight[k] = 1
		}
	}
	T := min(cfg.Threads, len(cooc))
	if raceEnabled {
		T = 1 // Hogwild updates race by design; see race.go
	}
	for ep := 1; ep <= cfg.Epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		costs := make([]float64, T)
		var wg sync.WaitGroup
		for t := 0; t < T; t++ {
			lo, hi := len(cooc)*t/T, len(cooc)*(t+1)/T
			wg.Add(1)
			go func(t, lo, hi int) {
				defer wg.Done()
				costs[t] = p.epoch(ctx, cooc[lo:hi], logx[lo:hi], weight[lo:hi], float32(cfg.Eta))
			}(t, lo, hi)
		}
		wg.Wait()
		var cost float64
		for _, c := range costs {
			cost += c
		}
		if cfg.Progress != nil {
			cfg.Progress(Progress{Epoch: ep, Epochs: cfg.Epochs, Cost: cost / float64(len(cooc)), Pairs: len(cooc), Elapsed: time.Since(start)})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := vectors.New(corpus.Vocab.Words, d)
	for i := 0; i < V; i++ {
		wi, ci := p.w[i*d:i*d+d], p.w[(V+i)*d:(V+i)*d+d]
		o := out.Vector(i)
		for k := range o {
			o[k] = wi[k] + ci[k]
		}
	}
	return out, nil
}

// params holds the word vectors (rows 0..V-1) and context vectors (rows
// V..2V-1) in one matrix, their biases, and AdaGrad's squared-gradient sums.
type params struct {
	d, V   int
	w, b   []float32
	gw, gb []float32
}

// epoch runs AdaGrad over entries and returns the summed cost.
func (p *params) epoch(ctx context.Context, entries []Cooc, logx, weight []float32, eta float32) float64 {
	d := p.d
	var cost float64
	for k, e := range entries {
		if k%65536 == 0 && ctx.Err() != nil {
			return cost
		}
		i, j := int(e.I), p.V+int(e.J)
		wi, wj := p.w[i*d:i*d+d], p.w[j*d:j*d+d]
		gi, gj := p.gw[i*d:i*d+d], p.gw[j*d:j*d+d]
		diff := dot(wi, wj) + p.b[i] + p.b[j] - logx[k]
		fdiff := weight[k] * diff
		if math.IsNaN(float64(fdiff)) || math.IsInf(float64(fdiff), 0) {
			continue
		}
		cost += 0.5 * float64(fdiff*diff)
		fdiff *= eta
		update(fdiff, wi, wj, gi, gj)
		p.b[i] -= fdiff / sqrt32(p.gb[i])
		p.b[j] -= fdiff / sqrt32(p.gb[j])
		p.gb[i] += fdiff * fdiff
		p.gb[j] += fdiff * fdiff
	}
	return cost
}

type rng uint64

func newRNG(seed uint64) rng {
	z := seed + 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	if z == 0 {
		z = 1
	}
	return rng(z)
}

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return x * 2685821657736338717
}
