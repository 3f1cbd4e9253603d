package nn_test

import (
	"errors"
	"math"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func stats(d []float32) (mean, std, maxAbs float64) {
	for _, v := range d {
		mean += float64(v)
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(d))), maxAbs
}

func TestInitialisers(t *testing.T) {
	const out, in = 200, 300
	cases := []struct {
		name      string
		fill      func(*tensor.Tensor, *tensor.RNG)
		std       float64 // expected standard deviation
		bound     float64 // expected largest magnitude, 0 for unbounded
		tolerance float64 // relative, on std
	}{
		{"normal", func(w *tensor.Tensor, r *tensor.RNG) { nn.InitNormal(w, 0.02, r) }, 0.02, 0, 0.03},
		{"uniform", func(w *tensor.Tensor, r *tensor.RNG) { nn.InitUniform(w, -0.5, 0.5, r) }, 1 / math.Sqrt(12), 0.5, 0.03},
		{"xavier_uniform", func(w *tensor.Tensor, r *tensor.RNG) { nn.InitXavierUniform(w, 1, r) },
			math.Sqrt(2.0 / (in + out)), math.Sqrt(6.0 / (in + out)), 0.03},
		{"xavier_normal", func(w *tensor.Tensor, r *tensor.RNG) { nn.InitXavierNormal(w, 2, r) }, 2 * math.Sqrt(2.0/(in+out)), 0, 0.03},
		{"kaiming_uniform", func(w *tensor.Tensor, r *tensor.RNG) { nn.InitKaimingUniform(w, 0, r) },
			math.Sqrt(2.0 / in), math.Sqrt(6.0 / in), 0.03},
		{"kaiming_normal_a", func(w *tensor.Tensor, r *tensor.RNG) { nn.InitKaimingNormal(w, 1, r) }, 1 / math.Sqrt(in), 0, 0.03},
	}
	for _, c := range cases {
		w := tensor.Zeros(out, in)
		c.fill(w, tensor.NewRNG(7))
		mean, std, maxAbs := stats(w.Data())
		if math.Abs(std-c.std) > c.tolerance*c.std || math.Abs(mean) > 4*c.std/math.Sqrt(out*in) {
			t.Errorf("%s: mean %g std %g, want 0 and %g", c.name, mean, std, c.std)
		}
		if c.bound > 0 && (maxAbs > c.bound || maxAbs < 0.95*c.bound) {
			t.Errorf("%s: max |w| %g, want just under %g", c.name, maxAbs, c.bound)
		}
		w2 := tensor.Zeros(out, in)
		c.fill(w2, tensor.NewRNG(7))
		if !sameBits(w.Data(), w2.Data()) {
			t.Errorf("%s: not reproducible from the seed", c.name)
		}
	}
	c := tensor.Zeros(3)
	nn.InitConstant(c, 0.5)
	if c.At(2) != 0.5 {
		t.Errorf("InitConstant")
	}
	var se *nn.ShapeError
	if err := mustPanic(t, func() { nn.InitXavierUniform(tensor.Zeros(4), 1, tensor.NewRNG(1)) }); !errors.As(err, &se) {
		t.Errorf("fan of a vector: got %T", err)
	}
}

func TestInitGPT2(t *testing.T) {
	const layers = 8
	s := nn.NewModuleList()
	for i := 0; i < 2; i++ {
		s.Append(nn.NewTransformerBlock(nn.BlockConfig{Embed: 64, Heads: 4, Causal: true}, tensor.NewRNG(1)))
	}
	nn.InitGPT2(s, layers, tensor.NewRNG(2))
	resid := 0.02 / math.Sqrt(2*layers)
	for _, p := range s.NamedParameters() {
		_, std, maxAbs := stats(p.Tensor.Data())
		switch p.Name {
		case "0.attn.proj.weight", "1.mlp.fc2.weight":
			if math.Abs(std-resid) > 0.1*resid {
				t.Errorf("%s: std %g, want %g", p.Name, std, resid)
			}
		case "0.attn.qkv.weight", "1.mlp.fc1.weight":
			if math.Abs(std-0.02) > 0.002 {
				t.Errorf("%s: std %g, want 0.02", p.Name, std)
			}
		case "0.attn.qkv.bias", "1.ln2.bias":
			if maxAbs != 0 {
				t.Errorf("%s: bias not zero", p.Name)
			}
		case "0.ln1.weight":
			if mean, _, _ := stats(p.Tensor.Data()); mean != 1 || std != 0 {
				t.Errorf("%s: norm gain not one", p.Name)
			}
		}
	}
}
