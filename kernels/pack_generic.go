//go:build !amd64 || purego

package kernels

func gatherF32(d []float32, x []float32, ld, kc, w int) { panic("kernels: no gather") }
func gatherPairs(d []uint32, x []uint16, ld, kc, w int) { panic("kernels: no gather") }
func interleavePairs(d []uint32, r0, r1 []uint16)       { panic("kernels: no interleave") }

func prefetchA(a []float32, lda, rows, cols int) {}
