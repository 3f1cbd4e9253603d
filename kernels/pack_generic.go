//go:build !amd64 || purego

package kernels

func gatherF32(d []float32, x []float32, ld, kc, w int) { panic("kernels: no gather") }
func gatherPairs(d []uint32, x []uint16, ld, kc, w int) { panic("kernels: no gather") }
func interleavePairs(d []uint32, r0, r1 []uint16)       { panic("kernels: no interleave") }

func prefetchA(a []float32, lda, rows, cols int) {}

func smallAVX2(w, m, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	panic("kernels: no AVX2")
}

func transpose8AVX2(dst *float32, ldd int, x *float32, ldx int) { panic("kernels: no AVX2") }
func transpose4AVX2(dst *float32, ldd int, x *float32, ldx int) { panic("kernels: no AVX2") }
func copyRows16AVX2(d, x *float32, ld, rows int)                { panic("kernels: no AVX2") }
func copyRows6AVX2(d, x *float32, ld, rows int)                 { panic("kernels: no AVX2") }

func prefetchMatrix(x []float32, ld, rows, cols int) {}

func addBiasAVX2(c *float32, ldc int, bias *float32, rows, cols int) { panic("kernels: no AVX2") }
