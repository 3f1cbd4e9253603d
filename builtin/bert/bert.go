// Package bert is a BERT-style bidirectional transformer encoder built from
// sdk/nn: token, learned position and (optionally) token-type embeddings,
// pre-LN transformer blocks without a causal mask and with a key padding
// mask, a final LayerNorm, and a masked-LM head tied to the token
// embedding.
//
// The blocks are the GPT blocks of builtin/gpt run bidirectionally, which is
// exactly the MLM model of the PyTorch reference benchmark (torch_gpt.py
// --mode mlm): pre-LN rather than BERT's post-LN, and no MLM transform layer
// before the tied output. The bert-tiny and bert-small presets have no
// token-type embedding (TypeVocab 0) so that they equal that reference;
// TypeVocab 2 adds BERT's segment embedding "tte" for sentence pairs.
//
// Parameter names: "wte.weight", "wpe.weight", "tte.weight" (when
// TypeVocab > 0), "blocks.N.{ln1,attn.qkv,attn.proj,ln2,mlp.fc1,mlp.fc2}.*",
// "ln_f.weight", "ln_f.bias" — the same names as builtin/gpt, so that
// weights move between the two.
package bert

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config is the shape of an encoder.
type Config struct {
	VocabSize  int     // token ids are in [0, VocabSize)
	ContextLen int     // the longest sequence (rows of wpe)
	Dim        int     // model width
	Layers     int     // transformer blocks
	Heads      int     // attention heads; must divide Dim
	MLPHidden  int     // MLP width; 0 means 4·Dim
	TypeVocab  int     // token types (segments); 0 for no "tte" embedding
	Dropout    float32 // embedding, attention and residual dropout
}

// Tiny is the bert-tiny preset: the gpt-tiny shape run bidirectionally
// (vocabulary 4096, 128 positions, width 128, 4 layers, 4 heads, MLP 512,
// no token types, no dropout; 1,334,016 parameters with its tied head).
func Tiny() Config {
	return Config{VocabSize: 4096, ContextLen: 128, Dim: 128, Layers: 4, Heads: 4, MLPHidden: 512}
}

// Small is the bert-small preset: the gpt-small shape run bidirectionally
// (vocabulary 8192, 256 positions, width 256, 6 layers, 8 heads, MLP 1024).
func Small() Config {
	return Config{VocabSize: 8192, ContextLen: 256, Dim: 256, Layers: 6, Heads: 8, MLPHidden: 1024}
}

// String prints the configuration.
func (c Config) String() string {
	return fmt.Sprintf("bert.Config(vocab=%d, ctx=%d, dim=%d, layers=%d, heads=%d, mlp=%d, types=%d, dropout=%g)",
		c.VocabSize, c.ContextLen, c.Dim, c.Layers, c.Heads, c.MLPHidden, c.TypeVocab, c.Dropout)
}

// Validate reports the first impossible setting, if any.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0 || c.ContextLen <= 0 || c.Dim <= 0 || c.Layers <= 0 || c.Heads <= 0:
		return fmt.Errorf("bert: vocab, context, dim, layers and heads must be positive in %v", c)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("bert: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.MLPHidden < 0 || c.TypeVocab < 0:
		return fmt.Errorf("bert: negative MLP width or type vocabulary in %v", c)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("bert: dropout %v outside [0, 1)", c.Dropout)
	}
	return nil
}

// Model is a bidirectional encoder. It implements task.Backbone.
type Model struct {
	*nn.Base
	Config Config
	WTE    *nn.Embedding // "wte": token embedding [VocabSize, Dim], also the MLM head
	WPE    *nn.Embedding // "wpe": position embedding [ContextLen, Dim]
	TTE    *nn.Embedding // "tte": token-type embedding; nil when TypeVocab is 0
	Drop   *nn.Dropout   // "drop": on the summed embeddings
	Blocks []*nn.TransformerBlock
	LNF    *nn.LayerNorm // "ln_f"

	positions []int
}

// New builds an encoder for cfg with GPT-2's initialisation (normal(0.02)
// weights, scaled residual projections) drawn from rng.
func New(cfg Config, rng *tensor.RNG) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Base: nn.NewBase(), Config: cfg}
	m.WTE = nn.NewEmbedding(cfg.VocabSize, cfg.Dim, rng)
	m.AddModule("wte", m.WTE)
	m.WPE = nn.NewEmbedding(cfg.ContextLen, cfg.Dim, rng)
	m.AddModule("wpe", m.WPE)
	if cfg.TypeVocab > 0 {
		m.TTE = nn.NewEmbedding(cfg.TypeVocab, cfg.Dim, rng)
		m.AddModule("tte", m.TTE)
	}
	m.Drop = nn.NewDropout(cfg.Dropout, rng)
	m.AddModule("drop", m.Drop)
	list := nn.NewModuleList()
	for i := 0; i < cfg.Layers; i++ {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.MLPHidden, Dropout: cfg.Dropout}, rng)
		list.Append(b)
		m.Blocks = append(m.Blocks, b)
	}
	m.AddModule("blocks", list)
	m.LNF = nn.NewLayerNorm(cfg.Dim)
	m.AddModule("ln_f", m.LNF)
	nn.InitGPT2(m, cfg.Layers, rng)
	m.positions = make([]int, cfg.ContextLen)
	for i := range m.positions {
		m.positions[i] = i
	}
	return m, nil
}

// Embed returns the summed token, position and (when the model has them
// and typeIDs is not nil) token-type embeddings [batch, seqLen, Dim], after
// dropout, computed under scope s (nil for the default). It panics with a
// *nn.ShapeError on impossible sizes.
func (m *Model) Embed(s *tensor.Scope, ids, typeIDs []int, batch, seqLen int) *tensor.Tensor {
	if batch <= 0 || seqLen <= 0 || len(ids) != batch*seqLen || seqLen > m.Config.ContextLen {
		panic(&nn.ShapeError{Layer: "bert.Model.Embed", Shapes: [][]int{{len(ids)}, {batch, seqLen}},
			Msg: fmt.Sprintf("need batch·seqLen ids with 0 < seqLen <= %d", m.Config.ContextLen)})
	}
	x := m.WTE.Forward(s, ids, batch, seqLen).Add(m.WPE.Forward(s, m.positions[:seqLen]))
	if m.TTE != nil && typeIDs != nil {
		if len(typeIDs) != len(ids) {
			panic(&nn.ShapeError{Layer: "bert.Model.Embed", Shapes: [][]int{{len(ids)}, {len(typeIDs)}},
				Msg: "token types must match the ids"})
		}
		x = x.Add(m.TTE.Forward(s, typeIDs, batch, seqLen))
	}
	return m.Drop.Forward(x)
}

// Hidden returns the final hidden states [batch, seqLen, Dim] (after ln_f)
// for ids with an attention mask (1 real, 0 padding; nil for none) and
// optional token types, under scope s.
func (m *Model) Hidden(s *tensor.Scope, ids, mask, typeIDs []int, batch, seqLen int) *tensor.Tensor {
	x := m.Embed(s, ids, typeIDs, batch, seqLen)
	km := MaskTensor(mask, batch, seqLen)
	for _, b := range m.Blocks {
		x = b.Forward(x, km)
	}
	return m.LNF.Forward(x)
}

// Logits maps hidden states [..., Dim] to vocabulary logits [..., VocabSize]
// through the tied token embedding.
func (m *Model) Logits(h *tensor.Tensor) *tensor.Tensor {
	return tensor.MatMulT(h, m.WTE.Weight, false, true)
}

// Encode implements task.Backbone: the hidden states of b's InputIDs with
// its AttentionMask and TokenTypeIDs, under b.Scope.
func (m *Model) Encode(b *data.Batch) *tensor.Tensor {
	return m.Hidden(b.Scope, b.InputIDs, b.AttentionMask, b.TokenTypeIDs, b.Size, b.SeqLen)
}

// Dim implements task.Backbone.
func (m *Model) Dim() int { return m.Config.Dim }

// String prints the configuration and size.
func (m *Model) String() string {
	c := m.Config
	return fmt.Sprintf("BERT(vocab=%d, ctx=%d, dim=%d, layers=%d, heads=%d, types=%d, params=%d)",
		c.VocabSize, c.ContextLen, c.Dim, c.Layers, c.Heads, c.TypeVocab, m.NumParams())
}

// MaskTensor turns a 0/1 attention mask of batch rows of n into a
// [batch, n] tensor for the attention layers, or nil when the mask is nil
// or keeps every position (so unpadded batches skip the masking work).
func MaskTensor(mask []int, batch, n int) *tensor.Tensor {
	if mask == nil {
		return nil
	}
	for _, v := range mask {
		if v == 0 {
			return tensor.FromInts(mask, batch, n)
		}
	}
	return nil
}

// GatherRows returns the rows of x [N, ..., D] viewed as [rows, D] at the
// given flat row indices, as a [len(idx), D] tensor whose gradient flows
// back into x. The masked-LM losses use it to compute logits only where a
// label is set.
func GatherRows(x *tensor.Tensor, idx []int) *tensor.Tensor {
	d := x.Size(x.Dims() - 1)
	return tensor.Embedding(x.Reshape(x.Numel()/d, d), idx)
}
