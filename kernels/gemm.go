package kernels

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or its transpose. op(A) is m×k, op(B) is k×n and C is m×n.
// lda, ldb and ldc are the leading dimensions of A, B and C as stored (so for
// transA, A is stored k×m and lda ≥ m). When beta is 0, C is not read, so it
// may hold NaNs.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	Parallel(m, func(lo, hi int) {
		sgemmRows(transA, transB, lo, hi, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	})
}

// SgemmBatched runs batch independent Sgemm calls; the i-th uses the
// matrices that start at i·strideA, i·strideB and i·strideC. A stride of 0
// shares one matrix across the batch.
func SgemmBatched(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if m == 0 || n == 0 || batch == 0 {
		return
	}
	Parallel(batch*m, func(lo, hi int) {
		for r := lo; r < hi; {
			bi, row := r/m, r%m
			end := min(hi-bi*m, m)
			sgemmRows(transA, transB, row, end, n, k, alpha, a[bi*strideA:], lda, b[bi*strideB:], ldb, beta, c[bi*strideC:], ldc)
			r = bi*m + end
		}
	})
}

// sgemmRows computes rows [lo,hi) of C. It is the portable reference path:
// B is accessed row-wise in the inner loop so that it vectorises well.
func sgemmRows(transA, transB bool, lo, hi, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := lo; i < hi; i++ {
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(ci)
		} else if beta != 1 {
			for j := range ci {
				ci[j] *= beta
			}
		}
		for p := 0; p < k; p++ {
			var av float32
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			if transB {
				for j := range ci {
					ci[j] += av * b[j*ldb+p]
				}
			} else {
				bp := b[p*ldb : p*ldb+n]
				for j, bv := range bp {
					ci[j] += av * bv
				}
			}
		}
	}
}
