package tensor

import (
	"fmt"
	"unsafe"
)

// Scope is the explicit context of a computation: whether operations record
// gradients, which Arena (if any) their intermediate buffers come from, and
// the compute precision of matrix products. It replaces process-wide modes,
// so that goroutines computing at the same time — a trainer and a server, or
// two trainers — never affect each other.
//
// A tensor remembers the scope it was computed under, and an operation's
// result belongs to the scope of its first input that has one. Tensors made
// by constructors (Zeros, FromFloat32s, parameters) belong to no scope,
// which behaves as NewScope(): gradients recorded, buffers from the Go heap,
// f32 products. Computations enter a scope where data enters the model:
// Scope.Embedding looks up token ids, Scope.Use attaches an input tensor, and
// data.Batch carries the scope its consumer should use.
//
// A Scope value is immutable: NoGrad, WithArena and WithAutocast return
// modified copies, so a *Scope may be shared freely. The Arena it names is
// not safe for concurrent use, so a scope with an arena belongs to one
// goroutine at a time.
type Scope struct {
	arena    *Arena
	noGrad   bool
	autocast DType
}

// NewScope returns the default scope: gradients recorded, no arena, f32
// products.
func NewScope() *Scope { return &Scope{} }

func (s *Scope) clone() *Scope {
	if s == nil {
		return &Scope{}
	}
	c := *s
	return &c
}

// NoGrad returns a copy of s in which operations record no gradients, as in
// evaluation and inference.
func (s *Scope) NoGrad() *Scope {
	c := s.clone()
	c.noGrad = true
	return c
}

// WithGrad returns a copy of s in which operations record gradients.
func (s *Scope) WithGrad() *Scope {
	c := s.clone()
	c.noGrad = false
	return c
}

// WithArena returns a copy of s whose operations take their output and
// intermediate-gradient buffers from a (nil for the Go heap).
func (s *Scope) WithArena(a *Arena) *Scope {
	c := s.clone()
	c.arena = a
	return c
}

// WithAutocast returns a copy of s with the given matrix-product precision.
// With BF16 (mixed precision), MatMul rounds F32 operands to BF16 (a
// recorded conversion, so gradients still reach the F32 master tensors) and
// multiplies them with f32 accumulation, as torch.autocast(dtype=bfloat16)
// does on CPUs; other operations keep their precision. F32 turns it off.
func (s *Scope) WithAutocast(dt DType) *Scope {
	if dt != F32 && dt != BF16 {
		panicValue("Scope.WithAutocast", "precision must be F32 or BF16, got %s", dt)
	}
	c := s.clone()
	c.autocast = dt
	return c
}

// GradEnabled reports whether operations under s record gradients.
func (s *Scope) GradEnabled() bool { return s == nil || !s.noGrad }

// Arena returns the arena of s, or nil.
func (s *Scope) Arena() *Arena {
	if s == nil {
		return nil
	}
	return s.arena
}

// Autocast returns the matrix-product precision of s (F32 when off).
func (s *Scope) Autocast() DType {
	if s == nil {
		return F32
	}
	return s.autocast
}

// String describes the scope.
func (s *Scope) String() string {
	arena := "heap"
	if a := s.Arena(); a != nil {
		arena = a.String()
	}
	return fmt.Sprintf("Scope(grad=%t, autocast=%s, %s)", s.GradEnabled(), s.Autocast(), arena)
}

// Use returns a tensor that shares t's storage, dtype and gradient
// requirement but belongs to s, so that computations on it run under s. A
// leaf that requires a gradient stays the same leaf: its gradient still
// accumulates in t.Grad(). It is how an input made by a constructor enters
// a scope.
func (s *Scope) Use(t *Tensor) *Tensor {
	if t.scope == s {
		return t
	}
	if t.requiresGrad {
		out := &Tensor{shape: t.shape, dtype: t.dtype, data: t.data, bf: t.bf, scope: s}
		return record(out, "Use", func(g []float32) { passGrad(t, g) }, t)
	}
	return &Tensor{shape: t.shape, dtype: t.dtype, data: t.data, bf: t.bf, scope: s}
}

// Embedding is tensor.Embedding computed under s: the rows of weight
// selected by ids. It is the usual entry of token ids into a scope.
func (s *Scope) Embedding(weight *Tensor, ids []int, shape ...int) *Tensor {
	return embedding(s, weight, ids, shape)
}

// Scope returns the scope t was computed under, or nil for a tensor made by
// a constructor.
func (t *Tensor) Scope() *Scope { return t.scope }

// scopeOf returns the scope of the first tensor that has one.
func scopeOf(ts ...*Tensor) *Scope {
	for _, t := range ts {
		if t != nil && t.scope != nil {
			return t.scope
		}
	}
	return nil
}

// newTensor wraps data (owned by the tensor) in a tensor of the given shape
// that belongs to s.
func (s *Scope) newTensor(shape []int, data []float32) *Tensor {
	return &Tensor{shape: append([]int(nil), shape...), data: data, scope: s}
}

// allocRaw returns a buffer of n float32s with unspecified contents, from
// the scope's arena if it has one.
func (s *Scope) allocRaw(n int) []float32 {
	if a := s.Arena(); a != nil && n > 0 {
		return a.get(n)
	}
	return make([]float32, n)
}

// alloc returns a zeroed buffer of n float32s.
func (s *Scope) alloc(n int) []float32 {
	if a := s.Arena(); a != nil && n > 0 {
		b := a.get(n)
		clear(b)
		return b
	}
	return make([]float32, n)
}

// allocBF16 returns a buffer of n bfloat16s with unspecified contents,
// carved from a float32 buffer so that it too comes from the arena.
func (s *Scope) allocBF16(n int) []BFloat16 {
	f := s.allocRaw((n + 1) / 2)
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*BFloat16)(unsafe.Pointer(&f[0])), n)
}
