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
//
// Config.PostLN selects the original BERT instead (what Hugging Face's
// BertModel computes, and what builtin/hf imports and exports): the summed
// embeddings pass through a LayerNorm "emb_ln", the blocks are post-LN
// (nn.BlockConfig.PostLN), there is no "ln_f", and the token-type
// embedding's row 0 is added when no token types are given. Config.Pooler
// adds BERT's pooler ("pooler.weight", "pooler.bias": tanh of a dense layer
// over the first position) and Config.MLMHead the MLM transform before the
// tied decoder ("mlm.dense.*", "mlm.ln.*") and the decoder bias
// ("mlm.bias"). Activation and Eps set the MLP activation (exact GELU by
// default) and every LayerNorm's epsilon (1e-5 by default; BERT uses
// 1e-12).
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

	PostLN     bool          // original BERT: embedding LayerNorm, post-LN blocks, no ln_f
	Pooler     bool          // BERT's pooler over the first position ("pooler")
	MLMHead    bool          // MLM transform (dense, activation, LayerNorm) and decoder bias ("mlm")
	Activation nn.Activation // MLP (and MLM transform) activation; the zero value is exact GELU
	Eps        float32       // LayerNorm epsilon; 0 means 1e-5
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
	s := fmt.Sprintf("bert.Config(vocab=%d, ctx=%d, dim=%d, layers=%d, heads=%d, mlp=%d, types=%d, dropout=%g",
		c.VocabSize, c.ContextLen, c.Dim, c.Layers, c.Heads, c.MLPHidden, c.TypeVocab, c.Dropout)
	if c.PostLN || c.Pooler || c.MLMHead || c.Activation != nn.GELU || c.Eps != 0 {
		s += fmt.Sprintf(", postln=%t, pooler=%t, mlm_head=%t, act=%s, eps=%g", c.PostLN, c.Pooler, c.MLMHead, c.Activation, c.eps())
	}
	return s + ")"
}

// eps is the LayerNorm epsilon in use.
func (c Config) eps() float32 {
	if c.Eps == 0 {
		return 1e-5
	}
	return c.Eps
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
	case c.Eps < 0 || c.Eps != c.Eps:
		return fmt.Errorf("bert: LayerNorm eps %v must be positive (0 for 1e-5)", c.Eps)
	case c.Activation < nn.GELU || c.Activation > nn.Identity:
		return fmt.Errorf("bert: unknown activation %v", c.Activation)
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
	EmbLN  *nn.LayerNorm // "emb_ln": embedding LayerNorm; only with PostLN
	Drop   *nn.Dropout   // "drop": on the summed embeddings
	Blocks []*nn.TransformerBlock
	LNF    *nn.LayerNorm // "ln_f"; nil with PostLN
	Pool   *nn.Linear    // "pooler" [Dim, Dim]; nil without Config.Pooler
	MLM    *MLMHead      // "mlm"; nil without Config.MLMHead

	positions []int
	zeroTypes []int // ContextLen zeros: token type 0 for PostLN models
}

// MLMHead is BERT's masked-LM transform in front of the tied decoder:
// Logits(h) = act-then-LayerNorm(dense(h))·wteᵀ + bias.
type MLMHead struct {
	*nn.Base
	Dense *nn.Linear     // "dense" [Dim, Dim]
	LN    *nn.LayerNorm  // "ln"
	Bias  *tensor.Tensor // "bias" [VocabSize], the decoder bias
	Act   nn.Activation
}

// String prints the head's shape.
func (h *MLMHead) String() string {
	return fmt.Sprintf("MLMHead(dim=%d, vocab=%d, act=%s)", h.Dense.In, h.Bias.Size(0), h.Act)
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
	if cfg.PostLN {
		m.EmbLN = m.layerNorm()
		m.AddModule("emb_ln", m.EmbLN)
	}
	m.Drop = nn.NewDropout(cfg.Dropout, rng)
	m.AddModule("drop", m.Drop)
	list := nn.NewModuleList()
	for i := 0; i < cfg.Layers; i++ {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.MLPHidden, Dropout: cfg.Dropout,
			Activation: cfg.Activation, Eps: cfg.eps(), PostLN: cfg.PostLN}, rng)
		list.Append(b)
		m.Blocks = append(m.Blocks, b)
	}
	m.AddModule("blocks", list)
	if !cfg.PostLN {
		m.LNF = m.layerNorm()
		m.AddModule("ln_f", m.LNF)
	}
	if cfg.Pooler {
		m.Pool = nn.NewLinear(cfg.Dim, cfg.Dim, true, rng)
		m.AddModule("pooler", m.Pool)
	}
	if cfg.MLMHead {
		h := &MLMHead{Base: nn.NewBase(), Act: cfg.Activation}
		h.Dense = nn.NewLinear(cfg.Dim, cfg.Dim, true, rng)
		h.AddModule("dense", h.Dense)
		h.LN = m.layerNorm()
		h.AddModule("ln", h.LN)
		h.Bias = h.AddParam("bias", tensor.Zeros(cfg.VocabSize))
		m.MLM = h
		m.AddModule("mlm", h)
	}
	nn.InitGPT2(m, cfg.Layers, rng)
	m.positions = make([]int, cfg.ContextLen)
	for i := range m.positions {
		m.positions[i] = i
	}
	if cfg.PostLN && m.TTE != nil {
		m.zeroTypes = make([]int, cfg.ContextLen)
	}
	return m, nil
}

func (m *Model) layerNorm() *nn.LayerNorm {
	ln := nn.NewLayerNorm(m.Config.Dim)
	ln.Eps = m.Config.eps()
	return ln
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
	} else if m.zeroTypes != nil {
		x = x.Add(m.TTE.Forward(s, m.zeroTypes[:seqLen])) // BERT's default token type 0
	}
	if m.EmbLN != nil {
		x = m.EmbLN.Forward(x)
	}
	return m.Drop.Forward(x)
}

// Hidden returns the final hidden states [batch, seqLen, Dim] (after ln_f,
// or after the last post-LN block) for ids with an attention mask (1 real,
// 0 padding; nil for none) and optional token types, under scope s.
func (m *Model) Hidden(s *tensor.Scope, ids, mask, typeIDs []int, batch, seqLen int) *tensor.Tensor {
	x := m.Embed(s, ids, typeIDs, batch, seqLen)
	km := MaskTensor(mask, batch, seqLen)
	for _, b := range m.Blocks {
		x = b.Forward(x, km)
	}
	if m.LNF == nil {
		return x
	}
	return m.LNF.Forward(x)
}

// Logits maps hidden states [..., Dim] to vocabulary logits [..., VocabSize]
// through the MLM transform (when the model has one), the tied token
// embedding and the decoder bias.
func (m *Model) Logits(h *tensor.Tensor) *tensor.Tensor {
	if m.MLM != nil {
		h = m.MLM.LN.Forward(m.MLM.Act.Apply(m.MLM.Dense.Forward(h)))
		return tensor.MatMulT(h, m.WTE.Weight, false, true).Add(m.MLM.Bias)
	}
	return tensor.MatMulT(h, m.WTE.Weight, false, true)
}

// Pooled returns BERT's pooled output [batch, Dim], tanh(pooler(h[:, 0])),
// for hidden states h [batch, seqLen, Dim]. It panics with a
// *nn.ShapeError when the model has no pooler or h is not 3-D.
func (m *Model) Pooled(h *tensor.Tensor) *tensor.Tensor {
	if m.Pool == nil || h.Dims() != 3 || h.Size(2) != m.Config.Dim {
		panic(&nn.ShapeError{Layer: "bert.Model.Pooled", Shapes: [][]int{h.Shape()},
			Msg: "needs a model built with Config.Pooler and hidden states [batch, seq, dim]"})
	}
	b, t := h.Size(0), h.Size(1)
	rows := make([]int, b)
	for i := range rows {
		rows[i] = i * t
	}
	return m.Pool.Forward(GatherRows(h, rows)).Tanh()
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
