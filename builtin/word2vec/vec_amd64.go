//go:build !purego

package word2vec

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; GODEBUG=cpu.avx2=off or
// cpu.fma=off turns them off.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotAVX2 returns Σ a[i]·b[i] over len(a); b must be at least as long.
//
//go:noescape
func dotAVX2(a, b []float32) float32

// axpyAVX2 computes y[i] += alpha·x[i] over len(x); y must be at least as long.
//
//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

// dualAVX2 computes e[i] += s·w[i]; w[i] += s·h[i] over len(w), in one pass
// (each w[i] is read before it is updated).
//
//go:noescape
func dualAVX2(s float32, w, h, e []float32)

func dot(a, b []float32) float32 {
	if useAVX2 {
		return dotAVX2(a, b[:len(a)])
	}
	return dotGo(a, b)
}

func axpy(alpha float32, x, y []float32) {
	if useAVX2 {
		axpyAVX2(alpha, x, y[:len(x)])
		return
	}
	axpyGo(alpha, x, y)
}

func dual(g float32, w, h, e []float32) {
	if useAVX2 {
		dualAVX2(g, w, h[:len(w)], e[:len(w)])
		return
	}
	dualGo(g, w, h, e)
}

// useAVX512 selects the fused negative-sampling kernel; rows are then
// padded to a multiple of 16 floats. GODEBUG=cpu.avx512f=off turns it off.
var useAVX512 = useAVX2 && cpu.X86.HasAVX512F

// negAVX512 runs negative sampling for hidden vector h over targets (the
// first is the positive word); see neg_amd64.s.
//
//go:noescape
func negAVX512(h, e, syn1 *float32, targets *int32, n, chunks int, alpha float32, tab *float32)

// meanAVX512 sets dst to inv times the sum of the syn0 rows listed in rows.
//
//go:noescape
func meanAVX512(dst, syn0 *float32, rows *int32, n, chunks int, inv float32)

// addRowsAVX512 adds e to each syn0 row listed in rows.
//
//go:noescape
func addRowsAVX512(e, syn0 *float32, rows *int32, n, chunks int)

// negRes1 … negRes8 are negAVX512 for rows of exactly N×16 floats, with h
// and its gradient e held in registers (gen_negres.go writes them). e is
// computed from zero: with addH set, h += e is stored at the end and e is
// not written; otherwise e is stored and h left alone.

//go:noescape
func negRes1(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

//go:noescape
func negRes2(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

//go:noescape
func negRes3(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

//go:noescape
func negRes4(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

//go:noescape
func negRes5(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

//go:noescape
func negRes6(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

//go:noescape
func negRes7(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

//go:noescape
func negRes8(h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int)

// maxResChunks is the longest row (in 16-float chunks) the register-resident
// kernels handle.
const maxResChunks = 8

// negRes runs the register-resident kernel for rows of chunks×16 floats
// (1 ≤ chunks ≤ maxResChunks).
func negRes(chunks int, h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int) {
	switch chunks {
	case 1:
		negRes1(h, e, syn1, targets, n, alpha, tab, addH)
	case 2:
		negRes2(h, e, syn1, targets, n, alpha, tab, addH)
	case 3:
		negRes3(h, e, syn1, targets, n, alpha, tab, addH)
	case 4:
		negRes4(h, e, syn1, targets, n, alpha, tab, addH)
	case 5:
		negRes5(h, e, syn1, targets, n, alpha, tab, addH)
	case 6:
		negRes6(h, e, syn1, targets, n, alpha, tab, addH)
	case 7:
		negRes7(h, e, syn1, targets, n, alpha, tab, addH)
	case 8:
		negRes8(h, e, syn1, targets, n, alpha, tab, addH)
	default:
		panic("word2vec: negRes: bad chunk count")
	}
}
