package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSgemmSmall checks SgemmSmall against a float64 reference on every
// tier, over row counts that hit the four-row blocks and the single-row
// tail, widths that hit every strip kernel and the Go columns past the
// last multiple of 4, row-major and transposed A, strided B and C, and
// beta 0 (C not read: it holds NaN), 1 and another value. Writes outside C
// are caught by guard bands.
func TestSgemmSmall(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, m := range []int{1, 3, 4, 5, 16, 17} {
			for _, n := range []int{1, 4, 6, 8, 12, 16, 20, 24, 27, 32, 48, 70} {
				for _, k := range []int{0, 1, 4, 16, 24, 33} {
					for _, trans := range []bool{false, true} {
						for _, beta := range []float32{0, 1, -0.5} {
							name := fmt.Sprintf("m%d_n%d_k%d_t%v_b%v", m, n, k, trans, beta)
							checkSmall(t, r, name, m, n, k, trans, 1.5, beta)
						}
					}
				}
			}
		}
	})
}

func checkSmall(t *testing.T, r *rand.Rand, name string, m, n, k int, trans bool, alpha, beta float32) {
	t.Helper()
	lda, ldb, ldc := k+3, n+5, n+2
	ars, acs := lda, 1
	if trans {
		lda = m + 3
		ars, acs = 1, lda
	}
	rowsA := m
	if trans {
		rowsA = k
	}
	a := randSlice(r, max(1, rowsA*lda))
	b := randSlice(r, max(1, k*ldb))
	cbuf, c := guarded(m * ldc)
	c0 := randSlice(r, m*ldc)
	for i := range c {
		c[i] = c0[i]
		if beta == 0 && i%ldc < n {
			c[i] = float32(math.NaN())
		}
	}
	SgemmSmall(m, n, k, alpha, a, ars, acs, b, ldb, beta, c, ldc)
	checkGuard(t, name, cbuf, m*ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var want, scale float64
			for p := 0; p < k; p++ {
				x := float64(a[i*ars+p*acs]) * float64(b[p*ldb+j])
				want += x
				scale += math.Abs(x)
			}
			want *= float64(alpha)
			scale = scale*math.Abs(float64(alpha)) + 1
			if beta != 0 {
				want += float64(beta) * float64(c0[i*ldc+j])
				scale += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
			}
			if got := c[i*ldc+j]; !closeTo(got, want, scale, 1e-6) {
				t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i, j, got, want)
			}
		}
		for j := n; j < ldc && i < m-1; j++ {
			if c[i*ldc+j] != c0[i*ldc+j] {
				t.Fatalf("%s: C[%d,%d] past the %d columns was written", name, i, j, n)
			}
		}
	}
}

// TestSgemmSmallErrors checks that misuse names the op and the operand.
func TestSgemmSmallErrors(t *testing.T) {
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"short A", func() {
			SgemmSmall(2, 4, 3, 1, make([]float32, 5), 3, 1, make([]float32, 12), 4, 0, make([]float32, 8), 4)
		}, "A is 2x3"},
		{"short B", func() {
			SgemmSmall(2, 4, 3, 1, make([]float32, 6), 3, 1, make([]float32, 11), 4, 0, make([]float32, 8), 4)
		}, "B is 3x4"},
		{"short C", func() {
			SgemmSmall(2, 4, 3, 1, make([]float32, 6), 3, 1, make([]float32, 12), 4, 0, make([]float32, 7), 4)
		}, "C is 2x4"},
		{"negative", func() { SgemmSmall(-1, 4, 3, 1, nil, 3, 1, nil, 4, 0, nil, 4) }, "negative"},
		{"transpose", func() { Transpose(make([]float32, 5), 2, make([]float32, 6), 3, 2, 3) }, "dst is 3x2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				var ae *ArgError
				err, _ := recover().(error)
				if !errors.As(err, &ae) || !strings.Contains(ae.Error(), tc.want) {
					t.Fatalf("panic %v, want an ArgError with %q", err, tc.want)
				}
			}()
			tc.f()
		})
	}
}

// TestTranspose covers the 8×8 and 4×4 block paths and the element loop
// for the edges, on every tier, with guard bands around dst.
func TestTranspose(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, sh := range [][2]int{{1, 1}, {3, 5}, {4, 4}, {4, 24}, {5, 6}, {8, 8}, {16, 16}, {17, 9}, {12, 20}, {24, 4}, {33, 40}} {
			rows, cols := sh[0], sh[1]
			ldx, ldd := cols+7, rows+3
			x := randSlice(r, rows*ldx)
			buf, dst := guarded(cols * ldd)
			Transpose(dst, ldd, x, ldx, rows, cols)
			checkGuard(t, fmt.Sprint(sh), buf, cols*ldd)
			for i := 0; i < rows; i++ {
				for j := 0; j < cols; j++ {
					if dst[j*ldd+i] != x[i*ldx+j] {
						t.Fatalf("%dx%d: dst[%d,%d] = %v, want %v", rows, cols, j, i, dst[j*ldd+i], x[i*ldx+j])
					}
				}
			}
		}
	})
}

// BenchmarkSgemmSmall compares SgemmSmall with Sgemm on the per-head
// products of the MAE encoder (4 tokens, heads of 24) and decoder (16
// tokens, heads of 16).
func BenchmarkSgemmSmall(b *testing.B) {
	for _, sh := range [][3]int{{4, 4, 24}, {4, 24, 4}, {16, 16, 16}} {
		m, n, k := sh[0], sh[1], sh[2]
		r := rand.New(rand.NewPCG(1, 2))
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		b.Run(fmt.Sprintf("small/%dx%dx%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				SgemmSmall(m, n, k, 1, a, k, 1, bb, n, 0, c, n)
			}
		})
		b.Run(fmt.Sprintf("sgemm/%dx%dx%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
		})
	}
}

func BenchmarkTransposeHead(b *testing.B) {
	x := make([]float32, 16*192)
	dst := make([]float32, 256)
	for b.Loop() {
		Transpose(dst, 16, x, 192, 16, 16)
	}
}

// TestSgemmBias checks SgemmBias against Sgemm plus the bias on every tier
// and at 1 and 2 threads (the split path), with k over several k blocks,
// widths that leave edge tiles, both transposes, and C holding NaN before
// (it is not read).
func TestSgemmBias(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, th := range []int{1, 2} {
			SetThreads(th)
			for _, sh := range [][3]int{{1, 1, 1}, {7, 20, 5}, {64, 96, 64}, {130, 72, 900}, {300, 300, 40}, {6, 8, 0}} {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
					m, n, k := sh[0], sh[1], sh[2]
					lda, ldb := k, n
					if tr[0] {
						lda = m
					}
					if tr[1] {
						ldb = k
					}
					a, b, bias := randSlice(r, max(1, m*k)), randSlice(r, max(1, k*n)), randSlice(r, n)
					want := make([]float32, m*n)
					Sgemm(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 0, want, n)
					buf, c := guarded(m * n)
					for i := range c {
						c[i] = float32(math.NaN())
					}
					SgemmBias(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, bias, c, n)
					checkGuard(t, "SgemmBias", buf, m*n)
					checkBiased(t, "SgemmBias", th, sh, tr, c, want, bias, k)
					// The bf16 version against SgemmBF16 on the same operands.
					a16, b16 := make([]uint16, len(a)), make([]uint16, len(b))
					F32ToBF16(a16, a)
					F32ToBF16(b16, b)
					SgemmBF16(tr[0], tr[1], m, n, k, 0.5, a16, lda, b16, ldb, 0, want, n)
					for i := range c {
						c[i] = float32(math.NaN())
					}
					SgemmBF16Bias(tr[0], tr[1], m, n, k, 0.5, a16, lda, b16, ldb, bias, c, n)
					checkGuard(t, "SgemmBF16Bias", buf, m*n)
					checkBiased(t, "SgemmBF16Bias", th, sh, tr, c, want, bias, k)
				}
			}
		}
		SetThreads(0)
	})
}

// checkBiased checks that c (m×n, row-major) is want plus bias in every
// row.
func checkBiased(t *testing.T, op string, threads int, sh [3]int, tr [2]bool, c, want, bias []float32, k int) {
	t.Helper()
	n := len(bias)
	for i := 0; i < len(c)/max(1, n); i++ {
		for j := 0; j < n; j++ {
			w := float64(want[i*n+j]) + float64(bias[j])
			if !closeTo(c[i*n+j], w, math.Abs(w)+float64(k), 1e-5) {
				t.Fatalf("%s threads %d %v %v: C[%d,%d] = %g, want %g", op, threads, sh, tr, i, j, c[i*n+j], w)
			}
		}
	}
}

// TestSgemmSmallGeneralStrides covers an A whose rows and columns are both
// strided (neither row-major nor transposed), which no tier maps onto
// Sgemm.
func TestSgemmSmallGeneralStrides(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		const m, n, k, ars, acs = 5, 12, 7, 17, 2
		a, b, c := randSlice(r, (m-1)*ars+(k-1)*acs+1), randSlice(r, k*n), make([]float32, m*n)
		SgemmSmall(m, n, k, 1, a, ars, acs, b, n, 0, c, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var want float64
				for p := 0; p < k; p++ {
					want += float64(a[i*ars+p*acs]) * float64(b[p*n+j])
				}
				if !closeTo(c[i*n+j], want, math.Abs(want)+1, 1e-6) {
					t.Fatalf("C[%d,%d] = %g, want %g", i, j, c[i*n+j], want)
				}
			}
		}
	})
}
