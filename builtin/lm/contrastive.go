package lm

import (
	"fmt"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Contrastive is the SimCSE / InfoNCE objective over an encoder.
type Contrastive struct {
	model       *bert.Model
	collator    *data.ContrastiveCollator
	temperature float32
	targets     []int
	ids, mask   []int
}

// NewContrastive builds the "contrastive" objective. The encoder comes from
// cfg.Model (default bert-tiny) with dropout 0.1 unless the "dropout"
// option says otherwise (the dropout noise is what makes the two views of
// a sentence differ). Options: "pairs" = "duplicate" (default:
// unsupervised SimCSE, each sequence with itself) or "adjacent"
// (sequences 2i and 2i+1 are a positive pair); "temperature" (0.05).
func NewContrastive(cfg task.Config) (task.Objective, error) {
	if err := needSeqLen("contrastive", cfg); err != nil {
		return nil, err
	}
	mode := data.PairDuplicate
	switch p := cfg.Option("pairs", "duplicate"); p {
	case "duplicate":
	case "adjacent":
		mode = data.PairAdjacent
	default:
		return nil, fmt.Errorf("contrastive: option pairs=%q: want duplicate or adjacent", p)
	}
	temp, err := cfg.Float("temperature", 0.05)
	if err != nil {
		return nil, err
	}
	if temp <= 0 {
		return nil, fmt.Errorf("contrastive: temperature must be positive, got %g", temp)
	}
	mc, err := BERTConfig(cfg, 0.1)
	if err != nil {
		return nil, err
	}
	m, err := bert.New(mc, cfg.Rand())
	if err != nil {
		return nil, err
	}
	return NewContrastiveFor(m, &data.ContrastiveCollator{Mode: mode, SeqLen: cfg.SeqLen, PairSeqLen: cfg.SeqLen, PadID: cfg.SpecialID("pad", 0)}, float32(temp)), nil
}

// NewContrastiveFor wraps an encoder in the contrastive objective with a
// collator (for example one fed explicit pairs through CollatePairs).
func NewContrastiveFor(m *bert.Model, c *data.ContrastiveCollator, temperature float32) *Contrastive {
	return &Contrastive{model: m, collator: c, temperature: temperature}
}

// Name returns "contrastive".
func (o *Contrastive) Name() string { return "contrastive" }

// Module returns the encoder.
func (o *Contrastive) Module() nn.Module { return o.model }

// Model returns the encoder with its concrete type.
func (o *Contrastive) Model() *bert.Model { return o.model }

// Collator returns the pair collator.
func (o *Contrastive) Collator() data.Collator { return o.collator }

// Loss is InfoNCE with in-batch negatives: row i of the first views
// against every row of the second views, cosine similarity divided by the
// temperature, cross-entropy towards the diagonal. When both views have the
// same width they run through the encoder as one batch of 2·Size rows
// (different dropout masks per row).
func (o *Contrastive) Loss(b *data.Batch) *tensor.Tensor {
	var za, zb *tensor.Tensor
	if b.PairSeqLen == b.SeqLen {
		o.ids = append(append(o.ids[:0], b.InputIDs...), b.PairInputIDs...)
		var mask []int
		if b.AttentionMask != nil && b.PairAttentionMask != nil {
			o.mask = append(append(o.mask[:0], b.AttentionMask...), b.PairAttentionMask...)
			mask = o.mask
		}
		h := o.model.Hidden(b.Scope, o.ids, mask, nil, 2*b.Size, b.SeqLen)
		z := Normalize(MeanPool(h, mask))
		za, zb = z.Narrow(0, 0, b.Size), z.Narrow(0, b.Size, b.Size)
	} else {
		za = Normalize(MeanPool(o.model.Hidden(b.Scope, b.InputIDs, b.AttentionMask, nil, b.Size, b.SeqLen), b.AttentionMask))
		zb = Normalize(MeanPool(o.model.Hidden(b.Scope, b.PairInputIDs, b.PairAttentionMask, nil, b.Size, b.PairSeqLen), b.PairAttentionMask))
	}
	sim := tensor.MatMulT(za, zb, false, true).MulScalar(1 / o.temperature)
	if cap(o.targets) < b.Size {
		o.targets = make([]int, b.Size)
	}
	o.targets = o.targets[:b.Size]
	for i := range o.targets {
		o.targets[i] = i
	}
	return tensor.CrossEntropy(sim, o.targets)
}

// String names the objective and its model.
func (o *Contrastive) String() string {
	return fmt.Sprintf("Objective(contrastive, %v, τ=%g, %v)", o.collator.Mode, o.temperature, o.model)
}

// MeanPool averages hidden states h [B, T, D] over the positions where mask
// (B·T flags, 1 real, 0 padding; nil: all real) is 1, giving [B, D].
func MeanPool(h *tensor.Tensor, mask []int) *tensor.Tensor {
	s := h.Shape()
	if len(s) != 3 || (mask != nil && len(mask) != s[0]*s[1]) {
		panic(&nn.ShapeError{Layer: "lm.MeanPool", Shapes: [][]int{s, {len(mask)}}, Msg: "need h [B,T,D] and B·T mask flags"})
	}
	if mask == nil {
		return h.Mean(1)
	}
	w := make([]float32, len(mask))
	for r := 0; r < s[0]; r++ {
		cnt := 0
		for _, v := range mask[r*s[1] : (r+1)*s[1]] {
			if v != 0 {
				cnt++
			}
		}
		if cnt == 0 {
			continue
		}
		for t := 0; t < s[1]; t++ {
			if mask[r*s[1]+t] != 0 {
				w[r*s[1]+t] = 1 / float32(cnt)
			}
		}
	}
	return h.Mul(tensor.FromFloat32s(w, s[0], s[1], 1)).Sum(1)
}

// Normalize scales each row of x [B, D] to unit Euclidean length.
func Normalize(x *tensor.Tensor) *tensor.Tensor {
	return x.Div(x.Mul(x).SumKeep(1).AddScalar(1e-12).Sqrt())
}
