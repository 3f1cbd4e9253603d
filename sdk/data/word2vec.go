package data

import (
	"context"
	"fmt"
	"math"
)

// NegativeTable samples negative words with probability proportional to
// count^power (word2vec's unigram table, power 0.75): a table of Size slots
// where word i fills a share of slots proportional to its weight, so one
// sample is one random index.
type NegativeTable struct {
	table []int32
	power float64
	vocab int
}

// DefaultNegativeTableSize is the table size used when none is given
// (word2vec uses 1e8; 1e7 keeps the table at 40 MB with the same
// resolution for vocabularies up to a few hundred thousand words).
const DefaultNegativeTableSize = 10_000_000

// NewNegativeTable builds the table from per-id counts. size <= 0 means
// DefaultNegativeTableSize. Ids with a zero count are never drawn.
func NewNegativeTable(counts []int64, power float64, size int) (*NegativeTable, error) {
	if size <= 0 {
		size = DefaultNegativeTableSize
	}
	total := 0.0
	for i, c := range counts {
		if c < 0 {
			return nil, &ParamError{Op: "NewNegativeTable", Msg: fmt.Sprintf("count of id %d is negative (%d)", i, c)}
		}
		total += math.Pow(float64(c), power)
	}
	if total == 0 {
		return nil, &ParamError{Op: "NewNegativeTable", Msg: "all counts are zero"}
	}
	t := &NegativeTable{table: make([]int32, size), power: power, vocab: len(counts)}
	i := 0
	for i < len(counts)-1 && counts[i] == 0 {
		i++
	}
	cum := math.Pow(float64(counts[i]), power) / total
	for a := range t.table {
		// Slot a covers the quantile (a+0.5)/size of the distribution.
		for (float64(a)+0.5)/float64(size) > cum && i < len(counts)-1 {
			i++
			cum += math.Pow(float64(counts[i]), power) / total
		}
		t.table[a] = int32(i)
	}
	return t, nil
}

// Sample draws one id.
func (t *NegativeTable) Sample(rng *RNG) int { return int(t.table[rng.Intn(len(t.table))]) }

// Size returns the number of slots.
func (t *NegativeTable) Size() int { return len(t.table) }

// Slots returns how many slots id fills (its probability times Size).
func (t *NegativeTable) Slots(id int) int {
	n := 0
	for _, v := range t.table {
		if int(v) == id {
			n++
		}
	}
	return n
}

// String describes the table.
func (t *NegativeTable) String() string {
	return fmt.Sprintf("NegativeTable{vocab=%d power=%g slots=%d}", t.vocab, t.power, len(t.table))
}

// Subsampler drops frequent words as word2vec does: a word of count c in
// a corpus of total words is kept with probability
// (sqrt(c/(t*total)) + 1) * (t*total)/c, capped at 1, where t is the
// threshold (word2vec's -sample, typically 1e-3 to 1e-5).
type Subsampler struct {
	keep      []float64
	threshold float64
}

// NewSubsampler computes keep probabilities from per-id counts.
func NewSubsampler(counts []int64, threshold float64) *Subsampler {
	var total int64
	for _, c := range counts {
		total += c
	}
	s := &Subsampler{keep: make([]float64, len(counts)), threshold: threshold}
	tt := threshold * float64(total)
	for i, c := range counts {
		if c <= 0 || threshold <= 0 {
			s.keep[i] = 1
			continue
		}
		s.keep[i] = min((math.Sqrt(float64(c)/tt)+1)*tt/float64(c), 1)
	}
	return s
}

// KeepProb returns the probability that id is kept (1 for unknown ids).
func (s *Subsampler) KeepProb(id int) float64 {
	if id < 0 || id >= len(s.keep) {
		return 1
	}
	return s.keep[id]
}

// Keep draws whether to keep one occurrence of id.
func (s *Subsampler) Keep(id int, rng *RNG) bool {
	p := s.KeepProb(id)
	return p >= 1 || rng.Float64() < p
}

// Filter returns seq without the occurrences the draw drops.
func (s *Subsampler) Filter(seq []int, rng *RNG) []int {
	out := make([]int, 0, len(seq))
	for _, id := range seq {
		if s.Keep(id, rng) {
			out = append(out, id)
		}
	}
	return out
}

// String describes the subsampler.
func (s *Subsampler) String() string {
	return fmt.Sprintf("Subsampler{vocab=%d threshold=%g}", len(s.keep), s.threshold)
}

// WindowConfig configures skip-gram and CBOW example extraction.
type WindowConfig struct {
	Window        int            // maximum distance between center and context
	DynamicWindow bool           // draw the effective window per center uniformly in [1, Window], as word2vec does
	CBOW          bool           // one example per center with all its contexts, instead of one per (center, context) pair
	Negatives     int            // negatives per example (0: none)
	Table         *NegativeTable // required when Negatives > 0
	Subsampler    *Subsampler    // optional frequent-word subsampling, applied before windowing
	PadID         int            // fills unused CBOW context slots (ContextMask 0)
}

// String describes the config.
func (c WindowConfig) String() string {
	kind := "skip-gram"
	if c.CBOW {
		kind = "cbow"
	}
	return fmt.Sprintf("WindowConfig{%s window=%d dynamic=%v negatives=%d subsample=%v}", kind, c.Window, c.DynamicWindow, c.Negatives, c.Subsampler != nil)
}

// WindowCollator produces word2vec training examples from token sequences.
// Skip-gram: one row per (center, context) pair, ContextWidth 1. CBOW: one
// row per center, ContextWidth 2*Window with ContextMask marking the real
// contexts. Negatives are drawn from the table, redrawn when equal to the
// center (at most a few times).
type WindowCollator struct{ cfg WindowConfig }

// NewWindowCollator validates cfg and returns the collator.
func NewWindowCollator(cfg WindowConfig) (*WindowCollator, error) {
	if cfg.Window < 1 {
		return nil, &ParamError{Op: "NewWindowCollator", Msg: fmt.Sprintf("Window must be at least 1, got %d", cfg.Window)}
	}
	if cfg.Negatives < 0 || (cfg.Negatives > 0 && cfg.Table == nil) {
		return nil, &ParamError{Op: "NewWindowCollator", Msg: fmt.Sprintf("%d negatives need a NegativeTable", cfg.Negatives)}
	}
	return &WindowCollator{cfg: cfg}, nil
}

// String describes the collator.
func (c *WindowCollator) String() string {
	return "WindowCollator" + c.cfg.String()[len("WindowConfig"):]
}

// Collate implements Collator. A batch may have zero rows when every
// sequence is shorter than two tokens after subsampling.
func (c *WindowCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	cfg := c.cfg
	b := &Batch{NumNegatives: cfg.Negatives, ContextWidth: 1}
	if cfg.CBOW {
		b.ContextWidth = 2 * cfg.Window
	}
	b.Centers = []int{}
	b.Contexts = []int{}
	if cfg.CBOW {
		b.ContextMask = []int{}
	}
	if cfg.Negatives > 0 {
		b.Negatives = []int{}
	}
	for _, seq := range seqs {
		if cfg.Subsampler != nil {
			seq = cfg.Subsampler.Filter(seq, rng)
		}
		for i, center := range seq {
			w := cfg.Window
			if cfg.DynamicWindow {
				w = 1 + rng.Intn(cfg.Window)
			}
			lo, hi := max(i-w, 0), min(i+w, len(seq)-1)
			if hi == lo {
				continue
			}
			if cfg.CBOW {
				n := 0
				for j := lo; j <= hi; j++ {
					if j != i {
						b.Contexts = append(b.Contexts, seq[j])
						b.ContextMask = append(b.ContextMask, 1)
						n++
					}
				}
				for ; n < b.ContextWidth; n++ {
					b.Contexts = append(b.Contexts, cfg.PadID)
					b.ContextMask = append(b.ContextMask, 0)
				}
				b.Centers = append(b.Centers, center)
				c.negatives(b, center, rng)
				continue
			}
			for j := lo; j <= hi; j++ {
				if j == i {
					continue
				}
				b.Centers = append(b.Centers, center)
				b.Contexts = append(b.Contexts, seq[j])
				c.negatives(b, seq[j], rng)
			}
		}
	}
	b.Size = len(b.Centers)
	return b, nil
}

// negatives appends cfg.Negatives draws that avoid target when possible.
func (c *WindowCollator) negatives(b *Batch, target int, rng *RNG) {
	for k := 0; k < c.cfg.Negatives; k++ {
		id := c.cfg.Table.Sample(rng)
		for try := 0; id == target && try < 8; try++ {
			id = c.cfg.Table.Sample(rng)
		}
		b.Negatives = append(b.Negatives, id)
	}
}

// CountTokens makes one pass over a corpus and returns how often each id
// in [0, vocabSize) occurs after encoding: the counts that NewNegativeTable
// and NewSubsampler take. Ids outside the range are an error naming the
// record.
func CountTokens(ctx context.Context, c *Corpus, encode EncodeFunc, vocabSize int) ([]int64, error) {
	if vocabSize <= 0 {
		return nil, &ParamError{Op: "CountTokens", Msg: fmt.Sprintf("vocabSize must be positive, got %d", vocabSize)}
	}
	counts := make([]int64, vocabSize)
	err := c.Scan(ctx, func(r Record) error {
		for _, id := range encode(r.Text) {
			if id < 0 || id >= vocabSize {
				return &InputError{File: r.Source, Line: r.Line, Offset: -1, Msg: fmt.Sprintf("token id %d outside vocabulary of %d", id, vocabSize)}
			}
			counts[id]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}
