//go:build !purego

package glove

import (
	"math"
	"math/rand"
	"testing"
)

func TestKernelsMatchGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2+FMA")
	}
	r := rand.New(rand.NewSource(1))
	fill := func(n int, lo float32) []float32 {
		x := make([]float32, n+2)
		for i := range x {
			x[i] = lo + r.Float32()
		}
		x[0], x[n+1] = float32(math.NaN()), float32(math.NaN())
		return x
	}
	for n := 0; n <= 40; n++ {
		a, b := fill(n, -0.5), fill(n, -0.5)
		if got, want := dotAVX2(a[1:n+1], b[1:n+1]), dotGo(a[1:n+1], b[1:n+1]); math.Abs(float64(got-want)) > 1e-5 {
			t.Fatalf("dot n=%d: %v want %v", n, got, want)
		}
		w1, c1, g1, h1 := fill(n, -0.5), fill(n, -0.5), fill(n, 1), fill(n, 1)
		w2, c2, g2, h2 := append([]float32(nil), w1...), append([]float32(nil), c1...), append([]float32(nil), g1...), append([]float32(nil), h1...)
		updateAVX2(0.3, w1[1:n+1], c1[1:n+1], g1[1:n+1], h1[1:n+1])
		updateGo(0.3, w2[1:n+1], c2[1:n+1], g2[1:n+1], h2[1:n+1])
		for i := 1; i <= n; i++ {
			for _, p := range [][2]float32{{w1[i], w2[i]}, {c1[i], c2[i]}, {g1[i], g2[i]}, {h1[i], h2[i]}} {
				if math.Abs(float64(p[0]-p[1])) > 2e-6*(1+math.Abs(float64(p[1]))) {
					t.Fatalf("n=%d i=%d: %v vs %v", n, i, p[0], p[1])
				}
			}
		}
		for _, g := range [][]float32{w1, c1, g1, h1} {
			if !math.IsNaN(float64(g[0])) || !math.IsNaN(float64(g[n+1])) {
				t.Fatalf("n=%d: write outside the slice", n)
			}
		}
	}
}
