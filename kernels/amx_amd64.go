//go:build amd64 && !purego

package kernels

import (
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// amxBF16Panel computes C[0:32, 0:32·nt] += Â·B̂ with AMX tiles
// (TDPBF16PS) for a 32-row panel of A packed row by row in bf16 pairs (kcs
// pairs per row, a multiple of 16) and nt 32-column panels of B in pair
// layout; with acc == 0 C is not read (C = Â·B̂). Row i of the A panel
// starts ldaBytes after row i-1 (4·kcs when packed; 2·lda when read in place
// from a non-transposed A). In Go, with pair products
// widened to float32:
//
//	for t := 0; t < nt; t++ {
//		for i := 0; i < 32; i++ {
//			for j := 0; j < 32; j++ {
//				for q := 0; q < kcs; q++ {
//					c[i*ldc+32*t+j] += A(i,2q)·B(2q,j) + A(i,2q+1)·B(2q+1,j)
//				}
//			}
//		}
//	}
//
//go:noescape
func amxBF16Panel(kcs int, a, b, c *float32, ldc, nt, acc, ldaBytes int)

// amxEnabled asks Linux for the AMX tile state (arch_prctl
// ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); without it the first tile
// instruction faults.
var amxEnabled = func() bool {
	if !cpu.X86.HasAMXTile || !cpu.X86.HasAMXBF16 || !hasBF16() {
		return false
	}
	const archReqXcompPerm, xfeatureXtiledata = 0x1023, 18
	_, _, e := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0)
	return e == 0
}()

func hasAMX() bool { return amxEnabled && hasBF16() && cpu.X86.HasAMXBF16 && cpu.X86.HasAMXTile }

// AMX blocking: k in steps of 32 bf16, 32×32 tiles. A 32-row panel of A
// (KC·64 bytes) stays in L1 while the panels of B stream from L2; the B
// block (all of k × NC, at most amxBBudget bytes) and the task's MC×NC part
// of C share L2. Tuned with BenchmarkAMXBlocking.
var amxKC, amxMC, amxNC = 256, 64, 1024

// gemmAMX is gemmRun for bf16 A and B on AMX (alpha == 1 only; the caller
// checks). C is first scaled by beta (cleared without reading when beta is
// 0), then every tile accumulates into C directly.
func gemmAMX(src *gemmSrc) {
	j := amxPool.Get().(*amxJob)
	j.run(src)
	j.s = gemmSrc{}
	amxPool.Put(j)
}

// amxJob is gemmJob's counterpart for gemmAMX: loop state with method
// values made once per pooled job. Its loops differ from gemmJob's: B is
// packed for the whole of k (one KC×NC block after another) and each task
// runs all the k blocks of its row block, so that the task's part of C
// stays in L2 while it accumulates instead of travelling to memory once per
// k block (AMX is fast enough for that traffic to dominate).
type amxJob struct {
	s                    gemmSrc
	m, n, k, mc, mBlocks int
	nSplit, kcMax, nPC   int
	jc, nc, np           int
	bbuf                 []float32
	packBFn, workFn      func(lo, hi int)
}

var amxPool = sync.Pool{New: func() any {
	j := new(amxJob)
	j.packBFn, j.workFn = j.packBRange, j.workRange
	return j
}}

const amxMR, amxNR = 32, 32

// amxBBudget is the size in bytes of the packed B block (all of k × NC),
// which stays in L2 next to the task's part of C.
var amxBBudget = 1 << 20

func (j *amxJob) run(src *gemmSrc) {
	j.s = *src
	s := &j.s
	m, n, k := s.m, s.n, s.k
	j.m, j.n, j.k = m, n, k
	if s.beta != 1 && s.beta != 0 {
		scaleC(s.c[s.offC:], m, n, s.ldc, s.beta)
	}
	threads := s.threads
	if 2*m*n*k < smallGemmFlops {
		threads = 1
	}
	j.kcMax = roundUp(balanced(k, amxKC), 32)
	j.nPC = (k + j.kcMax - 1) / j.kcMax
	kPad := (j.nPC-1)*j.kcMax + roundUp(k-(j.nPC-1)*j.kcMax, 32)
	ncCap := min(amxNC, max(2*amxNR, amxBBudget/(2*kPad)/amxNR*amxNR))
	ncMax := roundUp(balanced(n, ncCap), amxNR)
	j.mc = rowBlock(m, amxMC, amxMR, threads)
	j.mBlocks = (m + j.mc - 1) / j.mc
	j.nSplit = 1
	if j.mBlocks < threads {
		j.nSplit = threads
	}
	bp, bbuf := getBuf(&bufPoolB, kPad/2*ncMax)
	defer putBuf(&bufPoolB, bp)
	j.bbuf = bbuf
	for j.jc = 0; j.jc < n; j.jc += ncMax {
		j.nc = min(ncMax, n-j.jc)
		j.np = (j.nc + amxNR - 1) / amxNR
		tasks := j.mBlocks * j.nSplit
		if threads > 1 {
			parallelN(threads, j.np*j.nPC, j.packBFn)
			parallelItems(threads, tasks, j.workFn)
		} else {
			j.packBRange(0, j.np*j.nPC)
			j.workRange(0, tasks)
		}
	}
	j.bbuf = nil
}

// kBlock returns k block b: its start, length, packed pairs and the offset
// of its B panels in bbuf (panel q at off + q·32·kcs).
func (j *amxJob) kBlock(b int) (pc, kc, kcs, off int) {
	pc = b * j.kcMax
	kc = min(j.kcMax, j.k-pc)
	kcs = roundUp(kc, 32) / 2
	off = b * j.np * amxNR * (j.kcMax / 2)
	return
}

// packBRange packs B panels: item t is panel t%np of k block t/np.
func (j *amxJob) packBRange(lo, hi int) {
	s := &j.s
	const nr = amxNR
	for t := lo; t < hi; t++ {
		b, q := t/j.np, t%j.np
		pc, kc, kcs, off := j.kBlock(b)
		d := j.bbuf[off+q*nr*kcs : off+(q+1)*nr*kcs]
		packPairs(d, s.b16[s.offB:], s.ldb, !s.transB, j.jc+q*nr, min(nr, j.nc-q*nr), pc, kc, nr)
		clear(d[(kc+1)/2*nr:])
	}
}

func (j *amxJob) workRange(lo, hi int) {
	s := &j.s
	const mr, nr = amxMR, amxNR
	ldc, jc, n := s.ldc, j.jc, j.n
	c := s.c[s.offC:]
	kcsMax := j.kcMax / 2
	ap, abuf := getBuf(&bufPoolA, j.mc*kcsMax+mr*nr)
	defer putBuf(&bufPoolA, ap)
	tmp := abuf[j.mc*kcsMax:]
	for t := lo; t < hi; t++ {
		ib, js := t/j.nSplit, t%j.nSplit
		i0 := ib * j.mc
		mcb := min(j.mc, j.m-i0)
		q0, q1 := js*j.np/j.nSplit, (js+1)*j.np/j.nSplit
		for b := 0; b < j.nPC; b++ {
			pc, kc, kcs, off := j.kBlock(b)
			acc := 1 // accumulate into C, except over a beta = 0 C at first
			if b == 0 && s.beta == 0 {
				acc = 0
			}
			// A non-transposed A whose k block is whole 32-element chunks is
			// read in place by the tile loads; only a bottom panel of fewer
			// than 32 rows is packed.
			direct := !s.transA && kc%32 == 0
			if !direct {
				packAMXRows(abuf, s, i0, mcb, pc, kc, kcs, mr)
			} else if rem := mcb % mr; rem != 0 {
				packAMXRows(abuf[(mcb-rem)*kcs:], s, i0+mcb-rem, rem, pc, kc, kcs, mr)
			}
			for ir := 0; ir < mcb; ir += mr {
				rows := min(mr, mcb-ir)
				aq, ldaBytes := &abuf[ir*kcs], 4*kcs
				if direct && rows == mr {
					a := s.a16[s.offA+(i0+ir)*s.lda+pc:]
					_ = a[(mr-1)*s.lda+kc-1]
					aq, ldaBytes = (*float32)(unsafe.Pointer(&a[0])), 2*s.lda
				}
				full := q1 - q0
				if jc+q1*nr > n {
					full-- // the last panel is partial
				}
				if rows == mr && full > 0 {
					amxBF16Panel(kcs, aq, &j.bbuf[off+q0*nr*kcs], &c[(i0+ir)*ldc+jc+q0*nr], ldc, full, acc, ldaBytes)
				} else {
					full = 0
				}
				for q := q0 + full; q < q1; q++ {
					j0 := jc + q*nr
					cols := min(nr, n-j0)
					ci := c[(i0+ir)*ldc+j0:]
					if acc == 1 {
						clear(tmp)
						for i := 0; i < rows; i++ {
							copy(tmp[i*nr:i*nr+cols], ci[i*ldc:i*ldc+cols])
						}
					}
					amxBF16Panel(kcs, aq, &j.bbuf[off+q*nr*kcs], &tmp[0], nr, 1, acc, ldaBytes)
					for i := 0; i < rows; i++ {
						copy(ci[i*ldc:i*ldc+cols], tmp[i*nr:i*nr+cols])
					}
				}
			}
		}
	}
}

// packTransA32AVX512 transposes blocks 8-row blocks of 32 bf16 columns of
// A (amxpack_amd64.s): column i's 8 values go to dst + i·stride bytes,
// dst advancing 16 bytes per block.
//
//go:noescape
func packTransA32AVX512(dst *uint16, stride int, src *uint16, lda int, blocks int)

// packTransAVX512 selects the AVX-512 transpose (every AMX CPU has
// AVX512BW); tests turn it off to cover the Go path.
var packTransAVX512 = cpu.X86.HasAVX512BW

// packTransAGo writes u[i·w+p] = a[(p0+p)·lda+r0+i] for packed rows
// [iLo,iHi) and k [pLo,pHi).
func packTransAGo(u, a []uint16, lda, w, r0, p0, iLo, iHi, pLo, pHi int) {
	if iLo >= iHi || pLo >= pHi {
		return
	}
	n := iHi - iLo
	// Four rows of A at a time, so that each packed row gets its four
	// k elements in one 8-byte store.
	p := pLo
	for ; p+4 <= pHi; p += 4 {
		o := (p0+p)*lda + r0 + iLo
		r0s := a[o : o+n]
		r1s := a[o+lda : o+lda+n]
		r2s := a[o+2*lda : o+2*lda+n]
		r3s := a[o+3*lda : o+3*lda+n]
		for i := range r0s {
			v := uint64(r0s[i]) | uint64(r1s[i])<<16 | uint64(r2s[i])<<32 | uint64(r3s[i])<<48
			*(*uint64)(unsafe.Pointer(&u[(iLo+i)*w+p])) = v
		}
	}
	for ; p < pHi; p++ {
		for i, v := range a[(p0+p)*lda+r0+iLo : (p0+p)*lda+r0+iHi] {
			u[(iLo+i)*w+p] = v
		}
	}
}

// packAMXRows packs rows [r0,r0+rows) × k [p0,p0+kc) of op(A) in bf16,
// row by row (row i at i·kcs pair slots), zero-padded to kcs pairs and to
// whole 32-row panels.
func packAMXRows(d []float32, s *gemmSrc, r0, rows, p0, kc, kcs, mr int) {
	panels := (rows + mr - 1) / mr
	u := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(d))), 2*panels*mr*kcs)
	a := s.a16[s.offA:]
	w := 2 * kcs
	if s.transA {
		// op(A) row i is column r0+i of A. Groups of 32 rows go through the
		// AVX-512 transpose, 8 k at a time; the rest walks A's rows, which
		// hold one element of every packed row, so that reads are
		// sequential and the rows' write positions stay in L1.
		i0, k8 := 0, 0
		if packTransAVX512 {
			k8 = kc &^ 7
			for ; i0+32 <= rows && k8 > 0; i0 += 32 {
				packTransA32AVX512(&u[i0*w], 2*w, &a[p0*s.lda+r0+i0], 2*s.lda, k8/8)
			}
		}
		packTransAGo(u, a, s.lda, w, r0, p0, i0, rows, 0, kc) // rows the transpose did not cover
		packTransAGo(u, a, s.lda, w, r0, p0, 0, i0, k8, kc)   // and the k tail of the rows it did
	}
	for i := 0; i < panels*mr; i++ {
		ui := u[i*w : (i+1)*w]
		if i >= rows {
			clear(ui)
			continue
		}
		if !s.transA {
			copy(ui, a[(r0+i)*s.lda+p0:(r0+i)*s.lda+p0+kc])
		}
		clear(ui[kc:])
	}
}
