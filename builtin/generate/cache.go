package generate

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Cache runs a GPT one token at a time, keeping every layer's keys and
// values so that a step costs one position's work. It reads the model's
// exported layers (WTE, WPE, Blocks with LN1, Attn.QKV, Attn.Proj, LN2, MLP,
// LNF, Head) and computes the same function as gpt.Model.Forward in
// evaluation mode. Use it inside tensor.NoGrad with the model in evaluation
// mode (Generate does both).
type Cache struct {
	m      *gpt.Model
	k, v   [][]float32 // per layer: [Heads][ContextLen][headDim]
	n      int         // positions filled
	scores []float32
	att    []float32
}

// NewCache returns an empty cache for m.
func NewCache(m *gpt.Model) *Cache {
	c := &Cache{m: m, scores: make([]float32, m.Config.ContextLen), att: make([]float32, m.Config.Dim)}
	size := m.Config.ContextLen * m.Config.Dim
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

// Step feeds token id at the next position and returns the logits for the
// token after it (a fresh slice the caller may keep). It panics with a
// *tensor.IndexError for an id outside the vocabulary and with a
// *tensor.ShapeError when the context is full.
func (c *Cache) Step(id int) []float32 {
	m := c.m
	cfg := m.Config
	if c.n >= cfg.ContextLen {
		panic(&tensor.ShapeError{Op: "generate.Cache.Step", Shapes: [][]int{{c.n + 1}, {cfg.ContextLen}}, Msg: "the context is full"})
	}
	pos := c.n
	x := m.WTE.Forward([]int{id}, 1, 1).Add(m.WPE.Forward([]int{pos}, 1, 1))
	d, h := cfg.Dim, cfg.Heads
	dh := d / h
	scale := 1 / math.Sqrt(float64(dh))
	for l, blk := range m.Blocks {
		qkv := blk.Attn.QKV.Forward(blk.LN1.Forward(x)).Float32s() // [3·D]: q | k | v, heads contiguous
		kc, vc := c.k[l], c.v[l]
		for hh := 0; hh < h; hh++ {
			base := (hh*cfg.ContextLen + pos) * dh
			copy(kc[base:base+dh], qkv[d+hh*dh:d+(hh+1)*dh])
			copy(vc[base:base+dh], qkv[2*d+hh*dh:2*d+(hh+1)*dh])
		}
		for hh := 0; hh < h; hh++ {
			q := qkv[hh*dh : (hh+1)*dh]
			sc := c.scores[:pos+1]
			mx := math.Inf(-1)
			for j := 0; j <= pos; j++ {
				kr := kc[(hh*cfg.ContextLen+j)*dh:][:dh]
				var s float32
				for i, qv := range q {
					s += qv * kr[i]
				}
				sc[j] = float32(float64(s) * scale)
				mx = math.Max(mx, float64(sc[j]))
			}
			var z float64
			for j := range sc {
				e := math.Exp(float64(sc[j]) - mx)
				sc[j] = float32(e)
				z += e
			}
			o := c.att[hh*dh : (hh+1)*dh]
			clear(o)
			for j, p := range sc {
				w := float32(float64(p) / z)
				vr := vc[(hh*cfg.ContextLen+j)*dh:][:dh]
				for i := range o {
					o[i] += w * vr[i]
				}
			}
		}
		a := blk.Attn.Proj.Forward(tensor.FromFloat32s(c.att, 1, 1, d))
		x = x.Add(a)
		x = x.Add(blk.MLP.Forward(blk.LN2.Forward(x)))
	}
	c.n++
	hf := m.LNF.Forward(x).Reshape(1, d)
	if m.Head != nil {
		return m.Head.Forward(hf).Float32s()
	}
	return tensor.MatMulT(hf, m.WTE.Weight, false, true).Float32s()
}
