//go:build !purego

#include "textflag.h"

// func negAVX512(h, e, syn1 *float32, targets *int32, n, chunks int, alpha float32, tab *float32)
//
// Negative sampling for one hidden vector h (chunks×16 floats; rows of
// syn1 are chunks×16 floats apart): for each target t (targets[0] with
// label 1, the others label 0) f = h·syn1[t], g = (label − σ(f))·alpha with
// σ from word2vec.c's table (index ⌊(f+6)·83⌋, clamped outside [−6, 6)),
// then e += g·syn1[t]; syn1[t] += g·h. A zero g skips the update.
TEXT ·negAVX512(SB), NOSPLIT, $0-64
	MOVQ h+0(FP), SI
	MOVQ e+8(FP), DX
	MOVQ syn1+16(FP), R8
	MOVQ targets+24(FP), R9
	MOVQ n+32(FP), R10
	MOVQ chunks+40(FP), R11
	VMOVSS alpha+48(FP), X15
	MOVQ tab+56(FP), R12
	MOVQ R11, R13
	SHLQ $6, R13                 // row stride in bytes
	VMOVSS one<>(SB), X14        // label of the first target
	VMOVSS six<>(SB), X13
	VMOVSS scale<>(SB), X12
	VMOVSS one<>(SB), X11
	XORQ BX, BX

target:
	CMPQ BX, R10
	JGE  done
	MOVLQSX (R9)(BX*4), AX
	IMULQ R13, AX
	LEAQ (R8)(AX*1), DI          // the target's row

	// f = h·w with two accumulators
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ R11, CX
	XORQ AX, AX

dot2:
	CMPQ CX, $2
	JL   dot1
	VMOVUPS (SI)(AX*1), Z2
	VMOVUPS 64(SI)(AX*1), Z3
	VFMADD231PS (DI)(AX*1), Z2, Z0
	VFMADD231PS 64(DI)(AX*1), Z3, Z1
	ADDQ $128, AX
	SUBQ $2, CX
	JMP  dot2

dot1:
	TESTQ CX, CX
	JE    reduce
	VMOVUPS (SI)(AX*1), Z2
	VFMADD231PS (DI)(AX*1), Z2, Z0

reduce:
	VADDPS Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

	// i = floor((f + 6) * 83)
	VADDSS X13, X0, X0
	VMULSS X12, X0, X0
	VROUNDSS $9, X0, X0, X0
	VCVTTSS2SIQ X0, AX
	CMPQ AX, $0
	JLT  low
	CMPQ AX, $996
	JGE  high
	VMOVSS (R12)(AX*4), X1
	VSUBSS X1, X14, X1           // label - sigma
	JMP  grad

low:                             // sigma = 0
	VMOVAPS X14, X1
	JMP  grad

high:                            // sigma = 1
	VSUBSS X11, X14, X1

grad:
	VMULSS X15, X1, X1           // g
	VMOVD X1, AX
	ADDL AX, AX                  // drop the sign: zero for ±0
	JE   next
	VBROADCASTSS X1, Z1
	MOVQ R11, CX
	XORQ AX, AX

update:
	VMOVUPS (DI)(AX*1), Z2       // w
	VMOVUPS (DX)(AX*1), Z3       // e
	VFMADD231PS Z2, Z1, Z3       // e += g*w
	VFMADD231PS (SI)(AX*1), Z1, Z2 // w += g*h
	VMOVUPS Z3, (DX)(AX*1)
	VMOVUPS Z2, (DI)(AX*1)
	ADDQ $64, AX
	DECQ CX
	JNE  update

next:
	VXORPS X14, X14, X14         // negatives have label 0
	INCQ BX
	JMP  target

done:
	VZEROUPPER
	RET

DATA one<>+0(SB)/4, $1.0
GLOBL one<>(SB), RODATA|NOPTR, $4
DATA six<>+0(SB)/4, $6.0
GLOBL six<>(SB), RODATA|NOPTR, $4
DATA scale<>+0(SB)/4, $83.0
GLOBL scale<>(SB), RODATA|NOPTR, $4

// func meanAVX512(dst, syn0 *float32, rows *int32, n, chunks int, inv float32)
// dst = inv * sum of syn0 rows[0..n) (rows of chunks*16 floats).
TEXT ·meanAVX512(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DX
	MOVQ syn0+8(FP), R8
	MOVQ rows+16(FP), R9
	MOVQ n+24(FP), R10
	MOVQ chunks+32(FP), R11
	VBROADCASTSS inv+40(FP), Z15
	MOVQ R11, R13
	SHLQ $6, R13
	XORQ CX, CX                  // byte offset of the chunk

mchunk:
	VPXORD Z0, Z0, Z0
	XORQ BX, BX

mrow:
	CMPQ BX, R10
	JGE  mstore
	MOVLQSX (R9)(BX*4), AX
	IMULQ R13, AX
	ADDQ CX, AX
	VADDPS (R8)(AX*1), Z0, Z0
	INCQ BX
	JMP  mrow

mstore:
	VMULPS Z15, Z0, Z0
	VMOVUPS Z0, (DX)(CX*1)
	ADDQ $64, CX
	DECQ R11
	JNE  mchunk
	VZEROUPPER
	RET

// func addRowsAVX512(e, syn0 *float32, rows *int32, n, chunks int)
// syn0[rows[k]] += e for k in [0, n), in order (a repeated row gets e twice).
TEXT ·addRowsAVX512(SB), NOSPLIT, $0-40
	MOVQ e+0(FP), SI
	MOVQ syn0+8(FP), R8
	MOVQ rows+16(FP), R9
	MOVQ n+24(FP), R10
	MOVQ chunks+32(FP), R11
	MOVQ R11, R13
	SHLQ $6, R13
	XORQ BX, BX

arow:
	CMPQ BX, R10
	JGE  adone
	MOVLQSX (R9)(BX*4), AX
	IMULQ R13, AX
	LEAQ (R8)(AX*1), DI
	MOVQ R11, CX
	XORQ AX, AX

achunk:
	VMOVUPS (DI)(AX*1), Z0
	VADDPS (SI)(AX*1), Z0, Z0
	VMOVUPS Z0, (DI)(AX*1)
	ADDQ $64, AX
	DECQ CX
	JNE  achunk
	INCQ BX
	JMP  arow

adone:
	VZEROUPPER
	RET
