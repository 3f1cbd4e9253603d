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
	const op = "MatMul"
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
	av, bv := a.f32(), b.f32()
	c := allocRaw(batch * m * n)
	gemm(transA, transB, batch, m, n, k, av, lda, sa, bv, ldb, sb, 0, c, n, m*n)
	out := newTensor(outShape, c)
	return record(out, op, func(g []float32) {
		if da := a.gradSlot(); da != nil {
			// dop(A) = G·op(B)ᵀ; stored transposed when transA.
			if !transA {
				gemm(false, !transB, batch, m, k, n, g, n, m*n, bv, ldb, sb, 1, da, lda, sa)
			} else {
				gemm(transB, true, batch, k, m, n, bv, ldb, sb, g, n, m*n, 1, da, lda, sa)
			}
		}
		if db := b.gradSlot(); db != nil {
			// dop(B) = op(A)ᵀ·G; stored transposed when transB.
			if !transB {
				gemm(!transA, false, batch, k, n, m, av, lda, sa, g, n, m*n, 1, db, ldb, sb)
			} else {
				gemm(true, transA, batch, n, k, m, g, n, m*n, av, lda, sa, 1, db, ldb, sb)
			}
		}
	}, a, b)
}

// gemm runs a batch of products C_i = op(A_i)·op(B_i) + beta·C_i. A zero
// stride shares an operand; a shared C (a gradient summed over the batch)
// is accumulated one batch entry at a time, and a shared A with a
// non-transposed layout is folded into one large product.
func gemm(ta, tb bool, batch, m, n, k int, a []float32, lda, sa int, b []float32, ldb, sb int, beta float32, c []float32, ldc, sc int) {
	switch {
	case batch == 1:
		kernels.Sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	case sb == 0 && !ta && sa != 0 && sc != 0 && lda == k && ldc == n:
		// Rows of every A_i are consecutive: one product with batch·m rows.
		kernels.Sgemm(false, tb, batch*m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	case sc == 0 && ta && !tb && sa == k*lda && sb == k*ldb && beta == 1:
		// Σ_i A_iᵀ·B_i where the A_i and B_i are stacked row blocks: one
		// product over batch·k rows (a Linear layer's weight gradient).
		kernels.Sgemm(true, false, m, n, batch*k, 1, a, lda, b, ldb, 1, c, ldc)
	case sc == 0:
		for i := range batch {
			bt := beta
			if i > 0 {
				bt = 1
			}
			kernels.Sgemm(ta, tb, m, n, k, 1, a[i*sa:], lda, b[i*sb:], ldb, bt, c, ldc)
		}
	default:
		kernels.SgemmBatched(ta, tb, m, n, k, 1, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch)
	}
}
