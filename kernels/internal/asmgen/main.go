// Command asmgen writes the unrolled GEMM micro-kernels of package kernels
// (gemm_amd64.s) and the packing-free small-product kernels (small_amd64.s).
// Run it with `go generate ./kernels`.
package main

import (
	"bytes"
	"fmt"
	"os"
)

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

// vdpbf16ps returns the EVEX bytes of VDPBF16PS zmmDst, zmmSrc1, zmmSrc2
// (dst += pairwise src1·src2; Intel operand order), which the Go assembler
// does not know: EVEX.512.F3.0F38.W0 52 /r with a register r/m.
func vdpbf16ps(dst, src1, src2 int) []byte {
	inv := func(reg, bit int) byte { return byte(^(reg >> bit) & 1) }
	p0 := inv(dst, 3)<<7 | inv(src2, 4)<<6 | inv(src2, 3)<<5 | inv(dst, 4)<<4 | 0x2
	p1 := byte((^src1)&15)<<3 | 1<<2 | 0x2
	p2 := byte(2)<<5 | inv(src1, 4)<<3
	modrm := byte(0xc0) | byte(dst&7)<<3 | byte(src2&7)
	return []byte{0x62, p0, p1, p2, 0x52, modrm}
}

func check() {
	// Reference encodings from GNU as.
	want := map[[3]int]string{
		{0, 24, 26}:  "629 23e 40 52 c2",
		{23, 25, 31}: "628 236 40 52 ff",
		{17, 9, 2}:   "62e 236 48 52 ca",
	}
	for r, w := range want {
		got := fmt.Sprintf("%x", vdpbf16ps(r[0], r[1], r[2]))
		if got != removeSpaces(w) {
			panic(fmt.Sprintf("vdpbf16ps%v = %s, want %s", r, got, w))
		}
	}
}

func removeSpaces(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// kernel writes one micro-kernel: rows×(vecs·lanes) tile, accumulators
// acc(i,v) = register i·vecs+v, B loads in registers bReg.., broadcasts
// rotating through bcast.
type kernel struct {
	name       string
	reg        string // "Z" or "Y"
	rows, vecs int
	vbytes     int // bytes per vector register
	bReg       int // first register for B
	bcast      []int
	pairs      bool // VDPBF16PS instead of VFMADD231PS
	unroll     int
	// rowA: Â is stored row by row (row i at i·kc slots) instead of in
	// groups of MR; rows are reached from base registers AX, R10, R11, R12
	// (rows 0, 3, 6, 9) plus 0, 1 or 2 times the row stride in R9.
	rowA bool
	// pfB, when positive, prefetches B that many bytes ahead each step.
	pfB int
	// bRow is the bytes between consecutive k steps of the packed B panel:
	// vecs·vbytes, or more for a kernel that uses only the first columns
	// of a wider panel (the "half" kernels: 32 of 64 columns).
	bRow int
}

// bStep is the B panel's bytes per k step.
func (k kernel) bStep() int {
	if k.bRow > 0 {
		return k.bRow
	}
	return k.vecs * k.vbytes
}

var rowBases = []string{"AX", "R10", "R11", "R12"}

// aAddr is the address of Â(i, step off) in the unrolled body.
func (k kernel) aAddr(off, i int) string {
	if !k.rowA {
		return fmt.Sprintf("%d(AX)", off*k.rows*4+4*i)
	}
	base := rowBases[i/3]
	switch i % 3 {
	case 0:
		return fmt.Sprintf("%d(%s)", off*4, base)
	case 1:
		return fmt.Sprintf("%d(%s)(R9*1)", off*4, base)
	}
	return fmt.Sprintf("%d(%s)(R9*2)", off*4, base)
}

func (k kernel) body(off int) {
	bstep := k.bStep()
	if k.pfB > 0 {
		for l := 0; l < bstep; l += 64 {
			p("\tPREFETCHT0 %d(BX)", k.pfB+off*bstep+l)
		}
	}
	for v := 0; v < k.vecs; v++ {
		p("\tVMOVUPS %d(BX), %s%d", off*bstep+v*k.vbytes, k.reg, k.bReg+v)
	}
	for i := 0; i < k.rows; i++ {
		b := k.bcast[i%len(k.bcast)]
		if k.pairs {
			p("\tVPBROADCASTD %s, %s%d", k.aAddr(off, i), k.reg, b)
		} else {
			p("\tVBROADCASTSS %s, %s%d", k.aAddr(off, i), k.reg, b)
		}
		for v := 0; v < k.vecs; v++ {
			acc := i*k.vecs + v
			if k.pairs {
				bs := vdpbf16ps(acc, k.bReg+v, b)
				p("\tBYTE $0x%02x; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x%02x // VDPBF16PS Z%d, Z%d, Z%d",
					bs[0], bs[1], bs[2], bs[3], bs[4], bs[5], b, k.bReg+v, acc)
			} else {
				p("\tVFMADD231PS %s%d, %s%d, %s%d", k.reg, b, k.reg, k.bReg+v, k.reg, acc)
			}
		}
	}
}

// advanceA moves Â on by bytes of the packed-group layout (steps·MR·4).
func (k kernel) advanceA(bytes int) {
	if !k.rowA {
		p("\tADDQ $%d, AX", bytes)
		return
	}
	for j := 0; j < (k.rows+2)/3; j++ {
		p("\tADDQ $%d, %s", bytes/k.rows, rowBases[j])
	}
}

func (k kernel) write() {
	n := k.rows * k.vecs
	astep, bstep := k.rows*4, k.bStep()
	// Argument offsets: row kernels take the row stride of Â after a.
	o := 0
	if k.rowA {
		o = 8
		p("// func %s(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)", k.name)
	} else {
		p("// func %s(kc int, a, b, c *float32, ldc int, alpha, beta float32)", k.name)
	}
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", k.name, 48+o)
	p("\tMOVQ kc+0(FP), CX")
	p("\tMOVQ a+8(FP), AX")
	p("\tMOVQ b+%d(FP), BX", 16+o)
	p("\tMOVQ c+%d(FP), DI", 24+o)
	p("\tMOVQ ldc+%d(FP), SI", 32+o)
	p("\tSHLQ $2, SI")
	p("\tMOVQ DI, R8")
	if k.rowA {
		p("\tMOVQ lda+16(FP), R9")
		p("\tSHLQ $2, R9")
		p("\tLEAQ (R9)(R9*2), R13")
		for j := 1; j < (k.rows+2)/3; j++ {
			p("\tLEAQ (%s)(R13*1), %s", rowBases[j-1], rowBases[j])
		}
	}
	for i := 0; i < n; i++ {
		if k.reg == "Z" {
			p("\tVPXORD %s%d, %s%d, %s%d", k.reg, i, k.reg, i, k.reg, i)
		} else {
			p("\tVXORPS %s%d, %s%d, %s%d", k.reg, i, k.reg, i, k.reg, i)
		}
	}
	// Bring the C tile into cache while the products run.
	for i := 0; i < k.rows; i++ {
		for off := 0; off < k.vecs*k.vbytes; off += 64 {
			p("\tPREFETCHT0 %d(R8)", off)
		}
		p("\tADDQ SI, R8")
	}
	p("loop%d:", k.unroll)
	p("\tCMPQ CX, $%d", k.unroll)
	p("\tJL tail")
	for u := 0; u < k.unroll; u++ {
		k.body(u)
	}
	k.advanceA(astep * k.unroll)
	p("\tADDQ $%d, BX", bstep*k.unroll)
	p("\tSUBQ $%d, CX", k.unroll)
	p("\tJMP loop%d", k.unroll)
	p("tail:")
	p("\tTESTQ CX, CX")
	p("\tJE store")
	k.body(0)
	k.advanceA(astep)
	p("\tADDQ $%d, BX", bstep)
	p("\tDECQ CX")
	p("\tJMP tail")
	p("store:")
	alpha, beta := k.bcast[0], k.bcast[1]
	p("\tVBROADCASTSS alpha+%d(FP), %s%d", 40+o, k.reg, alpha)
	p("\tVBROADCASTSS beta+%d(FP), %s%d", 44+o, k.reg, beta)
	for i := 0; i < n; i++ {
		p("\tVMULPS %s%d, %s%d, %s%d", k.reg, alpha, k.reg, i, k.reg, i)
	}
	p("\tMOVL beta+%d(FP), DX", 44+o)
	p("\tANDL $0x7fffffff, DX")
	p("\tJZ nobeta")
	for i := 0; i < k.rows; i++ {
		for v := 0; v < k.vecs; v++ {
			p("\tVFMADD231PS %d(DI), %s%d, %s%d", v*k.vbytes, k.reg, beta, k.reg, i*k.vecs+v)
			p("\tVMOVUPS %s%d, %d(DI)", k.reg, i*k.vecs+v, v*k.vbytes)
		}
		p("\tADDQ SI, DI")
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("nobeta:")
	for i := 0; i < k.rows; i++ {
		for v := 0; v < k.vecs; v++ {
			p("\tVMOVUPS %s%d, %d(DI)", k.reg, i*k.vecs+v, v*k.vbytes)
		}
		p("\tADDQ SI, DI")
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// header writes the opening every generated file shares.
func header() {
	p("// Code generated by kernels/internal/asmgen; DO NOT EDIT.")
	p("")
	p("//go:build amd64 && !purego")
	p("")
	p("#include \"textflag.h\"")
	p("")
}

func main() {
	check()
	header()
	z := kernel{reg: "Z", rows: 6, vecs: 4, vbytes: 64, bReg: 24, bcast: []int{28, 29, 30, 31}, unroll: 4}
	y := kernel{reg: "Y", rows: 6, vecs: 2, vbytes: 32, bReg: 12, bcast: []int{14, 15}, unroll: 4}
	for _, k := range []kernel{z, y} {
		for _, row := range []bool{false, true} {
			for _, pairs := range []bool{false, true} {
				if pairs && k.reg == "Y" {
					continue
				}
				k.rowA, k.pairs = row, pairs
				k.name = "kernAVX512F32"
				if k.reg == "Y" {
					k.name = "kernAVX2F32"
				}
				if pairs {
					k.name = "kernAVX512BF16"
				}
				if row {
					k.name += "Row"
				}
				k.write()
			}
		}
	}
	// Tiles of 6×32 out of a 64-column B panel, for products whose width
	// (or last panel) is 32 columns: attention heads of 32.
	h := kernel{reg: "Z", rows: 6, vecs: 2, vbytes: 64, bReg: 24, bcast: []int{28, 29, 30, 31}, unroll: 4, bRow: 256}
	for _, row := range []bool{false, true} {
		h.rowA = row
		h.name = "kernAVX512F32Half"
		if row {
			h.name += "Row"
		}
		h.write()
	}
	write("gemm_amd64.s")
	writeSmall()
	write("small_amd64.s")
}

func write(name string) {
	if err := os.WriteFile(name, out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
