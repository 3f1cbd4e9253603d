package lm

import (
	"fmt"
	"sort"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// MLM is the masked language-modelling objective over a bidirectional
// encoder with the tied output head.
type MLM struct {
	model    *bert.Model
	collator *data.MLMCollator
	rows     []int // reused: flat positions that carry a label
	targets  []int // reused: their labels
}

// NewMLM builds the "mlm" objective: an encoder from cfg.Model (default
// bert-tiny) and data.MLMCollator with BERT's 15% / 80-10-10 dynamic
// masking. Special ids: "mask" (required), "pad" (default 0); every
// special id is excluded from masking. Options "prob" (0.15) and
// "dropout" (0).
func NewMLM(cfg task.Config) (task.Objective, error) {
	if err := needSeqLen("mlm", cfg); err != nil {
		return nil, err
	}
	col, err := mlmCollator("mlm", cfg)
	if err != nil {
		return nil, err
	}
	mc, err := BERTConfig(cfg, 0)
	if err != nil {
		return nil, err
	}
	mc.MLMHead = mc.PostLN // arch=bert: BERT's MLM transform and decoder bias
	m, err := bert.New(mc, cfg.Rand())
	if err != nil {
		return nil, err
	}
	return &MLM{model: m, collator: col}, nil
}

// NewMLMFor wraps an existing encoder in the mlm objective with collator
// (for fill-mask and evaluation on a loaded checkpoint).
func NewMLMFor(m *bert.Model, collator *data.MLMCollator) *MLM {
	return &MLM{model: m, collator: collator}
}

func mlmCollator(name string, cfg task.Config) (*data.MLMCollator, error) {
	maskID, ok := cfg.Special["mask"]
	if !ok {
		return nil, fmt.Errorf("%s: the config names no \"mask\" special id", name)
	}
	specials := specialIDs(cfg)
	sort.Ints(specials)
	mc := data.DefaultMLMConfig(cfg.VocabSize, maskID, cfg.SpecialID("pad", 0), specials...)
	mc.SeqLen = cfg.SeqLen
	var err error
	if mc.Prob, err = cfg.Float("prob", mc.Prob); err != nil {
		return nil, err
	}
	return data.NewMLMCollator(mc)
}

// Name returns "mlm".
func (o *MLM) Name() string { return "mlm" }

// Module returns the encoder.
func (o *MLM) Module() nn.Module { return o.model }

// Model returns the encoder with its concrete type.
func (o *MLM) Model() *bert.Model { return o.model }

// Collator returns the masking collator.
func (o *MLM) Collator() data.Collator { return o.collator }

// Loss is the mean cross-entropy over the masked positions only: their
// hidden states are gathered before the output projection, so the
// vocabulary-sized logits are computed for about 15% of the tokens.
func (o *MLM) Loss(b *data.Batch) *tensor.Tensor {
	h := o.model.Hidden(b.Scope, b.InputIDs, b.AttentionMask, b.TokenTypeIDs, b.Size, b.SeqLen)
	o.rows, o.targets = labelled(o.rows[:0], o.targets[:0], b.Labels)
	if len(o.rows) == 0 {
		return h.Sum().MulScalar(0) // nothing masked: a zero loss that keeps the graph
	}
	return tensor.CrossEntropy(o.model.Logits(bert.GatherRows(h, o.rows)), o.targets)
}

// String names the objective and its model.
func (o *MLM) String() string { return fmt.Sprintf("Objective(mlm, %v)", o.model) }

// labelled appends the positions whose label is set, and the labels.
func labelled(rows, targets, labels []int) ([]int, []int) {
	for i, l := range labels {
		if l != data.IgnoreIndex {
			rows = append(rows, i)
			targets = append(targets, l)
		}
	}
	return rows, targets
}
