package lm

import (
	"fmt"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// CLM is the causal language-modelling objective over a GPT decoder,
// optionally with a passage-contrastive term (see WithContrastive).
type CLM struct {
	model    *gpt.Model
	collator data.Collator
	seqLen   int
	padID    int
	targets  []int // reused shifted labels

	contrastive float32 // weight of the passage-contrastive term; 0: off
	temperature float32
	diag        []int // reused InfoNCE targets
}

// NewCLM builds the "clm" objective: a GPT from cfg.Model (default
// gpt-tiny) and a data.CausalLMCollator padding with the "pad" special id
// (default 0). Training text is usually packed into full rows by the
// loader, so no padding occurs. The option "contrastive" (a weight,
// default 0) adds the passage-contrastive term of WithContrastive, with
// "temperature" (default 0.1).
func NewCLM(cfg task.Config) (task.Objective, error) {
	if err := needSeqLen("clm", cfg); err != nil {
		return nil, err
	}
	mc, err := GPTConfig(cfg)
	if err != nil {
		return nil, err
	}
	m, err := gpt.New(mc, cfg.Rand())
	if err != nil {
		return nil, err
	}
	weight, err := cfg.Float("contrastive", 0)
	if err != nil {
		return nil, err
	}
	tau, err := cfg.Float("temperature", 0.1)
	if err != nil {
		return nil, err
	}
	o := NewCLMFor(m, cfg.SeqLen, cfg.SpecialID("pad", 0))
	if weight != 0 {
		if weight < 0 || tau <= 0 {
			return nil, fmt.Errorf("clm: need contrastive >= 0 and temperature > 0 (have %g and %g)", weight, tau)
		}
		o.WithContrastive(float32(weight), float32(tau))
	}
	return o, nil
}

// NewCLMFor wraps an existing GPT model (for example one loaded from a
// checkpoint) in the clm objective.
func NewCLMFor(m *gpt.Model, seqLen, padID int) *CLM {
	return &CLM{model: m, seqLen: seqLen, padID: padID, collator: &data.CausalLMCollator{SeqLen: seqLen, PadID: padID}}
}

// WithContrastive adds a passage-contrastive term of the given weight to
// the loss and switches the collator to SpanPairs: every sequence the
// loader yields (ideally a passage of running text longer than two rows)
// becomes two nearby, non-overlapping spans, both trained as language
// modelling rows, and the mean of each span's input token embeddings is
// pulled towards its partner's and away from every other span of the
// batch (InfoNCE with in-batch negatives, cosine similarity divided by
// temperature). The embeddings thereby also learn which words occur
// together across a passage (its people, places and subject), which the
// next-token loss of a small model learns only slowly; that is what a
// classifier over few labels needs. It returns o.
func (o *CLM) WithContrastive(weight, temperature float32) *CLM {
	o.contrastive, o.temperature = weight, temperature
	o.collator = &SpanPairs{SeqLen: o.seqLen, PadID: o.padID}
	return o
}

// Name returns "clm".
func (o *CLM) Name() string { return "clm" }

// Module returns the GPT.
func (o *CLM) Module() nn.Module { return o.model }

// Model returns the GPT with its concrete type.
func (o *CLM) Model() *gpt.Model { return o.model }

// Collator returns the padding collator, or SpanPairs with the
// contrastive term.
func (o *CLM) Collator() data.Collator { return o.collator }

// Loss is the mean cross-entropy of predicting token t+1 from tokens 0..t,
// over every position whose next token is real: the batch's Labels
// (the inputs, IgnoreIndex on padding) shifted left by one, the last
// column of each row ignored.
//
// With the contrastive term the batch must come from SpanPairs (rows i and
// Size/2+i are partners) and the loss adds weight × InfoNCE over the
// masked mean of each row's input token embeddings.
func (o *CLM) Loss(b *data.Batch) *tensor.Tensor {
	o.targets = ShiftLabels(o.targets, b.Labels, b.Size, b.SeqLen)
	loss := tensor.CrossEntropy(o.model.Forward(b.Scope, b.InputIDs, b.Size, b.SeqLen), o.targets)
	if o.contrastive == 0 {
		return loss
	}
	if b.Size%2 != 0 {
		panic(&nn.ShapeError{Layer: "clm contrastive", Shapes: [][]int{{b.Size, b.SeqLen}}, Msg: "need an even number of rows (span pairs from lm.SpanPairs)"})
	}
	half := b.Size / 2
	z := Normalize(MeanPool(o.model.WTE.Forward(b.Scope, b.InputIDs, b.Size, b.SeqLen), b.AttentionMask))
	sim := tensor.MatMulT(z.Narrow(0, 0, half), z.Narrow(0, half, half), false, true).MulScalar(1 / o.temperature)
	if cap(o.diag) < half {
		o.diag = make([]int, half)
	}
	o.diag = o.diag[:half]
	for i := range o.diag {
		o.diag[i] = i
	}
	return loss.Add(tensor.CrossEntropy(sim, o.diag).MulScalar(o.contrastive))
}

// String names the objective and its model.
func (o *CLM) String() string {
	if o.contrastive != 0 {
		return fmt.Sprintf("Objective(clm + %g·passage-contrastive τ=%g, %v)", o.contrastive, o.temperature, o.model)
	}
	return fmt.Sprintf("Objective(clm, %v)", o.model)
}

// SpanPairs is the collator of the clm objective's contrastive term. Each
// input sequence of n ids yields two spans of min(SeqLen, n/2) ids that do
// not overlap, at a random distance and offset within the sequence; the
// batch holds the first spans as rows 0..B-1 and their partners as rows
// B..2B-1, padded to SeqLen with PadID (Labels IgnoreIndex, AttentionMask
// 0 there). Sequences of fewer than two ids are an error.
type SpanPairs struct {
	SeqLen int
	PadID  int
}

// String describes the collator.
func (c *SpanPairs) String() string {
	return fmt.Sprintf("SpanPairs(seq=%d, pad=%d)", c.SeqLen, c.PadID)
}

// Collate draws the span pairs.
func (c *SpanPairs) Collate(seqs [][]int, rng *data.RNG) (*data.Batch, error) {
	if c.SeqLen <= 0 {
		return nil, fmt.Errorf("lm.SpanPairs: SeqLen must be positive (have %d)", c.SeqLen)
	}
	n := len(seqs)
	b := &data.Batch{Size: 2 * n, SeqLen: c.SeqLen}
	b.InputIDs = make([]int, 2*n*c.SeqLen)
	b.Labels = make([]int, len(b.InputIDs))
	b.AttentionMask = make([]int, len(b.InputIDs))
	for i := range b.InputIDs {
		b.InputIDs[i], b.Labels[i] = c.PadID, tensor.IgnoreIndex
	}
	put := func(row int, span []int) {
		o := row * c.SeqLen
		copy(b.InputIDs[o:], span)
		copy(b.Labels[o:], span)
		for j := range span {
			b.AttentionMask[o+j] = 1
		}
	}
	for i, s := range seqs {
		if len(s) < 2 {
			return nil, fmt.Errorf("lm.SpanPairs: sequence %d has %d ids, need at least 2 for a pair of spans", i, len(s))
		}
		span := min(c.SeqLen, len(s)/2)
		slack := len(s) - 2*span
		gap := rng.Intn(slack + 1)
		at := rng.Intn(slack - gap + 1)
		put(i, s[at:at+span])
		put(n+i, s[at+span+gap:at+2*span+gap])
	}
	return b, nil
}

// ShiftLabels writes labels shifted left by one position within each of
// rows rows of seqLen into dst (grown as needed) and returns it; the last
// position of every row gets tensor.IgnoreIndex.
func ShiftLabels(dst, labels []int, rows, seqLen int) []int {
	if len(labels) != rows*seqLen {
		panic(&nn.ShapeError{Layer: "lm.ShiftLabels", Shapes: [][]int{{len(labels)}, {rows, seqLen}}, Msg: "labels must be rows·seqLen"})
	}
	if cap(dst) < len(labels) {
		dst = make([]int, len(labels))
	}
	dst = dst[:len(labels)]
	for r := 0; r < rows; r++ {
		row := labels[r*seqLen : (r+1)*seqLen]
		out := dst[r*seqLen : (r+1)*seqLen]
		copy(out, row[1:])
		out[seqLen-1] = tensor.IgnoreIndex
	}
	return dst
}
