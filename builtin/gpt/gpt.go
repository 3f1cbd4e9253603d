// Package gpt is a GPT-style decoder-only transformer built from sdk/nn:
// token and learned position embeddings, pre-LN causal transformer blocks,
// a final LayerNorm and a language-model head tied to the token embedding
// by default.
//
// The MLP activation (exact GELU by default, GPT-2's tanh "gelu_new" with
// nn.GELUTanh) and the LayerNorm epsilon are configurable, so that
// Hugging Face GPT-2 checkpoints (builtin/hf) compute exactly as in
// transformers.
//
// Parameter names follow GPT-2's layout in this SDK's naming: "wte.weight",
// "wpe.weight", "blocks.N.ln1.weight", "blocks.N.attn.qkv.weight", ...,
// "ln_f.weight" and, when not tied, "head.weight".
package gpt

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config is the shape of a GPT model.
type Config struct {
	VocabSize      int     // token ids are in [0, VocabSize)
	ContextLen     int     // the longest sequence (rows of wpe)
	Dim            int     // model width
	Layers         int     // transformer blocks
	Heads          int     // attention heads; must divide Dim
	MLPHidden      int     // MLP width; 0 means 4·Dim
	Dropout        float32 // embedding, attention and residual dropout
	TiedEmbeddings bool    // LM head shares wte's weight (Tiny sets it)
	// Activation is the MLP non-linearity: the zero value is exact (erf)
	// GELU; nn.GELUTanh is GPT-2's "gelu_new".
	Activation nn.Activation
	// Eps is the LayerNorm epsilon of every block and ln_f; 0 means 1e-5
	// (GPT-2's layer_norm_epsilon).
	Eps float32
}

// Tiny returns a byte-level configuration (vocabulary 256) small enough
// for tests and the demo: 2 layers of width 32 with 2 heads over 64
// positions, MLP width 128, tied embeddings, no dropout (35,712
// parameters). It memorises a 2 KB text in about 200 full-batch steps.
func Tiny() Config {
	return Config{VocabSize: 256, ContextLen: 64, Dim: 32, Layers: 2, Heads: 2, MLPHidden: 128, TiedEmbeddings: true}
}

// String prints the configuration.
func (c Config) String() string {
	return fmt.Sprintf("gpt.Config(vocab=%d, ctx=%d, dim=%d, layers=%d, heads=%d, mlp=%d, dropout=%g, tied=%t, act=%s, eps=%g)",
		c.VocabSize, c.ContextLen, c.Dim, c.Layers, c.Heads, c.MLPHidden, c.Dropout, c.TiedEmbeddings, c.Activation, c.eps())
}

// Validate reports the first impossible setting, if any.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0 || c.ContextLen <= 0 || c.Dim <= 0 || c.Layers <= 0 || c.Heads <= 0:
		return fmt.Errorf("gpt: vocab, context, dim, layers and heads must be positive in %v", c)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("gpt: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.MLPHidden < 0:
		return fmt.Errorf("gpt: negative MLP width %d", c.MLPHidden)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("gpt: dropout %v outside [0, 1)", c.Dropout)
	case c.Eps < 0 || c.Eps != c.Eps:
		return fmt.Errorf("gpt: LayerNorm eps %v must be positive (0 for 1e-5)", c.Eps)
	case c.Activation < nn.GELU || c.Activation > nn.Identity:
		return fmt.Errorf("gpt: unknown activation %v", c.Activation)
	}
	return nil
}

// eps is the LayerNorm epsilon in use.
func (c Config) eps() float32 {
	if c.Eps == 0 {
		return 1e-5
	}
	return c.Eps
}

// Model is a GPT decoder.
type Model struct {
	*nn.Base
	Config Config
	WTE    *nn.Embedding // "wte": token embedding [VocabSize, Dim]
	WPE    *nn.Embedding // "wpe": position embedding [ContextLen, Dim]
	Drop   *nn.Dropout   // "drop": on the summed embeddings
	Blocks []*nn.TransformerBlock
	LNF    *nn.LayerNorm // "ln_f"
	Head   *nn.Linear    // "head" [VocabSize, Dim] without bias; nil when tied

	positions []int // 0..ContextLen-1, reused as position ids
}

// New builds a model for cfg with GPT-2's initialisation from rng.
func New(cfg Config, rng *tensor.RNG) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Base: nn.NewBase(), Config: cfg}
	m.WTE = nn.NewEmbedding(cfg.VocabSize, cfg.Dim, rng)
	m.AddModule("wte", m.WTE)
	m.WPE = nn.NewEmbedding(cfg.ContextLen, cfg.Dim, rng)
	m.AddModule("wpe", m.WPE)
	m.Drop = nn.NewDropout(cfg.Dropout, rng)
	m.AddModule("drop", m.Drop)
	list := nn.NewModuleList()
	for i := 0; i < cfg.Layers; i++ {
		b := nn.NewTransformerBlock(nn.BlockConfig{
			Embed: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.MLPHidden, Causal: true, Dropout: cfg.Dropout,
			Activation: cfg.Activation, Eps: cfg.eps(),
		}, rng)
		list.Append(b)
		m.Blocks = append(m.Blocks, b)
	}
	m.AddModule("blocks", list)
	m.LNF = nn.NewLayerNorm(cfg.Dim)
	m.LNF.Eps = cfg.eps()
	m.AddModule("ln_f", m.LNF)
	if !cfg.TiedEmbeddings {
		m.Head = nn.NewLinear(cfg.Dim, cfg.VocabSize, false, rng)
		m.AddModule("head", m.Head)
	}
	nn.InitGPT2(m, cfg.Layers, rng)
	m.positions = make([]int, cfg.ContextLen)
	for i := range m.positions {
		m.positions[i] = i
	}
	return m, nil
}

// Forward returns the logits [batch, seqLen, VocabSize] for ids, batch
// rows of seqLen token ids each, computed under scope s (nil for the
// default: gradients recorded, heap buffers). It panics with a *nn.ShapeError when ids
// does not hold batch·seqLen ids or seqLen exceeds ContextLen, and with a
// *tensor.IndexError for an id outside the vocabulary.
func (m *Model) Forward(s *tensor.Scope, ids []int, batch, seqLen int) *tensor.Tensor {
	h := m.Hidden(s, ids, batch, seqLen)
	if m.Head != nil {
		return m.Head.Forward(h)
	}
	return tensor.MatMulT(h, m.WTE.Weight, false, true)
}

// Hidden returns the final hidden states [batch, seqLen, Dim] (after ln_f),
// the input of the LM head, for heads other than language modelling.
func (m *Model) Hidden(s *tensor.Scope, ids []int, batch, seqLen int) *tensor.Tensor {
	if batch <= 0 || seqLen <= 0 || len(ids) != batch*seqLen || seqLen > m.Config.ContextLen {
		panic(&nn.ShapeError{Layer: "GPT.Forward", Shapes: [][]int{{len(ids)}, {batch, seqLen}},
			Msg: fmt.Sprintf("need batch·seqLen ids with 0 < seqLen <= %d", m.Config.ContextLen)})
	}
	x := m.WTE.Forward(s, ids, batch, seqLen).Add(m.WPE.Forward(s, m.positions[:seqLen]))
	x = m.Drop.Forward(x)
	for _, b := range m.Blocks {
		x = b.Forward(x, nil)
	}
	return m.LNF.Forward(x)
}

// Loss returns the mean next-token cross-entropy of the logits for ids
// against targets (both batch·seqLen long; a target of
// tensor.IgnoreIndex is skipped), under scope s.
func (m *Model) Loss(s *tensor.Scope, ids, targets []int, batch, seqLen int) *tensor.Tensor {
	return tensor.CrossEntropy(m.Forward(s, ids, batch, seqLen), targets)
}

// String prints the configuration and size.
func (m *Model) String() string {
	return fmt.Sprintf("GPT(vocab=%d, ctx=%d, dim=%d, layers=%d, heads=%d, params=%d)",
		m.Config.VocabSize, m.Config.ContextLen, m.Config.Dim, m.Config.Layers, m.Config.Heads, m.NumParams())
}
