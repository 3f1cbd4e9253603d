package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmCase is one GEMM call to check against the float64 reference.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int // extra leading-dimension elements
	padC           int
	bf16           bool
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g pad=%d/%d/%d bf16=%v",
		c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.beta, c.padA, c.padB, c.padC, c.bf16)
}

// dims returns rows, cols and leading dimension of A and B as stored.
func (c gemmCase) dims() (ar, ac, lda, br, bc, ldb int) {
	ar, ac = c.m, c.k
	if c.transA {
		ar, ac = c.k, c.m
	}
	br, bc = c.k, c.n
	if c.transB {
		br, bc = c.n, c.k
	}
	return ar, ac, ac + c.padA, br, bc, bc + c.padB
}

// fillMat returns a stored matrix whose padding columns are NaN, so that a
// kernel reading them poisons its result.
func fillMat(r *rand.Rand, rows, cols, ld int, bf bool) ([]float32, []uint16) {
	x := make([]float32, needLen(rows, cols, ld))
	for i := range x {
		if i%ld < cols {
			x[i] = float32(r.NormFloat64())
		} else {
			x[i] = float32(math.NaN())
		}
	}
	if !bf {
		return x, nil
	}
	h := make([]uint16, len(x))
	F32ToBF16(h, x)
	BF16ToF32(x, h)
	return x, h
}

func runGemmCase(t testing.TB, r *rand.Rand, c gemmCase) {
	t.Helper()
	ar, ac, lda, br, bc, ldb := c.dims()
	a, a16 := fillMat(r, ar, ac, lda, c.bf16)
	b, b16 := fillMat(r, br, bc, ldb, c.bf16)
	ldc := c.n + c.padC
	cn := needLen(c.m, c.n, ldc)
	cbuf, cm := guarded(cn)
	c0 := make([]float32, cn)
	for i := range cm {
		if i%ldc < c.n {
			if c.beta == 0 {
				cm[i] = float32(math.NaN()) // must not be read
			} else {
				cm[i] = float32(r.NormFloat64())
			}
		}
		c0[i] = cm[i]
	}
	if c.bf16 {
		SgemmBF16(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a16, lda, b16, ldb, c.beta, cm, ldc)
	} else {
		Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
	}
	checkGuard(t, c.String(), cbuf, cn)
	checkGemmResult(t, c, a, lda, b, ldb, c0, cm, ldc)
}

func checkGemmResult(t testing.TB, c gemmCase, a []float32, lda int, b []float32, ldb int, c0, cm []float32, ldc int) {
	t.Helper()
	at := func(i, p int) float64 {
		if c.transA {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	bt := func(p, j int) float64 {
		if c.transB {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	tol := 2e-7 * float64(c.k+8)
	for i := 0; i < c.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(cm); j++ {
			got := cm[i*ldc+j]
			if j >= c.n { // padding of C must be left alone
				if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
					t.Fatalf("%v: C padding (%d,%d) changed", c, i, j)
				}
				continue
			}
			var s, sa float64
			if c.alpha != 0 {
				for p := 0; p < c.k; p++ {
					v := at(i, p) * bt(p, j)
					s += v
					sa += math.Abs(v)
				}
			}
			want := float64(c.alpha) * s
			scale := math.Abs(float64(c.alpha)) * sa
			if c.beta != 0 {
				want += float64(c.beta) * float64(c0[i*ldc+j])
				scale += math.Abs(float64(c.beta) * float64(c0[i*ldc+j]))
			}
			if !closeTo(got, want, scale, tol) {
				t.Fatalf("%v: C(%d,%d) = %g, want %g", c, i, j, got, want)
			}
		}
	}
}

var alphaBeta = [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}, {0.75, -1}}

// smallSweep covers every m, n and k in 1..70 (each with the others at a
// few fixed sizes), every transpose combination and the alpha/beta cases.
func smallSweep(bf16 bool) []gemmCase {
	var cs []gemmCase
	others := [][2]int{{1, 1}, {7, 33}, {70, 17}}
	i := 0
	add := func(m, n, k int) {
		ab := alphaBeta[i%len(alphaBeta)]
		pad := (i % 3) * 5
		cs = append(cs, gemmCase{transA: i&1 != 0, transB: i&2 != 0, m: m, n: n, k: k,
			alpha: ab[0], beta: ab[1], padA: pad, padB: (pad + 3) % 7, padC: pad % 4, bf16: bf16})
		i++
	}
	for d := 1; d <= 70; d++ {
		for _, o := range others {
			add(d, o[0], o[1])
			add(o[0], d, o[1])
			add(o[0], o[1], d)
		}
	}
	// All transposes and alpha/beta cases on a few awkward shapes.
	for _, s := range [][3]int{{13, 37, 29}, {33, 65, 70}, {64, 64, 64}} {
		for tr := 0; tr < 4; tr++ {
			for _, ab := range alphaBeta {
				cs = append(cs, gemmCase{transA: tr&1 != 0, transB: tr&2 != 0, m: s[0], n: s[1], k: s[2],
					alpha: ab[0], beta: ab[1], padA: 3, padB: 1, padC: 2, bf16: bf16})
			}
		}
	}
	// alpha = 0 and k = 0 scale C only.
	cs = append(cs, gemmCase{m: 5, n: 6, k: 7, alpha: 0, beta: 2, bf16: bf16},
		gemmCase{m: 5, n: 6, k: 0, alpha: 1, beta: 0, bf16: bf16},
		gemmCase{m: 0, n: 6, k: 3, alpha: 1, beta: 0, bf16: bf16})
	return cs
}

func TestSgemmSmallShapes(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, th := range []int{1, 2} {
			SetThreads(th)
			for _, c := range smallSweep(false) {
				runGemmCase(t, r, c)
			}
		}
		SetThreads(0)
	})
}

func TestSgemmBF16SmallShapes(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		SetThreads(2)
		defer SetThreads(0)
		for _, c := range smallSweep(true) {
			runGemmCase(t, r, c)
		}
	})
}

// TestSgemmRandomAndBlocked runs random shapes with the tier's blocking and
// with tiny blocks, so that every loop of the driver takes several trips.
func TestSgemmRandomAndBlocked(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		run := func() {
			for i := 0; i < 24; i++ {
				ab := alphaBeta[r.IntN(len(alphaBeta))]
				c := gemmCase{transA: r.IntN(2) == 0, transB: r.IntN(2) == 0,
					m: 1 + r.IntN(140), n: 1 + r.IntN(140), k: 1 + r.IntN(140),
					alpha: ab[0], beta: ab[1], padA: r.IntN(4), padB: r.IntN(4), padC: r.IntN(4), bf16: i%3 == 0}
				runGemmCase(t, r, c)
			}
		}
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			run()
		}
		saved := *curGemm
		curGemm.kc, curGemm.mc, curGemm.nc = 6, 2*curGemm.mr, 2*curGemm.nr
		defer func() { *curGemm = saved; SetThreads(0) }()
		for _, th := range []int{1, 2} {
			SetThreads(th)
			run()
		}
	})
}

// TestSgemmLarge checks a product big enough to use every thread and the
// full blocking.
func TestSgemmLarge(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		SetThreads(2)
		defer SetThreads(0)
		runGemmCase(t, r, gemmCase{m: 211, n: 197, k: 400, alpha: 1, beta: 0.5, padA: 1, padC: 3})
		runGemmCase(t, r, gemmCase{transA: true, transB: true, m: 97, n: 400, k: 300, alpha: 1, beta: 0, bf16: true})
		// Fewer row blocks than threads: the columns are split instead.
		runGemmCase(t, r, gemmCase{m: 5, n: 700, k: 200, alpha: 1, beta: 1, padB: 3})
		runGemmCase(t, r, gemmCase{m: 20, n: 700, k: 160, alpha: 1, beta: 0, bf16: true})
	})
}

func TestSgemmBatched(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, th := range []int{1, 2} {
			SetThreads(th)
			for i := 0; i < 24; i++ {
				c := gemmCase{transA: i&1 != 0, transB: i&2 != 0, m: 1 + r.IntN(40), n: 1 + r.IntN(40), k: 1 + r.IntN(40),
					alpha: 1, beta: float32(i % 2), padA: i % 3, padB: i % 2, padC: i % 4, bf16: i%4 == 3}
				if i%5 == 4 {
					c.m, c.n, c.k = 70, 90, 80 // big enough to run each product on all threads
				}
				batch := 1 + r.IntN(5)
				ar, ac, lda, br, bc, ldb := c.dims()
				ldc := c.n + c.padC
				sa, sb := needLen(ar, ac, lda)+r.IntN(3), needLen(br, bc, ldb)+r.IntN(3)
				if i%6 == 1 {
					sa = 0 // shared A
				}
				if i%6 == 2 {
					sb = 0 // shared B
				}
				sc := needLen(c.m, c.n, ldc) + 1 + r.IntN(3)
				a := make([]float32, sa*(batch-1)+needLen(ar, ac, lda))
				b := make([]float32, sb*(batch-1)+needLen(br, bc, ldb))
				for j := range a {
					a[j] = float32(r.NormFloat64())
				}
				for j := range b {
					b[j] = float32(r.NormFloat64())
				}
				var a16, b16 []uint16
				if c.bf16 {
					a16, b16 = make([]uint16, len(a)), make([]uint16, len(b))
					F32ToBF16(a16, a)
					F32ToBF16(b16, b)
					BF16ToF32(a, a16)
					BF16ToF32(b, b16)
				}
				cn := sc*(batch-1) + needLen(c.m, c.n, ldc)
				cbuf, cm := guarded(cn)
				for j := range cm {
					cm[j] = float32(r.NormFloat64())
				}
				c0 := append([]float32(nil), cm...)
				if c.bf16 {
					SgemmBF16Batched(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a16, lda, sa, b16, ldb, sb, c.beta, cm, ldc, sc, batch)
				} else {
					SgemmBatched(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, sa, b, ldb, sb, c.beta, cm, ldc, sc, batch)
				}
				checkGuard(t, c.String(), cbuf, cn)
				for bi := 0; bi < batch; bi++ {
					end := bi*sc + needLen(c.m, c.n, ldc)
					checkGemmResult(t, c, a[bi*sa:], lda, b[bi*sb:], ldb, c0[bi*sc:end], cm[bi*sc:end], ldc)
					if bi < batch-1 {
						for j := end; j < (bi+1)*sc; j++ {
							if math.Float32bits(cm[j]) != math.Float32bits(c0[j]) {
								t.Fatalf("%v batch %d: write between matrices at %d", c, bi, j)
							}
						}
					}
				}
			}
		}
		SetThreads(0)
	})
}

func TestSgemmArgErrors(t *testing.T) {
	cases := []func(){
		func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) },
		func() {
			SgemmBatched(false, false, 2, 2, 2, 1, make([]float32, 4), 2, 4, make([]float32, 8), 2, 4, 0, make([]float32, 8), 2, 4, 2)
		},
	}
	for i, f := range cases {
		func() {
			defer func() {
				r := recover()
				if _, ok := r.(*ArgError); !ok {
					t.Errorf("case %d: panic %v, want *ArgError", i, r)
				}
			}()
			f()
		}()
	}
}

// TestSgemmSplitAcrossThreads covers gemmSplit (a product cut into column
// or row shares, one per thread) against the reference, and checks that
// its result is bit-identical to the single-threaded one.
func TestSgemmSplitAcrossThreads(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		defer SetThreads(0)
		r := rand.New(rand.NewPCG(11, 12))
		for i, c := range []gemmCase{
			{m: 150, n: 300, k: 90, alpha: 1, beta: 0, padA: 2, padB: 1, padC: 5},               // columns
			{transA: true, transB: true, m: 97, n: 260, k: 130, alpha: 0.5, beta: 1.5, padC: 1}, // columns, transposed
			{transB: true, m: 400, n: 70, k: 100, alpha: 1, beta: 0, padB: 3},                   // rows
			{transA: true, m: 333, n: 100, k: 64, alpha: -1, beta: 1, padA: 1, bf16: true},      // rows, bf16
			{m: 129, n: 1000, k: 40, alpha: 1, beta: 0, bf16: true},                             // columns, bf16
		} {
			for _, th := range []int{2, 3} {
				SetThreads(th)
				runGemmCase(t, r, c)
			}
			ar, ac, lda, br, bc, ldb := c.dims()
			a, a16 := fillMat(r, ar, ac, lda, c.bf16)
			b, b16 := fillMat(r, br, bc, ldb, c.bf16)
			ldc := c.n + c.padC
			var want []float32
			for _, th := range []int{1, 2, 3} {
				SetThreads(th)
				got := make([]float32, needLen(c.m, c.n, ldc))
				if c.bf16 {
					SgemmBF16(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a16, lda, b16, ldb, 0, got, ldc)
				} else {
					Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, 0, got, ldc)
				}
				if want == nil {
					want = got
					continue
				}
				for e := range got {
					if math.Float32bits(got[e]) != math.Float32bits(want[e]) {
						t.Fatalf("case %d (%v): %d threads differ from 1 at %d: %g vs %g", i, c, th, e, got[e], want[e])
					}
				}
			}
		}
	})
}
