//go:build amd64 && !purego

package kernels

// AVX-512 vector kernels (vec512_amd64.s). Each computes what the *Go
// function of the same name in vector.go computes, over the whole slice
// (masked tails, no Go tail loop).

//go:noescape
func scaleAVX512(alpha float32, x []float32)

//go:noescape
func axpyAVX512(alpha float32, x, y []float32)

//go:noescape
func addAVX512(dst, x, y []float32)

//go:noescape
func mulAVX512(dst, x, y []float32)

//go:noescape
func fromBF16AVX512x(dst []float32, src []uint16)

//go:noescape
func expAVX512(dst, x []float32)

//go:noescape
func expSubAVX512(dst, x []float32, c float32) float32

//go:noescape
func geluAVX512(dst, x []float32)

//go:noescape
func geluBackwardAVX512(dx, dy, x []float32)

//go:noescape
func geluTanhAVX512(dst, x []float32)

//go:noescape
func geluTanhBackwardAVX512(dx, dy, x []float32)

// installVecAVX512 points the vector kernels that gain from zmm at the
// AVX-512 code; the others keep the AVX2 code that installVecAVX2 set.
func installVecAVX512() {
	scaleK, axpyK, addK, mulK = scaleAVX512, axpyAVX512, addAVX512, mulAVX512
	fromBF16 = fromBF16AVX512x
	expK, expSubK = expAVX512, expSubAVX512
	geluK, geluBK, geluTK, geluTBK = geluAVX512, geluBackwardAVX512, geluTanhAVX512, geluTanhBackwardAVX512
}

// The tier table (tier_amd64.go, initialised before this file) installs
// installAVX512 for the avx512 tiers; wrap those entries so that they also
// install the kernels above, then select the tier again.
func init() {
	for i := range tierTable {
		if e := tierTable[i]; len(e.name) >= 6 && e.name[:6] == "avx512" {
			tierTable[i].install = func() { e.install(); installVecAVX512() }
		}
	}
	selectTier()
}
