package tensor_test

import (
	"fmt"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/internal/golden"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// goldenTol is the parity bound of issue 2: max error ≤ 1e-5 relative to the
// scale of the values (see golden.AssertClose).
const goldenTol = 1e-5

// loadGolden reads testdata/golden/<name>.json (written by tools/torchgolden).
func loadGolden(t *testing.T, name string) *golden.Case {
	t.Helper()
	c, err := golden.Load("testdata/golden/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// goldenTensor builds a fresh tensor from a golden entry; a shape of [] gives
// a 0-dimensional scalar.
func goldenTensor(c *golden.Case, name string) *tensor.Tensor {
	s, d := c.Tensor(name)
	if len(s) == 0 {
		return tensor.Scalar(d[0])
	}
	return tensor.FromFloat32s(d, s...)
}

// checkGoldenOut compares a result's shape and values with the golden "out".
func checkGoldenOut(t *testing.T, c *golden.Case, out *tensor.Tensor) {
	t.Helper()
	s, want := c.Tensor("out")
	if fmt.Sprint(out.Shape()) != fmt.Sprint(s) {
		t.Fatalf("%s: out shape %v, want %v", c.Name, out.Shape(), s)
	}
	golden.AssertClose(t, c.Name+" out", out.Float32s(), want, goldenTol)
	logGoldenErr(t, c.Name+" out", out.Float32s(), want)
}

// logGoldenErr logs the scaled error found (seen with -v), for the parity report.
func logGoldenErr(t *testing.T, what string, got, want []float32) {
	t.Helper()
	e, _ := golden.MaxScaledError(got, want)
	t.Logf("%s: max scaled error %.2g", what, e)
}

// backwardGoldenGout back-propagates loss = (out·gout).sum(), torch's convention
// for the stored gradients.
func backwardGoldenGout(c *golden.Case, out *tensor.Tensor) {
	out.Mul(goldenTensor(c, "gout")).Sum().Backward()
}

// checkGoldenGrad compares x.Grad() with the golden "grad.<name>".
func checkGoldenGrad(t *testing.T, c *golden.Case, name string, x *tensor.Tensor) {
	t.Helper()
	if x.Grad() == nil {
		t.Errorf("%s: no gradient for %s", c.Name, name)
		return
	}
	_, want := c.Tensor("grad." + name)
	golden.AssertClose(t, c.Name+" grad."+name, x.Grad().Float32s(), want, goldenTol)
	logGoldenErr(t, c.Name+" grad."+name, x.Grad().Float32s(), want)
}

// TestGoldenElementwise checks the unary and row ops against PyTorch 1.13:
// forward values and input gradients, with ±30 logits for (log-)softmax.
func TestGoldenElementwise(t *testing.T) {
	ops := map[string]func(x *tensor.Tensor) *tensor.Tensor{
		"gelu":        func(x *tensor.Tensor) *tensor.Tensor { return x.GELU() },
		"gelu_tanh":   func(x *tensor.Tensor) *tensor.Tensor { return x.GELUTanh() },
		"softmax":     func(x *tensor.Tensor) *tensor.Tensor { return x.Softmax(-1) },
		"log_softmax": func(x *tensor.Tensor) *tensor.Tensor { return x.LogSoftmax(-1) },
	}
	for _, name := range []string{"gelu", "gelu_tanh", "softmax", "log_softmax"} {
		t.Run(name, func(t *testing.T) {
			c := loadGolden(t, name)
			x := goldenTensor(c, "x").SetRequiresGrad(true)
			out := ops[name](x)
			checkGoldenOut(t, c, out)
			backwardGoldenGout(c, out)
			checkGoldenGrad(t, c, "x", x)
		})
	}
}

// TestGoldenCrossEntropy checks the mean cross-entropy with ignored targets,
// with label smoothing 0.1 and without, value and gradient.
func TestGoldenCrossEntropy(t *testing.T) {
	for _, name := range []string{"cross_entropy", "cross_entropy_plain"} {
		t.Run(name, func(t *testing.T) {
			c := loadGolden(t, name)
			_, tf := c.Tensor("targets")
			targets := make([]int, len(tf))
			ignored := 0
			for i, v := range tf {
				targets[i] = int(v)
				if targets[i] == int(c.Attr("ignore_index")) {
					ignored++
				}
			}
			if ignored == 0 {
				t.Fatalf("%s: the case should ignore some targets", name)
			}
			logits := goldenTensor(c, "logits").SetRequiresGrad(true)
			out := tensor.CrossEntropyWith(logits, targets, int(c.Attr("ignore_index")), float32(c.Attr("label_smoothing")))
			checkGoldenOut(t, c, out)
			backwardGoldenGout(c, out)
			checkGoldenGrad(t, c, "logits", logits)

			if c.Attr("label_smoothing") == 0 && c.Attr("ignore_index") == tensor.IgnoreIndex {
				// The default form must agree with the explicit one.
				l2 := goldenTensor(c, "logits")
				checkGoldenOut(t, c, tensor.CrossEntropy(l2, targets))
			}
		})
	}
}
