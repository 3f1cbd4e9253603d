//go:build amd64 && !purego

package kernels

// AVX2+FMA vector kernels (vec_amd64.s). Each computes what the *Go function
// of the same name in vector.go computes; the ones marked "8" handle
// len &^ 7 elements and leave the tail to the wrappers below.

//go:noescape
func dotAVX2(x, y []float32) float32

//go:noescape
func sumAVX2(x []float32) float32

//go:noescape
func sumSqDevAVX2(x []float32, mu float32) float32

//go:noescape
func maxAVX2(x []float32) float32

//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

//go:noescape
func scaleAVX2(alpha float32, x []float32)

//go:noescape
func addAVX2(dst, x, y []float32)

//go:noescape
func mulAVX2(dst, x, y []float32)

// expAVX2 is expGo on len(dst) &^ 7 elements ("8").
//
//go:noescape
func expAVX2(dst, x []float32)

// expSubAVX2 is expSubGo on len(dst) &^ 7 elements ("8").
//
//go:noescape
func expSubAVX2(dst, x []float32, c float32) float32

//go:noescape
func geluAVX2(dst, x []float32)

//go:noescape
func geluBackwardAVX2(dx, dy, x []float32)

//go:noescape
func geluTanhAVX2(dst, x []float32)

//go:noescape
func geluTanhBackwardAVX2(dx, dy, x []float32)

//go:noescape
func adamAVX2(param, grad, m, v []float32, p *adamParams)

//go:noescape
func toBF16AVX2(dst []uint16, src []float32)

//go:noescape
func fromBF16AVX2(dst []float32, src []uint16)

func maxAsm(x []float32) float32 {
	m := maxAVX2(x)
	if m != m || (m < -3.4e38 && len(x) > 0) { // all NaN, or -Inf: let Go decide
		return maxGo(x)
	}
	return m
}

func expAsm(dst, x []float32) {
	n := len(dst) &^ 7
	expAVX2(dst[:n], x[:n])
	expGo(dst[n:], x[n:])
}

func expSubAsm(dst, x []float32, c float32) float32 {
	n := len(dst) &^ 7
	s := expSubAVX2(dst[:n], x[:n], c)
	return s + expSubGo(dst[n:], x[n:], c)
}

func geluAsm(dst, x []float32) {
	n := len(dst) &^ 7
	geluAVX2(dst[:n], x[:n])
	geluGo(dst[n:], x[n:])
}

func geluBackwardAsm(dx, dy, x []float32) {
	n := len(dx) &^ 7
	geluBackwardAVX2(dx[:n], dy[:n], x[:n])
	geluBackwardGo(dx[n:], dy[n:], x[n:])
}

func geluTanhAsm(dst, x []float32) {
	n := len(dst) &^ 7
	geluTanhAVX2(dst[:n], x[:n])
	geluTanhGo(dst[n:], x[n:])
}

func geluTanhBackwardAsm(dx, dy, x []float32) {
	n := len(dx) &^ 7
	geluTanhBackwardAVX2(dx[:n], dy[:n], x[:n])
	geluTanhBackwardGo(dx[n:], dy[n:], x[n:])
}

func adamAsm(param, grad, m, v []float32, p adamParams) {
	n := len(param) &^ 7
	adamAVX2(param[:n], grad[:n], m[:n], v[:n], &p)
	adamGo(param[n:], grad[n:], m[n:], v[n:], p)
}

func toBF16Asm(dst []uint16, src []float32) {
	n := len(src) &^ 7
	toBF16AVX2(dst[:n], src[:n])
	toBF16Go(dst[n:], src[n:])
}

func fromBF16Asm(dst []float32, src []uint16) {
	n := len(src) &^ 7
	fromBF16AVX2(dst[:n], src[:n])
	fromBF16Go(dst[n:], src[n:])
}

// installVecAVX2 points the vector kernels at the AVX2+FMA code. The
// AVX-512 tiers start from it; installVecAVX512 (vec512_amd64.go) then
// overrides the kernels that measurably gain from zmm.
func installVecAVX2() {
	dotK, axpyK, scaleK, addK, mulK = dotAVX2, axpyAVX2, scaleAVX2, addAVX2, mulAVX2
	sumK, maxK, expK, expSubK, sumSqDK = sumAVX2, maxAsm, expAsm, expSubAsm, sumSqDevAVX2
	geluK, geluBK, geluTK, geluTBK = geluAsm, geluBackwardAsm, geluTanhAsm, geluTanhBackwardAsm
	adamK, toBF16K, fromBF16 = adamAsm, toBF16Asm, fromBF16Asm
	normK, mulAddK, lnDxK = normRowAsm, mulAddAsm, lnDxAsm
	lnRowsK = lnRowsAsm
	lnBackRowsK = lnBackRowsAsm
	sumRowsK = sumRowsAsm
	softmaxIPK, softmaxBK = softmaxInPlaceAsm, softmaxBackAsm
	smallAsm = true
}

//go:noescape
func normAffineAVX2(dst, x, gamma, beta []float32, mu, rs float32)

//go:noescape
func normAVX2(dst, x []float32, mu, rs float32)

//go:noescape
func mulAddAVX2(dst, x, y []float32)

//go:noescape
func lnDxAVX2(dx, g, xh []float32, rs, mg, mgx float32)

func normRowAsm(dst, x, gamma, beta []float32, mu, rs float32) {
	n := len(dst) &^ 7
	if gamma != nil && beta != nil {
		normAffineAVX2(dst[:n], x[:n], gamma[:n], beta[:n], mu, rs)
		normRowGo(dst[n:], x[n:], gamma[n:], beta[n:], mu, rs)
		return
	}
	normAVX2(dst[:n], x[:n], mu, rs)
	normRowGo(dst[n:], x[n:], nil, nil, mu, rs)
	if gamma != nil {
		mulAVX2(dst, dst, gamma[:len(dst)])
	}
	if beta != nil {
		addAVX2(dst, dst, beta[:len(dst)])
	}
}

func mulAddAsm(dst, x, y []float32) {
	n := len(dst) &^ 7
	mulAddAVX2(dst[:n], x[:n], y[:n])
	mulAddGo(dst[n:], x[n:], y[n:])
}

func lnDxAsm(dx, g, xh []float32, rs, mg, mgx float32) {
	n := len(dx) &^ 7
	lnDxAVX2(dx[:n], g[:n], xh[:n], rs, mg, mgx)
	lnDxGo(dx[n:], g[n:], xh[n:], rs, mg, mgx)
}

//go:noescape
func toBF16AVX512(dst []uint16, src []float32)

//go:noescape
func fromBF16AVX512(dst []float32, src []uint16)

func toBF16Asm512(dst []uint16, src []float32) {
	n := len(src) &^ 15
	toBF16AVX512(dst[:n], src[:n])
	toBF16Go(dst[n:], src[n:])
}

func fromBF16Asm512(dst []float32, src []uint16) {
	n := len(src) &^ 15
	fromBF16AVX512(dst[:n], src[:n])
	fromBF16Go(dst[n:], src[n:])
}

// lnRowsAVX2 is LayerNormRows for rows rows with gamma and beta (mean and
// rstd may be nil): a sum pass, a squared-deviation pass and an affine pass
// per row, in one call.
//
//go:noescape
func lnRowsAVX2(dst, x, gamma, beta []float32, mean, rstd *float32, rows, cols int, invCols, eps float32)

func lnRowsAsm(dst, x, gamma, beta, mean, rstd []float32, rows, cols int, eps float32) {
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
	lnRowsAVX2(dst, x, gamma, beta, pm, pr, rows, cols, 1/float32(cols), eps)
}

// lnBackRowsAVX2 (vec_amd64.s) is LayerNormRowsBackward for an affine
// LayerNorm whose rows are a multiple of 8 long, every row in one call.
//
//go:noescape
func lnBackRowsAVX2(dx, dgamma, dbeta, dy, x, gamma, mean, rstd *float32, rows, cols int, invCols float32)

func lnBackRowsAsm(dx, dgamma, dbeta, dy, x, gamma, mean, rstd []float32, rows, cols int) bool {
	if cols%8 != 0 || rows == 0 || gamma == nil || dgamma == nil || dbeta == nil {
		return false
	}
	_, _, _ = dx[rows*cols-1], dy[rows*cols-1], x[rows*cols-1]
	_, _, _ = gamma[cols-1], dgamma[cols-1], dbeta[cols-1]
	_, _ = mean[rows-1], rstd[rows-1]
	lnBackRowsAVX2(&dx[0], &dgamma[0], &dbeta[0], &dy[0], &x[0], &gamma[0], &mean[0], &rstd[0], rows, cols, 1/float32(cols))
	return true
}

// sumRowsAVX2 (vec_amd64.s): dst[j] += Σ_i x[i·cols+j], cols a multiple
// of 8.
//
//go:noescape
func sumRowsAVX2(dst, x *float32, rows, cols int)

func sumRowsAsm(dst, x []float32, rows, cols int) {
	c8 := cols &^ 7
	if c8 > 0 && rows > 0 {
		_, _ = dst[cols-1], x[rows*cols-1]
		sumRowsAVX2(&dst[0], &x[0], rows, cols)
	}
	if c8 < cols {
		for r := 0; r < rows; r++ {
			xr := x[r*cols+c8 : (r+1)*cols]
			for j, v := range xr {
				dst[c8+j] += v
			}
		}
	}
}

// softmaxRowsInPlaceAVX2 and softmaxBackRowsAVX2 (vec_amd64.s) are
// SoftmaxRowsInPlace and SoftmaxBackwardRows for rows a multiple of 8 long.
//
//go:noescape
func softmaxRowsInPlaceAVX2(p *float32, rows, cols int)

//go:noescape
func softmaxBackRowsAVX2(dp, p *float32, rows, cols int)

func softmaxInPlaceAsm(p []float32, rows, cols int) bool {
	if cols%8 != 0 || rows == 0 {
		return false
	}
	softmaxRowsInPlaceAVX2(&p[0], rows, cols)
	return true
}

func softmaxBackAsm(dp, p []float32, rows, cols int) bool {
	if cols%8 != 0 || rows == 0 {
		return false
	}
	softmaxBackRowsAVX2(&dp[0], &p[0], rows, cols)
	return true
}
