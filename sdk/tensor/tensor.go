package tensor

import (
	"math"
	"strconv"
)

// Tensor is an n-dimensional array of float32 or bfloat16 values with an
// optional gradient. The zero value is not usable; create tensors with
// Zeros, FromFloat32s, Randn and the other constructors, or as the result of
// an operation.
type Tensor struct {
	shape []int
	dtype DType
	data  []float32  // storage when dtype is F32
	bf    []BFloat16 // storage when dtype is BF16

	requiresGrad bool
	grad         *Tensor       // accumulated gradient of a leaf
	node         *node         // the operation that produced this tensor, if recorded
	gbuf         []float32     // gradient of a non-leaf during Backward
	scope        *Scope        // the scope it was computed under; nil for constructors
	hook         func(*Tensor) // called by Backward when this leaf's gradient is complete
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkShape(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			panicShape(op, "negative dimension", shape)
		}
	}
}

// newTensor wraps data (owned by the tensor) in a tensor of the given shape
// that belongs to no scope.
func newTensor(shape []int, data []float32) *Tensor { return (*Scope)(nil).newTensor(shape, data) }

// Zeros returns a new F32 tensor of zeros.
func Zeros(shape ...int) *Tensor {
	checkShape("Zeros", shape)
	return newTensor(shape, make([]float32, numel(shape)))
}

// Ones returns a new F32 tensor of ones.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a new F32 tensor with every element set to value.
func Full(value float32, shape ...int) *Tensor {
	checkShape("Full", shape)
	d := make([]float32, numel(shape))
	for i := range d {
		d[i] = value
	}
	return newTensor(shape, d)
}

// Scalar returns a 0-dimensional F32 tensor holding v.
func Scalar(v float32) *Tensor { return newTensor(nil, []float32{v}) }

// FromFloat32s returns a new F32 tensor holding a copy of data. With no
// shape, the tensor is one-dimensional.
func FromFloat32s(data []float32, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	checkShape("FromFloat32s", shape)
	if numel(shape) != len(data) {
		panicShape("FromFloat32s", "shape holds "+itoa(numel(shape))+" elements, data has "+itoa(len(data)), shape)
	}
	return newTensor(shape, append([]float32(nil), data...))
}

// FromInts returns a new F32 tensor holding the integers of data, for
// example token ids used as a mask or a target.
func FromInts(data []int, shape ...int) *Tensor {
	f := make([]float32, len(data))
	for i, v := range data {
		f[i] = float32(v)
	}
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	if numel(shape) != len(data) {
		panicShape("FromInts", "shape holds "+itoa(numel(shape))+" elements, data has "+itoa(len(data)), shape)
	}
	return newTensor(shape, f)
}

// Arange returns the one-dimensional F32 tensor start, start+step, ... up to
// but excluding end.
func Arange(start, end, step float32) *Tensor {
	if step == 0 || math.IsNaN(float64(step)) {
		panicValue("Arange", "step must be non-zero, got %v", step)
	}
	n := int(math.Ceil(float64((end - start) / step)))
	if n < 0 {
		n = 0
	}
	d := make([]float32, n)
	for i := range d {
		d[i] = start + float32(i)*step
	}
	return newTensor([]int{n}, d)
}

// Randn returns a new F32 tensor of standard normal samples drawn from rng.
func Randn(rng *RNG, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = rng.NormFloat32()
	}
	return t
}

// Uniform returns a new F32 tensor of samples drawn uniformly from [lo, hi).
func Uniform(rng *RNG, lo, hi float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*rng.Float32()
	}
	return t
}

// Shape returns a copy of the tensor's dimensions.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape...) }

// Dims returns the number of dimensions.
func (t *Tensor) Dims() int { return len(t.shape) }

// Size returns the length of one axis; negative axes count from the end.
func (t *Tensor) Size(axis int) int { return t.shape[t.axis("Size", axis)] }

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return numel(t.shape) }

// DType returns the storage type.
func (t *Tensor) DType() DType { return t.dtype }

// Data returns the F32 storage itself (not a copy): writing to it changes
// the tensor. It panics with a *DTypeError on a BF16 tensor; use Float32s.
func (t *Tensor) Data() []float32 {
	if t.dtype != F32 {
		panic(&DTypeError{Op: "Data", Got: t.dtype, Want: F32})
	}
	return t.data
}

// BF16Data returns the BF16 storage itself. It panics with a *DTypeError on
// an F32 tensor.
func (t *Tensor) BF16Data() []BFloat16 {
	if t.dtype != BF16 {
		panic(&DTypeError{Op: "BF16Data", Got: t.dtype, Want: BF16})
	}
	return t.bf
}

// Float32s returns a copy of the values as float32, whatever the dtype.
func (t *Tensor) Float32s() []float32 {
	out := make([]float32, t.Numel())
	if t.dtype == BF16 {
		widen(out, t.bf)
	} else {
		copy(out, t.data)
	}
	return out
}

// Ints returns the values truncated to int, e.g. for a tensor of ids.
func (t *Tensor) Ints() []int {
	f := t.f32()
	out := make([]int, len(f))
	for i, v := range f {
		out[i] = int(v)
	}
	return out
}

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if t.Numel() != 1 {
		panicShape("Item", "tensor has "+itoa(t.Numel())+" elements, want 1", t.shape)
	}
	if t.dtype == BF16 {
		return t.bf[0].Float32()
	}
	return t.data[0]
}

// At returns the element at the given indices (one per dimension).
func (t *Tensor) At(idx ...int) float32 {
	off := t.offset("At", idx)
	if t.dtype == BF16 {
		return t.bf[off].Float32()
	}
	return t.data[off]
}

// Set writes the element at the given indices. It is not recorded for
// autograd; use it to build inputs.
func (t *Tensor) Set(v float32, idx ...int) {
	off := t.offset("Set", idx)
	if t.dtype == BF16 {
		t.bf[off] = ToBFloat16(v)
		return
	}
	t.data[off] = v
}

func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		panicShape(op, itoa(len(idx))+" indices for "+itoa(len(t.shape))+" dimensions", t.shape)
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			panic(&IndexError{Op: op, Index: x, Size: t.shape[i], Shape: t.Shape()})
		}
		off = off*t.shape[i] + x
	}
	return off
}

// axis normalises a possibly negative axis, panicking with *AxisError.
func (t *Tensor) axis(op string, a int) int {
	n := len(t.shape)
	if a < -n || a >= n {
		panic(&AxisError{Op: op, Axis: a, Shape: t.Shape()})
	}
	if a < 0 {
		a += n
	}
	return a
}

// f32 returns the values as float32: the storage itself for F32, a widened
// copy (from the arena) for BF16.
func (t *Tensor) f32() []float32 {
	if t.dtype == F32 {
		return t.data
	}
	out := t.scope.allocRaw(len(t.bf))
	widen(out, t.bf)
	return out
}

// Clone returns a copy of the tensor's values with the same dtype, detached
// from the graph.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{shape: t.Shape(), dtype: t.dtype}
	if t.dtype == BF16 {
		c.bf = append([]BFloat16(nil), t.bf...)
	} else {
		c.data = append([]float32(nil), t.data...)
	}
	return c
}

// CopyFrom overwrites t's values with src's (same shape, any dtypes),
// without recording a gradient. It is how optimizers and checkpoints load
// values into parameters.
func (t *Tensor) CopyFrom(src *Tensor) {
	if !sameShape(t.shape, src.shape) {
		panicShape("CopyFrom", "shapes differ", t.shape, src.shape)
	}
	switch {
	case t.dtype == F32 && src.dtype == F32:
		copy(t.data, src.data)
	case t.dtype == F32:
		widen(t.data, src.bf)
	case src.dtype == F32:
		narrow(t.bf, src.data)
	default:
		copy(t.bf, src.bf)
	}
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }
