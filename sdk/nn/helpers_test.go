package nn_test

import (
	"math"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// mustPanic runs fn and returns the error it panicked with, failing the
// test when it does not panic with an error.
func mustPanic(t *testing.T, fn func()) (err error) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("no panic")
		}
		e, ok := r.(error)
		if !ok {
			t.Fatalf("panicked with %T %v, want an error", r, r)
		}
		err = e
	}()
	fn()
	return nil
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// checkGrads compares the gradient that Backward gives for loss() with
// central finite differences on a few elements of each tensor in ps. The
// ops run in float32, so the step and the tolerance are loose; the lead's
// float64 checks cover the ops themselves.
func checkGrads(t *testing.T, name string, ps []*tensor.Tensor, loss func() *tensor.Tensor) {
	t.Helper()
	for _, p := range ps {
		p.ZeroGrad()
	}
	loss().Backward()
	rng := tensor.NewRNG(99)
	for pi, p := range ps {
		g := p.Grad()
		if g == nil {
			t.Fatalf("%s: param %d has no gradient", name, pi)
		}
		d := p.Data()
		gd := g.Float32s()
		for k := 0; k < 4; k++ {
			i := rng.Intn(len(d))
			old := d[i]
			const h = 1e-2
			// The probes record graphs that are never run backward.
			d[i] = old + h
			lp := loss().Item()
			d[i] = old - h
			lm := loss().Item()
			d[i] = old
			num := float64(lp-lm) / (2 * h)
			if diff := math.Abs(num - float64(gd[i])); diff > 2e-2*math.Max(1, math.Abs(num)) {
				t.Errorf("%s: param %d elem %d: autograd %.5f, finite difference %.5f", name, pi, i, gd[i], num)
			}
		}
	}
}

// weightedSum is Σ out·w for a fixed random w, a loss whose gradient
// reaches every output element.
func weightedSum(out *tensor.Tensor, seed uint64) *tensor.Tensor {
	w := tensor.Randn(tensor.NewRNG(seed), out.Shape()...)
	return out.Mul(w).Sum()
}
