//go:build amd64 && !purego

#include "textflag.h"

// lane indices 0..15
DATA iota16<>+0(SB)/8, $0x0000000100000000
DATA iota16<>+8(SB)/8, $0x0000000300000002
DATA iota16<>+16(SB)/8, $0x0000000500000004
DATA iota16<>+24(SB)/8, $0x0000000700000006
DATA iota16<>+32(SB)/8, $0x0000000900000008
DATA iota16<>+40(SB)/8, $0x0000000b0000000a
DATA iota16<>+48(SB)/8, $0x0000000d0000000c
DATA iota16<>+56(SB)/8, $0x0000000f0000000e
GLOBL iota16<>(SB), RODATA|NOPTR, $64

// VPERMT2W indices interleaving two rows of 32 bf16: word i takes column
// i/2 (+16 for the second table) of row 0 (i even) or row 1 (i odd, bit 5).
DATA pairidx<>+0(SB)/8, $0x0021000100200000
DATA pairidx<>+8(SB)/8, $0x0023000300220002
DATA pairidx<>+16(SB)/8, $0x0025000500240004
DATA pairidx<>+24(SB)/8, $0x0027000700260006
DATA pairidx<>+32(SB)/8, $0x0029000900280008
DATA pairidx<>+40(SB)/8, $0x002b000b002a000a
DATA pairidx<>+48(SB)/8, $0x002d000d002c000c
DATA pairidx<>+56(SB)/8, $0x002f000f002e000e
DATA pairidx<>+64(SB)/8, $0x0031001100300010
DATA pairidx<>+72(SB)/8, $0x0033001300320012
DATA pairidx<>+80(SB)/8, $0x0035001500340014
DATA pairidx<>+88(SB)/8, $0x0037001700360016
DATA pairidx<>+96(SB)/8, $0x0039001900380018
DATA pairidx<>+104(SB)/8, $0x003b001b003a001a
DATA pairidx<>+112(SB)/8, $0x003d001d003c001c
DATA pairidx<>+120(SB)/8, $0x003f001f003e001e
GLOBL pairidx<>(SB), RODATA|NOPTR, $128

// func gatherPanelAVX512(d, x unsafe.Pointer, ldBytes, steps, groups int)
//
// Packs 16·groups rows of 32-bit elements, transposed: for s < steps and
// r < 16·groups, d[s·16·groups + r] = *(x + r·ldBytes + 4·s). One gather
// per 16 rows and step.
TEXT ·gatherPanelAVX512(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ldBytes+16(FP), AX
	MOVQ steps+24(FP), CX
	MOVQ groups+32(FP), DX
	TESTQ CX, CX
	JE gpdone
	VPBROADCASTD AX, Z30
	VMOVDQU32 iota16<>(SB), Z31
	VPMULLD Z30, Z31, Z31
	MOVQ AX, BX
	SHLQ $4, BX
gpstep:
	MOVQ SI, R8
	MOVQ DX, R9
gpgroup:
	KXNORW K1, K1, K1
	VGATHERDPS (R8)(Z31*1), K1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ BX, R8
	DECQ R9
	JNZ gpgroup
	ADDQ $4, SI
	DECQ CX
	JNZ gpstep
gpdone:
	VZEROUPPER
	RET

// func interleavePairsAVX512(d *uint32, r0, r1 *uint16, units int)
//
// d[j] = r0[j] | r1[j]<<16 for j < 32·units: two rows of bf16 become one
// row of (k, k+1) pairs.
TEXT ·interleavePairsAVX512(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ units+24(FP), CX
	TESTQ CX, CX
	JE ipdone
	VMOVDQU16 pairidx<>+0(SB), Z30
	VMOVDQU16 pairidx<>+64(SB), Z31
iploop:
	VMOVDQU16 (SI), Z0
	VMOVDQU16 (DX), Z1
	VMOVDQA64 Z0, Z2
	VPERMT2W Z1, Z30, Z0
	VPERMT2W Z1, Z31, Z2
	VMOVDQU16 Z0, (DI)
	VMOVDQU16 Z2, 64(DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $128, DI
	DECQ CX
	JNZ iploop
ipdone:
	VZEROUPPER
	RET

// func prefetchRows(p unsafe.Pointer, ldBytes, rows, rowBytes int)
// Issues PREFETCHT0 for every 64-byte line of rows rows of rowBytes bytes.
TEXT ·prefetchRows(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ ldBytes+8(FP), AX
	MOVQ rows+16(FP), CX
	MOVQ rowBytes+24(FP), DX
	TESTQ CX, CX
	JE pfdone
pfrow:
	XORQ BX, BX
pfline:
	PREFETCHT0 (SI)(BX*1)
	ADDQ $64, BX
	CMPQ BX, DX
	JL pfline
	ADDQ AX, SI
	DECQ CX
	JNZ pfrow
pfdone:
	RET
