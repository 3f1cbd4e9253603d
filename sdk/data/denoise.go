package data

import "fmt"

// DenoisingConfig configures BART-style denoising: the encoder sees a
// corrupted sequence and the decoder reconstructs the original. The
// corruptions apply in this order: sentence permutation, span infilling,
// token deletion; any may be disabled.
type DenoisingConfig struct {
	// PermuteSentences shuffles the sentences of a sequence; a sentence
	// ends after a token for which IsSentenceEnd is true.
	PermuteSentences bool
	IsSentenceEnd    func(id int) bool

	// InfillRatio is the fraction of tokens hidden by span infilling
	// (BART: 0.3); span lengths are Poisson(InfillLambda) (BART: 3) and
	// each span, including empty ones, becomes a single MaskID.
	InfillRatio  float64
	InfillLambda float64
	MaskID       int

	// DeleteProb drops each token independently with this probability.
	DeleteProb float64

	SpecialIDs     []int // never corrupted, and kept in place by permutation when leading or trailing
	PadID          int
	DecoderStartID int
	SeqLen         int // encoder columns; 0: longest row
	DecSeqLen      int // decoder columns; 0: longest row
}

// String describes the config.
func (c DenoisingConfig) String() string {
	return fmt.Sprintf("DenoisingConfig{permute=%v infill=%g(lambda %g, mask %d) delete=%g pad=%d decStart=%d seqLen=%d decSeqLen=%d}",
		c.PermuteSentences, c.InfillRatio, c.InfillLambda, c.MaskID, c.DeleteProb, c.PadID, c.DecoderStartID, c.SeqLen, c.DecSeqLen)
}

// DenoisingCollator implements Collator for DenoisingConfig.
type DenoisingCollator struct {
	cfg     DenoisingConfig
	special map[int]bool
}

// NewDenoisingCollator validates cfg and returns the collator.
func NewDenoisingCollator(cfg DenoisingConfig) (*DenoisingCollator, error) {
	op := "NewDenoisingCollator"
	switch {
	case cfg.PermuteSentences && cfg.IsSentenceEnd == nil:
		return nil, &ParamError{Op: op, Msg: "PermuteSentences needs an IsSentenceEnd predicate"}
	case cfg.InfillRatio < 0 || cfg.InfillRatio >= 1:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("InfillRatio %g outside [0,1)", cfg.InfillRatio)}
	case cfg.InfillRatio > 0 && cfg.InfillLambda <= 0:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("InfillLambda %g must be positive", cfg.InfillLambda)}
	case cfg.DeleteProb < 0 || cfg.DeleteProb >= 1:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("DeleteProb %g outside [0,1)", cfg.DeleteProb)}
	}
	sp := map[int]bool{cfg.PadID: true}
	for _, id := range cfg.SpecialIDs {
		sp[id] = true
	}
	return &DenoisingCollator{cfg: cfg, special: sp}, nil
}

// String describes the collator.
func (c *DenoisingCollator) String() string {
	return "DenoisingCollator" + c.cfg.String()[len("DenoisingConfig"):]
}

// Permute shuffles the sentences of seq, keeping leading and trailing
// special tokens in place.
func (c *DenoisingCollator) Permute(seq []int, rng *RNG) []int {
	lo, hi := 0, len(seq)
	for lo < hi && c.special[seq[lo]] {
		lo++
	}
	for hi > lo && c.special[seq[hi-1]] {
		hi--
	}
	var sents [][]int
	start := lo
	for i := lo; i < hi; i++ {
		if c.cfg.IsSentenceEnd(seq[i]) {
			sents = append(sents, seq[start:i+1])
			start = i + 1
		}
	}
	if start < hi {
		sents = append(sents, seq[start:hi])
	}
	rng.Shuffle(len(sents), func(i, j int) { sents[i], sents[j] = sents[j], sents[i] })
	out := make([]int, 0, len(seq))
	out = append(out, seq[:lo]...)
	for _, s := range sents {
		out = append(out, s...)
	}
	return append(out, seq[hi:]...)
}

// Infill hides about InfillRatio of the tokens of seq in Poisson-length
// spans, each replaced by one MaskID (zero-length spans insert a mask).
func (c *DenoisingCollator) Infill(seq []int, rng *RNG) []int {
	n := len(seq)
	eligible := 0
	for _, id := range seq {
		if !c.special[id] {
			eligible++
		}
	}
	target := int(float64(eligible)*c.cfg.InfillRatio + 0.5)
	if target == 0 {
		return append([]int(nil), seq...)
	}
	masked := make([]bool, n)
	insert := make([]bool, n+1)
	count := 0
	for tries := 0; count < target && tries < 4*n+16; tries++ {
		l := rng.Poisson(c.cfg.InfillLambda)
		start := rng.Intn(n)
		if l == 0 {
			insert[start] = true
			continue
		}
		for k := start; k < n && k < start+l && count < target; k++ {
			if !masked[k] && !c.special[seq[k]] {
				masked[k] = true
				count++
			}
		}
	}
	out := make([]int, 0, n)
	for i, id := range seq {
		if insert[i] && (i == 0 || !masked[i-1]) && !masked[i] {
			out = append(out, c.cfg.MaskID)
		}
		if masked[i] {
			if i == 0 || !masked[i-1] {
				out = append(out, c.cfg.MaskID)
			}
			continue
		}
		out = append(out, id)
	}
	return out
}

// Delete drops each non-special token with probability DeleteProb.
func (c *DenoisingCollator) Delete(seq []int, rng *RNG) []int {
	out := make([]int, 0, len(seq))
	for _, id := range seq {
		if !c.special[id] && rng.Float64() < c.cfg.DeleteProb {
			continue
		}
		out = append(out, id)
	}
	return out
}

// Corrupt applies the configured corruptions to one sequence.
func (c *DenoisingCollator) Corrupt(seq []int, rng *RNG) []int {
	out := seq
	if c.cfg.PermuteSentences {
		out = c.Permute(out, rng)
	}
	if c.cfg.InfillRatio > 0 && len(out) > 0 {
		out = c.Infill(out, rng)
	}
	if c.cfg.DeleteProb > 0 {
		out = c.Delete(out, rng)
	}
	if len(out) > 0 && &out[0] == &seq[0] {
		out = append([]int(nil), out...)
	}
	return out
}

// Collate implements Collator: InputIDs hold the corrupted sequences,
// DecoderLabels the originals and DecoderInputIDs the originals shifted
// right behind DecoderStartID.
func (c *DenoisingCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	if len(seqs) == 0 {
		return nil, &ParamError{Op: "DenoisingCollator.Collate", Msg: "empty batch"}
	}
	inputs := make([][]int, len(seqs))
	for i, s := range seqs {
		inputs[i] = c.Corrupt(s, rng)
	}
	b := PadBatch(inputs, c.cfg.SeqLen, c.cfg.PadID)
	setDecoder(b, seqs, c.cfg.DecSeqLen, c.cfg.PadID, c.cfg.DecoderStartID)
	return b, nil
}
