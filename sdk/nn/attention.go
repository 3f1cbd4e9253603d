package nn

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// MultiHeadAttention is self-attention with Heads heads over inputs
// [B, T, Embed]: one Linear "qkv" [3E, E] whose output splits into q, k, v
// (in that order) along the last dimension, each head a contiguous chunk of
// E/Heads features; fused scaled dot-product attention; and an output
// Linear "proj" [E, E].
type MultiHeadAttention struct {
	*Base
	Embed, Heads int
	Causal       bool
	QKV          *Linear  // "qkv"
	Proj         *Linear  // "proj"
	Drop         *Dropout // "drop", on the attention output
}

// NewMultiHeadAttention returns attention over embed features split into
// heads heads; causal makes each position attend only to itself and
// earlier ones. dropout (usually 0) applies to the attention output before
// proj.
func NewMultiHeadAttention(embed, heads int, causal bool, dropout float32, rng *tensor.RNG) *MultiHeadAttention {
	if embed <= 0 || heads <= 0 || embed%heads != 0 {
		panicConfig("NewMultiHeadAttention", "embed (%d) must be a positive multiple of heads (%d)", embed, heads)
	}
	a := &MultiHeadAttention{Base: NewBase(), Embed: embed, Heads: heads, Causal: causal}
	a.QKV = NewLinear(embed, 3*embed, true, rng)
	a.AddModule("qkv", a.QKV)
	a.Proj = NewLinear(embed, embed, true, rng)
	a.AddModule("proj", a.Proj)
	a.Drop = NewDropout(dropout, rng)
	a.AddModule("drop", a.Drop)
	return a
}

// Forward attends over x [B, T, E]. keyMask, if not nil, is [B, T] with 1
// for real tokens and 0 for padding; padded keys are ignored (padded
// queries are still computed).
func (a *MultiHeadAttention) Forward(x, keyMask *tensor.Tensor) *tensor.Tensor {
	s := x.Shape()
	if len(s) != 3 || s[2] != a.Embed {
		panicShape(a.String(), fmt.Sprintf("input must be [batch, seq, %d]", a.Embed), s)
	}
	b, t, h := s[0], s[1], a.Heads
	if keyMask != nil {
		if ms := keyMask.Shape(); len(ms) != 2 || ms[0] != b || ms[1] != t {
			panicShape(a.String(), "keyMask must be [batch, seq]", s, ms)
		}
	}
	// The fused op reads q, k and v and writes the heads in the packed
	// [B, T, 3E] / [B, T, E] layouts, so no head split or merge copies.
	o := tensor.SelfAttention(a.QKV.Forward(x), h, a.Causal, keyMask)
	return a.Proj.Forward(a.Drop.Forward(o))
}

// String prints the configuration.
func (a *MultiHeadAttention) String() string {
	return fmt.Sprintf("MultiHeadAttention(embed=%d, heads=%d, causal=%t, dropout=%g)", a.Embed, a.Heads, a.Causal, a.Drop.P)
}

// BlockConfig configures a TransformerBlock.
type BlockConfig struct {
	Embed      int        // model width E
	Heads      int        // attention heads; must divide Embed
	Hidden     int        // MLP width; 0 means 4·Embed
	Causal     bool       // decoder (true) or encoder (false) attention
	Dropout    float32    // residual and attention dropout; 0 for none
	Activation Activation // MLP activation; the zero value is GELU (erf)
	Eps        float32    // LayerNorm eps; 0 means 1e-5
	// PostLN makes the block post-LN (the original Transformer and BERT):
	// each LayerNorm follows its residual sum instead of preceding the
	// branch.
	PostLN bool
}

// String prints the configuration.
func (c BlockConfig) String() string {
	return fmt.Sprintf("BlockConfig(embed=%d, heads=%d, hidden=%d, causal=%t, dropout=%g, act=%s, postln=%t)",
		c.Embed, c.Heads, c.Hidden, c.Causal, c.Dropout, c.Activation, c.PostLN)
}

// TransformerBlock is a pre-LN transformer layer (GPT-2 style):
//
//	x = x + drop(attn(ln1(x)))
//	x = x + drop(mlp.fc2(act(mlp.fc1(ln2(x)))))
//
// with children "ln1", "attn", "ln2" and "mlp" (whose layers are "fc1" and
// "fc2"). With BlockConfig.PostLN it is a post-LN layer (BERT style) with
// the same children:
//
//	x = ln1(x + drop(attn(x)))
//	x = ln2(x + drop(mlp.fc2(act(mlp.fc1(x)))))
type TransformerBlock struct {
	*Base
	Config BlockConfig
	LN1    *LayerNorm
	Attn   *MultiHeadAttention
	LN2    *LayerNorm
	MLP    *MLP
	Drop   *Dropout // "drop", on both residual branches
}

// NewTransformerBlock returns a block for cfg with PyTorch's default
// initialisation (apply InitGPT2 to a whole model for GPT-2's).
func NewTransformerBlock(cfg BlockConfig, rng *tensor.RNG) *TransformerBlock {
	if cfg.Hidden == 0 {
		cfg.Hidden = 4 * cfg.Embed
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-5
	}
	if cfg.Hidden < 0 {
		panicConfig("NewTransformerBlock", "hidden must be positive, got %d", cfg.Hidden)
	}
	blk := &TransformerBlock{Base: NewBase(), Config: cfg}
	blk.LN1 = NewLayerNorm(cfg.Embed)
	blk.LN1.Eps = cfg.Eps
	blk.AddModule("ln1", blk.LN1)
	blk.Attn = NewMultiHeadAttention(cfg.Embed, cfg.Heads, cfg.Causal, cfg.Dropout, rng)
	blk.AddModule("attn", blk.Attn)
	blk.LN2 = NewLayerNorm(cfg.Embed)
	blk.LN2.Eps = cfg.Eps
	blk.AddModule("ln2", blk.LN2)
	blk.MLP = NewMLP([]int{cfg.Embed, cfg.Hidden, cfg.Embed}, cfg.Activation, rng)
	blk.AddModule("mlp", blk.MLP)
	blk.Drop = NewDropout(cfg.Dropout, rng)
	blk.AddModule("drop", blk.Drop)
	return blk
}

// Forward transforms x [B, T, E]; keyMask is as for MultiHeadAttention.
func (blk *TransformerBlock) Forward(x, keyMask *tensor.Tensor) *tensor.Tensor {
	if blk.Config.PostLN {
		x = blk.LN1.Forward(x.Add(blk.Drop.Forward(blk.Attn.Forward(x, keyMask))))
		return blk.LN2.Forward(x.Add(blk.Drop.Forward(blk.MLP.Forward(x))))
	}
	x = x.Add(blk.Drop.Forward(blk.Attn.Forward(blk.LN1.Forward(x), keyMask)))
	return x.Add(blk.Drop.Forward(blk.MLP.Forward(blk.LN2.Forward(x))))
}

// String prints the configuration.
func (blk *TransformerBlock) String() string {
	c := blk.Config
	ln := ""
	if c.PostLN {
		ln = ", post-LN"
	}
	return fmt.Sprintf("TransformerBlock(embed=%d, heads=%d, hidden=%d, causal=%t, dropout=%g, act=%s%s)",
		c.Embed, c.Heads, c.Hidden, c.Causal, c.Dropout, c.Activation, ln)
}
