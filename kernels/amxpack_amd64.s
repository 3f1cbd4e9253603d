//go:build amd64 && !purego

#include "textflag.h"

// TSTORE writes the four 16-byte lanes of Z to packed rows j, j+8, j+16 and
// j+24 (R8 points at row j; R9, R10, R11 hold 8, 16 and 24 row strides),
// then moves R8 to row j+1.
#define TSTORE(Z) \
	VEXTRACTI32X4 $0, Z, (R8); \
	VEXTRACTI32X4 $1, Z, (R8)(R9*1); \
	VEXTRACTI32X4 $2, Z, (R8)(R10*1); \
	VEXTRACTI32X4 $3, Z, (R8)(R11*1); \
	ADDQ BX, R8

// func packTransA32AVX512(dst *uint16, stride int, src *uint16, lda int, blocks int)
//
// For blocks blocks of 8 rows of A (src, rows lda bytes apart) and the 32
// bf16 columns at src, writes column i's 8 values as 16 bytes at
// dst + i·stride, advancing dst by 16 bytes per block: a transpose of
// 8×32 words in three rounds of unpacks (words, dwords, qwords), after
// which lane L of result j holds column 8L+j.
TEXT ·packTransA32AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ lda+24(FP), DX
	MOVQ blocks+32(FP), CX
	TESTQ CX, CX
	JZ tdone
	MOVQ BX, R9
	SHLQ $3, R9
	LEAQ (R9)(R9*1), R10
	LEAQ (R10)(R9*1), R11
	LEAQ (DX)(DX*2), R12

tloop:
	LEAQ (SI)(DX*4), R13
	VMOVDQU64 (SI), Z0
	VMOVDQU64 (SI)(DX*1), Z1
	VMOVDQU64 (SI)(DX*2), Z2
	VMOVDQU64 (SI)(R12*1), Z3
	VMOVDQU64 (R13), Z4
	VMOVDQU64 (R13)(DX*1), Z5
	VMOVDQU64 (R13)(DX*2), Z6
	VMOVDQU64 (R13)(R12*1), Z7

	VPUNPCKLWD Z1, Z0, Z8
	VPUNPCKHWD Z1, Z0, Z9
	VPUNPCKLWD Z3, Z2, Z10
	VPUNPCKHWD Z3, Z2, Z11
	VPUNPCKLWD Z5, Z4, Z12
	VPUNPCKHWD Z5, Z4, Z13
	VPUNPCKLWD Z7, Z6, Z14
	VPUNPCKHWD Z7, Z6, Z15

	VPUNPCKLDQ Z10, Z8, Z16
	VPUNPCKHDQ Z10, Z8, Z17
	VPUNPCKLDQ Z11, Z9, Z18
	VPUNPCKHDQ Z11, Z9, Z19
	VPUNPCKLDQ Z14, Z12, Z20
	VPUNPCKHDQ Z14, Z12, Z21
	VPUNPCKLDQ Z15, Z13, Z22
	VPUNPCKHDQ Z15, Z13, Z23

	VPUNPCKLQDQ Z20, Z16, Z24
	VPUNPCKHQDQ Z20, Z16, Z25
	VPUNPCKLQDQ Z21, Z17, Z26
	VPUNPCKHQDQ Z21, Z17, Z27
	VPUNPCKLQDQ Z22, Z18, Z28
	VPUNPCKHQDQ Z22, Z18, Z29
	VPUNPCKLQDQ Z23, Z19, Z30
	VPUNPCKHQDQ Z23, Z19, Z31

	MOVQ DI, R8
	TSTORE(Z24)
	TSTORE(Z25)
	TSTORE(Z26)
	TSTORE(Z27)
	TSTORE(Z28)
	TSTORE(Z29)
	TSTORE(Z30)
	TSTORE(Z31)

	ADDQ $16, DI
	LEAQ (SI)(DX*8), SI
	DECQ CX
	JNZ tloop

tdone:
	VZEROUPPER
	RET
