package tensor

import "github.com/pretrain-go/pretrain/kernels"

// MatMul returns the matrix product a·b over the last two dimensions.
// Leading (batch) dimensions must be equal, or absent on one side, in which
// case that operand is shared across the batch. The result is F32; BF16
// operands are multiplied with f32 accumulation.
func (a *Tensor) MatMul(b *Tensor) *Tensor { return MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), where op transposes the last two dimensions
// of an operand whose flag is set. MatMulT(x, w, false, true) is x·wᵀ, the
// product of a Linear layer with weight w of shape [out, in].
func MatMulT(a, b *Tensor, transA, transB bool) *Tensor {
	return matMul("MatMul", a, b, nil, transA, transB)
}

// Linear returns x·wᵀ + bias, a Linear layer's output for weight w of shape
// [out, in] and bias [out] (nil for none), in one pass rather than a
// separate broadcast add that reads and writes the output again: the GEMM
// adds the bias to each output tile while it is in cache (kernels.SgemmBias,
// SgemmBF16Bias), or for a batched product with a B per batch entry
// accumulates onto bias rows written first. The bias's gradient is the sum
// of the output gradient's rows.
func Linear(x, w, bias *Tensor) *Tensor {
	return matMul("Linear", x, w, bias, false, true)
}

// matMul is MatMulT with an optional bias added to every row of the result.
func matMul(op string, a, b, bias *Tensor, transA, transB bool) *Tensor {
	sc := scopeOf(a, b)
	if sc.Autocast() == BF16 && (a.dtype != BF16 || b.dtype != BF16) {
		a, b = a.To(BF16), b.To(BF16)
	}
	if a.Dims() < 2 || b.Dims() < 2 {
		panicShape(op, "both operands need at least 2 dimensions", a.shape, b.shape)
	}
	ar, ac := a.shape[a.Dims()-2], a.shape[a.Dims()-1]
	br, bc := b.shape[b.Dims()-2], b.shape[b.Dims()-1]
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	kb, n := br, bc
	if transB {
		kb, n = bc, br
	}
	if k != kb {
		panicShape(op, "inner dimensions differ ("+itoa(k)+" vs "+itoa(kb)+")", a.shape, b.shape)
	}
	aBatch, bBatch := a.shape[:a.Dims()-2], b.shape[:b.Dims()-2]
	var batchShape []int
	switch {
	case sameShape(aBatch, bBatch) || len(bBatch) == 0:
		batchShape = aBatch
	case len(aBatch) == 0:
		batchShape = bBatch
	default:
		panicShape(op, "batch dimensions differ", a.shape, b.shape)
	}
	batch := numel(batchShape)
	outShape := append(append([]int(nil), batchShape...), m, n)
	lda, ldb := ac, bc
	sa, sb := ar*ac, br*bc
	if len(aBatch) == 0 {
		sa = 0
	}
	if len(bBatch) == 0 {
		sb = 0
	}
	c := sc.allocRaw(batch * m * n)
	beta := float32(0)
	// oneProduct: every batch entry's rows stacked make one product with a
	// shared B (a Linear layer on [batch..., rows, in]); then the bias is
	// added tile by tile inside the GEMM.
	oneProduct := batch == 1 || (sb == 0 && !transA && sa != 0)
	fusedBias := bias != nil && oneProduct
	if bias != nil {
		if bias.Dims() != 1 || bias.shape[0] != n {
			panicShape(op, "bias must be [out] = ["+itoa(n)+"]", a.shape, b.shape, bias.shape)
		}
		if !fusedBias {
			// Elsewhere the product accumulates onto the bias rows.
			bv := bias.f32()
			for r := 0; r < batch*m; r++ {
				copy(c[r*n:(r+1)*n], bv)
			}
			beta = 1
		}
	}
	if a.dtype == BF16 && b.dtype == BF16 {
		// Mixed precision: bf16 operands, f32 accumulation. The output
		// gradient is rounded to bf16 for the backward products, as autocast
		// does.
		ah, bh := bfBits(a.bf), bfBits(b.bf)
		if fusedBias {
			kernels.SgemmBF16Bias(transA, transB, batch*m, n, k, 1, ah, lda, bh, ldb, bias.f32(), c, n)
		} else {
			gemm(bf16Gemm, transA, transB, batch, m, n, k, ah, lda, sa, bh, ldb, sb, beta, c, n, m*n)
		}
		out := sc.newTensor(outShape, c)
		return record(out, op, func(g []float32) {
			biasBackward(bias, g, n)
			gh := sc.allocBF16(len(g))
			narrow(gh, g)
			mmBackward(bf16Gemm, a, b, transA, transB, batch, m, n, k, ah, lda, sa, bh, ldb, sb, bfBits(gh))
		}, a, b, bias)
	}
	av, bv := a.f32(), b.f32()
	if fusedBias {
		kernels.SgemmBias(transA, transB, batch*m, n, k, 1, av, lda, bv, ldb, bias.f32(), c, n)
	} else {
		gemm(f32Gemm, transA, transB, batch, m, n, k, av, lda, sa, bv, ldb, sb, beta, c, n, m*n)
	}
	out := sc.newTensor(outShape, c)
	return record(out, op, func(g []float32) {
		biasBackward(bias, g, n)
		mmBackward(f32Gemm, a, b, transA, transB, batch, m, n, k, av, lda, sa, bv, ldb, sb, g)
	}, a, b, bias)
}

// biasBackward adds the sum of g's rows of n into bias's gradient (nothing
// when bias is nil or needs none).
func biasBackward(bias *Tensor, g []float32, n int) {
	db, beta := bias.gradDst()
	if db == nil {
		return
	}
	if beta == 0 {
		clear(db)
	}
	kernels.SumRows(db, g, len(g)/n, n)
}

// mmBackward adds the gradients of C = op(A)·op(B) into a and b given the
// output gradient g.
func mmBackward[T float32 | uint16](kk gemmKernels[T], a, b *Tensor, transA, transB bool, batch, m, n, k int, av []T, lda, sa int, bv []T, ldb, sb int, g []T) {
	// A product either accumulates (beta 1) or, into a new buffer, writes
	// (beta 0), so gradient buffers are never zeroed first. When a and b are
	// the same tensor the second product sees the first one's result.
	if da, beta := a.gradDst(); da != nil {
		// dop(A) = G·op(B)ᵀ; stored transposed when transA.
		if !transA {
			gemm(kk, false, !transB, batch, m, k, n, g, n, m*n, bv, ldb, sb, beta, da, lda, sa)
		} else {
			gemm(kk, transB, true, batch, k, m, n, bv, ldb, sb, g, n, m*n, beta, da, lda, sa)
		}
	}
	if db, beta := b.gradDst(); db != nil {
		// dop(B) = op(A)ᵀ·G; stored transposed when transB.
		if !transB {
			gemm(kk, !transA, false, batch, k, n, m, av, lda, sa, g, n, m*n, beta, db, ldb, sb)
		} else {
			gemm(kk, true, transA, batch, n, k, m, g, n, m*n, av, lda, sa, beta, db, ldb, sb)
		}
	}
}

// gemmKernels are the single and batched products for one element type.
type gemmKernels[T float32 | uint16] struct {
	one     func(ta, tb bool, m, n, k int, alpha float32, a []T, lda int, b []T, ldb int, beta float32, c []float32, ldc int)
	batched func(ta, tb bool, m, n, k int, alpha float32, a []T, lda, sa int, b []T, ldb, sb int, beta float32, c []float32, ldc, sc int, batch int)
}

var (
	f32Gemm  = gemmKernels[float32]{kernels.Sgemm, kernels.SgemmBatched}
	bf16Gemm = gemmKernels[uint16]{kernels.SgemmBF16, kernels.SgemmBF16Batched}
)

// gemm runs a batch of products C_i = op(A_i)·op(B_i) + beta·C_i. A zero
// stride shares an operand; a shared C (a gradient summed over the batch)
// is accumulated one batch entry at a time, and shared operands with a
// suitable layout are folded into one large product.
func gemm[T float32 | uint16](kk gemmKernels[T], ta, tb bool, batch, m, n, k int, a []T, lda, sa int, b []T, ldb, sb int, beta float32, c []float32, ldc, sc int) {
	switch {
	case batch == 1:
		kk.one(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	case sb == 0 && !ta && sa != 0 && sc != 0 && lda == k && ldc == n:
		// Rows of every A_i are consecutive: one product with batch·m rows.
		kk.one(false, tb, batch*m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	case sc == 0 && ta && !tb && sa == k*lda && sb == k*ldb:
		// Σ_i A_iᵀ·B_i where the A_i and B_i are stacked row blocks: one
		// product over batch·k rows (a Linear layer's weight gradient).
		kk.one(true, false, m, n, batch*k, 1, a, lda, b, ldb, beta, c, ldc)
	case sc == 0:
		for i := range batch {
			bt := beta
			if i > 0 {
				bt = 1
			}
			kk.one(ta, tb, m, n, k, 1, a[i*sa:], lda, b[i*sb:], ldb, bt, c, ldc)
		}
	default:
		kk.batched(ta, tb, m, n, k, 1, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch)
	}
}
