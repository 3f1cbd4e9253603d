//go:build !purego

package glove

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotAVX2 returns Σ a[i]·b[i] over len(a); b must be at least as long.
//
//go:noescape
func dotAVX2(a, b []float32) float32

// updateAVX2 is updateGo in AVX2. It divides by sqrt(g) through VRSQRTPS
// refined by one Newton step (relative error about 1e-7, well inside the
// noise of Hogwild AdaGrad) because sqrt plus division would dominate the
// step; the tail elements use exact sqrt and division.
//
//go:noescape
func updateAVX2(f float32, wi, wj, gi, gj []float32)

func dot(a, b []float32) float32 {
	if useAVX2 {
		return dotAVX2(a, b[:len(a)])
	}
	return dotGo(a, b)
}

func update(f float32, wi, wj, gi, gj []float32) {
	if useAVX2 {
		n := len(wi)
		updateAVX2(f, wi, wj[:n], gi[:n], gj[:n])
		return
	}
	updateGo(f, wi, wj, gi, gj)
}
