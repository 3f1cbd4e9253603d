// Package t5 is an encoder-decoder transformer for T5-style span
// corruption and BART-style denoising, built from sdk/nn.
//
// It follows T5's layout — a shared token embedding for encoder, decoder
// and the tied LM head, a bidirectional pre-LN encoder, and a decoder whose
// blocks run causal self-attention, cross-attention over the encoder output
// and an MLP — with one simplification: positions are learned absolute
// embeddings ("enc_pos", "dec_pos") instead of T5's relative attention
// bias. Parameter names: "shared.weight", "encoder.blocks.N.*",
// "encoder.ln_f.*", "decoder.blocks.N.{ln1,self_attn,ln2,cross_attn,ln3,mlp}.*",
// "decoder.ln_f.*".
package t5

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config is the shape of an encoder-decoder model.
type Config struct {
	VocabSize     int
	ContextLen    int // longest encoder input
	DecContextLen int // longest decoder input
	Dim           int
	EncLayers     int
	DecLayers     int
	Heads         int
	MLPHidden     int // 0 means 4·Dim
	Dropout       float32
}

// Tiny is the t5-tiny preset: 2+2 layers of width 128, 4 heads, 128
// encoder and 64 decoder positions. VocabSize must be set by the caller
// (it depends on the tokenizer).
func Tiny(vocab int) Config {
	return Config{VocabSize: vocab, ContextLen: 128, DecContextLen: 64, Dim: 128, EncLayers: 2, DecLayers: 2, Heads: 4}
}

// String prints the configuration.
func (c Config) String() string {
	return fmt.Sprintf("t5.Config(vocab=%d, ctx=%d/%d, dim=%d, layers=%d+%d, heads=%d, mlp=%d, dropout=%g)",
		c.VocabSize, c.ContextLen, c.DecContextLen, c.Dim, c.EncLayers, c.DecLayers, c.Heads, c.MLPHidden, c.Dropout)
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0 || c.ContextLen <= 0 || c.DecContextLen <= 0 || c.Dim <= 0 || c.EncLayers <= 0 || c.DecLayers <= 0 || c.Heads <= 0:
		return fmt.Errorf("t5: vocab, contexts, dim, layers and heads must be positive in %v", c)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("t5: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("t5: dropout %v outside [0, 1)", c.Dropout)
	}
	return nil
}

// CrossAttention lets queries from one sequence attend to keys and values
// of another: "q" [E,E], "kv" [2E,E] and "proj" [E,E], heads as in
// nn.MultiHeadAttention.
type CrossAttention struct {
	*nn.Base
	Embed, Heads int
	Q, KV, Proj  *nn.Linear
}

// NewCrossAttention returns cross-attention of width embed with heads heads.
func NewCrossAttention(embed, heads int, rng *tensor.RNG) *CrossAttention {
	a := &CrossAttention{Base: nn.NewBase(), Embed: embed, Heads: heads}
	a.Q = nn.NewLinear(embed, embed, true, rng)
	a.KV = nn.NewLinear(embed, 2*embed, true, rng)
	a.Proj = nn.NewLinear(embed, embed, true, rng)
	a.AddModule("q", a.Q)
	a.AddModule("kv", a.KV)
	a.AddModule("proj", a.Proj)
	return a
}

// splitHeads turns [B, T, E] into [B, H, T, E/H].
func splitHeads(x *tensor.Tensor, heads int) *tensor.Tensor {
	s := x.Shape()
	return x.Reshape(s[0], s[1], heads, s[2]/heads).Permute(0, 2, 1, 3)
}

// mergeHeads turns [B, H, T, D] into [B, T, H·D].
func mergeHeads(x *tensor.Tensor) *tensor.Tensor {
	s := x.Shape()
	return x.Permute(0, 2, 1, 3).Reshape(s[0], s[2], s[1]*s[3])
}

// Forward attends from x [B, T, E] to memory [B, S, E]; memMask [B, S]
// (1 keep, 0 pad) may be nil.
func (a *CrossAttention) Forward(x, memory, memMask *tensor.Tensor) *tensor.Tensor {
	q := splitHeads(a.Q.Forward(x), a.Heads)
	kv := a.KV.Forward(memory)
	k := splitHeads(kv.Narrow(-1, 0, a.Embed), a.Heads)
	v := splitHeads(kv.Narrow(-1, a.Embed, a.Embed), a.Heads)
	return a.Proj.Forward(mergeHeads(tensor.ScaledDotProductAttention(q, k, v, false, memMask)))
}

// String describes the layer.
func (a *CrossAttention) String() string {
	return fmt.Sprintf("CrossAttention(embed=%d, heads=%d)", a.Embed, a.Heads)
}

// DecoderBlock is a pre-LN decoder layer:
//
//	x = x + self_attn(ln1(x))            (causal)
//	x = x + cross_attn(ln2(x), memory)
//	x = x + mlp(ln3(x))
type DecoderBlock struct {
	*nn.Base
	LN1, LN2, LN3 *nn.LayerNorm
	SelfAttn      *nn.MultiHeadAttention
	CrossAttn     *CrossAttention
	MLP           *nn.MLP
	Drop          *nn.Dropout
}

// NewDecoderBlock returns a decoder layer.
func NewDecoderBlock(dim, heads, hidden int, dropout float32, rng *tensor.RNG) *DecoderBlock {
	if hidden == 0 {
		hidden = 4 * dim
	}
	b := &DecoderBlock{Base: nn.NewBase()}
	b.LN1, b.LN2, b.LN3 = nn.NewLayerNorm(dim), nn.NewLayerNorm(dim), nn.NewLayerNorm(dim)
	b.SelfAttn = nn.NewMultiHeadAttention(dim, heads, true, dropout, rng)
	b.CrossAttn = NewCrossAttention(dim, heads, rng)
	b.MLP = nn.NewMLP([]int{dim, hidden, dim}, nn.GELU, rng)
	b.Drop = nn.NewDropout(dropout, rng)
	b.AddModule("ln1", b.LN1)
	b.AddModule("self_attn", b.SelfAttn)
	b.AddModule("ln2", b.LN2)
	b.AddModule("cross_attn", b.CrossAttn)
	b.AddModule("ln3", b.LN3)
	b.AddModule("mlp", b.MLP)
	b.AddModule("drop", b.Drop)
	return b
}

// Forward runs the block on x [B, T, E] over memory [B, S, E].
func (b *DecoderBlock) Forward(x, memory, memMask *tensor.Tensor) *tensor.Tensor {
	x = x.Add(b.Drop.Forward(b.SelfAttn.Forward(b.LN1.Forward(x), nil)))
	x = x.Add(b.Drop.Forward(b.CrossAttn.Forward(b.LN2.Forward(x), memory, memMask)))
	return x.Add(b.Drop.Forward(b.MLP.Forward(b.LN3.Forward(x))))
}

// String describes the block.
func (b *DecoderBlock) String() string { return "DecoderBlock(" + b.SelfAttn.String() + ")" }

// Model is the encoder-decoder.
type Model struct {
	*nn.Base
	Config  Config
	Shared  *nn.Embedding // "shared": tokens of both sides and the tied LM head
	EncPos  *nn.Embedding // "enc_pos"
	DecPos  *nn.Embedding // "dec_pos"
	Drop    *nn.Dropout
	Encoder []*nn.TransformerBlock
	EncLN   *nn.LayerNorm
	Decoder []*DecoderBlock
	DecLN   *nn.LayerNorm

	positions []int
}

// New builds a model with normal(0.02) embeddings and GPT-2-style scaled
// residual projections.
func New(cfg Config, rng *tensor.RNG) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Base: nn.NewBase(), Config: cfg}
	m.Shared = nn.NewEmbedding(cfg.VocabSize, cfg.Dim, rng)
	m.EncPos = nn.NewEmbedding(cfg.ContextLen, cfg.Dim, rng)
	m.DecPos = nn.NewEmbedding(cfg.DecContextLen, cfg.Dim, rng)
	m.Drop = nn.NewDropout(cfg.Dropout, rng)
	m.AddModule("shared", m.Shared)
	m.AddModule("enc_pos", m.EncPos)
	m.AddModule("dec_pos", m.DecPos)
	m.AddModule("drop", m.Drop)
	enc, encList := nn.NewBase(), nn.NewModuleList()
	for range cfg.EncLayers {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.MLPHidden, Dropout: cfg.Dropout}, rng)
		encList.Append(b)
		m.Encoder = append(m.Encoder, b)
	}
	enc.AddModule("blocks", encList)
	m.EncLN = nn.NewLayerNorm(cfg.Dim)
	enc.AddModule("ln_f", m.EncLN)
	dec, decList := nn.NewBase(), nn.NewModuleList()
	for range cfg.DecLayers {
		b := NewDecoderBlock(cfg.Dim, cfg.Heads, cfg.MLPHidden, cfg.Dropout, rng)
		decList.Append(b)
		m.Decoder = append(m.Decoder, b)
	}
	dec.AddModule("blocks", decList)
	m.DecLN = nn.NewLayerNorm(cfg.Dim)
	dec.AddModule("ln_f", m.DecLN)
	m.AddModule("encoder", enc)
	m.AddModule("decoder", dec)
	nn.InitGPT2(m, cfg.EncLayers+cfg.DecLayers, rng)
	m.positions = make([]int, max(cfg.ContextLen, cfg.DecContextLen))
	for i := range m.positions {
		m.positions[i] = i
	}
	return m, nil
}

func (m *Model) checkRows(what string, ids []int, batch, seqLen, limit int) {
	if batch <= 0 || seqLen <= 0 || len(ids) != batch*seqLen || seqLen > limit {
		panic(&nn.ShapeError{Layer: "t5.Model." + what, Shapes: [][]int{{len(ids)}, {batch, seqLen}},
			Msg: fmt.Sprintf("need batch·seqLen ids with 0 < seqLen <= %d", limit)})
	}
}

// Encode returns encoder states [B, T, Dim] for ids with attention mask
// (1 real, 0 pad; nil for none), computed under scope s (nil for the
// default).
func (m *Model) Encode(s *tensor.Scope, ids, mask []int, batch, seqLen int) *tensor.Tensor {
	m.checkRows("Encode", ids, batch, seqLen, m.Config.ContextLen)
	x := m.Shared.Forward(s, ids, batch, seqLen).Add(m.EncPos.Forward(s, m.positions[:seqLen]))
	x = m.Drop.Forward(x)
	km := maskTensor(mask, batch, seqLen)
	for _, b := range m.Encoder {
		x = b.Forward(x, km)
	}
	return m.EncLN.Forward(x)
}

// Decode returns logits [B, T, Vocab] for decoder inputs over encoder
// states memory with its mask, under memory's scope.
func (m *Model) Decode(decIDs []int, batch, decLen int, memory *tensor.Tensor, memMask []int) *tensor.Tensor {
	m.checkRows("Decode", decIDs, batch, decLen, m.Config.DecContextLen)
	s := memory.Scope()
	x := m.Shared.Forward(s, decIDs, batch, decLen).Add(m.DecPos.Forward(s, m.positions[:decLen]))
	x = m.Drop.Forward(x)
	km := maskTensor(memMask, batch, memory.Size(1))
	for _, b := range m.Decoder {
		x = b.Forward(x, memory, km)
	}
	return tensor.MatMulT(m.DecLN.Forward(x), m.Shared.Weight, false, true)
}

// Loss is the mean cross-entropy of the decoder's predictions of
// DecoderLabels for an encoder-decoder batch (span corruption or
// denoising).
func (m *Model) Loss(b *data.Batch) *tensor.Tensor {
	memory := m.Encode(b.Scope, b.InputIDs, b.AttentionMask, b.Size, b.SeqLen)
	logits := m.Decode(b.DecoderInputIDs, b.Size, b.DecSeqLen, memory, b.AttentionMask)
	return tensor.CrossEntropy(logits, b.DecoderLabels)
}

// String prints the configuration and size.
func (m *Model) String() string {
	c := m.Config
	return fmt.Sprintf("T5(vocab=%d, dim=%d, layers=%d+%d, heads=%d, params=%d)", c.VocabSize, c.Dim, c.EncLayers, c.DecLayers, c.Heads, m.NumParams())
}

// maskTensor turns a 0/1 mask into a [batch, n] tensor, or nil when the mask
// is absent or keeps everything.
func maskTensor(mask []int, batch, n int) *tensor.Tensor {
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
