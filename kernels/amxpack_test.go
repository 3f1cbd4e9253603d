//go:build amd64 && !purego

package kernels

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// TestPackAMXRowsTransposed checks packAMXRows on a transposed A against
// the definition, with the AVX-512 transpose on and off: row and k counts
// around its 32-row and 8-k blocks, offsets, and zero padding.
func TestPackAMXRowsTransposed(t *testing.T) {
	if !cpu.X86.HasAVX512BW {
		t.Skip("no AVX512BW")
	}
	defer func(v bool) { packTransAVX512 = v }(packTransAVX512)
	r := rand.New(rand.NewPCG(21, 22))
	for trial := 0; trial < 300; trial++ {
		rows, kc := 1+r.IntN(100), 1+r.IntN(90)
		r0, p0 := r.IntN(5), r.IntN(7)
		lda := r0 + rows + r.IntN(9)
		a := make([]uint16, (p0+kc)*lda)
		for i := range a {
			a[i] = uint16(r.Uint32())
		}
		kcs := (kc + 31) / 32 * 16
		const mr = 32
		panels := (rows + mr - 1) / mr
		s := &gemmSrc{a16: a, lda: lda, transA: true}
		for _, asm := range []bool{false, true} {
			packTransAVX512 = asm
			d := make([]float32, panels*mr*kcs+3)
			for i := range d {
				d[i] = 1e30 // garbage the packer must overwrite or leave past the end
			}
			packAMXRows(d, s, r0, rows, p0, kc, kcs, mr)
			u := unsafe.Slice((*uint16)(unsafe.Pointer(&d[0])), 2*len(d))
			for i := 0; i < panels*mr; i++ {
				for p := 0; p < 2*kcs; p++ {
					exp := uint16(0)
					if i < rows && p < kc {
						exp = a[(p0+p)*lda+r0+i]
					}
					if got := u[i*2*kcs+p]; got != exp {
						t.Fatalf("asm=%v rows=%d kc=%d r0=%d p0=%d lda=%d: row %d k %d = %#x, want %#x", asm, rows, kc, r0, p0, lda, i, p, got, exp)
					}
				}
			}
			if d[len(d)-1] != 1e30 {
				t.Fatalf("asm=%v: wrote past the packed panels", asm)
			}
		}
	}
}
