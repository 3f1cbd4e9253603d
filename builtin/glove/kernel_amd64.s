//go:build !purego

#include "textflag.h"

// func dotAVX2(a, b []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

dot16:
	CMPQ CX, $16
	JL   dot8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  dot16

dot8:
	CMPQ CX, $8
	JL   dot4
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX

dot4:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	CMPQ CX, $4
	JL   dotred
	VMOVUPS (SI), X4
	VFMADD231PS (DI), X4, X0
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $4, CX

dotred:
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

dot1:
	TESTQ CX, CX
	JE    dotdone
	VMOVSS (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  dot1

dotdone:
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func updateAVX2(f float32, wi, wj, gi, gj []float32)
// t1 = f*wj; t2 = f*wi; wi -= t1/sqrt(gi); wj -= t2/sqrt(gj); gi += t1*t1; gj += t2*t2
TEXT ·updateAVX2(SB), NOSPLIT, $0-104
	VBROADCASTSS f+0(FP), Y15
	VBROADCASTSS half<>(SB), Y14
	VBROADCASTSS threehalves<>(SB), Y13
	MOVQ wi_base+8(FP), SI
	MOVQ wi_len+16(FP), CX
	MOVQ wj_base+32(FP), DI
	MOVQ gi_base+56(FP), R8
	MOVQ gj_base+80(FP), R9

upd8:
	CMPQ CX, $8
	JL   upd1
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	VMULPS Y1, Y15, Y2        // t1
	VMULPS Y0, Y15, Y3        // t2
	VMOVUPS (R8), Y4
	VMOVUPS (R9), Y5
	// 1/sqrt(g) by VRSQRTPS and one Newton step: y *= 1.5 - 0.5*g*y*y
	VRSQRTPS Y4, Y6
	VRSQRTPS Y5, Y7
	VMULPS Y6, Y6, Y8
	VMULPS Y7, Y7, Y9
	VMULPS Y4, Y14, Y10       // 0.5*g
	VMULPS Y5, Y14, Y11
	VMOVAPS Y13, Y12
	VFNMADD231PS Y10, Y8, Y12 // 1.5 - 0.5*g*y*y
	VMULPS Y12, Y6, Y6
	VMOVAPS Y13, Y12
	VFNMADD231PS Y11, Y9, Y12
	VMULPS Y12, Y7, Y7
	VFNMADD231PS Y6, Y2, Y0   // wi -= t1*rsqrt(gi)
	VFNMADD231PS Y7, Y3, Y1   // wj -= t2*rsqrt(gj)
	VFMADD231PS Y2, Y2, Y4
	VFMADD231PS Y3, Y3, Y5
	VMOVUPS Y0, (SI)
	VMOVUPS Y1, (DI)
	VMOVUPS Y4, (R8)
	VMOVUPS Y5, (R9)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  upd8

upd1:
	TESTQ CX, CX
	JE    upddone
	VMOVSS (SI), X0
	VMOVSS (DI), X1
	VMULSS X1, X15, X2
	VMULSS X0, X15, X3
	VMOVSS (R8), X4
	VMOVSS (R9), X5
	VSQRTSS X4, X4, X6
	VSQRTSS X5, X5, X7
	VDIVSS X6, X2, X8
	VDIVSS X7, X3, X9
	VSUBSS X8, X0, X0
	VSUBSS X9, X1, X1
	VFMADD231SS X2, X2, X4
	VFMADD231SS X3, X3, X5
	VMOVSS X0, (SI)
	VMOVSS X1, (DI)
	VMOVSS X4, (R8)
	VMOVSS X5, (R9)
	ADDQ $4, SI
	ADDQ $4, DI
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ CX
	JMP  upd1

upddone:
	VZEROUPPER
	RET

DATA half<>+0(SB)/4, $0.5
GLOBL half<>(SB), RODATA|NOPTR, $4
DATA threehalves<>+0(SB)/4, $1.5
GLOBL threehalves<>(SB), RODATA|NOPTR, $4
