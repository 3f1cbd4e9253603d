package data

import "fmt"

// MLMConfig configures masked-language-model corruption (BERT, with
// RoBERTa's dynamic masking: the Loader gives every epoch a fresh RNG, so
// masks are re-drawn each epoch). Start from DefaultMLMConfig.
type MLMConfig struct {
	VocabSize  int     // random replacements are drawn uniformly from [0, VocabSize)
	MaskID     int     // the [MASK] id
	PadID      int     // padding id
	SpecialIDs []int   // ids never selected ([CLS], [SEP], [PAD], ...)
	Prob       float64 // probability that a token (or word) is selected: 0.15
	MaskFrac   float64 // of the selected, fraction replaced by MaskID: 0.8
	RandomFrac float64 // of the selected, fraction replaced by a random id: 0.1 (the rest stay)
	SeqLen     int     // columns; longer rows are truncated; 0 pads to the longest row

	// WholeWord selects whole words: a word is a token for which
	// IsWordStart is true followed by the tokens for which it is false
	// (WordPiece "##" pieces, BPE tokens without a leading space).
	WholeWord   bool
	IsWordStart func(id int) bool
}

// DefaultMLMConfig returns BERT's settings: 15% of tokens selected, of
// which 80% become [MASK], 10% a random id and 10% stay unchanged.
func DefaultMLMConfig(vocabSize, maskID, padID int, specialIDs ...int) MLMConfig {
	return MLMConfig{VocabSize: vocabSize, MaskID: maskID, PadID: padID, SpecialIDs: specialIDs,
		Prob: 0.15, MaskFrac: 0.8, RandomFrac: 0.1}
}

// String describes the config.
func (c MLMConfig) String() string {
	return fmt.Sprintf("MLMConfig{vocab=%d mask=%d pad=%d special=%v p=%g mask/random/keep=%g/%g/%g wholeWord=%v seqLen=%d}",
		c.VocabSize, c.MaskID, c.PadID, c.SpecialIDs, c.Prob, c.MaskFrac, c.RandomFrac, 1-c.MaskFrac-c.RandomFrac, c.WholeWord, c.SeqLen)
}

// MLMCollator applies masked-LM corruption. Labels hold the original id at
// selected positions and IgnoreIndex elsewhere.
type MLMCollator struct {
	cfg     MLMConfig
	special map[int]bool
}

// NewMLMCollator validates cfg and returns the collator.
func NewMLMCollator(cfg MLMConfig) (*MLMCollator, error) {
	op := "NewMLMCollator"
	switch {
	case cfg.VocabSize <= 0:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("VocabSize must be positive, got %d", cfg.VocabSize)}
	case cfg.MaskID < 0 || cfg.MaskID >= cfg.VocabSize:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("MaskID %d outside vocabulary of %d", cfg.MaskID, cfg.VocabSize)}
	case cfg.Prob < 0 || cfg.Prob > 1:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("Prob %g outside [0,1]", cfg.Prob)}
	case cfg.MaskFrac < 0 || cfg.RandomFrac < 0 || cfg.MaskFrac+cfg.RandomFrac > 1:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("MaskFrac %g + RandomFrac %g must be fractions summing to at most 1", cfg.MaskFrac, cfg.RandomFrac)}
	case cfg.WholeWord && cfg.IsWordStart == nil:
		return nil, &ParamError{Op: op, Msg: "WholeWord needs an IsWordStart predicate"}
	case cfg.SeqLen < 0:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("SeqLen %d is negative", cfg.SeqLen)}
	}
	sp := map[int]bool{cfg.PadID: true}
	for _, id := range cfg.SpecialIDs {
		sp[id] = true
	}
	return &MLMCollator{cfg: cfg, special: sp}, nil
}

// Config returns the collator's config.
func (c *MLMCollator) Config() MLMConfig { return c.cfg }

// String describes the collator.
func (c *MLMCollator) String() string { return "MLMCollator" + c.cfg.String()[len("MLMConfig"):] }

// Collate implements Collator.
func (c *MLMCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	if len(seqs) == 0 {
		return nil, &ParamError{Op: "MLMCollator.Collate", Msg: "empty batch"}
	}
	b := PadBatch(seqs, c.cfg.SeqLen, c.cfg.PadID)
	b.Labels = make([]int, len(b.InputIDs))
	for i := range b.Labels {
		b.Labels[i] = IgnoreIndex
	}
	for r := 0; r < b.Size; r++ {
		ids := Row(b.InputIDs, b.SeqLen, r)
		mask := Row(b.AttentionMask, b.SeqLen, r)
		labels := Row(b.Labels, b.SeqLen, r)
		n := sum(mask)
		if !c.cfg.WholeWord {
			for j := 0; j < n; j++ {
				if !c.special[ids[j]] && rng.Float64() < c.cfg.Prob {
					c.corrupt(ids, labels, j, rng)
				}
			}
			continue
		}
		// Whole words: decide once per word, then corrupt each of its tokens.
		for j := 0; j < n; {
			if c.special[ids[j]] {
				j++
				continue
			}
			end := j + 1
			for end < n && !c.special[ids[end]] && !c.cfg.IsWordStart(ids[end]) {
				end++
			}
			if rng.Float64() < c.cfg.Prob {
				for k := j; k < end; k++ {
					c.corrupt(ids, labels, k, rng)
				}
			}
			j = end
		}
	}
	return b, nil
}

// corrupt records the label of position j and applies the 80/10/10 rule.
func (c *MLMCollator) corrupt(ids, labels []int, j int, rng *RNG) {
	labels[j] = ids[j]
	u := rng.Float64()
	switch {
	case u < c.cfg.MaskFrac:
		ids[j] = c.cfg.MaskID
	case u < c.cfg.MaskFrac+c.cfg.RandomFrac:
		ids[j] = rng.Intn(c.cfg.VocabSize)
	}
}
