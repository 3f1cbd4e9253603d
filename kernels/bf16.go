package kernels

import "math"

// F32ToBF16 converts src to bfloat16 bit patterns in dst with
// round-to-nearest-even; NaNs stay (quiet) NaNs and infinities are kept.
func F32ToBF16(dst []uint16, src []float32) {
	checkLen("F32ToBF16", len(src), len(dst))
	toBF16K(dst[:len(src)], src)
}

// BF16ToF32 widens bfloat16 bit patterns in src to float32 in dst (exact).
func BF16ToF32(dst []float32, src []uint16) {
	checkLen("BF16ToF32", len(src), len(dst))
	fromBF16(dst[:len(src)], src)
}

func toBF16Go(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = f32ToBF16(f)
	}
}

func fromBF16Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

func f32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 { // NaN: keep sign, force a quiet mantissa bit
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

func bf16f(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// SgemmBF16 is Sgemm with bfloat16 A and B (raw bit patterns) and float32
// alpha, beta and C; products are accumulated in float32. On CPUs with
// AVX512_BF16 the micro-kernel multiplies bf16 pairs with VDPBF16PS;
// elsewhere A and B are widened to float32 while packing.
func SgemmBF16(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	checkGemm("SgemmBF16", transA, transB, m, n, k, lda, len(a), ldb, len(b), ldc, len(c))
	s := gemmSrc{a16: a, b16: b, lda: lda, ldb: ldb, transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc, threads: Threads()}
	gemmRun(s)
}

// SgemmBF16Bias is SgemmBias with bfloat16 A and B (see SgemmBF16): C =
// alpha·op(A)·op(B) + bias, bias (n long) added to every row; C is not read.
func SgemmBF16Bias(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, bias []float32, c []float32, ldc int) {
	checkGemm("SgemmBF16Bias", transA, transB, m, n, k, lda, len(a), ldb, len(b), ldc, len(c))
	runBiasGemm("SgemmBF16Bias", gemmSrc{a16: a, b16: b, lda: lda, ldb: ldb, transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: alpha, c: c, ldc: ldc}, bias)
}

// SgemmBF16Batched is SgemmBatched with bfloat16 A and B (see SgemmBF16).
func SgemmBF16Batched(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda, strideA int, b []uint16, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if batch < 0 || strideA < 0 || strideB < 0 || strideC < 0 {
		argPanic("SgemmBF16Batched", "negative batch %d or stride (%d, %d, %d)", batch, strideA, strideB, strideC)
	}
	if batch == 0 {
		return
	}
	la, lb, lc := batchLen(len(a), strideA, batch), batchLen(len(b), strideB, batch), batchLen(len(c), strideC, batch)
	checkGemm("SgemmBF16Batched", transA, transB, m, n, k, lda, la, ldb, lb, ldc, lc)
	s := gemmSrc{a16: a, b16: b, lda: lda, ldb: ldb, transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc}
	gemmBatch(&s, strideA, strideB, strideC, batch)
}
