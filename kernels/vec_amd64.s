//go:build amd64 && !purego

#include "textflag.h"

// AVX2+FMA vector kernels; the Go equivalents are in vector.go (the *Go
// functions). Main loops take 32 (or 8) elements per trip, then a scalar
// tail, so no load or store goes past the end of a slice.

// Constants, each broadcast from memory when used.
DATA vconst<>+0(SB)/4, $0x42b17218   // expHi 88.72283
DATA vconst<>+4(SB)/4, $0xc2aeac50   // expLo -87.33654
DATA vconst<>+8(SB)/4, $0x3fb8aa3b   // log2(e)
DATA vconst<>+12(SB)/4, $0x3f318000  // ln2 high 0.693359375
DATA vconst<>+16(SB)/4, $0xb95e8083  // ln2 low -2.12194440e-4
DATA vconst<>+20(SB)/4, $0x39506967  // p0 1.9875691500e-4
DATA vconst<>+24(SB)/4, $0x3ab743ce  // p1 1.3981999507e-3
DATA vconst<>+28(SB)/4, $0x3c088908  // p2 8.3334519073e-3
DATA vconst<>+32(SB)/4, $0x3d2aa9c1  // p3 4.1665795894e-2
DATA vconst<>+36(SB)/4, $0x3e2aaaaa  // p4 1.6666665459e-1
DATA vconst<>+40(SB)/4, $0x3f000000  // p5 0.5 (5.0000001201e-1 rounds to 0.5)
DATA vconst<>+44(SB)/4, $0x3f800000  // 1
DATA vconst<>+48(SB)/4, $0x0000007f  // exponent bias 127
DATA vconst<>+52(SB)/4, $0x7f800000  // +Inf
DATA vconst<>+56(SB)/4, $0x7fffffff  // abs mask
DATA vconst<>+60(SB)/4, $0x3f3504f3  // 1/sqrt(2)
DATA vconst<>+64(SB)/4, $0x3ea7ba05  // erf p 0.3275911
DATA vconst<>+68(SB)/4, $0x3e827906  // a1 0.254829592
DATA vconst<>+72(SB)/4, $0xbe91a98e  // a2 -0.284496736
DATA vconst<>+76(SB)/4, $0x3fb5f0e3  // a3 1.421413741
DATA vconst<>+80(SB)/4, $0xbfba00e3  // a4 -1.453152027
DATA vconst<>+84(SB)/4, $0x3f87dc22  // a5 1.061405429
DATA vconst<>+88(SB)/4, $0x3ecc422a  // 1/sqrt(2*pi) 0.3989422804
DATA vconst<>+92(SB)/4, $0x3f4c422a  // sqrt(2/pi) 0.7978845608
DATA vconst<>+96(SB)/4, $0x3d372713  // 0.044715
DATA vconst<>+100(SB)/4, $0x41a00000 // 20
DATA vconst<>+104(SB)/4, $0xc1a00000 // -20
DATA vconst<>+108(SB)/4, $0x3e095d4f // 3*0.044715 = 0.134145
DATA vconst<>+112(SB)/4, $0x40000000 // 2
DATA vconst<>+116(SB)/4, $0x00007fff // bf16 rounding bias
DATA vconst<>+120(SB)/4, $0x00000001 // 1 (integer)
DATA vconst<>+124(SB)/4, $0x00000040 // quiet bit of a bf16 NaN
GLOBL vconst<>(SB), RODATA|NOPTR, $128

#define C_EXPHI vconst<>+0(SB)
#define C_EXPLO vconst<>+4(SB)
#define C_LOG2E vconst<>+8(SB)
#define C_LN2HI vconst<>+12(SB)
#define C_LN2LO vconst<>+16(SB)
#define C_P0 vconst<>+20(SB)
#define C_P1 vconst<>+24(SB)
#define C_P2 vconst<>+28(SB)
#define C_P3 vconst<>+32(SB)
#define C_P4 vconst<>+36(SB)
#define C_P5 vconst<>+40(SB)
#define C_ONE vconst<>+44(SB)
#define C_BIAS vconst<>+48(SB)
#define C_INF vconst<>+52(SB)
#define C_ABS vconst<>+56(SB)
#define C_ISQRT2 vconst<>+60(SB)
#define C_ERFP vconst<>+64(SB)
#define C_A1 vconst<>+68(SB)
#define C_A2 vconst<>+72(SB)
#define C_A3 vconst<>+76(SB)
#define C_A4 vconst<>+80(SB)
#define C_A5 vconst<>+84(SB)
#define C_ISQRT2PI vconst<>+88(SB)
#define C_K0 vconst<>+92(SB)
#define C_K1 vconst<>+96(SB)
#define C_20 vconst<>+100(SB)
#define C_M20 vconst<>+104(SB)
#define C_3K1 vconst<>+108(SB)
#define C_TWO vconst<>+112(SB)
#define C_BF16BIAS vconst<>+116(SB)
#define C_I1 vconst<>+120(SB)
#define C_QNAN vconst<>+124(SB)

// EXP8 computes Y0 = exp(Y0) on 8 lanes with the algorithm of exp32: clamp,
// n = round(x·log2e), r = x - n·ln2 (two parts), a degree-6 polynomial,
// times 2^(n>>1)·2^(n-n>>1); then 0 below expLo, +Inf above expHi and NaN
// kept. Clobbers Y1-Y7.
#define EXP8 \
	VMOVAPS Y0, Y7; \
	VBROADCASTSS C_EXPHI, Y1; \
	VBROADCASTSS C_EXPLO, Y2; \
	VCMPPS $0x1e, Y1, Y0, Y5; \
	VCMPPS $0x11, Y2, Y0, Y6; \
	VMINPS Y1, Y0, Y3; \
	VMAXPS Y2, Y3, Y3; \
	VBROADCASTSS C_LOG2E, Y1; \
	VMULPS Y1, Y3, Y1; \
	VROUNDPS $0, Y1, Y1; \
	VBROADCASTSS C_LN2HI, Y2; \
	VFNMADD231PS Y2, Y1, Y3; \
	VBROADCASTSS C_LN2LO, Y2; \
	VFNMADD231PS Y2, Y1, Y3; \
	VBROADCASTSS C_P0, Y2; \
	VBROADCASTSS C_P1, Y4; \
	VFMADD213PS Y4, Y3, Y2; \
	VBROADCASTSS C_P2, Y4; \
	VFMADD213PS Y4, Y3, Y2; \
	VBROADCASTSS C_P3, Y4; \
	VFMADD213PS Y4, Y3, Y2; \
	VBROADCASTSS C_P4, Y4; \
	VFMADD213PS Y4, Y3, Y2; \
	VBROADCASTSS C_P5, Y4; \
	VFMADD213PS Y4, Y3, Y2; \
	VMULPS Y3, Y3, Y4; \
	VBROADCASTSS C_ONE, Y0; \
	VADDPS Y0, Y3, Y3; \
	VFMADD213PS Y3, Y4, Y2; \
	VCVTPS2DQ Y1, Y1; \
	VPSRAD $1, Y1, Y3; \
	VPSUBD Y3, Y1, Y1; \
	VPBROADCASTD C_BIAS, Y4; \
	VPADDD Y4, Y3, Y3; \
	VPADDD Y4, Y1, Y1; \
	VPSLLD $23, Y3, Y3; \
	VPSLLD $23, Y1, Y1; \
	VMULPS Y3, Y2, Y2; \
	VMULPS Y1, Y2, Y0; \
	VANDNPS Y0, Y6, Y0; \
	VBROADCASTSS C_INF, Y1; \
	VBLENDVPS Y5, Y1, Y0, Y0; \
	VCMPPS $0x03, Y7, Y7, Y5; \
	VBLENDVPS Y5, Y7, Y0, Y0

// HSUM reduces Y0 to its lane sum in X0 (lane 0). Clobbers Y1.
#define HSUM \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

// HADDB and HMAXB set every lane of y to the sum or the max of its eight
// lanes, with t as scratch.
#define HADDB(y, t) \
	VPERM2F128 $0x01, y, y, t; \
	VADDPS t, y, y; \
	VPERMILPS $0x4e, y, t; \
	VADDPS t, y, y; \
	VPERMILPS $0xb1, y, t; \
	VADDPS t, y, y

#define HMAXB(y, t) \
	VPERM2F128 $0x01, y, y, t; \
	VMAXPS t, y, y; \
	VPERMILPS $0x4e, y, t; \
	VMAXPS t, y, y; \
	VPERMILPS $0xb1, y, t; \
	VMAXPS t, y, y

// func dotAVX2(x, y []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
dot32:
	CMPQ CX, $32
	JL dot8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP dot32
dot8:
	CMPQ CX, $8
	JL dotred
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP dot8
dotred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM
dottail:
	TESTQ CX, CX
	JE dotdone
	VMOVSS (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP dottail
dotdone:
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func sumAVX2(x []float32) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
sum32:
	CMPQ CX, $32
	JL sum8
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP sum32
sum8:
	CMPQ CX, $8
	JL sumred
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP sum8
sumred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM
sumtail:
	TESTQ CX, CX
	JE sumdone
	VADDSS (SI), X0, X0
	ADDQ $4, SI
	DECQ CX
	JMP sumtail
sumdone:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func sumSqDevAVX2(x []float32, mu float32) float32
TEXT ·sumSqDevAVX2(SB), NOSPLIT, $0-36
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS mu+24(FP), Y8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
ssd32:
	CMPQ CX, $32
	JL ssd8
	VSUBPS (SI), Y8, Y4
	VSUBPS 32(SI), Y8, Y5
	VSUBPS 64(SI), Y8, Y6
	VSUBPS 96(SI), Y8, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP ssd32
ssd8:
	CMPQ CX, $8
	JL ssdred
	VSUBPS (SI), Y8, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP ssd8
ssdred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM
ssdtail:
	TESTQ CX, CX
	JE ssddone
	VMOVSS (SI), X4
	VSUBSS X8, X4, X4
	VFMADD231SS X4, X4, X0
	ADDQ $4, SI
	DECQ CX
	JMP ssdtail
ssddone:
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func maxAVX2(x []float32) float32
// NaNs are skipped: VMAXPS returns its second source (the running maximum)
// when the new element is NaN.
TEXT ·maxAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS C_INF, Y0
	VXORPS Y1, Y1, Y1
	VSUBPS Y0, Y1, Y0
	VMOVAPS Y0, Y1
max16:
	CMPQ CX, $16
	JL max8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMAXPS Y0, Y4, Y0
	VMAXPS Y1, Y5, Y1
	ADDQ $64, SI
	SUBQ $16, CX
	JMP max16
max8:
	CMPQ CX, $8
	JL maxred
	VMOVUPS (SI), Y4
	VMAXPS Y0, Y4, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP max8
maxred:
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
maxtail:
	TESTQ CX, CX
	JE maxdone
	VMOVSS (SI), X4
	VMAXSS X0, X4, X0
	ADDQ $4, SI
	DECQ CX
	JMP maxtail
maxdone:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX2(alpha float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y8
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
axpy32:
	CMPQ CX, $32
	JL axpy8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y8, Y1
	VFMADD231PS 64(SI), Y8, Y2
	VFMADD231PS 96(SI), Y8, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP axpy32
axpy8:
	CMPQ CX, $8
	JL axpytail
	VMOVUPS (DI), Y0
	VFMADD231PS (SI), Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP axpy8
axpytail:
	TESTQ CX, CX
	JE axpydone
	VMOVSS (DI), X0
	VFMADD231SS (SI), X8, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP axpytail
axpydone:
	VZEROUPPER
	RET

// func scaleAVX2(alpha float32, x []float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y8
	MOVQ x_base+8(FP), DI
	MOVQ x_len+16(FP), CX
scale32:
	CMPQ CX, $32
	JL scale8
	VMULPS (DI), Y8, Y0
	VMULPS 32(DI), Y8, Y1
	VMULPS 64(DI), Y8, Y2
	VMULPS 96(DI), Y8, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	SUBQ $32, CX
	JMP scale32
scale8:
	CMPQ CX, $8
	JL scaletail
	VMULPS (DI), Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP scale8
scaletail:
	TESTQ CX, CX
	JE scaledone
	VMULSS (DI), X8, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	DECQ CX
	JMP scaletail
scaledone:
	VZEROUPPER
	RET

// BINOP defines func name(dst, x, y []float32) computing dst = x OP y.
#define BINOP(name, OP, OPSS) \
TEXT name(SB), NOSPLIT, $0-72; \
	MOVQ dst_base+0(FP), DI; \
	MOVQ dst_len+8(FP), CX; \
	MOVQ x_base+24(FP), SI; \
	MOVQ y_base+48(FP), DX; \
b32: \
	CMPQ CX, $32; \
	JL b8; \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VMOVUPS 64(SI), Y2; \
	VMOVUPS 96(SI), Y3; \
	OP (DX), Y0, Y0; \
	OP 32(DX), Y1, Y1; \
	OP 64(DX), Y2, Y2; \
	OP 96(DX), Y3, Y3; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	ADDQ $128, SI; \
	ADDQ $128, DX; \
	ADDQ $128, DI; \
	SUBQ $32, CX; \
	JMP b32; \
b8: \
	CMPQ CX, $8; \
	JL btail; \
	VMOVUPS (SI), Y0; \
	OP (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP b8; \
btail: \
	TESTQ CX, CX; \
	JE bdone; \
	VMOVSS (SI), X0; \
	OPSS (DX), X0, X0; \
	VMOVSS X0, (DI); \
	ADDQ $4, SI; \
	ADDQ $4, DX; \
	ADDQ $4, DI; \
	DECQ CX; \
	JMP btail; \
bdone: \
	VZEROUPPER; \
	RET

// func addAVX2(dst, x, y []float32)
BINOP(·addAVX2, VADDPS, VADDSS)

// func mulAVX2(dst, x, y []float32)
BINOP(·mulAVX2, VMULPS, VMULSS)

// The kernels below handle a multiple of 8 elements; the Go wrappers in
// vec_amd64.go run the tail through the portable code.

// PHI8: in Y0 = x; out Y10 = Φ(x), Y11 = exp(-x²/2), Y12 = x (as phi).
#define PHI8 \
	VMOVAPS Y0, Y12; \
	VBROADCASTSS C_ISQRT2, Y1; \
	VMULPS Y1, Y0, Y13; \
	VBROADCASTSS C_ABS, Y1; \
	VANDPS Y1, Y13, Y13; \
	VMULPS Y13, Y13, Y0; \
	VXORPS Y1, Y1, Y1; \
	VSUBPS Y0, Y1, Y0; \
	EXP8; \
	VMOVAPS Y0, Y11; \
	VBROADCASTSS C_ERFP, Y1; \
	VBROADCASTSS C_ONE, Y2; \
	VFMADD213PS Y2, Y13, Y1; \
	VDIVPS Y1, Y2, Y1; \
	VBROADCASTSS C_A5, Y3; \
	VBROADCASTSS C_A4, Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VBROADCASTSS C_A3, Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VBROADCASTSS C_A2, Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VBROADCASTSS C_A1, Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VMULPS Y1, Y3, Y3; \
	VMULPS Y11, Y3, Y3; \
	VBROADCASTSS C_P5, Y4; \
	VMULPS Y4, Y3, Y3; \
	VSUBPS Y3, Y2, Y10; \
	VBLENDVPS Y12, Y3, Y10, Y10

// TANHP8: in Y0 = x; out Y10 = e·s, Y11 = s (see tanhParts), Y12 = x,
// Y13 = x².
#define TANHP8 \
	VMOVAPS Y0, Y12; \
	VMULPS Y0, Y0, Y13; \
	VBROADCASTSS C_K1, Y1; \
	VBROADCASTSS C_ONE, Y2; \
	VFMADD213PS Y2, Y13, Y1; \
	VMULPS Y12, Y1, Y1; \
	VBROADCASTSS C_K0, Y2; \
	VMULPS Y2, Y1, Y0; \
	VBROADCASTSS C_20, Y1; \
	VMINPS Y1, Y0, Y0; \
	VBROADCASTSS C_M20, Y1; \
	VMAXPS Y1, Y0, Y0; \
	VADDPS Y0, Y0, Y0; \
	EXP8; \
	VBROADCASTSS C_ONE, Y1; \
	VADDPS Y1, Y0, Y2; \
	VDIVPS Y2, Y1, Y11; \
	VMULPS Y11, Y0, Y10

// func expAVX2(dst, x []float32)
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	SHRQ $3, CX
	JZ expdone
exploop:
	VMOVUPS (SI), Y0
	EXP8
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ exploop
expdone:
	VZEROUPPER
	RET

// func expSubAVX2(dst, x []float32, c float32) float32
TEXT ·expSubAVX2(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS c+48(FP), Y8
	VXORPS Y9, Y9, Y9
	SHRQ $3, CX
	JZ esdone
esloop:
	VMOVUPS (SI), Y0
	VSUBPS Y8, Y0, Y0
	EXP8
	VADDPS Y0, Y9, Y9
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ esloop
esdone:
	VMOVAPS Y9, Y0
	HSUM
	VMOVSS X0, ret+56(FP)
	VZEROUPPER
	RET

// func geluAVX2(dst, x []float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	SHRQ $3, CX
	JZ gdone
gloop:
	VMOVUPS (SI), Y0
	PHI8
	VMULPS Y10, Y12, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ gloop
gdone:
	VZEROUPPER
	RET

// func geluBackwardAVX2(dx, dy, x []float32)
TEXT ·geluBackwardAVX2(SB), NOSPLIT, $0-72
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ dy_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	SHRQ $3, CX
	JZ gbdone
gbloop:
	VMOVUPS (SI), Y0
	PHI8
	VBROADCASTSS C_ISQRT2PI, Y1
	VMULPS Y1, Y11, Y1
	VFMADD213PS Y10, Y12, Y1
	VMULPS (DX), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ gbloop
gbdone:
	VZEROUPPER
	RET

// func geluTanhAVX2(dst, x []float32)
TEXT ·geluTanhAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	SHRQ $3, CX
	JZ gtdone
gtloop:
	VMOVUPS (SI), Y0
	TANHP8
	VMULPS Y10, Y12, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ gtloop
gtdone:
	VZEROUPPER
	RET

// func geluTanhBackwardAVX2(dx, dy, x []float32)
TEXT ·geluTanhBackwardAVX2(SB), NOSPLIT, $0-72
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ dy_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	SHRQ $3, CX
	JZ gtbdone
gtbloop:
	VMOVUPS (SI), Y0
	TANHP8
	VBROADCASTSS C_3K1, Y1
	VBROADCASTSS C_ONE, Y2
	VFMADD213PS Y2, Y13, Y1
	VBROADCASTSS C_K0, Y3
	VMULPS Y3, Y1, Y1
	VMULPS Y11, Y1, Y1
	VMULPS Y12, Y1, Y1
	VADDPS Y1, Y1, Y1
	VADDPS Y2, Y1, Y1
	VMULPS Y10, Y1, Y1
	VMULPS (DX), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ gtbloop
gtbdone:
	VZEROUPPER
	RET

// func adamAVX2(param, grad, m, v []float32, p *adamParams)
TEXT ·adamAVX2(SB), NOSPLIT, $0-104
	MOVQ param_base+0(FP), DI
	MOVQ param_len+8(FP), CX
	MOVQ grad_base+24(FP), SI
	MOVQ m_base+48(FP), R8
	MOVQ v_base+72(FP), R9
	MOVQ p+96(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	VBROADCASTSS 20(AX), Y13
	VBROADCASTSS 24(AX), Y14
	VBROADCASTSS 28(AX), Y15
	SHRQ $3, CX
	JZ adone
aloop:
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VFMADD231PS Y15, Y0, Y1
	VBROADCASTSS C_ONE, Y4
	VSUBPS Y9, Y4, Y5
	VMULPS Y1, Y5, Y5
	VFMADD231PS (R8), Y9, Y5
	VSUBPS Y10, Y4, Y6
	VMULPS Y1, Y6, Y6
	VMULPS Y1, Y6, Y6
	VFMADD231PS (R9), Y10, Y6
	VMOVUPS Y5, (R8)
	VMOVUPS Y6, (R9)
	VMULPS Y13, Y6, Y7
	VSQRTPS Y7, Y7
	VADDPS Y11, Y7, Y7
	VMULPS Y12, Y5, Y4
	VMULPS Y8, Y4, Y4
	VDIVPS Y7, Y4, Y4
	VMULPS Y14, Y0, Y0
	VSUBPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ aloop
adone:
	VZEROUPPER
	RET

// func toBF16AVX2(dst []uint16, src []float32)
TEXT ·toBF16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	VPBROADCASTD C_I1, Y13
	VPBROADCASTD C_BF16BIAS, Y14
	VPBROADCASTD C_ABS, Y12
	VPBROADCASTD C_INF, Y11
	VPBROADCASTD C_QNAN, Y10
	SHRQ $3, CX
	JZ tbdone
tbloop:
	VMOVDQU (SI), Y0
	VPSRLD $16, Y0, Y1
	VPAND Y13, Y1, Y1
	VPADDD Y14, Y1, Y1
	VPADDD Y0, Y1, Y1
	VPSRLD $16, Y1, Y1
	VPAND Y12, Y0, Y2
	VPCMPGTD Y11, Y2, Y2
	VPSRLD $16, Y0, Y3
	VPOR Y10, Y3, Y3
	VPBLENDVB Y2, Y3, Y1, Y1
	VPACKUSDW Y1, Y1, Y1
	VPERMQ $0x08, Y1, Y1
	VMOVDQU X1, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	DECQ CX
	JNZ tbloop
tbdone:
	VZEROUPPER
	RET

// func fromBF16AVX2(dst []float32, src []uint16)
TEXT ·fromBF16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ fbdone
fbloop:
	VPMOVZXWD (SI), Y0
	VPSLLD $16, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ fbloop
fbdone:
	VZEROUPPER
	RET

// func normAffineAVX2(dst, x, gamma, beta []float32, mu, rs float32)
// dst = (x-mu)·rs·gamma + beta on len(dst) &^ 7 elements.
TEXT ·normAffineAVX2(SB), NOSPLIT, $0-104
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ gamma_base+48(FP), R8
	MOVQ beta_base+72(FP), R9
	VBROADCASTSS mu+96(FP), Y8
	VBROADCASTSS rs+100(FP), Y9
	SHRQ $3, CX
	JZ nadone
naloop:
	VMOVUPS (SI), Y0
	VSUBPS Y8, Y0, Y0
	VMULPS Y9, Y0, Y0
	VMOVUPS (R9), Y1
	VFMADD231PS (R8), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ naloop
nadone:
	VZEROUPPER
	RET

// func normAVX2(dst, x []float32, mu, rs float32)
// dst = (x-mu)·rs on len(dst) &^ 7 elements.
TEXT ·normAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS mu+48(FP), Y8
	VBROADCASTSS rs+52(FP), Y9
	SHRQ $3, CX
	JZ nodone
noloop:
	VMOVUPS (SI), Y0
	VSUBPS Y8, Y0, Y0
	VMULPS Y9, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ noloop
nodone:
	VZEROUPPER
	RET

// func mulAddAVX2(dst, x, y []float32)
// dst += x·y on len(dst) &^ 7 elements.
TEXT ·mulAddAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	SHRQ $3, CX
	JZ madone
maloop:
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VFMADD231PS (DX), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ maloop
madone:
	VZEROUPPER
	RET

// func lnDxAVX2(dx, g, xh []float32, rs, mg, mgx float32)
// dx = rs·(g - mg - xh·mgx) on len(dx) &^ 7 elements.
TEXT ·lnDxAVX2(SB), NOSPLIT, $0-84
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ xh_base+48(FP), DX
	VBROADCASTSS rs+72(FP), Y8
	VBROADCASTSS mg+76(FP), Y9
	VBROADCASTSS mgx+80(FP), Y10
	SHRQ $3, CX
	JZ lddone
ldloop:
	VMOVUPS (SI), Y0
	VSUBPS Y9, Y0, Y0
	VMOVUPS (DX), Y1
	VFNMADD231PS Y10, Y1, Y0
	VMULPS Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ ldloop
lddone:
	VZEROUPPER
	RET

// func toBF16AVX512(dst []uint16, src []float32)
// toBF16Go on len(src) &^ 15 elements, 16 per trip.
TEXT ·toBF16AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	VPBROADCASTD C_I1, Z13
	VPBROADCASTD C_BF16BIAS, Z14
	VPBROADCASTD C_ABS, Z12
	VPBROADCASTD C_INF, Z11
	VPBROADCASTD C_QNAN, Z10
	SHRQ $4, CX
	JZ tzdone
tzloop:
	VMOVDQU32 (SI), Z0
	VPSRLD $16, Z0, Z1
	VPANDD Z13, Z1, Z1
	VPADDD Z14, Z1, Z1
	VPADDD Z0, Z1, Z1
	VPSRLD $16, Z1, Z1
	VPANDD Z12, Z0, Z2
	VPCMPGTD Z11, Z2, K1
	VPSRLD $16, Z0, Z3
	VPORD Z10, Z3, Z3
	VMOVDQA32 Z3, K1, Z1
	VPMOVDW Z1, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ tzloop
tzdone:
	VZEROUPPER
	RET

// func fromBF16AVX512(dst []float32, src []uint16)
// fromBF16Go on len(src) &^ 15 elements, 16 per trip.
TEXT ·fromBF16AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $4, CX
	JZ fzdone
fzloop:
	VPMOVZXWD (SI), Z0
	VPSLLD $16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ fzloop
fzdone:
	VZEROUPPER
	RET

// func lnRowsAVX2(dst, x, gamma, beta []float32, mean, rstd *float32, rows, cols int, invCols, eps float32)
// LayerNorm over rows rows of cols elements, gamma and beta given: per row a
// sum pass (mean), a squared-deviation pass (rstd = 1/sqrt(var+eps)) and an
// affine pass dst = (x-mean)·rstd·gamma + beta. mean and rstd, when not nil,
// receive the statistics (one per row).
TEXT ·lnRowsAVX2(SB), NOSPLIT, $0-136
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ gamma_base+48(FP), R8
	MOVQ beta_base+72(FP), R9
	MOVQ mean+96(FP), R10
	MOVQ rstd+104(FP), R11
	MOVQ rows+112(FP), R12
	MOVQ cols+120(FP), R13
	VMOVSS invCols+128(FP), X15
	VMOVSS eps+132(FP), X14
	MOVQ R13, AX
	SHLQ $2, AX
	TESTQ R12, R12
	JE lndone
lnrow:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ BX, BX
	MOVQ R13, CX
ls32:
	CMPQ CX, $32
	JL ls8
	VADDPS (SI)(BX*1), Y0, Y0
	VADDPS 32(SI)(BX*1), Y1, Y1
	VADDPS 64(SI)(BX*1), Y2, Y2
	VADDPS 96(SI)(BX*1), Y3, Y3
	ADDQ $128, BX
	SUBQ $32, CX
	JMP ls32
ls8:
	CMPQ CX, $8
	JL lsred
	VADDPS (SI)(BX*1), Y0, Y0
	ADDQ $32, BX
	SUBQ $8, CX
	JMP ls8
lsred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM
lstail:
	TESTQ CX, CX
	JE lsdone
	VADDSS (SI)(BX*1), X0, X0
	ADDQ $4, BX
	DECQ CX
	JMP lstail
lsdone:
	VMULSS X15, X0, X9
	VBROADCASTSS X9, Y8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ BX, BX
	MOVQ R13, CX
lq32:
	CMPQ CX, $32
	JL lq8
	VSUBPS (SI)(BX*1), Y8, Y4
	VSUBPS 32(SI)(BX*1), Y8, Y5
	VSUBPS 64(SI)(BX*1), Y8, Y6
	VSUBPS 96(SI)(BX*1), Y8, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, BX
	SUBQ $32, CX
	JMP lq32
lq8:
	CMPQ CX, $8
	JL lqred
	VSUBPS (SI)(BX*1), Y8, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, BX
	SUBQ $8, CX
	JMP lq8
lqred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM
lqtail:
	TESTQ CX, CX
	JE lqdone
	VMOVSS (SI)(BX*1), X4
	VSUBSS X8, X4, X4
	VFMADD231SS X4, X4, X0
	ADDQ $4, BX
	DECQ CX
	JMP lqtail
lqdone:
	VMULSS X15, X0, X0
	VADDSS X14, X0, X0
	VSQRTSS X0, X0, X0
	VBROADCASTSS C_ONE, X1
	VDIVSS X0, X1, X10
	TESTQ R10, R10
	JE lnnostat
	VMOVSS X9, (R10)
	VMOVSS X10, (R11)
	ADDQ $4, R10
	ADDQ $4, R11
lnnostat:
	VBROADCASTSS X10, Y9
	XORQ BX, BX
	MOVQ R13, CX
la8:
	CMPQ CX, $8
	JL latail
	VMOVUPS (SI)(BX*1), Y0
	VSUBPS Y8, Y0, Y0
	VMULPS Y9, Y0, Y0
	VMOVUPS (R9)(BX*1), Y1
	VFMADD231PS (R8)(BX*1), Y0, Y1
	VMOVUPS Y1, (DI)(BX*1)
	ADDQ $32, BX
	SUBQ $8, CX
	JMP la8
latail:
	TESTQ CX, CX
	JE larow
	VMOVSS (SI)(BX*1), X0
	VSUBSS X8, X0, X0
	VMULSS X9, X0, X0
	VMOVSS (R9)(BX*1), X1
	VFMADD231SS (R8)(BX*1), X0, X1
	VMOVSS X1, (DI)(BX*1)
	ADDQ $4, BX
	DECQ CX
	JMP latail
larow:
	ADDQ AX, SI
	ADDQ AX, DI
	DECQ R12
	JNZ lnrow
lndone:
	VZEROUPPER
	RET

// func lnBackRowsAVX2(dx, dgamma, dbeta, dy, x, gamma, mean, rstd *float32, rows, cols int, invCols float32)
// LayerNormRowsBackward for an affine LayerNorm with cols a multiple of 8,
// all rows in one call. Per row, pass 1: x̂ = (x−μ)·rstd, dβ += dy,
// dγ += dy·x̂, g = dy·γ, Σg, Σg·x̂; pass 2 (x̂ and g recomputed):
// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
TEXT ·lnBackRowsAVX2(SB), NOSPLIT, $0-84
	MOVQ dx+0(FP), DI
	MOVQ dgamma+8(FP), R8
	MOVQ dbeta+16(FP), R9
	MOVQ dy+24(FP), SI
	MOVQ x+32(FP), DX
	MOVQ gamma+40(FP), R10
	MOVQ mean+48(FP), R11
	MOVQ rstd+56(FP), R12
	MOVQ rows+64(FP), CX
	MOVQ cols+72(FP), R13
	SHLQ $2, R13
	VBROADCASTSS invCols+80(FP), Y11
	TESTQ CX, CX
	JE lbdone
lbrow:
	VBROADCASTSS (R11), Y14
	VBROADCASTSS (R12), Y15
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	XORQ BX, BX
lbp1:
	VMOVUPS (DX)(BX*1), Y0
	VSUBPS Y14, Y0, Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS (SI)(BX*1), Y1
	VADDPS (R9)(BX*1), Y1, Y2
	VMOVUPS Y2, (R9)(BX*1)
	VMOVUPS (R8)(BX*1), Y3
	VFMADD231PS Y1, Y0, Y3
	VMOVUPS Y3, (R8)(BX*1)
	VMULPS (R10)(BX*1), Y1, Y1
	VADDPS Y1, Y12, Y12
	VFMADD231PS Y1, Y0, Y13
	ADDQ $32, BX
	CMPQ BX, R13
	JL lbp1
	HADDB(Y12, Y1)
	VMULPS Y11, Y12, Y12
	HADDB(Y13, Y1)
	VMULPS Y11, Y13, Y13
	XORQ BX, BX
lbp2:
	VMOVUPS (DX)(BX*1), Y0
	VSUBPS Y14, Y0, Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS (SI)(BX*1), Y1
	VMULPS (R10)(BX*1), Y1, Y1
	VSUBPS Y12, Y1, Y1
	VFNMADD231PS Y13, Y0, Y1
	VMULPS Y15, Y1, Y1
	VMOVUPS Y1, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, R13
	JL lbp2
	ADDQ R13, DI
	ADDQ R13, SI
	ADDQ R13, DX
	ADDQ $4, R11
	ADDQ $4, R12
	DECQ CX
	JNZ lbrow
lbdone:
	VZEROUPPER
	RET

// func sumRowsAVX2(dst, x *float32, rows, cols int)
// dst[j] += Σ_i x[i·cols+j] for j < cols, cols a multiple of 8: strips of
// 64 columns summed down all rows in eight accumulators (then strips of 8
// in one), so dst is read and written once per strip, not once per row.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R11
	SHLQ $2, R11
	MOVQ R11, R9
sr64:
	CMPQ R9, $256
	JL sr8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ SI, AX
	MOVQ R8, CX
	TESTQ CX, CX
	JE sr64store
sr64row:
	VADDPS (AX), Y0, Y0
	VADDPS 32(AX), Y1, Y1
	VADDPS 64(AX), Y2, Y2
	VADDPS 96(AX), Y3, Y3
	VADDPS 128(AX), Y4, Y4
	VADDPS 160(AX), Y5, Y5
	VADDPS 192(AX), Y6, Y6
	VADDPS 224(AX), Y7, Y7
	ADDQ R11, AX
	DECQ CX
	JNZ sr64row
sr64store:
	VADDPS (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	VADDPS 32(DI), Y1, Y1
	VMOVUPS Y1, 32(DI)
	VADDPS 64(DI), Y2, Y2
	VMOVUPS Y2, 64(DI)
	VADDPS 96(DI), Y3, Y3
	VMOVUPS Y3, 96(DI)
	VADDPS 128(DI), Y4, Y4
	VMOVUPS Y4, 128(DI)
	VADDPS 160(DI), Y5, Y5
	VMOVUPS Y5, 160(DI)
	VADDPS 192(DI), Y6, Y6
	VMOVUPS Y6, 192(DI)
	VADDPS 224(DI), Y7, Y7
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $256, R9
	JMP sr64
sr8:
	CMPQ R9, $32
	JL srdone
	VXORPS Y0, Y0, Y0
	MOVQ SI, AX
	MOVQ R8, CX
	TESTQ CX, CX
	JE sr8store
sr8row:
	VADDPS (AX), Y0, Y0
	ADDQ R11, AX
	DECQ CX
	JNZ sr8row
sr8store:
	VADDPS (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $32, R9
	JMP sr8
srdone:
	VZEROUPPER
	RET

// func softmaxRowsInPlaceAVX2(p *float32, rows, cols int)
// Each row of p (cols a multiple of 8) becomes its softmax: max, exp of
// the differences (EXP8) with their sum, scale by 1/sum; a row whose max is
// -Inf (every entry masked) becomes zeros.
TEXT ·softmaxRowsInPlaceAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ cols+16(FP), R9
	SHLQ $2, R9
	VBROADCASTSS C_INF, Y10
	VXORPS Y11, Y11, Y11
	VSUBPS Y10, Y11, Y10
	TESTQ R8, R8
	JE smdone
smrow:
	VMOVUPS (DI), Y8
	MOVQ $32, BX
smmax:
	CMPQ BX, R9
	JGE smhmax
	VMAXPS (DI)(BX*1), Y8, Y8
	ADDQ $32, BX
	JMP smmax
smhmax:
	HMAXB(Y8, Y9)
	VCMPPS $0, Y10, Y8, Y11
	VMOVMSKPS Y11, AX
	TESTL AX, AX
	JNZ smzero
	VXORPS Y12, Y12, Y12
	XORQ BX, BX
smexp:
	VMOVUPS (DI)(BX*1), Y0
	VSUBPS Y8, Y0, Y0
	EXP8
	VMOVUPS Y0, (DI)(BX*1)
	VADDPS Y0, Y12, Y12
	ADDQ $32, BX
	CMPQ BX, R9
	JL smexp
	HADDB(Y12, Y9)
	VBROADCASTSS C_ONE, Y9
	VDIVPS Y12, Y9, Y12
	XORQ BX, BX
smscale:
	VMULPS (DI)(BX*1), Y12, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, R9
	JL smscale
	JMP smnext
smzero:
	VXORPS Y0, Y0, Y0
	XORQ BX, BX
smz:
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, R9
	JL smz
smnext:
	ADDQ R9, DI
	DECQ R8
	JNZ smrow
smdone:
	VZEROUPPER
	RET

// func softmaxBackRowsAVX2(dp, p *float32, rows, cols int)
// dp = p⊙(dp − Σ_j p⊙dp) row by row, cols a multiple of 8: the gradient
// through a softmax whose output was p.
TEXT ·softmaxBackRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ dp+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R9
	SHLQ $2, R9
	TESTQ R8, R8
	JE sbdone
sbrow:
	VXORPS Y8, Y8, Y8
	XORQ BX, BX
sbdot:
	VMOVUPS (SI)(BX*1), Y0
	VFMADD231PS (DI)(BX*1), Y0, Y8
	ADDQ $32, BX
	CMPQ BX, R9
	JL sbdot
	HADDB(Y8, Y9)
	XORQ BX, BX
sbscale:
	VMOVUPS (DI)(BX*1), Y0
	VSUBPS Y8, Y0, Y0
	VMULPS (SI)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, R9
	JL sbscale
	ADDQ R9, SI
	ADDQ R9, DI
	DECQ R8
	JNZ sbrow
sbdone:
	VZEROUPPER
	RET
