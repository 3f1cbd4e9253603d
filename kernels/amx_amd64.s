//go:build amd64 && !purego

#include "textflag.h"

// AMX tile configuration: palette 1, tiles 0-7 all 16 rows × 64 bytes.
DATA amxcfg<>+0(SB)/8, $1
DATA amxcfg<>+8(SB)/8, $0
DATA amxcfg<>+16(SB)/8, $0x0040004000400040
DATA amxcfg<>+24(SB)/8, $0x0040004000400040
DATA amxcfg<>+32(SB)/8, $0
DATA amxcfg<>+40(SB)/8, $0
DATA amxcfg<>+48(SB)/8, $0x1010101010101010
DATA amxcfg<>+56(SB)/8, $0
GLOBL amxcfg<>(SB), RODATA|NOPTR, $64

// The Go assembler knows no AMX instruction; these are their VEX bytes
// (checked against GNU as 2.40).
// LDTILECFG (R8)
#define LDTILECFG_R8 BYTE $0xc4; BYTE $0xc2; BYTE $0x78; BYTE $0x49; BYTE $0x00
// TILERELEASE
#define TILERELEASE BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0
// TILELOADD tmmT, (DI)(SI*1) and friends: C4 RXB.02 7B 4B modrm(T,100) sib
#define TLOAD_DI_SI(t) BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $(0x04|(t<<3)); BYTE $0x37
#define TLOAD_R8_SI(t) BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $(0x04|(t<<3)); BYTE $0x30
#define TLOAD_R8_R12(t) BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $(0x04|(t<<3)); BYTE $0x20
#define TLOAD_DX_R12(t) BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $(0x04|(t<<3)); BYTE $0x22
#define TLOAD_R11_R9(t) BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $(0x04|(t<<3)); BYTE $0x0b
// TILESTORED (DI)(SI*1), tmmT and (R8)(SI*1), tmmT
#define TSTORE_DI_SI(t) BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $(0x04|(t<<3)); BYTE $0x37
#define TSTORE_R8_SI(t) BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $(0x04|(t<<3)); BYTE $0x30
// TILEZERO tmmT
#define TILEZERO(t) BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $(0xc0|(t<<3))
// TDPBF16PS tmmC, tmmA, tmmB: C += A·B over bf16 pairs
#define TDPBF16PS(c, a, b) BYTE $0xc4; BYTE $0xe2; BYTE $(((15-b)<<3)|0x02); BYTE $0x5c; BYTE $(0xc0|(c<<3)|a)

// func amxBF16Panel(kcs int, a, b, c *float32, ldc, nt, acc, ldaBytes int)
//
// C[0:32, 0:32·nt] += Â·B̂ (= Â·B̂ without reading C when acc is 0) for one 32-row panel of A stored row by row
// (row i at i·kcs 32-bit pair slots) and nt consecutive 32-column panels
// of B in pair layout (slot q·32+j holds rows 2q and 2q+1 of column j).
// kcs is a multiple of 16. Tiles: C in tmm0-3, A in tmm4-5, B in tmm6-7.
TEXT ·amxBF16Panel(SB), NOSPLIT, $0-64
	MOVQ kcs+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), SI
	MOVQ nt+40(FP), R10
	SHLQ $2, SI
	MOVQ ldaBytes+56(FP), R12
	MOVQ $128, R9
	LEAQ amxcfg<>(SB), R8
	LDTILECFG_R8
tile:
	CMPQ acc+48(FP), $0
	JNE loadc
	TILEZERO(0)
	TILEZERO(1)
	TILEZERO(2)
	TILEZERO(3)
	JMP kstart
loadc:
	TLOAD_DI_SI(0)
	LEAQ 64(DI), R8
	TLOAD_R8_SI(1)
	MOVQ SI, R8
	SHLQ $4, R8
	ADDQ DI, R8
	TLOAD_R8_SI(2)
	ADDQ $64, R8
	TLOAD_R8_SI(3)
kstart:
	MOVQ AX, R8
	MOVQ R12, DX
	SHLQ $4, DX
	ADDQ AX, DX
	MOVQ BX, R11
	MOVQ CX, R13
	SHRQ $4, R13
kloop:
	TLOAD_R8_R12(4)
	TLOAD_DX_R12(5)
	TLOAD_R11_R9(6)
	ADDQ $64, R11
	TLOAD_R11_R9(7)
	ADDQ $1984, R11
	TDPBF16PS(0, 4, 6)
	TDPBF16PS(1, 4, 7)
	TDPBF16PS(2, 5, 6)
	TDPBF16PS(3, 5, 7)
	ADDQ $64, R8
	ADDQ $64, DX
	DECQ R13
	JNZ kloop
	TSTORE_DI_SI(0)
	LEAQ 64(DI), R8
	TSTORE_R8_SI(1)
	MOVQ SI, R8
	SHLQ $4, R8
	ADDQ DI, R8
	TSTORE_R8_SI(2)
	ADDQ $64, R8
	TSTORE_R8_SI(3)
	MOVQ R11, BX
	ADDQ $128, DI
	DECQ R10
	JNZ tile
	TILERELEASE
	RET
