//go:build amd64 && !purego

package kernels

// AVX-512 vector kernels (vec512_amd64.s). Each computes what the *Go
// function of the same name in vector.go computes, over the whole slice
// (masked tails, no Go tail loop).

//go:noescape
func scaleAVX512(alpha float32, x []float32)

//go:noescape
func scale2AVX512(alpha float32, x []float32)

//go:noescape
func axpyAVX512(alpha float32, x, y []float32)

//go:noescape
func addAVX512(dst, x, y []float32)

//go:noescape
func mulAVX512(dst, x, y []float32)

//go:noescape
func fromBF16AVX512x(dst []float32, src []uint16)

//go:noescape
func sumAVX512(x []float32) float32

//go:noescape
func dotAVX512(x, y []float32) float32

//go:noescape
func maxAVX512(x []float32) float32

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

// zmmStreamBytes is the most bytes a streaming kernel (Scale, Axpy, Add,
// Mul, BF16ToF32) may touch to run its zmm loop: within the L1 data cache
// zmm is 1.2-1.8x the ymm loop, but streaming from L2 it is 0.85-1.0x
// (BenchmarkVec512Stream), so larger calls run the AVX2 code, except Scale,
// whose two-stream zmm loop is 1.4x the ymm loop from L2. From L2, Add and
// Mul (three streams of lines in, one out) run at the L2 bandwidth already.
var zmmStreamBytes = 32 << 10

func scaleAsm512(alpha float32, x []float32) {
	if 4*len(x) <= zmmStreamBytes {
		scaleAVX512(alpha, x)
		return
	}
	m := len(x) &^ 63
	scale2AVX512(alpha, x[:m])
	scaleAVX512(alpha, x[m:])
}

func fromBF16Asm512x(dst []float32, src []uint16) {
	if 6*len(src) <= zmmStreamBytes {
		fromBF16AVX512x(dst, src)
		return
	}
	fromBF16Asm(dst, src)
}

func axpyAsm512(alpha float32, x, y []float32) {
	if 8*len(x) <= zmmStreamBytes {
		axpyAVX512(alpha, x, y)
		return
	}
	axpyAVX2(alpha, x, y)
}

func addAsm512(dst, x, y []float32) {
	if 12*len(dst) <= zmmStreamBytes {
		addAVX512(dst, x, y)
		return
	}
	addAVX2(dst, x, y)
}

func mulAsm512(dst, x, y []float32) {
	if 12*len(dst) <= zmmStreamBytes {
		mulAVX512(dst, x, y)
		return
	}
	mulAVX2(dst, x, y)
}

// maxAsm512 is maxAsm on the zmm loop, which runs four chains of 16 lanes
// (the ymm loop two of 8, bound by VMAXPS latency): 2.6-5x faster at every
// size (BenchmarkVec512Stream). Sum and Dot gain 1.5x within L1 and stay
// at least as fast from L2, so they run zmm at every size too.
func maxAsm512(x []float32) float32 {
	m := maxAVX512(x)
	if m != m || (m < -3.4e38 && len(x) > 0) { // all NaN, or -Inf: let Go decide
		return maxGo(x)
	}
	return m
}

//go:noescape
func normAffineAVX512(dst, x, gamma, beta []float32, mu, rs float32)

//go:noescape
func normAVX512(dst, x []float32, mu, rs float32)

//go:noescape
func mulAddAVX512(dst, x, y []float32)

//go:noescape
func lnDxAVX512(dx, g, xh []float32, rs, mg, mgx float32)

// lnRowsAVX512 is lnRowsAVX2 on zmm (see lnRowsAsm).
//
//go:noescape
func lnRowsAVX512(dst, x, gamma, beta []float32, mean, rstd *float32, rows, cols int, invCols, eps float32)

func normRowAsm512(dst, x, gamma, beta []float32, mu, rs float32) {
	x = x[:len(dst)]
	if gamma != nil && beta != nil {
		normAffineAVX512(dst, x, gamma[:len(dst)], beta[:len(dst)], mu, rs)
		return
	}
	normAVX512(dst, x, mu, rs)
	if gamma != nil {
		mulAVX512(dst, dst, gamma[:len(dst)])
	}
	if beta != nil {
		addAVX512(dst, dst, beta[:len(dst)])
	}
}

func mulAddAsm512(dst, x, y []float32) { mulAddAVX512(dst, x[:len(dst)], y[:len(dst)]) }

func lnDxAsm512(dx, g, xh []float32, rs, mg, mgx float32) {
	lnDxAVX512(dx, g[:len(dx)], xh[:len(dx)], rs, mg, mgx)
}

func lnRowsAsm512(dst, x, gamma, beta, mean, rstd []float32, rows, cols int, eps float32) {
	if gamma == nil || beta == nil || rows == 0 {
		layerNormRowsGo(dst, x, gamma, beta, mean, rstd, rows, cols, eps)
		return
	}
	_, _ = dst[rows*cols-1], x[rows*cols-1]
	_, _ = gamma[cols-1], beta[cols-1]
	var pm, pr *float32
	if mean != nil {
		_, _ = mean[rows-1], rstd[rows-1]
		pm, pr = &mean[0], &rstd[0]
	}
	lnRowsAVX512(dst, x, gamma, beta, pm, pr, rows, cols, 1/float32(cols), eps)
}

// installVecAVX512 points the vector kernels that gain from zmm at the
// AVX-512 code; the others keep the AVX2 code that installVecAVX2 set.
func installVecAVX512() {
	scaleK, axpyK, addK, mulK = scaleAsm512, axpyAsm512, addAsm512, mulAsm512
	fromBF16 = fromBF16Asm512x
	sumK, dotK, maxK = sumAVX512, dotAVX512, maxAsm512
	normK, mulAddK, lnDxK, lnRowsK = normRowAsm512, mulAddAsm512, lnDxAsm512, lnRowsAsm512
	expK, expSubK = expAVX512, expSubAVX512
	geluK, geluBK, geluTK, geluTBK = geluAVX512, geluBackwardAVX512, geluTanhAVX512, geluTanhBackwardAVX512
}

func init() {
	if l1, _ := cacheSizes(); l1 > 0 {
		zmmStreamBytes = l1
	}
}
