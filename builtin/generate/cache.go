package generate

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/kernels"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Cache runs a GPT one token at a time, keeping every layer's keys and
// values so that a step costs one position's work. It reads the model's
// exported layers (WTE, WPE, Blocks with LN1, Attn.QKV, Attn.Proj, LN2, MLP,
// LNF, Head) and computes the same function as gpt.Model.Forward in
// evaluation mode (dropout off), with its own matrix-vector loops on the
// kernels: one position is a matrix-vector product per layer, which the
// packed GEMM behind tensor.MatMul would spend most of its time packing.
type Cache struct {
	m      *gpt.Model
	k, v   [][]float32 // per layer: [Heads][ContextLen][headDim]
	n      int         // positions filled
	x, h   []float32   // residual stream and normalised input [Dim]
	qkv    []float32   // [3·Dim]
	att    []float32   // [Dim]
	hid    []float32   // [MLP hidden]
	scores []float32   // [ContextLen]
	mean   []float32   // LayerNorm scratch
	rstd   []float32
}

// NewCache returns an empty cache for m.
func NewCache(m *gpt.Model) *Cache {
	cfg := m.Config
	hidden := cfg.MLPHidden
	if len(m.Blocks) > 0 {
		hidden = m.Blocks[0].MLP.Layers[0].Out
	}
	c := &Cache{m: m, x: make([]float32, cfg.Dim), h: make([]float32, cfg.Dim), qkv: make([]float32, 3*cfg.Dim),
		att: make([]float32, cfg.Dim), hid: make([]float32, hidden), scores: make([]float32, cfg.ContextLen),
		mean: make([]float32, 1), rstd: make([]float32, 1)}
	size := cfg.ContextLen * cfg.Dim
	for range m.Blocks {
		c.k = append(c.k, make([]float32, size))
		c.v = append(c.v, make([]float32, size))
	}
	return c
}

// Len is the number of positions in the cache.
func (c *Cache) Len() int { return c.n }

// Reset empties the cache.
func (c *Cache) Reset() { c.n = 0 }

// String prints the fill.
func (c *Cache) String() string {
	return fmt.Sprintf("generate.Cache(%d/%d positions, %d layers)", c.n, c.m.Config.ContextLen, len(c.k))
}

// linear computes dst = W·x + b for l (weight [Out, In]); rows are split
// over the worker pool when there are many.
func linear(dst, x []float32, l *nn.Linear) {
	w := l.Weight.Data()
	var b []float32
	if l.Bias != nil {
		b = l.Bias.Data()
	}
	in := l.In
	body := func(lo, hi int) {
		for o := lo; o < hi; o++ {
			s := kernels.Dot(w[o*in:(o+1)*in], x)
			if b != nil {
				s += b[o]
			}
			dst[o] = s
		}
	}
	if l.Out*in >= 1<<16 && kernels.Threads() > 1 {
		kernels.Parallel(l.Out, body)
	} else {
		body(0, l.Out)
	}
}

func (c *Cache) layerNorm(dst, x []float32, ln *nn.LayerNorm) {
	kernels.LayerNormRows(dst, x, ln.Weight.Data(), ln.Bias.Data(), c.mean, c.rstd, 1, len(x), ln.Eps)
}

// Step feeds token id at the next position and returns the logits for the
// token after it (a fresh slice the caller may keep). It panics with a
// *tensor.ShapeError when the context is full or
// the id is outside the vocabulary.
func (c *Cache) Step(id int) []float32 {
	m := c.m
	cfg := m.Config
	if c.n >= cfg.ContextLen {
		panic(&tensor.ShapeError{Op: "generate.Cache.Step", Shapes: [][]int{{c.n + 1}, {cfg.ContextLen}}, Msg: "the context is full"})
	}
	if id < 0 || id >= cfg.VocabSize {
		panic(&tensor.ShapeError{Op: "generate.Cache.Step", Shapes: [][]int{{id}, {cfg.VocabSize}}, Msg: "token id outside the vocabulary"})
	}
	pos := c.n
	d, heads := cfg.Dim, cfg.Heads
	dh := d / heads
	kernels.Add(c.x, m.WTE.Weight.Data()[id*d:(id+1)*d], m.WPE.Weight.Data()[pos*d:(pos+1)*d])
	scale := float32(1 / math.Sqrt(float64(dh)))
	for l, blk := range m.Blocks {
		c.layerNorm(c.h, c.x, blk.LN1)
		linear(c.qkv, c.h, blk.Attn.QKV) // q | k | v, each head a contiguous chunk
		kc, vc := c.k[l], c.v[l]
		for hh := 0; hh < heads; hh++ {
			base := (hh*cfg.ContextLen + pos) * dh
			copy(kc[base:base+dh], c.qkv[d+hh*dh:d+(hh+1)*dh])
			copy(vc[base:base+dh], c.qkv[2*d+hh*dh:2*d+(hh+1)*dh])
		}
		for hh := 0; hh < heads; hh++ {
			q := c.qkv[hh*dh : (hh+1)*dh]
			sc := c.scores[:pos+1]
			hk := kc[hh*cfg.ContextLen*dh:]
			for j := range sc {
				sc[j] = kernels.Dot(q, hk[j*dh:(j+1)*dh]) * scale
			}
			kernels.SoftmaxRows(sc, sc, 1, pos+1)
			o := c.att[hh*dh : (hh+1)*dh]
			clear(o)
			hv := vc[hh*cfg.ContextLen*dh:]
			for j, p := range sc {
				kernels.Axpy(p, hv[j*dh:(j+1)*dh], o)
			}
		}
		linear(c.h, c.att, blk.Attn.Proj)
		kernels.Add(c.x, c.x, c.h)
		c.layerNorm(c.h, c.x, blk.LN2)
		mlp := blk.MLP
		linear(c.hid, c.h, mlp.Layers[0])
		switch mlp.Act {
		case nn.GELU:
			kernels.GELU(c.hid, c.hid)
		case nn.GELUTanh: // GPT-2's gelu_new
			kernels.GELUTanh(c.hid, c.hid)
		default:
			copy(c.hid, mlp.Act.Apply(tensor.FromFloat32s(c.hid, len(c.hid))).Float32s())
		}
		linear(c.h, c.hid, mlp.Layers[1])
		kernels.Add(c.x, c.x, c.h)
	}
	c.n++
	c.layerNorm(c.h, c.x, m.LNF)
	out := make([]float32, cfg.VocabSize)
	if m.Head != nil {
		linear(out, c.h, m.Head)
	} else {
		linear(out, c.h, &nn.Linear{In: d, Out: cfg.VocabSize, Weight: m.WTE.Weight})
	}
	return out
}
