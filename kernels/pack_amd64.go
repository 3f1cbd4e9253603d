//go:build amd64 && !purego

package kernels

import "unsafe"

// gatherPanelAVX512 packs 16·groups rows of 32-bit elements transposed:
//
//	for s := 0; s < steps; s++ {
//		for r := 0; r < 16*groups; r++ {
//			d[s*16*groups+r] = *(*uint32)(x + r*ldBytes + 4*s)
//		}
//	}
//
//go:noescape
func gatherPanelAVX512(d, x unsafe.Pointer, ldBytes, steps, groups int)

// interleavePairsAVX512 builds bf16 pairs from two rows:
//
//	for j := 0; j < 32*units; j++ {
//		d[j] = uint32(r0[j]) | uint32(r1[j])<<16
//	}
//
//go:noescape
func interleavePairsAVX512(d *uint32, r0, r1 *uint16, units int)

func init() {
	if hasAVX512() {
		packGatherOK = true
	}
}

// gatherF32 packs a full panel d[p·w+i] = x[i·ld+p] (i < w, p < kc) with
// AVX-512 gathers; w is a multiple of 16 and x holds every element.
func gatherF32(d []float32, x []float32, ld, kc, w int) {
	_ = d[kc*w-1]
	_ = x[(w-1)*ld+kc-1]
	gatherPanelAVX512(unsafe.Pointer(&d[0]), unsafe.Pointer(&x[0]), 4*ld, kc, w/16)
}

// gatherPairs packs full pairs d[q·w+i] = x[i·ld+2q] | x[i·ld+2q+1]<<16 for
// q < kc/2, i < w.
func gatherPairs(d []uint32, x []uint16, ld, kc, w int) {
	kq := kc / 2
	if kq == 0 {
		return
	}
	_ = d[kq*w-1]
	_ = x[(w-1)*ld+2*kq-1]
	gatherPanelAVX512(unsafe.Pointer(&d[0]), unsafe.Pointer(&x[0]), 2*ld, kq, w/16)
}

// interleavePairs sets d[j] = r0[j] | r1[j]<<16 for j < len(d), a multiple
// of 32.
func interleavePairs(d []uint32, r0, r1 []uint16) {
	n := len(d)
	_, _ = r0[n-1], r1[n-1]
	interleavePairsAVX512(&d[0], &r0[0], &r1[0], n/32)
}

// prefetchRows brings rows rows of rowBytes bytes, ldBytes apart, into
// cache.
//
//go:noescape
func prefetchRows(p unsafe.Pointer, ldBytes, rows, rowBytes int)

func prefetchA(a []float32, lda, rows, cols int) {
	if prefetchOn && rows > 0 && cols > 0 {
		_ = a[(rows-1)*lda+cols-1]
		prefetchRows(unsafe.Pointer(&a[0]), 4*lda, rows, 4*cols)
	}
}

// prefetchMatrix issues a prefetch for every line of the rows×cols matrix
// at x, including the line a row's last element may spill into when x is
// not line-aligned.
func prefetchMatrix(x []float32, ld, rows, cols int) {
	prefetchRows(unsafe.Pointer(&x[0]), 4*ld, rows, 4*cols+63)
}

// prefetchOn switches prefetchA (benchmark switch).
var prefetchOn = true
