package main

import "fmt"

// smallKernel writes smallAVX2N<n>: C[i,0:n] = alpha·Σ_p A(i,p)·B[p,0:n] +
// beta·C[i,0:n] for every row i < m, with A(i,p) at a[i·ars + p·acs] and
// rows of B and C ldb and ldc apart, for n = vecs·lanes. No packing: made
// for attention-sized products (a few rows, k and n of a head), where
// packing and tiling cost more than the arithmetic. Rows run four at a time
// (4·vecs independent accumulators hide the FMA latency), then one by one.
//
// Registers: AX a row block, SI a in the k loop, BX b, R13 b in the k loop,
// DI c row block, CX k counter, DX rows left, R8 ars, R12 3·ars, R9 acs,
// R10 ldb, R11 ldc, R14 3·ldc (all in bytes).
func smallKernel(n, vecs int, reg string) {
	name := fmt.Sprintf("smallAVX2N%d", n)
	vb := 32
	if reg == "X" {
		vb = 16
	}
	r := func(i int) string { return fmt.Sprintf("%s%d", reg, i) }
	p("// func %s(m, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-80", name)
	p("\tMOVQ m+0(FP), DX")
	p("\tMOVQ a+16(FP), AX")
	p("\tMOVQ ars+24(FP), R8")
	p("\tSHLQ $2, R8")
	p("\tLEAQ (R8)(R8*2), R12")
	p("\tMOVQ acs+32(FP), R9")
	p("\tSHLQ $2, R9")
	p("\tMOVQ b+40(FP), BX")
	p("\tMOVQ ldb+48(FP), R10")
	p("\tSHLQ $2, R10")
	p("\tMOVQ c+56(FP), DI")
	p("\tMOVQ ldc+64(FP), R11")
	p("\tSHLQ $2, R11")
	p("\tLEAQ (R11)(R11*2), R14")
	aAddr := []string{"(SI)", "(SI)(R8*1)", "(SI)(R8*2)", "(SI)(R12*1)"}
	cAddr := []string{"(DI)", "(DI)(R11*1)", "(DI)(R11*2)", "(DI)(R14*1)"}
	for _, rows := range []int{4, 1} {
		blk := fmt.Sprintf("r%d", rows)
		bReg, bc := rows*vecs, 15
		alpha, beta := bReg, 15
		p("%s:", blk)
		p("\tCMPQ DX, $%d", rows)
		if rows == 4 {
			p("\tJL r1")
		} else {
			p("\tJL done")
		}
		for i := 0; i < rows*vecs; i++ {
			p("\tVXORPS %s, %s, %s", r(i), r(i), r(i))
		}
		p("\tMOVQ AX, SI")
		p("\tMOVQ BX, R13")
		p("\tMOVQ k+8(FP), CX")
		p("\tTESTQ CX, CX")
		p("\tJZ %sstore", blk)
		p("%sk:", blk)
		for v := 0; v < vecs; v++ {
			p("\tVMOVUPS %d(R13), %s", v*vb, r(bReg+v))
		}
		for i := 0; i < rows; i++ {
			p("\tVBROADCASTSS %s, %s", aAddr[i], r(bc))
			for v := 0; v < vecs; v++ {
				p("\tVFMADD231PS %s, %s, %s", r(bReg+v), r(bc), r(i*vecs+v))
			}
		}
		p("\tADDQ R9, SI")
		p("\tADDQ R10, R13")
		p("\tDECQ CX")
		p("\tJNZ %sk", blk)
		p("%sstore:", blk)
		p("\tVBROADCASTSS alpha+72(FP), %s", r(alpha))
		p("\tVBROADCASTSS beta+76(FP), %s", r(beta))
		p("\tMOVL beta+76(FP), CX")
		p("\tANDL $0x7fffffff, CX")
		p("\tJZ %snobeta", blk)
		for i := 0; i < rows; i++ {
			for v := 0; v < vecs; v++ {
				a := r(i*vecs + v)
				c := fmt.Sprintf("%d%s", v*vb, cAddr[i])
				p("\tVMULPS %s, %s, %s", r(alpha), a, a)
				p("\tVFMADD231PS %s, %s, %s", c, r(beta), a)
				p("\tVMOVUPS %s, %s", a, c)
			}
		}
		p("\tJMP %snext", blk)
		p("%snobeta:", blk)
		for i := 0; i < rows; i++ {
			for v := 0; v < vecs; v++ {
				a := r(i*vecs + v)
				p("\tVMULPS %s, %s, %s", r(alpha), a, a)
				p("\tVMOVUPS %s, %d%s", a, v*vb, cAddr[i])
			}
		}
		p("%snext:", blk)
		if rows == 4 {
			p("\tLEAQ (AX)(R8*4), AX")
			p("\tLEAQ (DI)(R11*4), DI")
		} else {
			p("\tADDQ R8, AX")
			p("\tADDQ R11, DI")
		}
		p("\tSUBQ $%d, DX", rows)
		p("\tJMP %s", blk)
	}
	p("done:")
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// writeSmall writes small_amd64.s.
func writeSmall() {
	out.Reset()
	header()
	smallKernel(4, 1, "X")
	smallKernel(8, 1, "Y")
	smallKernel(16, 2, "Y")
	smallKernel(24, 3, "Y")
}
