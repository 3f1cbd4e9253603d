//go:build amd64 && !purego

#include "textflag.h"

// func transpose8AVX2(dst *float32, ldd int, x *float32, ldx int)
// dst[j·ldd+i] = x[i·ldx+j] for i, j < 8: eight row loads, the usual
// unpack / shuffle / 128-bit permute network, eight row stores.
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	SHLQ $2, DX
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), CX
	SHLQ $2, CX
	LEAQ (CX)(CX*2), R8
	LEAQ (DX)(DX*2), R9
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(CX*1), Y1
	VMOVUPS (SI)(CX*2), Y2
	VMOVUPS (SI)(R8*1), Y3
	LEAQ (SI)(CX*4), SI
	VMOVUPS (SI), Y4
	VMOVUPS (SI)(CX*1), Y5
	VMOVUPS (SI)(CX*2), Y6
	VMOVUPS (SI)(R8*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(DX*1)
	VMOVUPS Y10, (DI)(DX*2)
	VMOVUPS Y11, (DI)(R9*1)
	LEAQ (DI)(DX*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(DX*1)
	VMOVUPS Y14, (DI)(DX*2)
	VMOVUPS Y15, (DI)(R9*1)
	VZEROUPPER
	RET

// func transpose4AVX2(dst *float32, ldd int, x *float32, ldx int)
// The 4×4 version on xmm registers.
TEXT ·transpose4AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	SHLQ $2, DX
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), CX
	SHLQ $2, CX
	LEAQ (CX)(CX*2), R8
	LEAQ (DX)(DX*2), R9
	VMOVUPS (SI), X0
	VMOVUPS (SI)(CX*1), X1
	VMOVUPS (SI)(CX*2), X2
	VMOVUPS (SI)(R8*1), X3
	VUNPCKLPS X1, X0, X4
	VUNPCKHPS X1, X0, X5
	VUNPCKLPS X3, X2, X6
	VUNPCKHPS X3, X2, X7
	VSHUFPS $0x44, X6, X4, X0
	VSHUFPS $0xEE, X6, X4, X1
	VSHUFPS $0x44, X7, X5, X2
	VSHUFPS $0xEE, X7, X5, X3
	VMOVUPS X0, (DI)
	VMOVUPS X1, (DI)(DX*1)
	VMOVUPS X2, (DI)(DX*2)
	VMOVUPS X3, (DI)(R9*1)
	RET

// func copyRows16AVX2(d, x *float32, ld, rows int)
// d[r·16+j] = x[r·ld+j] for r < rows, j < 16: a B panel of a
// non-transposed B, one 64-byte row per k step.
TEXT ·copyRows16AVX2(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ld+16(FP), DX
	SHLQ $2, DX
	MOVQ rows+24(FP), CX
	TESTQ CX, CX
	JZ done16
loop16:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ DX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ loop16
done16:
	VZEROUPPER
	RET

// func copyRows6AVX2(d, x *float32, ld, rows int)
// d[r·6+j] = x[r·ld+j] for r < rows, j < 6: an A panel of a transposed A.
TEXT ·copyRows6AVX2(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ld+16(FP), DX
	SHLQ $2, DX
	MOVQ rows+24(FP), CX
	TESTQ CX, CX
	JZ done6
loop6:
	VMOVUPS (SI), X0
	MOVQ 16(SI), AX
	VMOVUPS X0, (DI)
	MOVQ AX, 16(DI)
	ADDQ DX, SI
	ADDQ $24, DI
	DECQ CX
	JNZ loop6
done6:
	RET

// func addBiasAVX2(c *float32, ldc int, bias *float32, rows, cols int)
// c[i·ldc+j] += bias[j] for i < rows, j < cols, cols a multiple of 8.
TEXT ·addBiasAVX2(SB), NOSPLIT, $0-40
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), DX
	SHLQ $2, DX
	MOVQ bias+16(FP), SI
	MOVQ rows+24(FP), CX
	MOVQ cols+32(FP), R8
	SHLQ $2, R8
	TESTQ CX, CX
	JE abdone
abrow:
	XORQ BX, BX
abcol:
	VMOVUPS (SI)(BX*1), Y0
	VADDPS (DI)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, R8
	JL abcol
	ADDQ DX, DI
	DECQ CX
	JNZ abrow
abdone:
	VZEROUPPER
	RET
