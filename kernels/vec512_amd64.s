//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 vector kernels (zmm, 16 lanes); the Go equivalents are in
// vector.go. Every kernel handles the whole slice: full vectors, then one
// masked vector (K1) for the last len%16 elements, so nothing is read or
// written past the end (masked lanes of loads and stores do not fault).

DATA v512c<>+0(SB)/4, $0xc2aeac50   // expLo -87.33654
DATA v512c<>+4(SB)/4, $0x42c80000   // 100: exp's upper clamp, far enough above expHi to overflow to +Inf
DATA v512c<>+8(SB)/4, $0x3fb8aa3b   // log2(e)
DATA v512c<>+12(SB)/4, $0x3f318000  // ln2 high 0.693359375
DATA v512c<>+16(SB)/4, $0xb95e8083  // ln2 low -2.12194440e-4
DATA v512c<>+20(SB)/4, $0x39506967  // p0 1.9875691500e-4
DATA v512c<>+24(SB)/4, $0x3ab743ce  // p1 1.3981999507e-3
DATA v512c<>+28(SB)/4, $0x3c088908  // p2 8.3334519073e-3
DATA v512c<>+32(SB)/4, $0x3d2aa9c1  // p3 4.1665795894e-2
DATA v512c<>+36(SB)/4, $0x3e2aaaaa  // p4 1.6666665459e-1
DATA v512c<>+40(SB)/4, $0x3f000000  // p5 0.5, also ½
DATA v512c<>+44(SB)/4, $0x3f800000  // 1
DATA v512c<>+48(SB)/4, $0x7fffffff  // abs mask
DATA v512c<>+52(SB)/4, $0x80000000  // sign bit
DATA v512c<>+56(SB)/4, $0x3f3504f3  // 1/sqrt(2)
DATA v512c<>+60(SB)/4, $0x3ea7ba05  // erf p 0.3275911
DATA v512c<>+64(SB)/4, $0x3e027906  // a1/2 (the a are halved so that the polynomial gives ½erfc)
DATA v512c<>+68(SB)/4, $0xbe11a98e  // a2/2, a2 = -0.284496736
DATA v512c<>+72(SB)/4, $0x3f35f0e3  // a3/2, a3 = 1.421413741
DATA v512c<>+76(SB)/4, $0xbf3a00e3  // a4/2, a4 = -1.453152027
DATA v512c<>+80(SB)/4, $0x3f07dc22  // a5/2, a5 = 1.061405429
DATA v512c<>+84(SB)/4, $0x3ecc422a  // 1/sqrt(2*pi)
DATA v512c<>+88(SB)/4, $0x3fcc422a  // 2·k0, k0 = sqrt(2/pi)
DATA v512c<>+92(SB)/4, $0x3d372713  // k1 0.044715
DATA v512c<>+96(SB)/4, $0x42200000  // 40: tanhParts' clamp of u at ±20, on 2u
DATA v512c<>+100(SB)/4, $0xc2200000 // -40
DATA v512c<>+104(SB)/4, $0x3e095d4f // 3·k1
DATA v512c<>+108(SB)/4, $0x5d5e0b6b // 1e18: PHI16's cap on |z| for t
DATA v512c<>+112(SB)/4, $0xff800000 // -Inf
GLOBL v512c<>(SB), RODATA|NOPTR, $116

#define Z_EXPLO v512c<>+0(SB)
#define Z_CLAMP v512c<>+4(SB)
#define Z_LOG2E v512c<>+8(SB)
#define Z_LN2HI v512c<>+12(SB)
#define Z_LN2LO v512c<>+16(SB)
#define Z_P0 v512c<>+20(SB)
#define Z_P1 v512c<>+24(SB)
#define Z_P2 v512c<>+28(SB)
#define Z_P3 v512c<>+32(SB)
#define Z_P4 v512c<>+36(SB)
#define Z_P5 v512c<>+40(SB)
#define Z_ONE v512c<>+44(SB)
#define Z_ABS v512c<>+48(SB)
#define Z_SIGN v512c<>+52(SB)
#define Z_ISQRT2 v512c<>+56(SB)
#define Z_ERFP v512c<>+60(SB)
#define Z_A1 v512c<>+64(SB)
#define Z_A2 v512c<>+68(SB)
#define Z_A3 v512c<>+72(SB)
#define Z_A4 v512c<>+76(SB)
#define Z_A5 v512c<>+80(SB)
#define Z_ISQRT2PI v512c<>+84(SB)
#define Z_2K0 v512c<>+88(SB)
#define Z_K1 v512c<>+92(SB)
#define Z_40 v512c<>+96(SB)
#define Z_M40 v512c<>+100(SB)
#define Z_3K1 v512c<>+104(SB)
#define Z_BIG v512c<>+108(SB)
#define Z_MINF v512c<>+112(SB)

// TAILMASK sets K1 to the low CX bits (CX < 16). Clobbers AX.
#define TAILMASK \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1

// ---- streaming kernels: 64 elements per trip, then 16, then masked ----

// func scaleAVX512(alpha float32, x []float32)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z8
	MOVQ x_base+8(FP), DI
	MOVQ x_len+16(FP), CX
scl64:
	CMPQ CX, $64
	JL scl16
	VMULPS (DI), Z8, Z0
	VMULPS 64(DI), Z8, Z1
	VMULPS 128(DI), Z8, Z2
	VMULPS 192(DI), Z8, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, DI
	SUBQ $64, CX
	JMP scl64
scl16:
	CMPQ CX, $16
	JL scltail
	VMULPS (DI), Z8, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JMP scl16
scltail:
	TESTQ CX, CX
	JE scldone
	TAILMASK
	VMULPS.Z (DI), Z8, K1, Z0
	VMOVUPS Z0, K1, (DI)
scldone:
	VZEROUPPER
	RET

// func scale2AVX512(alpha float32, x []float32)
// scaleAVX512 for len(x) a multiple of 64, walking the two halves of x
// together: from L2 two streams run 1.4x faster than one (in-place scaling
// has a single stream of lines, which leaves L2 bandwidth unused).
TEXT ·scale2AVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z8
	MOVQ x_base+8(FP), DI
	MOVQ x_len+16(FP), CX
	MOVQ CX, R8
	SHLQ $1, R8
	ADDQ DI, R8
	SHRQ $6, CX
	JZ sc2done
sc2loop:
	VMULPS (DI), Z8, Z0
	VMULPS 64(DI), Z8, Z1
	VMULPS (R8), Z8, Z2
	VMULPS 64(R8), Z8, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, (R8)
	VMOVUPS Z3, 64(R8)
	ADDQ $128, DI
	ADDQ $128, R8
	DECQ CX
	JNZ sc2loop
sc2done:
	VZEROUPPER
	RET

// func axpyAVX512(alpha float32, x, y []float32)
TEXT ·axpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Z8
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
axz64:
	CMPQ CX, $64
	JL axz16
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VFMADD231PS (SI), Z8, Z0
	VFMADD231PS 64(SI), Z8, Z1
	VFMADD231PS 128(SI), Z8, Z2
	VFMADD231PS 192(SI), Z8, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP axz64
axz16:
	CMPQ CX, $16
	JL axztail
	VMOVUPS (DI), Z0
	VFMADD231PS (SI), Z8, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP axz16
axztail:
	TESTQ CX, CX
	JE axzdone
	TAILMASK
	VMOVUPS.Z (DI), K1, Z0
	VFMADD231PS (SI), Z8, K1, Z0
	VMOVUPS Z0, K1, (DI)
axzdone:
	VZEROUPPER
	RET

// BINOP512 defines func name(dst, x, y []float32) computing dst = x OP y.
#define BINOP512(name, OP) \
TEXT name(SB), NOSPLIT, $0-72; \
	MOVQ dst_base+0(FP), DI; \
	MOVQ dst_len+8(FP), CX; \
	MOVQ x_base+24(FP), SI; \
	MOVQ y_base+48(FP), DX; \
b64: \
	CMPQ CX, $64; \
	JL b16; \
	VMOVUPS (SI), Z0; \
	VMOVUPS 64(SI), Z1; \
	VMOVUPS 128(SI), Z2; \
	VMOVUPS 192(SI), Z3; \
	OP (DX), Z0, Z0; \
	OP 64(DX), Z1, Z1; \
	OP 128(DX), Z2, Z2; \
	OP 192(DX), Z3, Z3; \
	VMOVUPS Z0, (DI); \
	VMOVUPS Z1, 64(DI); \
	VMOVUPS Z2, 128(DI); \
	VMOVUPS Z3, 192(DI); \
	ADDQ $256, SI; \
	ADDQ $256, DX; \
	ADDQ $256, DI; \
	SUBQ $64, CX; \
	JMP b64; \
b16: \
	CMPQ CX, $16; \
	JL btail; \
	VMOVUPS (SI), Z0; \
	OP (DX), Z0, Z0; \
	VMOVUPS Z0, (DI); \
	ADDQ $64, SI; \
	ADDQ $64, DX; \
	ADDQ $64, DI; \
	SUBQ $16, CX; \
	JMP b16; \
btail: \
	TESTQ CX, CX; \
	JE bdone; \
	TAILMASK; \
	VMOVUPS.Z (SI), K1, Z0; \
	OP.Z (DX), Z0, K1, Z0; \
	VMOVUPS Z0, K1, (DI); \
bdone: \
	VZEROUPPER; \
	RET

// func addAVX512(dst, x, y []float32)
BINOP512(·addAVX512, VADDPS)

// func mulAVX512(dst, x, y []float32)
BINOP512(·mulAVX512, VMULPS)

// func fromBF16AVX512x(dst []float32, src []uint16)
// fromBF16Go on the whole slice: 64 per trip, 16, then masked.
TEXT ·fromBF16AVX512x(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
fx64:
	CMPQ CX, $64
	JL fx16
	VPMOVZXWD (SI), Z0
	VPMOVZXWD 32(SI), Z1
	VPMOVZXWD 64(SI), Z2
	VPMOVZXWD 96(SI), Z3
	VPSLLD $16, Z0, Z0
	VPSLLD $16, Z1, Z1
	VPSLLD $16, Z2, Z2
	VPSLLD $16, Z3, Z3
	VMOVDQU32 Z0, (DI)
	VMOVDQU32 Z1, 64(DI)
	VMOVDQU32 Z2, 128(DI)
	VMOVDQU32 Z3, 192(DI)
	ADDQ $128, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP fx64
fx16:
	CMPQ CX, $16
	JL fxtail
	VPMOVZXWD (SI), Z0
	VPSLLD $16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP fx16
fxtail:
	TESTQ CX, CX
	JE fxdone
	TAILMASK
	VMOVDQU16.Z (SI), K1, Y0
	VPMOVZXWD Y0, Z0
	VPSLLD $16, Z0, Z0
	VMOVDQU32 Z0, K1, (DI)
fxdone:
	VZEROUPPER
	RET

// ---- reductions: 64 elements per trip (four chains), 16, then masked ----

// HSUM16 reduces Z0 to its lane sum in X0. Clobbers Z1.
#define HSUM16 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

// func sumAVX512(x []float32) float32
TEXT ·sumAVX512(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
sz64:
	CMPQ CX, $64
	JL sz16
	VADDPS (SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	ADDQ $256, SI
	SUBQ $64, CX
	JMP sz64
sz16:
	CMPQ CX, $16
	JL sztail
	VADDPS (SI), Z0, Z0
	ADDQ $64, SI
	SUBQ $16, CX
	JMP sz16
sztail:
	TESTQ CX, CX
	JE szred
	TAILMASK
	VADDPS (SI), Z1, K1, Z1
szred:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM16
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotAVX512(x, y []float32) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
dz64:
	CMPQ CX, $64
	JL dz16
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP dz64
dz16:
	CMPQ CX, $16
	JL dztail
	VMOVUPS (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP dz16
dztail:
	TESTQ CX, CX
	JE dzred
	TAILMASK
	VMOVUPS.Z (SI), K1, Z4
	VFMADD231PS (DI), Z4, K1, Z1
dzred:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM16
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func maxAVX512(x []float32) float32
// NaNs are skipped: VMAXPS returns its second source (the running maximum)
// when the element is NaN; the masked tail leaves the lanes past the end
// as they were.
TEXT ·maxAVX512(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS Z_MINF, Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z3
mz64:
	CMPQ CX, $64
	JL mz16
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VMAXPS Z0, Z4, Z0
	VMAXPS Z1, Z5, Z1
	VMAXPS Z2, Z6, Z2
	VMAXPS Z3, Z7, Z3
	ADDQ $256, SI
	SUBQ $64, CX
	JMP mz64
mz16:
	CMPQ CX, $16
	JL mztail
	VMOVUPS (SI), Z4
	VMAXPS Z0, Z4, Z0
	ADDQ $64, SI
	SUBQ $16, CX
	JMP mz16
mztail:
	TESTQ CX, CX
	JE mzred
	TAILMASK
	VMOVUPS.Z (SI), K1, Z4
	VMAXPS Z1, Z4, K1, Z1
mzred:
	VMAXPS Z1, Z0, Z0
	VMAXPS Z3, Z2, Z2
	VMAXPS Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// ---- exponential family ----

// EXPCONSTS loads the constants of EXP16 into Z16-Z27.
#define EXPCONSTS \
	VBROADCASTSS Z_EXPLO, Z16; \
	VBROADCASTSS Z_CLAMP, Z17; \
	VBROADCASTSS Z_LOG2E, Z18; \
	VBROADCASTSS Z_LN2HI, Z19; \
	VBROADCASTSS Z_LN2LO, Z20; \
	VBROADCASTSS Z_P0, Z21; \
	VBROADCASTSS Z_P1, Z22; \
	VBROADCASTSS Z_P2, Z23; \
	VBROADCASTSS Z_P3, Z24; \
	VBROADCASTSS Z_P4, Z25; \
	VBROADCASTSS Z_P5, Z26; \
	VBROADCASTSS Z_ONE, Z27

// EXP16 computes X = exp(X) on 16 lanes with exp32's reduction and
// polynomial, p·r² + r + 1 taken as 1 + r·(1 + r·p), and 2ⁿ applied by
// VSCALEFPS, which overflows to +Inf by itself (x is clamped to 100 first,
// so +Inf gives +Inf, not NaN). Lanes below expLo, -Inf included, are
// zeroed through the mask K (x not less than expLo, or NaN), so there is no
// lower clamp; the clamp keeps a NaN (its second source), so NaN flows
// through to the result. Clobbers N, P, Q and K (Q is unused, kept for
// the callers' register plans).
#define EXP16(X, N, P, Q, K) \
	VCMPPS $0x15, Z16, X, K; \
	VMINPS X, Z17, X; \
	VMULPS Z18, X, N; \
	VRNDSCALEPS $0, N, N; \
	VFNMADD231PS Z19, N, X; \
	VFNMADD231PS Z20, N, X; \
	VMOVAPS Z21, P; \
	VFMADD213PS Z22, X, P; \
	VFMADD213PS Z23, X, P; \
	VFMADD213PS Z24, X, P; \
	VFMADD213PS Z25, X, P; \
	VFMADD213PS Z26, X, P; \
	VFMADD213PS Z27, X, P; \
	VFMADD213PS Z27, X, P; \
	VSCALEFPS.Z N, P, K, X

// RCP sets P = 1/N (N clobbered): VRCP14PS plus one Newton step, within
// about an ulp and far cheaper than VDIVPS on zmm.
#define RCP(N, P) \
	VRCP14PS N, P; \
	VFNMADD213PS Z27, P, N; \
	VFMADD213PS P, N, P

// func expAVX512(dst, x []float32)
TEXT ·expAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	EXPCONSTS
ex32:
	CMPQ CX, $32
	JL ex16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	EXP16(Z0, Z1, Z2, Z3, K2)
	EXP16(Z4, Z5, Z6, Z7, K3)
	VMOVUPS Z0, (DI)
	VMOVUPS Z4, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP ex32
ex16:
	CMPQ CX, $16
	JL extail
	VMOVUPS (SI), Z0
	EXP16(Z0, Z1, Z2, Z3, K2)
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
extail:
	TESTQ CX, CX
	JE exdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	EXP16(Z0, Z1, Z2, Z3, K2)
	VMOVUPS Z0, K1, (DI)
exdone:
	VZEROUPPER
	RET

// func expSubAVX512(dst, x []float32, c float32) float32
// dst = exp(x-c), returning the sum of dst (two 16-lane partial sums).
TEXT ·expSubAVX512(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS c+48(FP), Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	EXPCONSTS
es32:
	CMPQ CX, $32
	JL es16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	VSUBPS Z8, Z0, Z0
	VSUBPS Z8, Z4, Z4
	EXP16(Z0, Z1, Z2, Z3, K2)
	EXP16(Z4, Z5, Z6, Z7, K3)
	VADDPS Z0, Z9, Z9
	VADDPS Z4, Z10, Z10
	VMOVUPS Z0, (DI)
	VMOVUPS Z4, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP es32
es16:
	CMPQ CX, $16
	JL estail
	VMOVUPS (SI), Z0
	VSUBPS Z8, Z0, Z0
	EXP16(Z0, Z1, Z2, Z3, K2)
	VADDPS Z0, Z9, Z9
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
estail:
	TESTQ CX, CX
	JE esred
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z8, Z0, Z0
	EXP16(Z0, Z1, Z2, Z3, K2)
	VADDPS Z0, Z10, K1, Z10
	VMOVUPS Z0, K1, (DI)
esred:
	VADDPS Z10, Z9, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VADDPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, ret+56(FP)
	VZEROUPPER
	RET

// PHICONSTS loads, after EXPCONSTS, the constants of PHI16 that stay in
// registers (the rest are broadcast from memory).
#define PHICONSTS \
	VBROADCASTSS Z_ISQRT2, Z28; \
	VBROADCASTSS Z_ERFP, Z29; \
	VBROADCASTSS Z_A5, Z30; \
	VBROADCASTSS Z_A4, Z31

// PHI16 computes, for X = x (kept), C = Φ(x) and E = exp(-x²/2), as phi
// does: erfc(|z|) ≈ t·P(t)·e^(-z²), t = 1/(1+p|z|), z = x/√2; Φ is
// 1 - ½erfc for x ≥ 0 (sign bit clear) and ½erfc otherwise, with ½ folded
// into the halved coefficients (exact: a power of two). |z| is capped
// at 1e18 for t so that the reciprocal's Newton step sees no infinity (t
// then is ~0 as 1/(1+p|z|) is). Clobbers N, P, Q, K.
#define PHI16(X, C, E, N, P, Q, K) \
	VMULPS Z28, X, C; \
	VPANDD.BCST Z_ABS, C, C; \
	VMULPS C, C, E; \
	VPXORD.BCST Z_SIGN, E, E; \
	EXP16(E, N, P, Q, K); \
	VMINPS.BCST Z_BIG, C, N; \
	VFMADD213PS Z27, Z29, N; \
	RCP(N, P); \
	VMOVAPS Z30, Q; \
	VFMADD213PS Z31, P, Q; \
	VFMADD213PS.BCST Z_A3, P, Q; \
	VFMADD213PS.BCST Z_A2, P, Q; \
	VFMADD213PS.BCST Z_A1, P, Q; \
	VMULPS P, Q, Q; \
	VMULPS E, Q, Q; \
	VSUBPS Q, Z27, C; \
	VPTESTMD.BCST Z_SIGN, X, K; \
	VMOVAPS Q, K, C

// func geluAVX512(dst, x []float32)
TEXT ·geluAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	EXPCONSTS
	PHICONSTS
gz32:
	CMPQ CX, $32
	JL gz16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z8
	PHI16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	PHI16(Z8, Z9, Z10, Z11, Z12, Z13, K3)
	VMULPS Z1, Z0, Z0
	VMULPS Z9, Z8, Z8
	VMOVUPS Z0, (DI)
	VMOVUPS Z8, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP gz32
gz16:
	CMPQ CX, $16
	JL gztail
	VMOVUPS (SI), Z0
	PHI16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
gztail:
	TESTQ CX, CX
	JE gzdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	PHI16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
gzdone:
	VZEROUPPER
	RET

// GBWD turns PHI16's outputs into X = Φ(x) + x·φ(x) (E clobbered).
#define GBWD(X, C, E) \
	VMULPS.BCST Z_ISQRT2PI, E, E; \
	VFMADD213PS C, X, E; \
	VMOVAPS E, X

// func geluBackwardAVX512(dx, dy, x []float32)
TEXT ·geluBackwardAVX512(SB), NOSPLIT, $0-72
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ dy_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	EXPCONSTS
	PHICONSTS
gbz32:
	CMPQ CX, $32
	JL gbz16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z8
	PHI16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	PHI16(Z8, Z9, Z10, Z11, Z12, Z13, K3)
	GBWD(Z0, Z1, Z2)
	GBWD(Z8, Z9, Z10)
	VMULPS (DX), Z0, Z0
	VMULPS 64(DX), Z8, Z8
	VMOVUPS Z0, (DI)
	VMOVUPS Z8, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP gbz32
gbz16:
	CMPQ CX, $16
	JL gbztail
	VMOVUPS (SI), Z0
	PHI16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	GBWD(Z0, Z1, Z2)
	VMULPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
gbztail:
	TESTQ CX, CX
	JE gbzdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	PHI16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	GBWD(Z0, Z1, Z2)
	VMULPS.Z (DX), Z0, K1, Z0
	VMOVUPS Z0, K1, (DI)
gbzdone:
	VZEROUPPER
	RET

// TANHCONSTS loads, after EXPCONSTS, the constants of TANH16.
#define TANHCONSTS \
	VBROADCASTSS Z_2K0, Z28; \
	VBROADCASTSS Z_K1, Z29; \
	VBROADCASTSS Z_40, Z30; \
	VBROADCASTSS Z_M40, Z31

// TANH16 computes, for X = x (kept), U = e·s and S = s of tanhParts(k0·(x +
// k1·x³)), and X2 = x². It works on 2u directly (2·k0 in Z28, clamp ±40);
// the clamp keeps a NaN. Clobbers N, Q, K.
#define TANH16(X, X2, U, S, N, Q, K) \
	VMULPS X, X, X2; \
	VMOVAPS Z27, U; \
	VFMADD231PS Z29, X2, U; \
	VMULPS X, U, U; \
	VMULPS Z28, U, U; \
	VMINPS U, Z30, U; \
	VMAXPS U, Z31, U; \
	EXP16(U, N, S, Q, K); \
	VADDPS Z27, U, N; \
	RCP(N, S); \
	VMULPS S, U, U

// func geluTanhAVX512(dst, x []float32)
TEXT ·geluTanhAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	EXPCONSTS
	TANHCONSTS
gtz32:
	CMPQ CX, $32
	JL gtz16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z8
	TANH16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	TANH16(Z8, Z9, Z10, Z11, Z12, Z13, K3)
	VMULPS Z2, Z0, Z0
	VMULPS Z10, Z8, Z8
	VMOVUPS Z0, (DI)
	VMOVUPS Z8, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP gtz32
gtz16:
	CMPQ CX, $16
	JL gtztail
	VMOVUPS (SI), Z0
	TANH16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	VMULPS Z2, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
gtztail:
	TESTQ CX, CX
	JE gtzdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	TANH16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	VMULPS Z2, Z0, Z0
	VMOVUPS Z0, K1, (DI)
gtzdone:
	VZEROUPPER
	RET

// TBWD turns TANH16's outputs into X = es·(1 + 2·x·s·k0·(1+3k1·x²)),
// the derivative of x·es (2·k0 is in Z28; N clobbered).
#define TBWD(X, X2, U, S, N) \
	VMOVAPS Z27, N; \
	VFMADD231PS.BCST Z_3K1, X2, N; \
	VMULPS Z28, N, N; \
	VMULPS S, N, N; \
	VMULPS X, N, N; \
	VADDPS Z27, N, N; \
	VMULPS U, N, X

// func geluTanhBackwardAVX512(dx, dy, x []float32)
TEXT ·geluTanhBackwardAVX512(SB), NOSPLIT, $0-72
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ dy_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	EXPCONSTS
	TANHCONSTS
gtbz32:
	CMPQ CX, $32
	JL gtbz16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z8
	TANH16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	TANH16(Z8, Z9, Z10, Z11, Z12, Z13, K3)
	TBWD(Z0, Z1, Z2, Z3, Z4)
	TBWD(Z8, Z9, Z10, Z11, Z12)
	VMULPS (DX), Z0, Z0
	VMULPS 64(DX), Z8, Z8
	VMOVUPS Z0, (DI)
	VMOVUPS Z8, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP gtbz32
gtbz16:
	CMPQ CX, $16
	JL gtbztail
	VMOVUPS (SI), Z0
	TANH16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	TBWD(Z0, Z1, Z2, Z3, Z4)
	VMULPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
gtbztail:
	TESTQ CX, CX
	JE gtbzdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	TANH16(Z0, Z1, Z2, Z3, Z4, Z5, K2)
	TBWD(Z0, Z1, Z2, Z3, Z4)
	VMULPS.Z (DX), Z0, K1, Z0
	VMOVUPS Z0, K1, (DI)
gtbzdone:
	VZEROUPPER
	RET

// ---- LayerNorm row helpers: 16 elements per trip, then masked ----

// func normAffineAVX512(dst, x, gamma, beta []float32, mu, rs float32)
// dst = (x-mu)·rs·gamma + beta.
TEXT ·normAffineAVX512(SB), NOSPLIT, $0-104
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ gamma_base+48(FP), R8
	MOVQ beta_base+72(FP), R9
	VBROADCASTSS mu+96(FP), Z8
	VBROADCASTSS rs+100(FP), Z9
	XORQ BX, BX
naz16:
	CMPQ CX, $16
	JL naztail
	VMOVUPS (SI)(BX*1), Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS (R9)(BX*1), Z1
	VFMADD231PS (R8)(BX*1), Z0, Z1
	VMOVUPS Z1, (DI)(BX*1)
	ADDQ $64, BX
	SUBQ $16, CX
	JMP naz16
naztail:
	TESTQ CX, CX
	JE nazdone
	TAILMASK
	VMOVUPS.Z (SI)(BX*1), K1, Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS.Z (R9)(BX*1), K1, Z1
	VFMADD231PS (R8)(BX*1), Z0, K1, Z1
	VMOVUPS Z1, K1, (DI)(BX*1)
nazdone:
	VZEROUPPER
	RET

// func normAVX512(dst, x []float32, mu, rs float32)
// dst = (x-mu)·rs.
TEXT ·normAVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS mu+48(FP), Z8
	VBROADCASTSS rs+52(FP), Z9
noz16:
	CMPQ CX, $16
	JL noztail
	VMOVUPS (SI), Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP noz16
noztail:
	TESTQ CX, CX
	JE nozdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS Z0, K1, (DI)
nozdone:
	VZEROUPPER
	RET

// func mulAddAVX512(dst, x, y []float32)
// dst += x·y.
TEXT ·mulAddAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
maz16:
	CMPQ CX, $16
	JL maztail
	VMOVUPS (DI), Z0
	VMOVUPS (SI), Z1
	VFMADD231PS (DX), Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP maz16
maztail:
	TESTQ CX, CX
	JE mazdone
	TAILMASK
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VFMADD231PS (DX), Z1, K1, Z0
	VMOVUPS Z0, K1, (DI)
mazdone:
	VZEROUPPER
	RET

// func lnDxAVX512(dx, g, xh []float32, rs, mg, mgx float32)
// dx = rs·(g - mg - xh·mgx).
TEXT ·lnDxAVX512(SB), NOSPLIT, $0-84
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ xh_base+48(FP), DX
	VBROADCASTSS rs+72(FP), Z8
	VBROADCASTSS mg+76(FP), Z9
	VBROADCASTSS mgx+80(FP), Z10
ldz16:
	CMPQ CX, $16
	JL ldztail
	VMOVUPS (SI), Z0
	VSUBPS Z9, Z0, Z0
	VMOVUPS (DX), Z1
	VFNMADD231PS Z10, Z1, Z0
	VMULPS Z8, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP ldz16
ldztail:
	TESTQ CX, CX
	JE ldzdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z9, Z0, Z0
	VMOVUPS.Z (DX), K1, Z1
	VFNMADD231PS Z10, Z1, Z0
	VMULPS Z8, Z0, Z0
	VMOVUPS Z0, K1, (DI)
ldzdone:
	VZEROUPPER
	RET

// func lnRowsAVX512(dst, x, gamma, beta []float32, mean, rstd *float32, rows, cols int, invCols, eps float32)
// lnRowsAVX2 on zmm: per row a sum pass, a squared-deviation pass (four
// chains each) and an affine pass, each ending in one masked vector.
TEXT ·lnRowsAVX512(SB), NOSPLIT, $0-136
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
	MOVQ R13, CX
	ANDQ $15, CX
	TAILMASK // K1: the last cols%16 columns, the same for every row
	MOVQ R13, DX
	SHLQ $2, DX
	TESTQ R12, R12
	JE lzdone
lzrow:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORQ BX, BX
	MOVQ R13, CX
lzs64:
	CMPQ CX, $64
	JL lzs16
	VADDPS (SI)(BX*1), Z0, Z0
	VADDPS 64(SI)(BX*1), Z1, Z1
	VADDPS 128(SI)(BX*1), Z2, Z2
	VADDPS 192(SI)(BX*1), Z3, Z3
	ADDQ $256, BX
	SUBQ $64, CX
	JMP lzs64
lzs16:
	CMPQ CX, $16
	JL lzstail
	VADDPS (SI)(BX*1), Z0, Z0
	ADDQ $64, BX
	SUBQ $16, CX
	JMP lzs16
lzstail:
	TESTQ CX, CX
	JE lzsred
	VADDPS (SI)(BX*1), Z1, K1, Z1
lzsred:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM16
	VMULSS X15, X0, X11
	VBROADCASTSS X11, Z8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORQ BX, BX
	MOVQ R13, CX
lzq64:
	CMPQ CX, $64
	JL lzq16
	VSUBPS (SI)(BX*1), Z8, Z4
	VSUBPS 64(SI)(BX*1), Z8, Z5
	VSUBPS 128(SI)(BX*1), Z8, Z6
	VSUBPS 192(SI)(BX*1), Z8, Z7
	VFMADD231PS Z4, Z4, Z0
	VFMADD231PS Z5, Z5, Z1
	VFMADD231PS Z6, Z6, Z2
	VFMADD231PS Z7, Z7, Z3
	ADDQ $256, BX
	SUBQ $64, CX
	JMP lzq64
lzq16:
	CMPQ CX, $16
	JL lzqtail
	VSUBPS (SI)(BX*1), Z8, Z4
	VFMADD231PS Z4, Z4, Z0
	ADDQ $64, BX
	SUBQ $16, CX
	JMP lzq16
lzqtail:
	TESTQ CX, CX
	JE lzqred
	VSUBPS.Z (SI)(BX*1), Z8, K1, Z4
	VFMADD231PS Z4, Z4, Z1
lzqred:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM16
	VMULSS X15, X0, X0
	VADDSS X14, X0, X0
	VSQRTSS X0, X0, X0
	MOVL $0x3f800000, AX
	VMOVD AX, X1
	VDIVSS X0, X1, X10
	TESTQ R10, R10
	JE lznostat
	VMOVSS X11, (R10)
	VMOVSS X10, (R11)
	ADDQ $4, R10
	ADDQ $4, R11
lznostat:
	VBROADCASTSS X10, Z9
	XORQ BX, BX
	MOVQ R13, CX
lza16:
	CMPQ CX, $16
	JL lzatail
	VMOVUPS (SI)(BX*1), Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS (R9)(BX*1), Z1
	VFMADD231PS (R8)(BX*1), Z0, Z1
	VMOVUPS Z1, (DI)(BX*1)
	ADDQ $64, BX
	SUBQ $16, CX
	JMP lza16
lzatail:
	TESTQ CX, CX
	JE lzarow
	VMOVUPS.Z (SI)(BX*1), K1, Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS.Z (R9)(BX*1), K1, Z1
	VFMADD231PS (R8)(BX*1), Z0, K1, Z1
	VMOVUPS Z1, K1, (DI)(BX*1)
lzarow:
	ADDQ DX, SI
	ADDQ DX, DI
	DECQ R12
	JNZ lzrow
lzdone:
	VZEROUPPER
	RET

