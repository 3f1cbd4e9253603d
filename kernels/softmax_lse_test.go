package kernels

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSoftmaxRowsLSE checks the probabilities and log-sum-exp of every
// tier against float64, for row widths around the vector widths and rows
// with large and -Inf logits.
func TestSoftmaxRowsLSE(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 32))
		for _, cols := range []int{1, 7, 16, 33, 100, 4096} {
			rows := 5
			x := randSlice(r, rows*cols)
			for i := range x {
				x[i] *= 30
			}
			if cols > 1 {
				x[cols+1] = float32(math.Inf(-1))
			}
			dst, lse := make([]float32, len(x)), make([]float32, rows)
			SoftmaxRowsLSE(dst, lse, x, rows, cols)
			for row := 0; row < rows; row++ {
				xr := x[row*cols : (row+1)*cols]
				m := math.Inf(-1)
				for _, v := range xr {
					m = math.Max(m, float64(v))
				}
				var s float64
				for _, v := range xr {
					s += math.Exp(float64(v) - m)
				}
				want := m + math.Log(s)
				if d := math.Abs(float64(lse[row]) - want); d > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("cols %d row %d: lse %g, want %g", cols, row, lse[row], want)
				}
				for j, v := range xr {
					p := math.Exp(float64(v) - want)
					if d := math.Abs(float64(dst[row*cols+j]) - p); d > 2e-6 {
						t.Fatalf("cols %d row %d col %d: p %g, want %g", cols, row, j, dst[row*cols+j], p)
					}
				}
			}
		}
	})
	defer func() {
		if e := recover(); e == nil || !strings.Contains(e.(error).Error(), "lse has 1 elements") {
			t.Fatalf("short lse: %v", e)
		}
	}()
	SoftmaxRowsLSE(make([]float32, 4), make([]float32, 1), make([]float32, 4), 2, 2)
}
