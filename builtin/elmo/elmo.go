// Package elmo is an ELMo-style bidirectional language model: a forward
// LSTM language model and a backward one over shared token embeddings and a
// shared, tied softmax, trained jointly on the sum of both directions'
// losses. Its contextual features (both directions' top states,
// concatenated) serve as a backbone for fine-tuning.
//
// ELMo's character CNN is replaced by a token embedding, since this SDK's
// tokenizers already handle rare words with subwords. Parameter names:
// "embed.weight", "fwd.weight_ih_l0", ..., "bwd.weight_ih_l0", ...,
// "proj.weight", "proj.bias".
package elmo

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config is the shape of a biLM.
type Config struct {
	VocabSize int
	Dim       int // token embedding width (and the softmax's input width)
	Hidden    int // LSTM width
	Layers    int // stacked LSTM layers per direction
	Dropout   float32
}

// Tiny is the elmo-tiny preset: embeddings of 128, two LSTM layers of 256
// per direction. VocabSize must be set by the caller.
func Tiny(vocab int) Config { return Config{VocabSize: vocab, Dim: 128, Hidden: 256, Layers: 2} }

// String prints the configuration.
func (c Config) String() string {
	return fmt.Sprintf("elmo.Config(vocab=%d, dim=%d, hidden=%d, layers=%d, dropout=%g)", c.VocabSize, c.Dim, c.Hidden, c.Layers, c.Dropout)
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	if c.VocabSize <= 0 || c.Dim <= 0 || c.Hidden <= 0 || c.Layers <= 0 {
		return fmt.Errorf("elmo: vocab, dim, hidden and layers must be positive in %v", c)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("elmo: dropout %v outside [0, 1)", c.Dropout)
	}
	return nil
}

// Model is the biLM. It implements task.Backbone.
type Model struct {
	*nn.Base
	Config Config
	Embed  *nn.Embedding
	Fwd    *nn.LSTM
	Bwd    *nn.LSTM
	Proj   *nn.Linear // Hidden → Dim, before the tied softmax
	Drop   *nn.Dropout
}

// New builds a biLM.
func New(cfg Config, rng *tensor.RNG) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Base: nn.NewBase(), Config: cfg}
	m.Embed = nn.NewEmbedding(cfg.VocabSize, cfg.Dim, rng)
	nn.InitNormal(m.Embed.Weight, 0.1, rng)
	m.Fwd = nn.NewLSTM(cfg.Dim, cfg.Hidden, cfg.Layers, rng)
	m.Bwd = nn.NewLSTM(cfg.Dim, cfg.Hidden, cfg.Layers, rng)
	m.Proj = nn.NewLinear(cfg.Hidden, cfg.Dim, true, rng)
	m.Drop = nn.NewDropout(cfg.Dropout, rng)
	m.AddModule("embed", m.Embed)
	m.AddModule("fwd", m.Fwd)
	m.AddModule("bwd", m.Bwd)
	m.AddModule("proj", m.Proj)
	m.AddModule("drop", m.Drop)
	return m, nil
}

// Dim is the width of Encode's features: both directions' states.
func (m *Model) Dim() int { return 2 * m.Config.Hidden }

// lengths returns each row's count of real tokens (right padding assumed).
func lengths(b *data.Batch) []int {
	ls := make([]int, b.Size)
	for r := range ls {
		ls[r] = b.SeqLen
		if b.AttentionMask != nil {
			n := 0
			for _, v := range data.Row(b.AttentionMask, b.SeqLen, r) {
				n += v
			}
			ls[r] = n
		}
	}
	return ls
}

// reversedIndex maps position t of row r to r·T + (len-1-t) for real tokens
// and to itself on padding, so that gathering by it reverses each row.
func reversedIndex(ls []int, seqLen int) []int {
	idx := make([]int, len(ls)*seqLen)
	for r, l := range ls {
		for t := range seqLen {
			src := t
			if t < l {
				src = l - 1 - t
			}
			idx[r*seqLen+t] = r*seqLen + src
		}
	}
	return idx
}

// states runs both directions and returns the forward and backward top
// states [B, T, Hidden]; the backward states are in reversed order.
func (m *Model) states(b *data.Batch, rev []int) (fwd, bwdRev *tensor.Tensor) {
	x := m.Drop.Forward(m.Embed.Forward(b.Scope, b.InputIDs, b.Size, b.SeqLen))
	fwd, _ = m.Fwd.Forward(x, nil)
	revIDs := make([]int, len(rev))
	for i, j := range rev {
		revIDs[i] = b.InputIDs[j]
	}
	xr := m.Drop.Forward(m.Embed.Forward(b.Scope, revIDs, b.Size, b.SeqLen))
	bwdRev, _ = m.Bwd.Forward(xr, nil)
	return m.Drop.Forward(fwd), m.Drop.Forward(bwdRev)
}

// Encode returns contextual features [B, T, 2·Hidden]: at each position the
// forward state (left context) and the backward state (right context).
func (m *Model) Encode(b *data.Batch) *tensor.Tensor {
	rev := reversedIndex(lengths(b), b.SeqLen)
	fwd, bwdRev := m.states(b, rev)
	h := m.Config.Hidden
	bwd := tensor.Embedding(bwdRev.Reshape(b.Size*b.SeqLen, h), rev, b.Size, b.SeqLen)
	return tensor.Concat(-1, fwd, bwd)
}

// Loss is the mean of the forward LM's next-token and the backward LM's
// previous-token cross-entropies over real tokens.
func (m *Model) Loss(b *data.Batch) *tensor.Tensor {
	ls := lengths(b)
	rev := reversedIndex(ls, b.SeqLen)
	fwd, bwdRev := m.states(b, rev)
	next := make([]int, len(b.InputIDs))
	prev := make([]int, len(b.InputIDs))
	for r, l := range ls {
		for t := range b.SeqLen {
			i := r*b.SeqLen + t
			next[i], prev[i] = tensor.IgnoreIndex, tensor.IgnoreIndex
			if t+1 < l {
				next[i] = b.InputIDs[i+1]
				prev[i] = b.InputIDs[rev[i+1]] // the token before, in reading order
			}
		}
	}
	lf := tensor.CrossEntropy(m.logits(fwd), next)
	lb := tensor.CrossEntropy(m.logits(bwdRev), prev)
	return lf.Add(lb).MulScalar(0.5)
}

func (m *Model) logits(h *tensor.Tensor) *tensor.Tensor {
	return tensor.MatMulT(m.Proj.Forward(h), m.Embed.Weight, false, true)
}

// String prints the configuration and size.
func (m *Model) String() string {
	c := m.Config
	return fmt.Sprintf("BiLM(vocab=%d, dim=%d, hidden=%d, layers=%d, params=%d)", c.VocabSize, c.Dim, c.Hidden, c.Layers, m.NumParams())
}

func init() {
	if err := task.RegisterObjective("bilm", "ELMo-style bidirectional LSTM language model: forward and backward next-token losses", NewObjective); err != nil {
		panic(err)
	}
}

// Objective is the "bilm" objective over a Model.
type Objective struct {
	model    *Model
	collator data.Collator
}

// NewObjective builds the "bilm" objective from the elmo-tiny preset,
// adjusted by options dim, hidden, layers and dropout. Special id "pad"
// (default 0) pads rows.
func NewObjective(cfg task.Config) (task.Objective, error) {
	if cfg.Model != "" && cfg.Model != "elmo-tiny" {
		return nil, fmt.Errorf("bilm: unknown model preset %q (known: elmo-tiny)", cfg.Model)
	}
	c := Tiny(cfg.VocabSize)
	var err error
	if c.Dim, err = cfg.Int("dim", c.Dim); err != nil {
		return nil, err
	}
	if c.Hidden, err = cfg.Int("hidden", c.Hidden); err != nil {
		return nil, err
	}
	if c.Layers, err = cfg.Int("layers", c.Layers); err != nil {
		return nil, err
	}
	d, err := cfg.Float("dropout", 0)
	if err != nil {
		return nil, err
	}
	c.Dropout = float32(d)
	m, err := New(c, cfg.Rand())
	if err != nil {
		return nil, err
	}
	return &Objective{model: m, collator: &data.CausalLMCollator{SeqLen: cfg.SeqLen, PadID: cfg.SpecialID("pad", 0)}}, nil
}

// Name returns "bilm".
func (o *Objective) Name() string { return "bilm" }

// Module returns the biLM.
func (o *Objective) Module() nn.Module { return o.model }

// Model returns the biLM with its concrete type.
func (o *Objective) Model() *Model { return o.model }

// Collator pads rows.
func (o *Objective) Collator() data.Collator { return o.collator }

// Loss is the biLM loss.
func (o *Objective) Loss(b *data.Batch) *tensor.Tensor { return o.model.Loss(b) }

// String names the objective.
func (o *Objective) String() string { return "Objective(bilm, " + o.model.String() + ")" }
