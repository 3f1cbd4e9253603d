package kernels

// SgemmSmall computes C = alpha·A·B + beta·C without packing, for products
// too small for Sgemm's blocking to pay off: the per-head products of
// attention, a few to a few dozen rows with k and n of a head's width. A is
// m×k with A(i,p) = a[i·ars + p·acs], so a row-major A has (ars, acs) =
// (lda, 1) and a transposed one (1, lda); B is k×n and C is m×n, both
// row-major with leading dimensions ldb and ldc. When beta is 0, C is not
// read. A transposed B is not supported: transpose it first (Transpose).
// On AVX2 the columns run in register-wide strips of up to 24, rows four at
// a time; the arithmetic per element matches Sgemm's (fused multiply-adds
// in order of p), so results agree with Sgemm to rounding.
func SgemmSmall(m, n, k int, alpha float32, a []float32, ars, acs int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	const op = "SgemmSmall"
	if m < 0 || n < 0 || k < 0 || ars < 0 || acs < 0 {
		argPanic(op, "negative size or stride: m=%d n=%d k=%d ars=%d acs=%d", m, n, k, ars, acs)
	}
	if m == 0 || n == 0 {
		return
	}
	checkMat(op, "C", m, n, ldc, len(c))
	if k == 0 || alpha == 0 {
		scaleC(c, m, n, ldc, beta)
		return
	}
	if need := (m-1)*ars + (k-1)*acs + 1; need > len(a) {
		argPanic(op, "A is %dx%d with strides (%d, %d) and needs %d elements, has %d", m, k, ars, acs, need, len(a))
	}
	checkMat(op, "B", k, n, ldb, len(b))
	if !smallAsm && (acs == 1 || ars == 1) {
		// Without the AVX2 kernels Sgemm's portable micro-kernel beats the
		// plain loop; a row-major or transposed A maps onto it.
		transA, lda := false, ars
		if acs != 1 {
			transA, lda = true, acs
		}
		s := gemmSrc{a32: a, b32: b, lda: lda, ldb: ldb, transA: transA,
			m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc, threads: 1}
		gemmRun(s)
		return
	}
	j := 0
	if smallAsm {
		for j+4 <= n {
			w := smallStrip(n - j)
			smallAVX2(w, m, k, &a[0], ars, acs, &b[j], ldb, &c[j], ldc, alpha, beta)
			j += w
		}
	}
	if j < n {
		smallGo(m, n-j, k, alpha, a, ars, acs, b[j:], ldb, beta, c[j:], ldc)
	}
}

// smallStrip is the width of the next column strip for w columns left: the
// widest kernel (24, 16, 8 or 4 columns) that fits.
func smallStrip(w int) int {
	switch {
	case w >= 24:
		return 24
	case w >= 16:
		return 16
	case w >= 8:
		return 8
	}
	return 4
}

// smallGo is SgemmSmall's portable loop (and the AVX2 path's last columns
// when n is not a multiple of 4).
func smallGo(m, n, k int, alpha float32, a []float32, ars, acs int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var acc [64]float32
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		for j0 := 0; j0 < n; j0 += len(acc) {
			w := min(len(acc), n-j0)
			s := acc[:w]
			clear(s)
			for p := 0; p < k; p++ {
				av := a[i*ars+p*acs]
				bp := b[p*ldb+j0 : p*ldb+j0+w]
				for j, bv := range bp {
					s[j] += av * bv
				}
			}
			cj := ci[j0 : j0+w]
			if beta == 0 {
				for j, v := range s {
					cj[j] = alpha * v
				}
			} else {
				for j, v := range s {
					cj[j] = alpha*v + beta*cj[j]
				}
			}
		}
	}
}

// Transpose writes the transpose of the rows×cols matrix x (leading
// dimension ldx) into dst (cols×rows, leading dimension ldd).
func Transpose(dst []float32, ldd int, x []float32, ldx, rows, cols int) {
	const op = "Transpose"
	if rows < 0 || cols < 0 {
		argPanic(op, "negative size %dx%d", rows, cols)
	}
	checkMat(op, "x", rows, cols, ldx, len(x))
	checkMat(op, "dst", cols, rows, ldd, len(dst))
	r0, c0 := 0, 0 // rows and columns done by the AVX2 blocks
	if smallAsm {
		// Blocks of 8×8 where both sizes allow, else of 4×4 (the 4 keys of
		// an MAE encoder head); the element loop below takes what is left.
		bs := 4
		if rows >= 8 && cols >= 8 {
			bs = 8
		}
		r0, c0 = rows/bs*bs, cols/bs*bs
		for i := 0; i < r0; i += bs {
			for j := 0; j < c0; j += bs {
				if bs == 8 {
					transpose8AVX2(&dst[j*ldd+i], ldd, &x[i*ldx+j], ldx)
				} else {
					transpose4AVX2(&dst[j*ldd+i], ldd, &x[i*ldx+j], ldx)
				}
			}
		}
	}
	for i := 0; i < rows; i++ {
		j0 := 0
		if i < r0 {
			j0 = c0 // the block columns of this row are done
		}
		xi := x[i*ldx : i*ldx+cols]
		for j := j0; j < cols; j++ {
			dst[j*ldd+i] = xi[j]
		}
	}
}

// Prefetch asks the CPU to bring the rows×cols matrix x (leading dimension
// ld) into cache: a hint that changes no result, for loops that know which
// small, scattered blocks they read next (the next attention head's rows of
// a packed q/k/v buffer). Rows past the end of x are left out; without an
// assembly tier it does nothing.
func Prefetch(x []float32, ld, rows, cols int) {
	if rows <= 0 || cols <= 0 || ld < cols {
		return
	}
	if len(x) < cols {
		return
	}
	rows = min(rows, (len(x)-cols)/ld+1)
	prefetchMatrix(x, ld, rows, cols)
}
