package data

import (
	"fmt"
	"math"
)

// SpanCorruptionConfig configures T5's span corruption: about NoiseDensity
// of the tokens, in spans of mean length MeanSpanLength, are removed from
// the input, each span replaced by one sentinel; the target lists every
// sentinel followed by the tokens it hides. Sentinel ids count down from
// SentinelStart (<extra_id_0>, <extra_id_1>, ... as in T5's vocabulary).
type SpanCorruptionConfig struct {
	NoiseDensity   float64 // 0.15
	MeanSpanLength float64 // 3
	SentinelStart  int     // id of <extra_id_0>
	NumSentinels   int     // sentinels available (100 in T5); spans are capped to it
	EOSID          int     // appended to inputs and targets; negative: none
	PadID          int     // padding of inputs and decoder inputs
	DecoderStartID int     // first decoder input (T5 uses the pad id)
	SeqLen         int     // encoder columns; 0: longest row
	DecSeqLen      int     // decoder columns; 0: longest row
}

// DefaultSpanCorruptionConfig returns T5's settings for a vocabulary whose
// sentinels are the top numSentinels ids below vocabSize.
func DefaultSpanCorruptionConfig(vocabSize, numSentinels, eosID, padID int) SpanCorruptionConfig {
	return SpanCorruptionConfig{NoiseDensity: 0.15, MeanSpanLength: 3, SentinelStart: vocabSize - 1,
		NumSentinels: numSentinels, EOSID: eosID, PadID: padID, DecoderStartID: padID}
}

// String describes the config.
func (c SpanCorruptionConfig) String() string {
	return fmt.Sprintf("SpanCorruptionConfig{density=%g meanSpan=%g sentinels=%d..%d eos=%d pad=%d decStart=%d seqLen=%d decSeqLen=%d}",
		c.NoiseDensity, c.MeanSpanLength, c.SentinelStart, c.SentinelStart-c.NumSentinels+1, c.EOSID, c.PadID, c.DecoderStartID, c.SeqLen, c.DecSeqLen)
}

// SpanCorruptionCollator implements T5 span corruption.
type SpanCorruptionCollator struct{ cfg SpanCorruptionConfig }

// NewSpanCorruptionCollator validates cfg and returns the collator.
func NewSpanCorruptionCollator(cfg SpanCorruptionConfig) (*SpanCorruptionCollator, error) {
	op := "NewSpanCorruptionCollator"
	switch {
	case cfg.NoiseDensity <= 0 || cfg.NoiseDensity >= 1:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("NoiseDensity %g outside (0,1)", cfg.NoiseDensity)}
	case cfg.MeanSpanLength < 1:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("MeanSpanLength %g below 1", cfg.MeanSpanLength)}
	case cfg.NumSentinels < 1 || cfg.SentinelStart-cfg.NumSentinels+1 < 0:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("%d sentinels counting down from %d do not fit", cfg.NumSentinels, cfg.SentinelStart)}
	}
	return &SpanCorruptionCollator{cfg: cfg}, nil
}

// String describes the collator.
func (c *SpanCorruptionCollator) String() string {
	return "SpanCorruptionCollator" + c.cfg.String()[len("SpanCorruptionConfig"):]
}

// randomSegmentation splits n items into k non-empty segments uniformly at
// random (T5's _random_segmentation) and returns their lengths.
func randomSegmentation(n, k int, rng *RNG) []int {
	// Choose k-1 distinct cut points among the n-1 gaps.
	first := make([]bool, n)
	gaps := rng.Perm(n - 1)
	for _, g := range gaps[:k-1] {
		first[g+1] = true
	}
	lengths := make([]int, 0, k)
	cur := 0
	for i := 0; i < n; i++ {
		if first[i] && cur > 0 {
			lengths = append(lengths, cur)
			cur = 0
		}
		cur++
	}
	return append(lengths, cur)
}

// NoiseMask returns T5's random_spans_noise_mask for a sequence of length
// tokens: true marks noise. It always has at least one noise and one
// non-noise token (for length >= 2) and starts with non-noise.
func (c *SpanCorruptionCollator) NoiseMask(length int, rng *RNG) []bool {
	if length <= 0 {
		return nil
	}
	orig := length
	length = max(length, 2)
	numNoise := int(math.Round(float64(length) * c.cfg.NoiseDensity))
	numNoise = min(max(numNoise, 1), length-1)
	numSpans := max(int(math.Round(float64(numNoise)/c.cfg.MeanSpanLength)), 1)
	numSpans = min(numSpans, c.cfg.NumSentinels, numNoise, length-numNoise)
	noise := randomSegmentation(numNoise, numSpans, rng)
	keep := randomSegmentation(length-numNoise, numSpans, rng)
	mask := make([]bool, 0, length)
	for s := 0; s < numSpans; s++ {
		for i := 0; i < keep[s]; i++ {
			mask = append(mask, false)
		}
		for i := 0; i < noise[s]; i++ {
			mask = append(mask, true)
		}
	}
	return mask[:orig]
}

// Corrupt returns the encoder input and the target of one sequence.
func (c *SpanCorruptionCollator) Corrupt(seq []int, rng *RNG) (input, target []int) {
	mask := c.NoiseMask(len(seq), rng)
	sentinel := c.cfg.SentinelStart
	for i, id := range seq {
		if !mask[i] {
			input = append(input, id)
			continue
		}
		if i == 0 || !mask[i-1] {
			input = append(input, sentinel)
			target = append(target, sentinel)
			sentinel--
		}
		target = append(target, id)
	}
	if c.cfg.EOSID >= 0 {
		input = append(input, c.cfg.EOSID)
		target = append(target, c.cfg.EOSID)
	}
	return input, target
}

// Collate implements Collator: InputIDs/AttentionMask hold the corrupted
// inputs, DecoderLabels the targets (IgnoreIndex on padding),
// DecoderInputIDs the targets shifted right behind DecoderStartID.
func (c *SpanCorruptionCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	if len(seqs) == 0 {
		return nil, &ParamError{Op: "SpanCorruptionCollator.Collate", Msg: "empty batch"}
	}
	inputs := make([][]int, len(seqs))
	targets := make([][]int, len(seqs))
	for i, s := range seqs {
		inputs[i], targets[i] = c.Corrupt(s, rng)
	}
	b := PadBatch(inputs, c.cfg.SeqLen, c.cfg.PadID)
	setDecoder(b, targets, c.cfg.DecSeqLen, c.cfg.PadID, c.cfg.DecoderStartID)
	return b, nil
}

// setDecoder fills the decoder fields of b from the target sequences.
func setDecoder(b *Batch, targets [][]int, decLen, padID, startID int) {
	cols := padLen(targets, decLen)
	labels, mask := padInto(targets, cols, IgnoreIndex)
	dec := make([]int, len(labels))
	for r := range targets {
		row := Row(dec, cols, r)
		lab := Row(labels, cols, r)
		row[0] = startID
		for j := 1; j < cols; j++ {
			if lab[j-1] == IgnoreIndex {
				row[j] = padID
			} else {
				row[j] = lab[j-1]
			}
		}
	}
	b.DecSeqLen = cols
	b.DecoderInputIDs = dec
	b.DecoderAttentionMask = mask
	b.DecoderLabels = labels
}
