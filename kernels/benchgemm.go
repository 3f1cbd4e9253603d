package kernels

import (
	"fmt"
	"slices"
	"time"
)

// BenchShapes are the GEMM shapes of the project's peer comparison, as
// M, K, N: squares from 64 to 2048 and three transformer-like shapes.
var BenchShapes = [][3]int{{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512},
	{1024, 1024, 1024}, {2048, 2048, 2048}, {4096, 256, 1024}, {4096, 1024, 256}, {512, 768, 3072}}

// GEMMResult is one measured GEMM shape: GFLOP/s (2·M·N·K per call) over
// several samples.
type GEMMResult struct {
	M, K, N, Threads int
	BF16             bool
	Tier             string
	Median, Min, Max float64 // GFLOP/s
}

func (r GEMMResult) String() string {
	kind := "f32"
	if r.BF16 {
		kind = "bf16"
	}
	return fmt.Sprintf("%5d %5d %5d %8.1f %8.1f %8.1f  (%s, %d threads, tier %s)", r.M, r.K, r.N, r.Median, r.Min, r.Max, kind, r.Threads, r.Tier)
}

// BenchGEMM times C = A·B (row-major, no transposes, beta 0) for one shape
// the way the peer script does: one warm-up call, an inner repeat count
// that makes a sample last at least minSample, then samples samples. It
// uses threads threads and restores the previous setting.
func BenchGEMM(m, k, n, threads int, bf16 bool, samples int, minSample time.Duration) GEMMResult {
	start := time.Now()
	return BenchGEMMClock(m, k, n, threads, bf16, samples, minSample, func() time.Duration { return time.Since(start) })
}

// BenchGEMMClock is BenchGEMM timed by clock, which returns a monotonic
// time: for example the process's CPU time, which on a busy machine leaves
// out the time the benchmark spent waiting for a core.
func BenchGEMMClock(m, k, n, threads int, bf16 bool, samples int, minSample time.Duration, clock func() time.Duration) GEMMResult {
	prev := workers.threads.Load()
	SetThreads(threads)
	defer workers.threads.Store(prev)
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%13)*0.25 - 1.5
	}
	for i := range b {
		b[i] = float32(i%11)*0.25 - 1.25
	}
	a16, b16 := make([]uint16, len(a)), make([]uint16, len(b))
	F32ToBF16(a16, a)
	F32ToBF16(b16, b)
	call := func() {
		if bf16 {
			SgemmBF16(false, false, m, n, k, 1, a16, k, b16, n, 0, c, n)
		} else {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		}
	}
	call()
	t0 := clock()
	call()
	inner := max(1, int(minSample/max(clock()-t0, time.Microsecond)))
	for i := 0; i < min(inner, 20); i++ {
		call()
	}
	flop := 2 * float64(m) * float64(n) * float64(k)
	g := make([]float64, samples)
	for s := range g {
		t0 := clock()
		for i := 0; i < inner; i++ {
			call()
		}
		g[s] = flop * float64(inner) / max(clock()-t0, time.Nanosecond).Seconds() / 1e9
	}
	slices.Sort(g)
	return GEMMResult{M: m, K: k, N: n, Threads: threads, BF16: bf16, Tier: Tier(),
		Median: g[len(g)/2], Min: g[0], Max: g[len(g)-1]}
}
