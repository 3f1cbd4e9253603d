package kernels

import (
	"math"
	"sync"
	"unsafe"
)

// GEMM follows the BLIS/Goto design. The loops, outermost first:
//
//	jc: NC columns of B and C            (packed B block, KC×NC, lives in L2)
//	pc: KC of the shared dimension       (B block packed once, by all threads)
//	ic: MC rows of A and C, one task     (A block, MC×KC, packed unless read in place)
//	ir: MR rows                          (A micro-panel, MR×KC, stays in L1)
//	jr: NR columns                       (B micro-panels stream from L2)
//	micro-kernel: an MR×NR tile of C in registers, KC rank-1 updates.
//
// Packing copies the operands into the order the micro-kernel reads them and
// zero-pads partial panels, so the kernel always runs full tiles; tiles that
// cross the edge of C go through a small buffer. Transposes are handled by
// the packing routines only.

// microKernel computes C[0:MR,0:NR] = alpha·Â·B̂ + beta·C for packed panels:
// Â holds kc groups of MR values, B̂ kc groups of NR values (for the bf16
// pair kernel a "value" is a pair of bf16 in 32 bits). C has leading
// dimension ldc. beta == 0 means C is not read.
type microKernel func(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// rowKernel is a microKernel that reads Â row by row: A(i,p) at a[i·lda+p]
// (in 32-bit slots), so a non-transposed A needs no packing.
type rowKernel func(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

// gemmImpl is one tier's GEMM: its tile shape, kernels and blocking.
type gemmImpl struct {
	name     string
	mr, nr   int
	kern     microKernel
	bf16Kern microKernel // bf16-pair kernel (VDPBF16PS); nil: widen to f32
	// kernRow and bf16KernRow, when set, read Â row by row: straight from
	// a non-transposed f32 A, or from panels packed by plain row copies.
	kernRow, bf16KernRow rowKernel
	// kernHalf and kernHalfRow, when set, are kern and kernRow for tiles
	// of the first nr/2 columns of a panel (f32 only).
	kernHalf    microKernel
	kernHalfRow rowKernel
	kc, mc, nc  int  // blocking in elements of k (f32), rows, columns
	amx         bool // bf16 GEMM with alpha 1 runs on AMX tiles (gemmAMX)
}

// gemmSrc describes where the packing routines read the operands from.
type gemmSrc struct {
	a32, b32       []float32
	a16, b16       []uint16
	lda, ldb       int
	transA, transB bool
	pairs          bool // pack bf16 as pairs for bf16Kern
	rowA           bool // pack A panels row by row (for kernRow)
	offA, offB     int  // batch offsets
	kunit          int  // k elements per packed slot: 1, or 2 for pairs
	m, n, k        int
	alpha, beta    float32
	c              []float32
	ldc, offC      int
	threads        int
	// bias, when set, is added to every row of C (from column offBias on)
	// in the first k block, whose beta is then 0: SgemmBias.
	bias    []float32
	offBias int
}

// smallGemmFlops is the work under which a GEMM runs on one thread: waking
// the pool costs a few microseconds.
const smallGemmFlops = 1 << 20

// Packing buffers come from two pools, one for the shared B blocks and one
// for the per-task A blocks, so that a GEMM in steady state finds buffers of
// the right size instead of allocating.
var bufPoolB, bufPoolA sync.Pool

// getBuf returns a 64-byte aligned buffer of at least n float32 from pool.
func getBuf(pool *sync.Pool, n int) (*[]float32, []float32) {
	p, _ := pool.Get().(*[]float32)
	if p == nil || cap(*p) < n+16 {
		s := make([]float32, n+16)
		p = &s
	}
	s := (*p)[:cap(*p)]
	off := int((64 - uintptr(unsafe.Pointer(&s[0]))%64) % 64 / 4)
	return p, s[off : off+n]
}

func putBuf(pool *sync.Pool, p *[]float32) { pool.Put(p) }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// balanced is the block size that covers n in as few blocks of at most b
// as possible, all of about the same size (2048 in blocks of 640 becomes
// 4×512, not 3×640 and a thin 128).
func balanced(n, b int) int {
	blocks := (n + b - 1) / b
	return (n + blocks - 1) / blocks
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or its transpose. op(A) is m×k, op(B) is k×n and C is m×n.
// lda, ldb and ldc are the leading dimensions of A, B and C as stored (so for
// transA, A is stored k×m and lda ≥ m). When beta is 0, C is not read, so it
// may hold NaNs; when alpha is 0 or k is 0, A and B are not read.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm("Sgemm", transA, transB, m, n, k, lda, len(a), ldb, len(b), ldc, len(c))
	s := gemmSrc{a32: a, b32: b, lda: lda, ldb: ldb, transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc, threads: Threads()}
	gemmRun(s)
}

// SgemmBias computes C = alpha·op(A)·op(B) + bias, with bias (n long)
// added to every row of C: a Linear layer's output in one pass, the bias
// added to each tile while it is in registers' reach rather than written
// into C first or added over C afterwards. C is not read.
func SgemmBias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int) {
	checkGemm("SgemmBias", transA, transB, m, n, k, lda, len(a), ldb, len(b), ldc, len(c))
	runBiasGemm("SgemmBias", gemmSrc{a32: a, b32: b, lda: lda, ldb: ldb, transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: alpha, c: c, ldc: ldc}, bias)
}

// runBiasGemm checks bias and runs s with it (SgemmBias, SgemmBF16Bias).
func runBiasGemm(op string, s gemmSrc, bias []float32) {
	if len(bias) < s.n {
		argPanic(op, "bias has %d elements, need %d", len(bias), s.n)
	}
	s.bias, s.threads = bias, Threads()
	gemmRun(s)
}

// SgemmBatched runs batch independent Sgemm calls; the i-th uses the
// matrices that start at i·strideA, i·strideB and i·strideC. A stride of 0
// shares one matrix across the batch (for C only with batch 1).
func SgemmBatched(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if batch < 0 || strideA < 0 || strideB < 0 || strideC < 0 {
		argPanic("SgemmBatched", "negative batch %d or stride (%d, %d, %d)", batch, strideA, strideB, strideC)
	}
	if batch == 0 {
		return
	}
	la, lb, lc := batchLen(len(a), strideA, batch), batchLen(len(b), strideB, batch), batchLen(len(c), strideC, batch)
	checkGemm("SgemmBatched", transA, transB, m, n, k, lda, la, ldb, lb, ldc, lc)
	s := gemmSrc{a32: a, b32: b, lda: lda, ldb: ldb, transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc}
	gemmBatch(&s, strideA, strideB, strideC, batch)
}

// batchLen is the length available to the last matrix of a batch.
func batchLen(n, stride, batch int) int { return n - (batch-1)*stride }

func checkGemm(op string, transA, transB bool, m, n, k, lda, na, ldb, nb, ldc, nc int) {
	if m < 0 || n < 0 || k < 0 {
		argPanic(op, "negative size m=%d n=%d k=%d", m, n, k)
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat(op, "A", ar, ac, lda, na)
	checkMat(op, "B", br, bc, ldb, nb)
	checkMat(op, "C", m, n, ldc, nc)
}

// gemmBatch runs a batch: many small products run one per thread, a few
// large ones each use every thread.
func gemmBatch(s *gemmSrc, strideA, strideB, strideC, batch int) {
	t := Threads()
	flops := 2 * s.m * s.n * s.k
	if batch >= t || flops < smallGemmFlops {
		Parallel(batch, func(lo, hi int) {
			bs := *s
			bs.threads = 1
			for i := lo; i < hi; i++ {
				bs.offA, bs.offB, bs.offC = i*strideA, i*strideB, i*strideC
				gemmRun(bs)
			}
		})
		return
	}
	for i := 0; i < batch; i++ {
		bs := *s
		bs.threads = t
		bs.offA, bs.offB, bs.offC = i*strideA, i*strideB, i*strideC
		gemmRun(bs)
	}
}

// scaleC sets C = beta·C (C = 0 when beta is 0, without reading C).
func scaleC(c []float32, m, n, ldc int, beta float32) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// gemmRun runs one product through the five loops.
func gemmRun(s gemmSrc) {
	m, n, k := s.m, s.n, s.k
	if m == 0 || n == 0 {
		return
	}
	c := s.c[s.offC:]
	if k == 0 || s.alpha == 0 {
		if s.bias != nil {
			s.foldBias()
		}
		scaleC(c, m, n, s.ldc, s.beta)
		return
	}
	if flops := 2 * m * n * k; splitGemm && s.threads > 1 && flops >= smallGemmFlops &&
		(n >= s.threads*splitMin || m >= s.threads*splitMin) && (n >= m || flops < splitMaxTall) {
		gemmSplit(s)
		return
	}
	g := curGemm
	if s.a16 != nil && g.amx {
		if s.bias != nil {
			s.foldBias() // the AMX kernels have no per-tile bias
		}
		if s.alpha == 1 {
			gemmAMX(&s)
			return
		}
		// C = alpha·(A·B + (beta/alpha)·C): AMX accumulates with alpha 1,
		// then one pass scales C; for an alpha whose inverse is finite.
		if a := math.Abs(float64(s.alpha)); a >= 1e-30 && a <= 1e30 {
			s2 := s
			s2.alpha, s2.beta = 1, s.beta/s.alpha
			gemmAMX(&s2)
			scaleC(c, m, n, s.ldc, s.alpha)
			return
		}
	}
	j := jobPool.Get().(*gemmJob)
	j.run(&s, g)
	j.s = gemmSrc{} // drop references to the caller's slices
	jobPool.Put(j)
}

// splitGemm makes a multi-threaded GEMM one fork-join: each thread runs
// the whole single-threaded algorithm on its own share of the columns (or
// rows, when there are few columns), packing its own B panels, instead of
// every thread taking row blocks of a shared B block with two barriers per
// block. On two cores the barriers (and waking the other thread for each)
// cost more than the packing shared B saves; the split also keeps each
// thread's B block in its own L2. A variable so that BenchmarkGemmSplit
// can compare.
var splitGemm = true

// splitMin is the smallest share a thread gets, in columns or rows.
const splitMin = 64

// splitMaxTall bounds the split for products with more rows than columns:
// above it (4096×1024×256, say) the shared-B row blocks measured faster,
// AMX by up to 25%, as each thread would otherwise pack all of B itself or
// read all of a tall A.
const splitMaxTall = 1 << 26

// gemmSplit runs s on s.threads threads, each on a contiguous share of the
// columns of C (multiples of 64), or of the rows when the columns are too
// few. Every element is computed as the single-threaded GEMM computes it,
// so results do not depend on the thread count.
func gemmSplit(s gemmSrc) {
	t := s.threads
	byCols := s.n >= t*splitMin
	total := s.m
	if byCols {
		total = s.n
	}
	units := (total + splitMin - 1) / splitMin
	t = min(t, units)
	parallelN(t, t, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			u0, u1 := p*units/t*splitMin, min(total, (p+1)*units/t*splitMin)
			part := s
			part.threads = 1
			if byCols {
				part.n = u1 - u0
				part.offC += u0
				part.offBias += u0
				if s.transB {
					part.offB += u0 * s.ldb
				} else {
					part.offB += u0
				}
			} else {
				part.m = u1 - u0
				part.offC += u0 * s.ldc
				if s.transA {
					part.offA += u0
				} else {
					part.offA += u0 * s.lda
				}
			}
			gemmRun(part)
		}
	})
}

// gemmJob holds one GEMM's loop state, so that the parallel loop bodies
// are method values made once per pooled job rather than closures made per
// call (a GEMM then allocates nothing in steady state on one thread).
type gemmJob struct {
	s                       gemmSrc
	kern, hkern             microKernel // hkern: nr/2-column tiles, or nil
	rkern, hrkern           rowKernel
	direct                  bool
	m, n, mr, nr, mc        int
	mBlocks, nSplit         int
	jc, nc, np, pc, kc, kcs int
	beta                    float32
	bbuf                    []float32
	packBFn, workFn         func(lo, hi int)
}

var jobPool = sync.Pool{New: func() any {
	j := new(gemmJob)
	j.packBFn, j.workFn = j.packBRange, j.workRange
	return j
}}

func (j *gemmJob) run(src *gemmSrc, g *gemmImpl) {
	j.s = *src
	s := &j.s
	m, n, k := s.m, s.n, s.k
	j.kern, j.rkern, j.hkern, j.hrkern = g.kern, nil, nil, nil
	s.kunit = 1
	s.pairs = false
	s.rowA = false
	if s.a16 != nil && g.bf16Kern != nil {
		j.kern, s.kunit, s.pairs = g.bf16Kern, 2, true
		if !s.transA && g.bf16KernRow != nil {
			j.rkern, s.rowA = g.bf16KernRow, true
		}
	} else {
		j.hkern = g.kernHalf
		if !s.transA && g.kernRow != nil {
			j.rkern, s.rowA, j.hrkern = g.kernRow, true, g.kernHalfRow
		}
	}
	// A non-transposed f32 A is read in place by the row kernel; only
	// panels that cross the bottom edge are packed (zero-padded).
	j.direct = s.rowA && s.a32 != nil && directA
	threads := s.threads
	if 2*m*n*k < smallGemmFlops {
		threads = 1
	}
	j.m, j.n, j.mr, j.nr = m, n, g.mr, g.nr
	kcMax := roundUp(balanced(k, g.kc), s.kunit)
	ncMax := roundUp(balanced(n, g.nc), j.nr)
	// Rows per task: at most MC, in a number of blocks that is a multiple
	// of the thread count, all of about the same size.
	j.mc = rowBlock(m, g.mc, j.mr, threads)
	j.mBlocks = (m + j.mc - 1) / j.mc
	j.nSplit = 1
	if j.mBlocks < threads {
		j.nSplit = threads
	}
	bp, bbuf := getBuf(&bufPoolB, kcMax/s.kunit*ncMax)
	defer putBuf(&bufPoolB, bp)
	j.bbuf = bbuf
	for j.jc = 0; j.jc < n; j.jc += ncMax {
		j.nc = min(ncMax, n-j.jc)
		j.np = (j.nc + j.nr - 1) / j.nr
		for j.pc = 0; j.pc < k; j.pc += kcMax {
			j.kc = min(kcMax, k-j.pc)
			j.kcs = (j.kc + s.kunit - 1) / s.kunit // packed slots per row/column
			j.beta = s.beta
			if j.pc > 0 {
				j.beta = 1
			}
			tasks := j.mBlocks * j.nSplit
			if threads > 1 {
				parallelN(threads, j.np, j.packBFn)
				parallelItems(threads, tasks, j.workFn)
			} else {
				j.packBRange(0, j.np)
				j.workRange(0, tasks)
			}
		}
	}
	j.bbuf = nil
}

// packBRange packs B micro-panels [lo,hi) of the current block.
func (j *gemmJob) packBRange(lo, hi int) {
	nr, kcs := j.nr, j.kcs
	for q := lo; q < hi; q++ {
		j.s.packB(j.bbuf[q*nr*kcs:(q+1)*nr*kcs], j.pc, j.kc, j.jc+q*nr, min(nr, j.nc-q*nr), nr)
	}
}

// workRange runs tasks [lo,hi): task t is row block t/nSplit against
// column share t%nSplit of the current B block.
func (j *gemmJob) workRange(lo, hi int) {
	s := &j.s
	mr, nr, kcs := j.mr, j.nr, j.kcs
	ap, abuf := getBuf(&bufPoolA, j.mc*kcs+mr*nr)
	defer putBuf(&bufPoolA, ap)
	tmp := abuf[j.mc*kcs:]
	for t := lo; t < hi; t++ {
		ib, js := t/j.nSplit, t%j.nSplit
		i0 := ib * j.mc
		mcb := min(j.mc, j.m-i0)
		if !j.direct {
			s.packA(abuf, i0, mcb, j.pc, j.kc, mr)
		} else if rem := mcb % mr; rem != 0 {
			s.packA(abuf[(mcb-rem)*kcs:], i0+mcb-rem, rem, j.pc, j.kc, mr)
		}
		q0, q1 := js*j.np/j.nSplit, (js+1)*j.np/j.nSplit
		if rowsOuter {
			// Â micro-panel stays in L1; B micro-panels stream from L2.
			for ir := 0; ir < mcb; ir += mr {
				if j.direct && ir+2*mr <= mcb {
					// The next micro-panel comes from A in place: fetch it
					// while this row of tiles runs.
					prefetchA(s.a32[s.offA+(i0+ir+mr)*s.lda+j.pc:], s.lda, mr, j.kc)
				}
				for q := q0; q < q1; q++ {
					j.tile(abuf, tmp, i0, mcb, q, ir)
				}
			}
		} else {
			// B micro-panel stays in L1/L2; Â streams from L2.
			for q := q0; q < q1; q++ {
				for ir := 0; ir < mcb; ir += mr {
					j.tile(abuf, tmp, i0, mcb, q, ir)
				}
			}
		}
	}
}

// tile runs the micro-kernel on B micro-panel q and rows ir.. of the row
// block at i0; edge tiles go through tmp.
func (j *gemmJob) tile(abuf, tmp []float32, i0, mcb, q, ir int) {
	s := &j.s
	mr, nr, kcs := j.mr, j.nr, j.kcs
	j0 := j.jc + q*nr
	cols := min(nr, j.n-j0)
	bq := &j.bbuf[q*nr*kcs]
	rows := min(mr, mcb-ir)
	aq, lda := &abuf[ir*kcs], kcs
	if j.direct && rows == mr {
		aq, lda = &s.a32[s.offA+(i0+ir)*s.lda+j.pc], s.lda
	}
	c := s.c[s.offC:]
	ci := (i0+ir)*s.ldc + j0
	var bias []float32 // added in the first k block
	if s.bias != nil && j.pc == 0 {
		bias = s.bias[s.offBias+j0 : s.offBias+j0+cols]
	}
	if rows == mr && cols == nr {
		if j.rkern != nil {
			j.rkern(kcs, aq, lda, bq, &c[ci], s.ldc, s.alpha, j.beta)
		} else {
			j.kern(kcs, aq, bq, &c[ci], s.ldc, s.alpha, j.beta)
		}
		if bias != nil {
			addBiasTile(c[ci:], s.ldc, bias, rows)
		}
		return
	}
	if rows == mr && cols == nr/2 && j.hkern != nil {
		if j.rkern != nil {
			j.hrkern(kcs, aq, lda, bq, &c[ci], s.ldc, s.alpha, j.beta)
		} else {
			j.hkern(kcs, aq, bq, &c[ci], s.ldc, s.alpha, j.beta)
		}
		if bias != nil {
			addBiasTile(c[ci:], s.ldc, bias, rows)
		}
		return
	}
	if j.rkern != nil {
		j.rkern(kcs, aq, lda, bq, &tmp[0], nr, s.alpha, 0)
	} else {
		j.kern(kcs, aq, bq, &tmp[0], nr, s.alpha, 0)
	}
	if bias != nil {
		addBiasTile(tmp, nr, bias, rows)
	}
	mergeTile(c[ci:], s.ldc, tmp, nr, rows, cols, j.beta)
}

// foldBias moves the bias into C for the paths that add the product onto
// C rather than adding the bias per tile: C = beta·C + bias, then beta 1.
func (s *gemmSrc) foldBias() {
	c, n := s.c[s.offC:], s.n
	scaleC(c, s.m, n, s.ldc, s.beta)
	bias := s.bias[s.offBias : s.offBias+n]
	for i := 0; i < s.m; i++ {
		addK(c[i*s.ldc:i*s.ldc+n], c[i*s.ldc:i*s.ldc+n], bias)
	}
	s.bias, s.beta = nil, 1
}

// addBiasTile adds bias to each of rows rows of the tile at c (leading
// dimension ldc): one AVX2 call while the tile is still in L1, or a loop.
func addBiasTile(c []float32, ldc int, bias []float32, rows int) {
	cols := len(bias)
	_ = c[(rows-1)*ldc+cols-1]
	if smallAsm && cols%8 == 0 {
		addBiasAVX2(&c[0], ldc, &bias[0], rows, cols)
		return
	}
	for i := 0; i < rows; i++ {
		ci := c[i*ldc : i*ldc+cols]
		for j, v := range bias {
			ci[j] += v
		}
	}
}

// rowBlock returns the rows per task for m rows: at most mc (a multiple of
// mr), with the number of blocks rounded up to a multiple of threads so
// that threads get equal shares.
func rowBlock(m, mc, mr, threads int) int {
	blocks := (m + mc - 1) / mc
	if threads > 1 {
		blocks = roundUp(blocks, threads)
	}
	return max(mr, roundUp((m+blocks-1)/blocks, mr))
}

// parallelN is Parallel with an explicit thread count.
func parallelN(threads, n int, fn func(lo, hi int)) {
	if threads >= Threads() {
		Parallel(n, fn)
		return
	}
	fn(0, n)
}

// mergeTile writes an edge tile: C = T + beta·C over rows×cols.
func mergeTile(c []float32, ldc int, t []float32, ldt, rows, cols int, beta float32) {
	for i := 0; i < rows; i++ {
		ci := c[i*ldc : i*ldc+cols]
		ti := t[i*ldt : i*ldt+cols]
		switch beta {
		case 0:
			copy(ci, ti)
		case 1:
			for j, v := range ti {
				ci[j] += v
			}
		default:
			for j, v := range ti {
				ci[j] = v + beta*ci[j]
			}
		}
	}
}

// packA packs rows [i0,i0+mc) × k [p0,p0+kc) of op(A) into MR-row panels.
func (s *gemmSrc) packA(dst []float32, i0, mc, p0, kc, mr int) {
	kcs := (kc + s.kunit - 1) / s.kunit
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		d := dst[ir*kcs : ir*kcs+mr*kcs]
		if s.rowA {
			s.packRows(d, i0+ir, rows, p0, kc, kcs, mr)
			continue
		}
		switch {
		case s.a32 != nil:
			packF32(d, s.a32[s.offA:], s.lda, s.transA, i0+ir, rows, p0, kc, mr)
		case s.pairs:
			packPairs(d, s.a16[s.offA:], s.lda, s.transA, i0+ir, rows, p0, kc, mr)
		default:
			packWiden(d, s.a16[s.offA:], s.lda, s.transA, i0+ir, rows, p0, kc, mr)
		}
	}
}

// packRows packs rows [r0,r0+rows) × k [p0,p0+kc) of a non-transposed A
// row by row: row i at d[i·kcs:], rows past the edge zero.
func (s *gemmSrc) packRows(d []float32, r0, rows, p0, kc, kcs, mr int) {
	clear(d[rows*kcs : mr*kcs])
	for i := 0; i < rows; i++ {
		di := d[i*kcs : (i+1)*kcs]
		switch {
		case s.a32 != nil:
			a := s.a32[s.offA+(r0+i)*s.lda+p0:]
			copy(di, a[:kc])
		case s.pairs:
			a := s.a16[s.offA+(r0+i)*s.lda+p0:]
			// A row of bf16 is already a row of (k, k+1) pairs.
			u := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(di))), 2*kcs)
			copy(u, a[:kc])
			if kc%2 == 1 {
				u[kc] = 0
			}
		default:
			a := s.a16[s.offA+(r0+i)*s.lda+p0:]
			fromBF16(di, a[:kc])
		}
	}
}

// packB packs k [p0,p0+kc) × columns [j0,j0+cols) of op(B) into one NR
// panel. op(B)'s column j is row j of Bᵀ, so this is packA on the transpose.
func (s *gemmSrc) packB(dst []float32, p0, kc, j0, cols, nr int) {
	switch {
	case s.b32 != nil:
		packF32(dst, s.b32[s.offB:], s.ldb, !s.transB, j0, cols, p0, kc, nr)
	case s.pairs:
		packPairs(dst, s.b16[s.offB:], s.ldb, !s.transB, j0, cols, p0, kc, nr)
	default:
		packWiden(dst, s.b16[s.offB:], s.ldb, !s.transB, j0, cols, p0, kc, nr)
	}
}

// packGatherOK says that gatherF32, gatherPairs and interleavePairs run on
// this CPU (set by the AVX-512 code at start-up); packing then uses them for
// full panels.
var packGatherOK bool

// packF32 packs one panel: d[p·w+i] = X(r0+i, p0+p) for i < rows (zero for
// rows ≤ i < w), where X(i,p) is x[i·ld+p], or x[p·ld+i] when trans.
func packF32(d []float32, x []float32, ld int, trans bool, r0, rows, p0, kc, w int) {
	d = d[:kc*w]
	if smallAsm && rows == w && kc > 0 {
		// Full AVX2 panels: row copies in registers for a transposed
		// source (rather than a copy call per 64 bytes), 8×8 transposes
		// for a row-major one.
		switch {
		case trans && w == 16:
			_ = x[(p0+kc-1)*ld+r0+15]
			copyRows16AVX2(&d[0], &x[p0*ld+r0], ld, kc)
			return
		case trans && w == 6:
			_ = x[(p0+kc-1)*ld+r0+5]
			copyRows6AVX2(&d[0], &x[p0*ld+r0], ld, kc)
			return
		case !trans && w%8 == 0 && !packGatherOK:
			_ = x[(r0+rows-1)*ld+p0+kc-1]
			p8 := kc &^ 7
			for p := 0; p < p8; p += 8 {
				for i := 0; i < w; i += 8 {
					transpose8AVX2(&d[p*w+i], w, &x[(r0+i)*ld+p0+p], ld)
				}
			}
			for i := 0; i < rows; i++ {
				src := x[(r0+i)*ld+p0+p8 : (r0+i)*ld+p0+kc]
				for p, v := range src {
					d[(p8+p)*w+i] = v
				}
			}
			return
		}
	}
	if trans && rows == 6 && w == 6 {
		// The MR=6 panels of a transposed A: six floats per step are too
		// few for copy's call to pay off.
		for p := 0; p < kc; p++ {
			src := x[(p0+p)*ld+r0:][:6:6]
			dp := d[p*6:][:6:6]
			dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = src[0], src[1], src[2], src[3], src[4], src[5]
		}
		return
	}
	if trans {
		for p := 0; p < kc; p++ {
			src := x[(p0+p)*ld+r0 : (p0+p)*ld+r0+rows]
			dp := d[p*w : p*w+w]
			copy(dp, src)
			clear(dp[rows:])
		}
		return
	}
	if packGatherOK && rows == w && w%16 == 0 && kc > 0 {
		gatherF32(d, x[r0*ld+p0:], ld, kc, w)
		return
	}
	if rows < w {
		clear(d)
	}
	for i := 0; i < rows; i++ {
		src := x[(r0+i)*ld+p0 : (r0+i)*ld+p0+kc]
		for p, v := range src {
			d[p*w+i] = v
		}
	}
}

// packWiden is packF32 for bf16 sources, widened to f32 on the way.
func packWiden(d []float32, x []uint16, ld int, trans bool, r0, rows, p0, kc, w int) {
	d = d[:kc*w]
	if rows < w {
		clear(d)
	}
	if trans {
		for p := 0; p < kc; p++ {
			src := x[(p0+p)*ld+r0 : (p0+p)*ld+r0+rows]
			fromBF16(d[p*w:p*w+rows], src)
		}
		return
	}
	for i := 0; i < rows; i++ {
		src := x[(r0+i)*ld+p0 : (r0+i)*ld+p0+kc]
		for p, v := range src {
			d[p*w+i] = bf16f(v)
		}
	}
}

// packPairs packs bf16 for the pair kernel: slot q·w+i holds X(r0+i, p0+2q)
// in its low and X(r0+i, p0+2q+1) in its high 16 bits; an odd kc is padded
// with zero.
func packPairs(df []float32, x []uint16, ld int, trans bool, r0, rows, p0, kc, w int) {
	kq := (kc + 1) / 2
	d := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(df))), len(df))[:kq*w]
	if rows < w || kc%2 == 1 {
		clear(d)
	}
	if trans && packGatherOK && rows%32 == 0 && rows > 0 {
		for q := 0; q+1 < kc; q += 2 {
			r := x[(p0+q)*ld+r0:]
			interleavePairs(d[(q/2)*w:(q/2)*w+rows], r[:rows], x[(p0+q+1)*ld+r0:][:rows])
		}
		if kc%2 == 1 {
			src := x[(p0+kc-1)*ld+r0 : (p0+kc-1)*ld+r0+rows]
			dq := d[(kc/2)*w : (kc/2)*w+rows]
			for i, v := range src {
				dq[i] = uint32(v)
			}
		}
		return
	}
	if !trans && packGatherOK && rows == w && w%16 == 0 && kc > 1 {
		gatherPairs(d, x[r0*ld+p0:], ld, kc, w)
		if kc%2 == 1 {
			for i := 0; i < rows; i++ {
				d[(kc/2)*w+i] = uint32(x[(r0+i)*ld+p0+kc-1])
			}
		}
		return
	}
	if trans {
		for p := 0; p < kc; p++ {
			src := x[(p0+p)*ld+r0 : (p0+p)*ld+r0+rows]
			dq := d[(p/2)*w : (p/2)*w+rows]
			sh := uint(p%2) * 16
			if sh == 0 {
				for i, v := range src {
					dq[i] = uint32(v)
				}
			} else {
				for i, v := range src {
					dq[i] |= uint32(v) << 16
				}
			}
		}
		return
	}
	for i := 0; i < rows; i++ {
		src := x[(r0+i)*ld+p0 : (r0+i)*ld+p0+kc]
		q := 0
		for ; q+1 < len(src); q += 2 {
			d[(q/2)*w+i] = uint32(src[q]) | uint32(src[q+1])<<16
		}
		if q < len(src) {
			d[(q/2)*w+i] = uint32(src[q])
		}
	}
}

// directA lets the row kernels read a non-transposed f32 A in place (a
// switch for benchmarks comparing it with packing).
var directA = true

// rowsOuter picks the loop order inside a block: each Â micro-panel stays
// in L1 while the B micro-panels of the L2-resident KC×NC block stream past
// it (measured 10-30% faster on a 48 KiB L1 / 2 MiB L2 than the opposite
// order); false is kept for benchmarks.
var rowsOuter = true
