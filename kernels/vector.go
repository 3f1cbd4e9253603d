package kernels

import "math"

// The exported vector kernels check their arguments and dispatch through
// the function variables below, which the tier selection points at assembly
// (see tier.go); the *Go functions are the portable implementations and the
// definition of what each kernel computes.
var (
	dotK     = dotGo
	axpyK    = axpyGo
	scaleK   = scaleGo
	addK     = addGo
	mulK     = mulGo
	sumK     = sumGo
	maxK     = maxGo
	expK     = expGo
	expSubK  = expSubGo // dst = exp(x - c), returns the sum of dst
	sumSqDK  = sumSqDevGo
	geluK    = geluGo
	geluBK   = geluBackwardGo
	geluTK   = geluTanhGo
	geluTBK  = geluTanhBackwardGo
	adamK    = adamGo
	toBF16K  = toBF16Go
	fromBF16 = fromBF16Go
	normK    = normRowGo // dst = (x-mu)·rs·gamma + beta, gamma/beta optional
	lnRowsK  = layerNormRowsGo
	mulAddK  = mulAddGo // dst += x·y
	lnDxK    = lnDxGo   // dx = rs·(g - mg - xh·mgx)
	// lnBackRowsK, when set, runs a whole LayerNormRowsBackward and
	// reports whether it could (the AVX2 one needs an affine LayerNorm
	// with rows a multiple of 8).
	lnBackRowsK func(dx, dgamma, dbeta, dy, x, gamma, mean, rstd []float32, rows, cols int) bool
	sumRowsK    = sumRowsGo // dst += Σ rows of x
	// softmaxIPK and softmaxBK, when set, run SoftmaxRowsInPlace and
	// SoftmaxBackwardRows in one call and report whether they could.
	softmaxIPK func(p []float32, rows, cols int) bool
	softmaxBK  func(dp, p []float32, rows, cols int) bool
)

// SoftmaxRowsInPlace replaces each row of the rows×cols matrix p by its
// softmax; a row whose entries are all -Inf (every key of an attention
// row masked) becomes zeros rather than NaN. A NaN makes its row NaN. For
// many short rows (the scores of small attention heads) it is one call.
func SoftmaxRowsInPlace(p []float32, rows, cols int) {
	if rows < 0 || cols < 0 {
		argPanic("SoftmaxRowsInPlace", "negative shape %dx%d", rows, cols)
	}
	checkLen("SoftmaxRowsInPlace", rows*cols, len(p))
	if softmaxIPK != nil && softmaxIPK(p, rows, cols) {
		return
	}
	negInf := float32(math.Inf(-1))
	for i := 0; i < rows; i++ {
		r := p[i*cols : (i+1)*cols]
		m := negInf
		for _, v := range r {
			m = max(m, v)
		}
		if m == negInf {
			clear(r)
			continue
		}
		s := expSubK(r, r, m)
		scaleK(1/s, r)
	}
}

// SoftmaxBackwardRows computes, row by row of the rows×cols matrices, the
// gradient through a softmax with output p: dp = p⊙(dp − Σ_j p⊙dp), in
// place.
func SoftmaxBackwardRows(dp, p []float32, rows, cols int) {
	if rows < 0 || cols < 0 {
		argPanic("SoftmaxBackwardRows", "negative shape %dx%d", rows, cols)
	}
	checkLen("SoftmaxBackwardRows", rows*cols, len(dp), len(p))
	if softmaxBK != nil && softmaxBK(dp, p, rows, cols) {
		return
	}
	for i := 0; i < rows; i++ {
		pr, dr := p[i*cols:(i+1)*cols], dp[i*cols:(i+1)*cols]
		dot := dotK(pr, dr)
		for j, x := range pr {
			dr[j] = x * (dr[j] - dot)
		}
	}
}

// SumRows adds the sum of the rows of the rows×cols matrix x to dst (cols
// long): dst[j] += Σ_i x[i·cols+j], the gradient of a bias broadcast over
// rows.
func SumRows(dst, x []float32, rows, cols int) {
	if rows < 0 || cols < 0 {
		argPanic("SumRows", "negative shape %dx%d", rows, cols)
	}
	checkLen("SumRows", cols, len(dst))
	checkLen("SumRows", rows*cols, len(x))
	sumRowsK(dst, x, rows, cols)
}

func sumRowsGo(dst, x []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		addK(dst[:cols], dst[:cols], x[r*cols:(r+1)*cols])
	}
}

// Dot returns the inner product of x and y[:len(x)].
func Dot(x, y []float32) float32 {
	checkLen("Dot", len(x), len(y))
	return dotK(x, y[:len(x)])
}

// Axpy computes y += alpha·x over len(x) elements.
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", len(x), len(y))
	axpyK(alpha, x, y[:len(x)])
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) { scaleK(alpha, x) }

// Add computes dst = x + y elementwise over len(dst) elements; dst may be x
// or y.
func Add(dst, x, y []float32) {
	checkLen("Add", len(dst), len(x), len(y))
	addK(dst, x[:len(dst)], y[:len(dst)])
}

// Mul computes dst = x·y elementwise over len(dst) elements; dst may be x or
// y.
func Mul(dst, x, y []float32) {
	checkLen("Mul", len(dst), len(x), len(y))
	mulK(dst, x[:len(dst)], y[:len(dst)])
}

// Sum returns the sum of x (0 for an empty x), accumulated in float32 in
// several partial sums.
func Sum(x []float32) float32 { return sumK(x) }

// Max returns the largest element of x, or -Inf for an empty x. NaNs are
// ignored unless every element is NaN.
func Max(x []float32) float32 { return maxK(x) }

// Exp computes dst = eˣ elementwise over len(dst) elements (dst may be x),
// to within 2 ulp; it is 0 below -87.33 and +Inf above 88.72.
func Exp(dst, x []float32) {
	checkLen("Exp", len(dst), len(x))
	if !bigElems(len(dst)) {
		expK(dst, x[:len(dst)])
		return
	}
	parallelElems(len(dst), func(lo, hi int) { expK(dst[lo:hi], x[lo:hi]) })
}

// SoftmaxRows computes, for each of rows rows of cols elements, dst =
// exp(x - max(x)) / Σ exp(x - max(x)). dst may be x. A row of -Inf (fully
// masked) gives NaN, as in PyTorch.
func SoftmaxRows(dst, x []float32, rows, cols int) {
	softmaxRowsLSE("SoftmaxRows", dst, nil, x, rows, cols)
}

// SoftmaxRowsLSE is SoftmaxRows that also writes each row's log-sum-exp,
// max + log Σ exp(x - max), into lse (rows long): with it cross-entropy's
// loss is lse - x[target] without a log of a probability that may be 0.
func SoftmaxRowsLSE(dst, lse, x []float32, rows, cols int) {
	if len(lse) < rows {
		argPanic("SoftmaxRowsLSE", "lse has %d elements, need %d", len(lse), rows)
	}
	softmaxRowsLSE("SoftmaxRowsLSE", dst, lse, x, rows, cols)
}

// softmaxRowsLSE checks the shape and runs softmaxRows, in parallel for
// big inputs; lse may be nil.
func softmaxRowsLSE(op string, dst, lse, x []float32, rows, cols int) {
	if rows < 0 || cols < 0 {
		argPanic(op, "negative shape %dx%d", rows, cols)
	}
	checkLen(op, rows*cols, len(dst), len(x))
	if !bigRows(rows, cols) {
		softmaxRows(dst, lse, x, 0, rows, cols)
		return
	}
	parallelRows(rows, cols, func(lo, hi int) { softmaxRows(dst, lse, x, lo, hi, cols) })
}

func softmaxRows(dst, lse, x []float32, lo, hi, cols int) {
	for r := lo; r < hi; r++ {
		xr := x[r*cols : (r+1)*cols]
		dr := dst[r*cols : (r+1)*cols]
		m := maxK(xr)
		s := expSubK(dr, xr, m)
		scaleK(1/s, dr)
		if lse != nil {
			lse[r] = m + float32(math.Log(float64(s)))
		}
	}
}

// parallelWork is the element count above which row and elementwise
// kernels split their work over the pool; each row or element is computed
// the same way whoever runs it, so results do not depend on the split.
const parallelWork = 1 << 15

// bigRows and bigElems say whether a row or elementwise kernel is worth
// splitting over the pool; callers test them before making the closure, so
// that small calls allocate nothing.
func bigRows(rows, cols int) bool { return rows > 1 && rows*cols >= parallelWork && Threads() > 1 }

func bigElems(n int) bool { return n >= 2*parallelWork && Threads() > 1 }

// parallelRows runs fn over [0,rows) on the pool.
func parallelRows(rows, cols int, fn func(lo, hi int)) {
	Parallel(rows, fn)
}

// parallelElems runs fn over [0,n) on the pool in chunks that are multiples
// of 64 elements.
func parallelElems(n int, fn func(lo, hi int)) {
	blocks := (n + 63) / 64
	Parallel(blocks, func(lo, hi int) { fn(lo*64, min(hi*64, n)) })
}

// LayerNormRows normalises each of rows rows of cols elements: dst =
// (x - mean)·rstd·gamma + beta with rstd = 1/sqrt(var + eps) (biased
// variance). gamma and beta (length cols) may be nil for 1 and 0. When mean
// and rstd are not nil they receive the per-row statistics that
// LayerNormRowsBackward needs. dst may be x.
func LayerNormRows(dst, x, gamma, beta, mean, rstd []float32, rows, cols int, eps float32) {
	if rows < 0 || cols < 0 {
		argPanic("LayerNormRows", "negative shape %dx%d", rows, cols)
	}
	checkLen("LayerNormRows", rows*cols, len(dst), len(x))
	checkOpt("LayerNormRows", cols, gamma, beta)
	checkOpt("LayerNormRows", rows, mean, rstd)
	if cols == 0 {
		return
	}
	if !bigRows(rows, cols) {
		lnRowsK(dst, x, gamma, beta, mean, rstd, rows, cols, eps)
		return
	}
	parallelRows(rows, cols, func(lo, hi int) {
		var m, rs []float32
		if mean != nil {
			m, rs = mean[lo:hi], rstd[lo:hi]
		}
		lnRowsK(dst[lo*cols:hi*cols], x[lo*cols:hi*cols], gamma, beta, m, rs, hi-lo, cols, eps)
	})
}

// layerNormRowsGo is LayerNormRows over rows rows (cols > 0) with mean and
// rstd indexed from 0, through the row kernels.
func layerNormRowsGo(dst, x, gamma, beta, mean, rstd []float32, rows, cols int, eps float32) {
	for r := 0; r < rows; r++ {
		xr := x[r*cols : (r+1)*cols]
		dr := dst[r*cols : (r+1)*cols]
		mu := sumK(xr) / float32(cols)
		v := sumSqDK(xr, mu) / float32(cols)
		rs := float32(1 / math.Sqrt(float64(v+eps)))
		if mean != nil {
			mean[r], rstd[r] = mu, rs
		}
		var g, b []float32
		if gamma != nil {
			g = gamma[:cols]
		}
		if beta != nil {
			b = beta[:cols]
		}
		normK(dr, xr, g, b, mu, rs)
	}
}

// normRowGo computes dst = (x-mu)·rs·gamma + beta; gamma and beta, when
// not nil, have len(dst) elements.
func normRowGo(dst, x, gamma, beta []float32, mu, rs float32) {
	x = x[:len(dst)]
	switch {
	case gamma != nil && beta != nil:
		gamma, beta = gamma[:len(dst)], beta[:len(dst)]
		for i, v := range x {
			dst[i] = (v-mu)*rs*gamma[i] + beta[i]
		}
	case gamma != nil:
		gamma = gamma[:len(dst)]
		for i, v := range x {
			dst[i] = (v - mu) * rs * gamma[i]
		}
	case beta != nil:
		beta = beta[:len(dst)]
		for i, v := range x {
			dst[i] = (v-mu)*rs + beta[i]
		}
	default:
		for i, v := range x {
			dst[i] = (v - mu) * rs
		}
	}
}

func mulAddGo(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] += x[i] * y[i]
	}
}

func lnDxGo(dx, g, xh []float32, rs, mg, mgx float32) {
	g, xh = g[:len(dx)], xh[:len(dx)]
	for i, v := range g {
		dx[i] = rs * (v - mg - xh[i]*mgx)
	}
}

// LayerNormRowsBackward is the gradient of LayerNormRows given the saved
// mean and rstd: it writes dx (which may be dy) and adds into dgamma and
// dbeta (length cols, either may be nil). gamma nil means 1.
func LayerNormRowsBackward(dx, dgamma, dbeta, dy, x, gamma, mean, rstd []float32, rows, cols int) {
	if rows < 0 || cols < 0 {
		argPanic("LayerNormRowsBackward", "negative shape %dx%d", rows, cols)
	}
	checkLen("LayerNormRowsBackward", rows*cols, len(dx), len(dy), len(x))
	checkLen("LayerNormRowsBackward", rows, len(mean), len(rstd))
	checkOpt("LayerNormRowsBackward", cols, gamma, dgamma, dbeta)
	if cols == 0 {
		return
	}
	if lnBackRowsK != nil && lnBackRowsK(dx, dgamma, dbeta, dy, x, gamma, mean, rstd, rows, cols) {
		return
	}
	bp, buf := getBuf(&bufPoolA, 2*cols)
	defer putBuf(&bufPoolA, bp)
	xh, g := buf[:cols], buf[cols:]
	inv := 1 / float32(cols)
	for r := 0; r < rows; r++ {
		xr, dyr, dxr := x[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], dx[r*cols:(r+1)*cols]
		mu, rs := mean[r], rstd[r]
		normK(xh, xr, nil, nil, mu, rs)
		if dbeta != nil {
			addK(dbeta[:cols], dbeta[:cols], dyr)
		}
		if dgamma != nil {
			mulAddK(dgamma[:cols], dyr, xh) // dgamma += dy·x̂
		}
		if gamma != nil {
			mulK(g, dyr, gamma[:cols])
		} else {
			copy(g, dyr)
		}
		mg := sumK(g) * inv
		mgx := dotK(g, xh) * inv
		lnDxK(dxr, g, xh, rs, mg, mgx) // dx = rs·(g - mean(g) - x̂·mean(g·x̂))
	}
}

// GELU computes dst = x·Φ(x) (the exact, erf form) elementwise; dst may be
// x. Φ uses a rational-exponential approximation with absolute error below
// 2e-7.
func GELU(dst, x []float32) {
	checkLen("GELU", len(dst), len(x))
	if !bigElems(len(dst)) {
		geluK(dst, x[:len(dst)])
		return
	}
	parallelElems(len(dst), func(lo, hi int) { geluK(dst[lo:hi], x[lo:hi]) })
}

// GELUBackward computes dx = dy·(Φ(x) + x·φ(x)), the gradient of GELU;
// dx may be dy or x.
func GELUBackward(dx, dy, x []float32) {
	checkLen("GELUBackward", len(dx), len(dy), len(x))
	if !bigElems(len(dx)) {
		geluBK(dx, dy[:len(dx)], x[:len(dx)])
		return
	}
	parallelElems(len(dx), func(lo, hi int) { geluBK(dx[lo:hi], dy[lo:hi], x[lo:hi]) })
}

// GELUTanh computes the tanh approximation dst = x/2·(1 + tanh(√(2/π)(x +
// 0.044715x³))) elementwise; dst may be x.
func GELUTanh(dst, x []float32) {
	checkLen("GELUTanh", len(dst), len(x))
	if !bigElems(len(dst)) {
		geluTK(dst, x[:len(dst)])
		return
	}
	parallelElems(len(dst), func(lo, hi int) { geluTK(dst[lo:hi], x[lo:hi]) })
}

// GELUTanhBackward computes dx = dy·d/dx GELUTanh(x); dx may be dy or x.
func GELUTanhBackward(dx, dy, x []float32) {
	checkLen("GELUTanhBackward", len(dx), len(dy), len(x))
	if !bigElems(len(dx)) {
		geluTBK(dx, dy[:len(dx)], x[:len(dx)])
		return
	}
	parallelElems(len(dx), func(lo, hi int) { geluTBK(dx[lo:hi], dy[lo:hi], x[lo:hi]) })
}

// AdamStep applies one Adam (decoupled false) or AdamW (decoupled true)
// update to param in place, given its grad and the moment buffers m and v
// (all of the same length):
//
//	g = grad + wd·param        (Adam only: L2 penalty in the gradient)
//	param -= lr·wd·param       (AdamW only: decoupled decay)
//	m = beta1·m + (1-beta1)·g
//	v = beta2·v + (1-beta2)·g²
//	param -= lr · (m/bc1) / (sqrt(v/bc2) + eps)
//
// bc1 and bc2 are the bias corrections 1-beta1ᵗ and 1-beta2ᵗ (pass 1 for
// none).
func AdamStep(param, grad, m, v []float32, lr, beta1, beta2, eps, wd, bc1, bc2 float32, decoupled bool) {
	checkLen("AdamStep", len(param), len(grad), len(m), len(v))
	n := len(param)
	p := adamParams{lr: lr, b1: beta1, b2: beta2, eps: eps, bc1: 1 / bc1, bc2: 1 / bc2}
	if decoupled {
		p.decay = 1 - lr*wd
	} else {
		p.decay, p.l2 = 1, wd
	}
	if !bigElems(n) {
		adamK(param, grad[:n], m[:n], v[:n], p)
		return
	}
	parallelElems(n, func(lo, hi int) { adamK(param[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi], p) })
}

// adamParams are AdamStep's scalars as the kernels use them (bc1 and bc2
// inverted).
type adamParams struct {
	lr, b1, b2, eps, bc1, bc2, decay, l2 float32
}

func checkOpt(op string, n int, s ...[]float32) {
	for i, x := range s {
		if x != nil && len(x) < n {
			argPanic(op, "optional argument %d has %d elements, need %d", i+1, len(x), n)
		}
	}
}

// ---- portable implementations ----

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleGo(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func addGo(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

func mulGo(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

func sumGo(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSqDevGo returns Σ(x-mu)².
func sumSqDevGo(x []float32, mu float32) float32 {
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(x); i += 2 {
		d0, d1 := x[i]-mu, x[i+1]-mu
		s0 += d0 * d0
		s1 += d1 * d1
	}
	for ; i < len(x); i++ {
		d := x[i] - mu
		s0 += d * d
	}
	return s0 + s1
}

func maxGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	nan := len(x) > 0
	for _, v := range x {
		if v > m {
			m = v
		}
		if v == v {
			nan = false
		}
	}
	if nan {
		return float32(math.NaN())
	}
	return m
}

// Constants of the float32 exponential: x = n·ln2 + r with |r| ≤ ln2/2, then
// eʳ by a degree-6 polynomial (Cephes expf) and 2ⁿ from the exponent bits.
const (
	expHi    = 88.72283
	expLo    = -87.33654
	log2e    = 1.44269504088896341
	ln2Hi    = 0.693359375
	ln2Lo    = -2.12194440e-4
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
	roundMag = 12582912 // 1.5·2²³: adding it rounds a float32 to an integer
)

func exp32(x float32) float32 {
	if !(x < expHi) { // also NaN
		if x != x {
			return x
		}
		return float32(math.Inf(1))
	}
	if x < expLo {
		return 0
	}
	n := (x*log2e + roundMag) - roundMag
	r := x - n*ln2Hi
	r -= n * ln2Lo
	p := float32(expP0)
	p = p*r + expP1
	p = p*r + expP2
	p = p*r + expP3
	p = p*r + expP4
	p = p*r + expP5
	p = p*r*r + r + 1
	// 2ⁿ in two factors: n reaches 128 and -126, beyond a single exponent.
	ni := int32(n)
	n1 := ni >> 1
	return p * math.Float32frombits(uint32(n1+127)<<23) * math.Float32frombits(uint32(ni-n1+127)<<23)
}

func expGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = exp32(v)
	}
}

func expSubGo(dst, x []float32, c float32) float32 {
	x = x[:len(dst)]
	var s float32
	for i, v := range x {
		e := exp32(v - c)
		dst[i] = e
		s += e
	}
	return s
}

// Φ(x) = ½(1+erf(x/√2)) with Abramowitz & Stegun 7.1.26 for erfc on |x|:
// erfc(z) ≈ t·P(t)·e^(−z²), t = 1/(1+p·z).
const (
	erfP       = 0.3275911
	erfA1      = 0.254829592
	erfA2      = -0.284496736
	erfA3      = 1.421413741
	erfA4      = -1.453152027
	erfA5      = 1.061405429
	invSqrt2   = 0.70710678118654752
	invSqrt2Pi = 0.39894228040143268
)

// phi returns Φ(x) and the normal density φ(x).
func phi(x float32) (cdf, pdf float32) {
	z := x * invSqrt2
	az := z
	if az < 0 {
		az = -az
	}
	t := 1 / (1 + erfP*az)
	e := exp32(-az * az)
	q := t * (erfA1 + t*(erfA2+t*(erfA3+t*(erfA4+t*erfA5)))) * e // erfc(|z|)
	cdf = 0.5 * q
	if z >= 0 {
		cdf = 1 - cdf
	}
	return cdf, e * invSqrt2Pi
}

func geluGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		c, _ := phi(v)
		dst[i] = v * c
	}
}

func geluBackwardGo(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, v := range x {
		c, p := phi(v)
		dx[i] = dy[i] * (c + v*p)
	}
}

const (
	geluK0 = 0.7978845608028654 // √(2/π)
	geluK1 = 0.044715
)

// tanhParts returns e·s and s with e = e^{2u}, s = 1/(e+1), so that
// 1+tanh(u) = 2·e·s and 1-tanh(u) = 2·s without cancellation. u is clamped to
// ±20, where tanh is ±1 in float32, to keep e finite.
func tanhParts(u float32) (es, s float32) {
	u = min(max(u, -20), 20)
	e := exp32(2 * u)
	s = 1 / (e + 1)
	return e * s, s
}

func geluTanhGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		es, _ := tanhParts(geluK0 * (v + geluK1*v*v*v))
		dst[i] = v * es
	}
}

// The derivative of x·es(u(x)) is es + x·2s·es·u'(x).
func geluTanhBackwardGo(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, v := range x {
		es, s := tanhParts(geluK0 * (v + geluK1*v*v*v))
		d := es * (1 + 2*v*s*geluK0*(1+3*geluK1*v*v))
		dx[i] = dy[i] * d
	}
}

func adamGo(param, grad, m, v []float32, p adamParams) {
	grad, m, v = grad[:len(param)], m[:len(param)], v[:len(param)]
	for i, w := range param {
		g := grad[i] + p.l2*w
		mi := p.b1*m[i] + (1-p.b1)*g
		vi := p.b2*v[i] + (1-p.b2)*g*g
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi*p.bc2))) + p.eps
		param[i] = w*p.decay - p.lr*(mi*p.bc1)/den
	}
}
