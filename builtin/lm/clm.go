package lm

import (
	"fmt"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// CLM is the causal language-modelling objective over a GPT decoder.
type CLM struct {
	model    *gpt.Model
	collator *data.CausalLMCollator
	targets  []int // reused shifted labels
}

// NewCLM builds the "clm" objective: a GPT from cfg.Model (default
// gpt-tiny) and a data.CausalLMCollator padding with the "pad" special id
// (default 0). Training text is usually packed into full rows by the
// loader, so no padding occurs.
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
	return &CLM{model: m, collator: &data.CausalLMCollator{SeqLen: cfg.SeqLen, PadID: cfg.SpecialID("pad", 0)}}, nil
}

// NewCLMFor wraps an existing GPT model (for example one loaded from a
// checkpoint) in the clm objective.
func NewCLMFor(m *gpt.Model, seqLen, padID int) *CLM {
	return &CLM{model: m, collator: &data.CausalLMCollator{SeqLen: seqLen, PadID: padID}}
}

// Name returns "clm".
func (o *CLM) Name() string { return "clm" }

// Module returns the GPT.
func (o *CLM) Module() nn.Module { return o.model }

// Model returns the GPT with its concrete type.
func (o *CLM) Model() *gpt.Model { return o.model }

// Collator returns the padding collator.
func (o *CLM) Collator() data.Collator { return o.collator }

// Loss is the mean cross-entropy of predicting token t+1 from tokens 0..t,
// over every position whose next token is real: the batch's Labels
// (the inputs, IgnoreIndex on padding) shifted left by one, the last
// column of each row ignored.
func (o *CLM) Loss(b *data.Batch) *tensor.Tensor {
	o.targets = ShiftLabels(o.targets, b.Labels, b.Size, b.SeqLen)
	return tensor.CrossEntropy(o.model.Forward(b.InputIDs, b.Size, b.SeqLen), o.targets)
}

// String names the objective and its model.
func (o *CLM) String() string { return fmt.Sprintf("Objective(clm, %v)", o.model) }

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
