package nn

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Linear is an affine map y = x·Wᵀ + b over the last dimension of x, with
// weight [out, in] and bias [out] (PyTorch's layout).
type Linear struct {
	*Base
	In, Out int
	Weight  *tensor.Tensor // [Out, In]
	Bias    *tensor.Tensor // [Out], nil without bias
	// Compute is the dtype of the matrix product's inputs: F32 (the
	// default) or BF16 for mixed precision, where the input and the F32
	// master weight are rounded to bfloat16 for the product (accumulated
	// in float32) and the gradients flow back to the F32 weight.
	Compute tensor.DType
}

// NewLinear returns a Linear layer initialised as PyTorch does:
// weight and bias from U(-1/√in, 1/√in).
func NewLinear(in, out int, bias bool, rng *tensor.RNG) *Linear {
	if in <= 0 || out <= 0 {
		panicConfig("NewLinear", "in and out must be positive, got in=%d out=%d", in, out)
	}
	l := &Linear{Base: NewBase(), In: in, Out: out}
	bound := float32(1 / math.Sqrt(float64(in)))
	l.Weight = l.AddParam("weight", tensor.Uniform(rng, -bound, bound, out, in))
	if bias {
		l.Bias = l.AddParam("bias", tensor.Uniform(rng, -bound, bound, out))
	}
	return l
}

// Forward maps x [..., In] to [..., Out].
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() < 1 || x.Size(-1) != l.In {
		panicShape(l.String(), fmt.Sprintf("input's last dimension must be %d", l.In), x.Shape(), l.Weight.Shape())
	}
	w := l.Weight
	if l.Compute == tensor.BF16 {
		x, w = x.To(tensor.BF16), w.To(tensor.BF16)
	}
	if x.Dims() < 2 {
		return tensor.Linear(x.Unsqueeze(0), w, l.Bias).Squeeze(0)
	}
	return tensor.Linear(x, w, l.Bias)
}

// String prints the configuration.
func (l *Linear) String() string {
	if l.Compute != tensor.F32 {
		return fmt.Sprintf("Linear(in=%d, out=%d, bias=%t, compute=%s)", l.In, l.Out, l.Bias != nil, l.Compute)
	}
	return fmt.Sprintf("Linear(in=%d, out=%d, bias=%t)", l.In, l.Out, l.Bias != nil)
}

// SetCompute sets the Compute dtype of every Linear layer in m (m itself
// included) and returns how many it changed: SetCompute(model,
// tensor.BF16) turns on mixed precision for the matrix products.
func SetCompute(m Module, dt tensor.DType) int {
	n := 0
	if l, ok := m.(*Linear); ok {
		l.Compute = dt
		n++
	}
	if h, ok := m.(interface{ Children() []NamedModule }); ok {
		for _, c := range h.Children() {
			n += SetCompute(c.Module, dt)
		}
	}
	return n
}

// Embedding is a lookup table of Num vectors of width Dim.
type Embedding struct {
	*Base
	Num, Dim int
	Weight   *tensor.Tensor // [Num, Dim]
}

// NewEmbedding returns an embedding table initialised from N(0, 1), as
// PyTorch does.
func NewEmbedding(num, dim int, rng *tensor.RNG) *Embedding {
	if num <= 0 || dim <= 0 {
		panicConfig("NewEmbedding", "num and dim must be positive, got num=%d dim=%d", num, dim)
	}
	e := &Embedding{Base: NewBase(), Num: num, Dim: dim}
	e.Weight = e.AddParam("weight", tensor.Randn(rng, num, dim))
	return e
}

// Forward gathers the rows of ids under scope s (nil for the default
// scope): the result is [len(ids), Dim], or shape + [Dim] when a shape for
// the ids is given (e.g. batch, seqLen). An id outside [0, Num) panics with
// a *tensor.IndexError.
func (e *Embedding) Forward(s *tensor.Scope, ids []int, shape ...int) *tensor.Tensor {
	return s.Embedding(e.Weight, ids, shape...)
}

// String prints the configuration.
func (e *Embedding) String() string {
	return fmt.Sprintf("Embedding(num=%d, dim=%d)", e.Num, e.Dim)
}

// LayerNorm normalises the last dimension to zero mean and unit variance
// (biased), then applies a learned gain and bias.
type LayerNorm struct {
	*Base
	Dim    int
	Eps    float32        // 1e-5 by default
	Weight *tensor.Tensor // [Dim], ones at init
	Bias   *tensor.Tensor // [Dim], zeros at init
}

// NewLayerNorm returns a LayerNorm over dim features with eps 1e-5.
func NewLayerNorm(dim int) *LayerNorm {
	if dim <= 0 {
		panicConfig("NewLayerNorm", "dim must be positive, got %d", dim)
	}
	n := &LayerNorm{Base: NewBase(), Dim: dim, Eps: 1e-5}
	n.Weight = n.AddParam("weight", tensor.Ones(dim))
	n.Bias = n.AddParam("bias", tensor.Zeros(dim))
	return n
}

// Forward normalises x [..., Dim].
func (n *LayerNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() < 1 || x.Size(-1) != n.Dim {
		panicShape(n.String(), fmt.Sprintf("input's last dimension must be %d", n.Dim), x.Shape())
	}
	return tensor.LayerNorm(x, n.Weight, n.Bias, n.Eps)
}

// String prints the configuration.
func (n *LayerNorm) String() string {
	return fmt.Sprintf("LayerNorm(dim=%d, eps=%g)", n.Dim, n.Eps)
}

// RMSNorm divides the last dimension by its root mean square and applies a
// learned gain: y = x/√(mean(x²)+eps)·w.
type RMSNorm struct {
	*Base
	Dim    int
	Eps    float32        // 1e-6 by default
	Weight *tensor.Tensor // [Dim], ones at init
}

// NewRMSNorm returns an RMSNorm over dim features with eps 1e-6.
func NewRMSNorm(dim int) *RMSNorm {
	if dim <= 0 {
		panicConfig("NewRMSNorm", "dim must be positive, got %d", dim)
	}
	n := &RMSNorm{Base: NewBase(), Dim: dim, Eps: 1e-6}
	n.Weight = n.AddParam("weight", tensor.Ones(dim))
	return n
}

// Forward normalises x [..., Dim].
func (n *RMSNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() < 1 || x.Size(-1) != n.Dim {
		panicShape(n.String(), fmt.Sprintf("input's last dimension must be %d", n.Dim), x.Shape())
	}
	return tensor.RMSNorm(x, n.Weight, n.Eps)
}

// String prints the configuration.
func (n *RMSNorm) String() string {
	return fmt.Sprintf("RMSNorm(dim=%d, eps=%g)", n.Dim, n.Eps)
}

// Dropout zeroes elements with probability P in training mode, scaling the
// rest by 1/(1-P); in evaluation mode it passes its input through.
type Dropout struct {
	*Base
	P   float32
	rng *tensor.RNG
}

// NewDropout returns a Dropout layer drawing its masks from rng. p must be
// in [0, 1).
func NewDropout(p float32, rng *tensor.RNG) *Dropout {
	if p < 0 || p >= 1 || p != p {
		panicConfig("NewDropout", "p must be in [0, 1), got %v", p)
	}
	if p > 0 && rng == nil {
		panicConfig("NewDropout", "p=%v needs a random generator", p)
	}
	return &Dropout{Base: NewBase(), P: p, rng: rng}
}

// Forward applies dropout in training mode.
func (d *Dropout) Forward(x *tensor.Tensor) *tensor.Tensor {
	if !d.Training() || d.P == 0 {
		return x
	}
	return x.Dropout(d.P, d.rng)
}

// String prints the configuration.
func (d *Dropout) String() string { return fmt.Sprintf("Dropout(p=%g)", d.P) }

// Activation names an elementwise non-linearity.
type Activation int

// The activations.
const (
	GELU     Activation = iota // exact (erf) GELU, as BERT and PyTorch's default
	GELUTanh                   // tanh approximation of GELU, as GPT-2
	ReLU
	SiLU
	Tanh
	Sigmoid
	Identity
)

// Apply applies the activation to x.
func (a Activation) Apply(x *tensor.Tensor) *tensor.Tensor {
	switch a {
	case GELU:
		return x.GELU()
	case GELUTanh:
		return x.GELUTanh()
	case ReLU:
		return x.ReLU()
	case SiLU:
		return x.SiLU()
	case Tanh:
		return x.Tanh()
	case Sigmoid:
		return x.Sigmoid()
	case Identity:
		return x
	}
	panicConfig("Activation.Apply", "unknown activation %d", int(a))
	return nil
}

// String returns the activation's name.
func (a Activation) String() string {
	switch a {
	case GELU:
		return "gelu"
	case GELUTanh:
		return "gelu_tanh"
	case ReLU:
		return "relu"
	case SiLU:
		return "silu"
	case Tanh:
		return "tanh"
	case Sigmoid:
		return "sigmoid"
	case Identity:
		return "identity"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// ParseActivation returns the activation whose String is name (the
// inverse of String, for configs that store activations by name).
func ParseActivation(name string) (Activation, error) {
	for a := GELU; a <= Identity; a++ {
		if a.String() == name {
			return a, nil
		}
	}
	return GELU, fmt.Errorf("nn: unknown activation %q (want gelu, gelu_tanh, relu, silu, tanh, sigmoid or identity)", name)
}

// MLP is a stack of Linear layers "fc1", "fc2", ... with an activation
// between them (not after the last).
type MLP struct {
	*Base
	Sizes  []int // widths: input, hidden..., output
	Act    Activation
	Layers []*Linear
}

// NewMLP returns an MLP with the given widths (at least input and output)
// and biases, each layer initialised as NewLinear does.
func NewMLP(sizes []int, act Activation, rng *tensor.RNG) *MLP {
	if len(sizes) < 2 {
		panicConfig("NewMLP", "need at least two sizes (input and output), got %v", sizes)
	}
	m := &MLP{Base: NewBase(), Sizes: append([]int(nil), sizes...), Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		l := NewLinear(sizes[i], sizes[i+1], true, rng)
		m.AddModule(fmt.Sprintf("fc%d", i+1), l)
		m.Layers = append(m.Layers, l)
	}
	return m
}

// Forward maps x [..., Sizes[0]] to [..., Sizes[last]].
func (m *MLP) Forward(x *tensor.Tensor) *tensor.Tensor {
	for i, l := range m.Layers {
		x = l.Forward(x)
		if i+1 < len(m.Layers) {
			x = m.Act.Apply(x)
		}
	}
	return x
}

// String prints the configuration.
func (m *MLP) String() string {
	return fmt.Sprintf("MLP(sizes=%v, act=%s)", m.Sizes, m.Act)
}
