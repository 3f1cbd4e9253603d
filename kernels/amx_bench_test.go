//go:build amd64 && !purego

package kernels

import "testing"

// BenchmarkAMXBlocking compares AMX blockings in CPU time, alternating so
// that a noisy machine hits each alike.
func BenchmarkAMXBlocking(b *testing.B) {
	if !hasAMX() {
		b.Skip("no AMX")
	}
	restore := forceTier("avx512+amx")
	defer restore()
	type blk struct{ kc, mc, nc, budget int }
	cands := []blk{{256, 64, 1024, 1 << 20}, {256, 32, 1024, 1 << 20}, {256, 64, 2048, 3 << 19}, {256, 64, 1024, 512 << 10}, {384, 64, 1024, 1 << 20}}
	for _, s := range [][3]int{{512, 768, 3072}, {2048, 2048, 2048}, {4096, 1024, 256}, {512, 512, 512}, {4096, 256, 1024}} {
		m, k, n := s[0], s[1], s[2]
		a, bm, c := make([]uint16, m*k), make([]uint16, k*n), benchMat(m*n)
		F32ToBF16(a, benchMat(m*k))
		F32ToBF16(bm, benchMat(k*n))
		SetThreads(1)
		t := make([]float64, len(cands))
		for rep := 0; rep < 4; rep++ {
			for i, cb := range cands {
				amxKC, amxMC, amxNC, amxBBudget = cb.kc, cb.mc, cb.nc, cb.budget
				t0 := cpuSeconds()
				for j := 0; j < 3; j++ {
					SgemmBF16(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				t[i] += cpuSeconds() - t0
			}
		}
		amxKC, amxMC, amxNC, amxBBudget = 256, 64, 1024, 1<<20
		SetThreads(0)
		for i, cb := range cands {
			b.Logf("%dx%dx%d kc=%d mc=%d nc=%d budget=%dK: %.0f cpuGFLOP/s", m, k, n, cb.kc, cb.mc, cb.nc, cb.budget>>10, 2*float64(m*n*k)*12/1e9/t[i])
		}
	}
}
