// Package meanpool is an example head plugin: sequence classification
// from the mean of a backbone's hidden states over the real (unpadded)
// tokens, through a small MLP.
package meanpool

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Head pools and classifies. Base holds its parameters (not embedded:
// see docs/scripting.md).
type Head struct {
	Base     *nn.Base
	Backbone task.Backbone
	Proj     *nn.Linear
	Out      *nn.Linear
}

// Logits returns [batch, classes].
func (h *Head) Logits(b *data.Batch) *tensor.Tensor {
	x := h.Backbone.Encode(b) // [B, T, D]
	mask := tensor.FromInts(b.AttentionMask, b.Size, b.SeqLen, 1)
	if b.AttentionMask == nil {
		mask = tensor.Ones(b.Size, b.SeqLen, 1)
	}
	pooled := x.Mul(mask).Sum(1).Div(mask.Sum(1)) // [B, D]
	return h.Out.Forward(h.Proj.Forward(pooled).Tanh())
}

// NewHead is the plugin's factory (task.HeadFactory). cfg.Labels is the
// number of classes; option "hidden" sets the MLP width (default: the
// backbone's width).
func NewHead(backbone task.Backbone, cfg task.Config) (task.Head, error) {
	if cfg.Labels < 2 {
		return nil, fmt.Errorf("meanpool-classify: needs at least 2 labels, got %d", cfg.Labels)
	}
	hidden, err := cfg.Int("hidden", backbone.Dim())
	if err != nil {
		return nil, err
	}
	rng := tensor.NewRNG(cfg.Seed)
	h := &Head{Base: nn.NewBase(), Backbone: backbone}
	h.Proj = nn.NewLinear(backbone.Dim(), hidden, true, rng)
	h.Out = nn.NewLinear(hidden, cfg.Labels, true, rng)
	h.Base.AddModule("proj", h.Proj)
	h.Base.AddModule("out", h.Out)
	return &task.HeadFuncs{
		HeadName:    "meanpool-classify",
		Model:       h.Base,
		LossFunc:    func(b *data.Batch) *tensor.Tensor { return tensor.CrossEntropy(h.Logits(b), b.RowLabels) },
		PredictFunc: h.Logits,
	}, nil
}
