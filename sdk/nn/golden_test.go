package nn_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/internal/golden"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// goldenTol is the parity bound of issue 2: max error ≤ 1e-5 relative to the
// scale of the values (see golden.AssertClose).
const goldenTol = 1e-5

// goldenTensor builds a fresh tensor from a golden entry.
func goldenTensor(c *golden.Case, name string) *tensor.Tensor {
	s, d := c.Tensor(name)
	if len(s) == 0 {
		return tensor.Scalar(d[0])
	}
	return tensor.FromFloat32s(d, s...)
}

// notParams are the golden entries that are not module parameters.
var notParams = map[string]bool{"x": true, "out": true, "gout": true, "key_mask": true}

// runGolden loads testdata/golden/<name>.json into m (every non-input tensor
// of the file is a parameter, and LoadStateDict insists that the names match
// exactly), runs fwd on the stored x, and checks the output, the gradient of
// x and the gradient of every parameter for loss = (out·gout).sum().
func runGolden(t *testing.T, name string, m nn.Module, fwd func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor) {
	t.Helper()
	c, err := golden.Load("testdata/golden/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	sd := map[string]*tensor.Tensor{}
	for _, n := range c.TensorNames() {
		if !notParams[n] && !strings.HasPrefix(n, "grad.") {
			sd[n] = goldenTensor(c, n)
		}
	}
	if err := m.LoadStateDict(sd); err != nil {
		t.Fatalf("%s: parameter names differ from PyTorch's: %v", name, err)
	}
	x := goldenTensor(c, "x").SetRequiresGrad(true)
	out := fwd(c, x)

	s, want := c.Tensor("out")
	if fmt.Sprint(out.Shape()) != fmt.Sprint(s) {
		t.Fatalf("%s: out shape %v, want %v", name, out.Shape(), s)
	}
	checkGolden(t, name+" out", out.Float32s(), want)
	out.Mul(goldenTensor(c, "gout")).Sum().Backward()

	grads := map[string]*tensor.Tensor{"x": x.Grad()}
	for _, p := range m.NamedParameters() {
		grads[p.Name] = p.Tensor.Grad()
	}
	names := make([]string, 0, len(grads))
	for n := range grads {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if grads[n] == nil {
			t.Errorf("%s: no gradient for %s", name, n)
			continue
		}
		_, want := c.Tensor("grad." + n)
		checkGolden(t, name+" grad."+n, grads[n].Float32s(), want)
	}
}

// checkGolden asserts closeness and logs the error found (seen with -v).
func checkGolden(t *testing.T, what string, got, want []float32) {
	t.Helper()
	golden.AssertClose(t, what, got, want, goldenTol)
	e, _ := golden.MaxScaledError(got, want)
	t.Logf("%s: max scaled error %.2g", what, e)
}

// TestGoldenLayers checks every layer against PyTorch 1.13 (see
// tools/torchgolden): forward values, input gradients and parameter
// gradients. The random initialisation is overwritten by the golden weights.
func TestGoldenLayers(t *testing.T) {
	rng := tensor.NewRNG(1)
	t.Run("linear", func(t *testing.T) {
		l := nn.NewLinear(5, 4, true, rng)
		runGolden(t, "linear", l, func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor { return l.Forward(x) })
	})
	t.Run("layernorm", func(t *testing.T) {
		l := nn.NewLayerNorm(8)
		runGolden(t, "layernorm", l, func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor {
			l.Eps = float32(c.Attr("eps"))
			return l.Forward(x)
		})
	})
	t.Run("rmsnorm", func(t *testing.T) {
		l := nn.NewRMSNorm(8)
		runGolden(t, "rmsnorm", l, func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor {
			if float64(l.Eps) != float64(float32(c.Attr("eps"))) {
				t.Errorf("default eps %v, golden %v", l.Eps, c.Attr("eps"))
			}
			return l.Forward(x)
		})
	})
	t.Run("mha_causal", func(t *testing.T) {
		a := nn.NewMultiHeadAttention(8, 2, true, 0, rng)
		runGolden(t, "mha_causal", a, func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor { return a.Forward(x, nil) })
	})
	t.Run("mha_padded", func(t *testing.T) {
		a := nn.NewMultiHeadAttention(8, 2, false, 0, rng)
		runGolden(t, "mha_padded", a, func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor {
			return a.Forward(x, goldenTensor(c, "key_mask"))
		})
	})
	t.Run("transformer_block", func(t *testing.T) {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: 8, Heads: 2, Causal: true, Eps: 1e-5}, rng)
		runGolden(t, "transformer_block", b, func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor {
			if float64(b.Config.Eps) != float64(float32(c.Attr("eps"))) {
				t.Errorf("block eps %v, golden %v", b.Config.Eps, c.Attr("eps"))
			}
			return b.Forward(x, nil)
		})
	})
	t.Run("lstm", func(t *testing.T) {
		l := nn.NewLSTM(4, 6, 2, rng)
		runGolden(t, "lstm", l, func(c *golden.Case, x *tensor.Tensor) *tensor.Tensor {
			out, _ := l.Forward(x, nil)
			return out
		})
	})
}
