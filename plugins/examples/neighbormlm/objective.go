// Package neighbormlm is an example objective plugin: masked-token
// prediction (BERT's corruption, through the SDK's MLM collator) where the
// model sees only the two tokens around each position, a small "new"
// pretraining task that trains in seconds on the embedded corpus.
//
// It is plain Go: `pretrain train --plugin plugins/examples/neighbormlm`
// interprets it, `pretrain plugin build` and `go test` compile it.
package neighbormlm

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Model embeds tokens, joins each position's left and right neighbours and
// predicts the token between them through a one-hidden-layer MLP. Base
// holds the parameters and is the nn.Module handed to the SDK: a type
// defined in interpreted code must not embed SDK types (yaegi cannot build
// their method sets; see docs/scripting.md).
type Model struct {
	Base   *nn.Base
	Embed  *nn.Embedding
	Hidden *nn.Linear
	Out    *nn.Linear
}

// NewModel builds the model for a vocabulary.
func NewModel(vocab, dim, hidden int, seed uint64) *Model {
	rng := tensor.NewRNG(seed)
	m := &Model{Base: nn.NewBase()}
	m.Embed = nn.NewEmbedding(vocab, dim, rng)
	m.Hidden = nn.NewLinear(2*dim, hidden, true, rng)
	m.Out = nn.NewLinear(hidden, vocab, true, rng)
	m.Base.AddModule("embed", m.Embed)
	m.Base.AddModule("hidden", m.Hidden)
	m.Base.AddModule("out", m.Out)
	return m
}

// Loss is the cross-entropy of the masked tokens, predicted from their
// neighbours. It composes coarse SDK ops only (no loops over elements),
// so it costs the same interpreted as compiled.
func (m *Model) Loss(b *data.Batch) *tensor.Tensor {
	t := b.SeqLen
	x := m.Embed.Forward(b.Scope, b.InputIDs, b.Size, t)                    // [B, T, D]
	ctx := tensor.Concat(2, x.Narrow(1, 0, t-2), x.Narrow(1, 2, t-2))       // [B, T-2, 2D]
	logits := m.Out.Forward(m.Hidden.Forward(ctx).GELU())                   // [B, T-2, V]
	labels := tensor.FromInts(b.Labels, b.Size, t).Narrow(1, 1, t-2).Ints() // targets of the middle positions
	return tensor.CrossEntropyWith(logits.Reshape(b.Size*(t-2), m.Out.Out), labels, data.IgnoreIndex, 0)
}

// NewObjective is the plugin's factory (task.ObjectiveFactory). Options:
// dim (default 32), hidden (64), prob (masking probability, 0.15). The
// special ids "mask" and "pad" default to the last two ids of the
// vocabulary.
func NewObjective(cfg task.Config) (task.Objective, error) {
	if cfg.VocabSize < 4 || cfg.SeqLen != 0 && cfg.SeqLen < 3 {
		return nil, fmt.Errorf("neighbor-mlm: needs a vocabulary of at least 4 ids and rows of at least 3 tokens (got vocab %d, seqLen %d)", cfg.VocabSize, cfg.SeqLen)
	}
	dim, err := cfg.Int("dim", 32)
	if err != nil {
		return nil, err
	}
	hidden, err := cfg.Int("hidden", 64)
	if err != nil {
		return nil, err
	}
	prob, err := cfg.Float("prob", 0.15)
	if err != nil {
		return nil, err
	}
	mask := cfg.SpecialID("mask", cfg.VocabSize-2)
	pad := cfg.SpecialID("pad", cfg.VocabSize-1)
	mc := data.DefaultMLMConfig(cfg.VocabSize, mask, pad, mask, pad)
	mc.Prob = prob
	mc.SeqLen = cfg.SeqLen
	col, err := data.NewMLMCollator(mc)
	if err != nil {
		return nil, err
	}
	m := NewModel(cfg.VocabSize, dim, hidden, cfg.Seed)
	return &task.ObjectiveFuncs{ObjectiveName: "neighbor-mlm", Model: m.Base, Collate: col, LossFunc: m.Loss}, nil
}
