package kernels

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

// cpuTime is this process's user+system CPU time in seconds; on a shared
// machine it does not count time spent descheduled.
func cpuTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// BenchmarkVector compares every vector kernel on the best tier with the
// pure-Go loops ("go"), and with avx2 when that is not the best tier, at
// lengths 1024 and 16384. Read the speed-up off the ns/op of the
// sub-benchmarks.
func BenchmarkVector(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1024, 16384} {
		x, y, z, w := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range w {
			w[i] *= w[i]
		}
		h := make([]uint16, n)
		h32 := make([]float32, 256)
		st := make([]float32, n/256)
		for i := range st {
			st[i] = 1
		}
		var sink float32
		kernels := []struct {
			name string
			fn   func()
		}{
			{"Dot", func() { sink += Dot(x, y) }},
			{"Axpy", func() { Axpy(1e-3, x, z) }},
			{"Scale", func() { Scale(1.0001, z) }},
			{"Add", func() { Add(z, x, y) }},
			{"Mul", func() { Mul(z, x, y) }},
			{"Sum", func() { sink += Sum(x) }},
			{"Max", func() { sink += Max(x) }},
			{"Exp", func() { Exp(z, x) }},
			{"SoftmaxRows", func() { SoftmaxRows(z, x, n/256, 256) }},
			{"LayerNormRows", func() { LayerNormRows(z, x, y[:256], w[:256], nil, nil, n/256, 256, 1e-5) }},
			{"LayerNormRowsBackward", func() { LayerNormRowsBackward(z, w[:256], h32[:256], y, x, w[:256], st, st, n/256, 256) }},
			{"GELU", func() { GELU(z, x) }},
			{"GELUBackward", func() { GELUBackward(z, y, x) }},
			{"GELUTanh", func() { GELUTanh(z, x) }},
			{"GELUTanhBackward", func() { GELUTanhBackward(z, y, x) }},
			{"AdamStep", func() { AdamStep(z, x, y, w, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.5, 0.5, true) }},
			{"F32ToBF16", func() { F32ToBF16(h, x) }},
			{"BF16ToF32", func() { BF16ToF32(z, h) }},
		}
		for _, k := range kernels {
			for _, tier := range benchVecTiers() {
				b.Run(fmt.Sprintf("%s/n=%d/%s", k.name, n, tier), func(b *testing.B) {
					restore := forceTier(tier)
					defer restore()
					copy(z, x)
					t0 := cpuTime()
					for i := 0; i < b.N; i++ {
						k.fn()
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
					b.ReportMetric((cpuTime()-t0)*1e9/float64(b.N), "cpu-ns/op")
				})
			}
		}
		_ = sink
	}
}

// benchVecTiers is the best tier, avx2 (when available and not the best)
// and go.
func benchVecTiers() []string {
	ts := availableTiers()
	out := []string{ts[0]}
	for _, t := range ts[1:] {
		if t == "avx2" {
			out = append(out, t)
		}
	}
	if ts[0] != "go" {
		out = append(out, "go")
	}
	return out
}
