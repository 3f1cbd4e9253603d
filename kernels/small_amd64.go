//go:build amd64 && !purego

package kernels

// The small-product kernels (small_amd64.s, see kernels/internal/asmgen):
// C[i,0:N] = alpha·Σ_p A(i,p)·B[p,0:N] + beta·C[i,0:N] for i < m.

//go:noescape
func smallAVX2N4(m, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func smallAVX2N8(m, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func smallAVX2N16(m, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func smallAVX2N24(m, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// smallAVX2 runs the kernel for a strip of w (4, 8, 16 or 24) columns.
func smallAVX2(w, m, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	switch w {
	case 24:
		smallAVX2N24(m, k, a, ars, acs, b, ldb, c, ldc, alpha, beta)
	case 16:
		smallAVX2N16(m, k, a, ars, acs, b, ldb, c, ldc, alpha, beta)
	case 8:
		smallAVX2N8(m, k, a, ars, acs, b, ldb, c, ldc, alpha, beta)
	default:
		smallAVX2N4(m, k, a, ars, acs, b, ldb, c, ldc, alpha, beta)
	}
}

// transpose8AVX2 and transpose4AVX2 (transpose_amd64.s) transpose one 8×8
// or 4×4 block: dst[j·ldd+i] = x[i·ldx+j].
//
//go:noescape
func transpose8AVX2(dst *float32, ldd int, x *float32, ldx int)

//go:noescape
func transpose4AVX2(dst *float32, ldd int, x *float32, ldx int)

// copyRows16AVX2 and copyRows6AVX2 (transpose_amd64.s) copy rows rows of
// 16 or 6 floats, ld apart in x, to consecutive rows of d: the packing of
// full B panels of a non-transposed B and full A panels of a transposed A.
//
//go:noescape
func copyRows16AVX2(d, x *float32, ld, rows int)

//go:noescape
func copyRows6AVX2(d, x *float32, ld, rows int)

// addBiasAVX2 (transpose_amd64.s): c[i·ldc+j] += bias[j] for i < rows,
// j < cols, cols a multiple of 8.
//
//go:noescape
func addBiasAVX2(c *float32, ldc int, bias *float32, rows, cols int)
