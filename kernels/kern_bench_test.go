//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"testing"
	"time"
)

func cpuSeconds() float64 { return cpuTime() }

// BenchmarkMicroKernel measures the micro-kernels alone on cache-resident
// panels: the ceiling for the whole GEMM.
func BenchmarkMicroKernel(b *testing.B) {
	if !hasAVX512() {
		b.Skip("needs the AVX-512 tier")
	}
	for _, g := range []*gemmImpl{&tierAVX512, &tierAVX512BF, &tierAVX2} {
		for _, kc := range []int{128, 192, 256, 384} {
			kern, kunit := g.kern, 1
			name := g.name
			if g.bf16Kern != nil {
				kern, kunit = g.bf16Kern, 2
			}
			b.Run(fmt.Sprintf("%s/kc%d", name, kc), func(b *testing.B) {
				a := make([]float32, kc*g.mr)
				bb := make([]float32, kc*g.nr)
				c := make([]float32, g.mr*g.nr)
				t0 := cpuSeconds()
				for i := 0; i < b.N; i++ {
					kern(kc/kunit, &a[0], &bb[0], &c[0], g.nr, 1, 1)
				}
				b.ReportMetric(2*float64(kc*g.mr*g.nr)*float64(b.N)/(cpuSeconds()-t0)/1e9, "cpuGFLOP/s")
				b.ReportMetric(2*float64(kc*g.mr*g.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkTuneKC runs whole GEMMs with other tiles and KC values.
func BenchmarkTuneKC(b *testing.B) {
	if !hasAVX512() {
		b.Skip("needs the AVX-512 tier")
	}
	for _, g := range []gemmImpl{tierAVX512, tierAVX2} {
		for _, kc := range []int{128, 192, 256, 384} {
			for _, s := range [][3]int{{1024, 1024, 1024}, {4096, 256, 1024}, {256, 256, 256}} {
				b.Run(fmt.Sprintf("%s/kc%d/%dx%dx%d", g.name, kc, s[0], s[1], s[2]), func(b *testing.B) {
					gg := g
					blocking(&gg, 48<<10, 2<<20)
					gg.kc = kc
					gg.mc = max(gg.mr, (1<<20)/(kc*4)/gg.mr*gg.mr)
					saved := curGemm
					curGemm = &gg
					defer func() { curGemm = saved }()
					SetThreads(1)
					defer SetThreads(0)
					m, k, n := s[0], s[1], s[2]
					a, bm, c := benchMat(m*k), benchMat(k*n), benchMat(m*n)
					t0 := cpuSeconds()
					for i := 0; i < b.N; i++ {
						Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/(cpuSeconds()-t0)/1e9, "cpuGFLOP/s")
				})
			}
		}
	}
}

// BenchmarkDirectA alternates reading A in place and packing it, in CPU
// time, so that a noisy machine hits both alike.
func BenchmarkDirectA(b *testing.B) {
	if !hasAVX512() {
		b.Skip("needs the AVX-512 tier")
	}
	for _, s := range [][3]int{{2048, 2048, 2048}, {1024, 1024, 1024}, {4096, 1024, 256}} {
		m, k, n := s[0], s[1], s[2]
		a, bm, c := benchMat(m*k), benchMat(k*n), benchMat(m*n)
		SetThreads(1)
		var t [2]float64
		for rep := 0; rep < 6; rep++ {
			for mode := 0; mode < 2; mode++ {
				directA = mode == 0
				t0 := cpuSeconds()
				for i := 0; i < 5; i++ {
					Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				t[mode] += cpuSeconds() - t0
			}
		}
		directA = true
		SetThreads(0)
		f := 2 * float64(m*n*k) * 30 / 1e9
		b.Logf("%dx%dx%d: direct %.1f, packed %.1f cpuGFLOP/s", m, k, n, f/t[0], f/t[1])
	}
}

// BenchmarkLoopOrder alternates the two inner loop orders (and NC), in CPU
// time.
func BenchmarkLoopOrder(b *testing.B) {
	if !hasAVX512() {
		b.Skip("needs the AVX-512 tier")
	}
	restore := forceTier("avx512")
	defer restore()
	saved := tierAVX512
	defer func() { tierAVX512 = saved; rowsOuter = false }()
	type cfg struct {
		outer  bool
		nc, kc int
	}
	cfgs := []cfg{{false, 4096, 256}, {false, 4096, 384}, {true, 640, 384}, {true, 512, 256}, {true, 1024, 384}}
	for _, s := range [][3]int{{1024, 1024, 1024}, {512, 768, 3072}, {4096, 256, 1024}, {4096, 1024, 256}} {
		m, k, n := s[0], s[1], s[2]
		a, bm, c := benchMat(m*k), benchMat(k*n), benchMat(m*n)
		SetThreads(1)
		t := make([]float64, len(cfgs))
		for rep := 0; rep < 5; rep++ {
			for i, cf := range cfgs {
				rowsOuter, tierAVX512.nc, tierAVX512.kc = cf.outer, cf.nc, cf.kc
				t0 := cpuSeconds()
				for j := 0; j < 4; j++ {
					Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				t[i] += cpuSeconds() - t0
			}
		}
		SetThreads(0)
		f := 2 * float64(m*n*k) * 20 / 1e9
		for i, cf := range cfgs {
			b.Logf("%dx%dx%d rowsOuter=%v nc=%d kc=%d: %.1f cpuGFLOP/s", m, k, n, cf.outer, cf.nc, cf.kc, f/t[i])
		}
	}
}

// BenchmarkPrefetchA alternates prefetching the next in-place A micro-panel
// on and off, in CPU time.
func BenchmarkPrefetchA(b *testing.B) {
	if !hasAVX512() {
		b.Skip("needs the AVX-512 tier")
	}
	restore := forceTier("avx512")
	defer restore()
	defer func() { prefetchOn = true }()
	for _, s := range [][3]int{{1024, 1024, 1024}, {512, 768, 3072}, {4096, 256, 1024}, {4096, 1024, 256}} {
		m, k, n := s[0], s[1], s[2]
		a, bm, c := benchMat(m*k), benchMat(k*n), benchMat(m*n)
		SetThreads(1)
		var t [2]float64
		for rep := 0; rep < 6; rep++ {
			for i := 0; i < 2; i++ {
				prefetchOn = i == 1
				t0 := cpuSeconds()
				for j := 0; j < 4; j++ {
					Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				t[i] += cpuSeconds() - t0
			}
		}
		SetThreads(0)
		f := 2 * float64(m*n*k) * 24 / 1e9
		b.Logf("%dx%dx%d: off %.1f, on %.1f cpuGFLOP/s", m, k, n, f/t[0], f/t[1])
	}
}

// BenchmarkTransA reports a transposed-A GEMM (the weight gradient XᵀdY of
// a linear layer), in CPU time.
func BenchmarkTransA(b *testing.B) {
	for _, s := range [][3]int{{128, 2048, 512}, {512, 2048, 128}} {
		m, k, n := s[0], s[1], s[2]
		a, bm, c := benchMat(m*k), benchMat(k*n), benchMat(m*n)
		SetThreads(1)
		t0 := cpuSeconds()
		for i := 0; i < 20; i++ {
			Sgemm(true, false, m, n, k, 1, a, m, bm, n, 1, c, n)
		}
		b.Logf("Aᵀ·B %dx%dx%d: %.1f cpuGFLOP/s", m, k, n, 2*float64(m*n*k)*20/(cpuSeconds()-t0)/1e9)
		SetThreads(0)
	}
}

// benchMat returns n float32 with every page written: a matrix left as
// fresh zero pages would be read from one shared physical page and look
// unrealistically cache-friendly.
func benchMat(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%17)*0.125 - 1
	}
	return x
}

// BenchmarkGemmSplit alternates a 2-thread GEMM cut into per-thread column
// shares (splitGemm, the default) with row blocks over a shared packed B,
// wall clock (both threads work); run it on a quiet machine.
func BenchmarkGemmSplit(b *testing.B) {
	defer func(v bool) { splitGemm = v }(splitGemm)
	for _, s := range [][3]int{{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {512, 768, 3072}} {
		m, k, n := s[0], s[1], s[2]
		a, bm, c := benchMat(m*k), benchMat(k*n), benchMat(m*n)
		SetThreads(2)
		var t [2]time.Duration
		reps := max(3, int(2e9/float64(2*m*n*k)))
		for rep := 0; rep < 5; rep++ {
			for mode := 0; mode < 2; mode++ {
				splitGemm = mode == 0
				t0 := time.Now()
				for i := 0; i < reps; i++ {
					Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				t[mode] += time.Since(t0)
			}
		}
		SetThreads(0)
		f := 2 * float64(m*n*k) * float64(5*reps) / 1e9
		b.Logf("%dx%dx%d, 2 threads: split %.1f, row blocks %.1f GFLOP/s", m, k, n, f/t[0].Seconds(), f/t[1].Seconds())
	}
}
