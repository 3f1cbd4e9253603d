package nn

import (
	"math"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// The initialisers fill a parameter in place from an explicit generator, so
// a model built twice from the same seed is identical. They panic with a
// *tensor.DTypeError on a BF16 tensor (keep master weights in F32).

// InitNormal fills t with samples of N(0, std²).
func InitNormal(t *tensor.Tensor, std float32, rng *tensor.RNG) {
	d := t.Data()
	for i := range d {
		d[i] = std * rng.NormFloat32()
	}
}

// InitUniform fills t with samples of U(lo, hi).
func InitUniform(t *tensor.Tensor, lo, hi float32, rng *tensor.RNG) {
	d := t.Data()
	for i := range d {
		d[i] = lo + (hi-lo)*rng.Float32()
	}
}

// InitConstant sets every element of t to v.
func InitConstant(t *tensor.Tensor, v float32) {
	d := t.Data()
	for i := range d {
		d[i] = v
	}
}

// fans returns PyTorch's fan-in and fan-out of a weight [out, in, k...].
func fans(op string, t *tensor.Tensor) (fanIn, fanOut float64) {
	s := t.Shape()
	if len(s) < 2 {
		panicShape(op, "fan-in and fan-out need a weight with at least 2 dimensions", s)
	}
	recept := 1
	for _, d := range s[2:] {
		recept *= d
	}
	return float64(s[1] * recept), float64(s[0] * recept)
}

// InitXavierUniform fills a weight [out, in] with U(-a, a),
// a = gain·√(6/(in+out)) (Glorot and Bengio 2010).
func InitXavierUniform(t *tensor.Tensor, gain float32, rng *tensor.RNG) {
	in, out := fans("InitXavierUniform", t)
	a := float32(float64(gain) * math.Sqrt(6/(in+out)))
	InitUniform(t, -a, a, rng)
}

// InitXavierNormal fills a weight [out, in] with N(0, σ²),
// σ = gain·√(2/(in+out)).
func InitXavierNormal(t *tensor.Tensor, gain float32, rng *tensor.RNG) {
	in, out := fans("InitXavierNormal", t)
	InitNormal(t, float32(float64(gain)*math.Sqrt(2/(in+out))), rng)
}

// kaimingStd is PyTorch's gain/√fan_in for leaky ReLU with slope a (a = 0
// for ReLU).
func kaimingStd(op string, t *tensor.Tensor, a float32) float64 {
	in, _ := fans(op, t)
	gain := math.Sqrt(2 / (1 + float64(a)*float64(a)))
	return gain / math.Sqrt(in)
}

// InitKaimingUniform fills a weight [out, in] with U(-b, b),
// b = √3·gain/√in, gain = √(2/(1+a²)) (He et al. 2015, fan-in mode; a is
// the negative slope of a leaky ReLU, 0 for ReLU). PyTorch's default
// Linear init is a = √5.
func InitKaimingUniform(t *tensor.Tensor, a float32, rng *tensor.RNG) {
	b := float32(math.Sqrt(3) * kaimingStd("InitKaimingUniform", t, a))
	InitUniform(t, -b, b, rng)
}

// InitKaimingNormal fills a weight [out, in] with N(0, σ²),
// σ = gain/√in, gain = √(2/(1+a²)).
func InitKaimingNormal(t *tensor.Tensor, a float32, rng *tensor.RNG) {
	InitNormal(t, float32(kaimingStd("InitKaimingNormal", t, a)), rng)
}

// InitGPT2 re-initialises a transformer the way GPT-2 does: every weight
// with two or more dimensions from N(0, 0.02²), except the projections
// that write into the residual stream ("attn.proj.weight" and
// "mlp.fc2.weight"), which get std 0.02/√(2·layers); biases zero; norm
// weights one. layers is the number of transformer blocks.
func InitGPT2(m Module, layers int, rng *tensor.RNG) {
	if layers < 1 {
		panicConfig("InitGPT2", "layers must be at least 1, got %d", layers)
	}
	resid := float32(0.02 / math.Sqrt(2*float64(layers)))
	for _, p := range m.NamedParameters() {
		switch {
		case p.Tensor.Dims() >= 2 && (strings.HasSuffix(p.Name, "attn.proj.weight") || strings.HasSuffix(p.Name, "mlp.fc2.weight")):
			InitNormal(p.Tensor, resid, rng)
		case p.Tensor.Dims() >= 2:
			InitNormal(p.Tensor, 0.02, rng)
		case strings.HasSuffix(p.Name, "bias"):
			InitConstant(p.Tensor, 0)
		default: // a one-dimensional weight: a norm's gain
			InitConstant(p.Tensor, 1)
		}
	}
}
