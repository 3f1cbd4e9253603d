package tensor

import (
	"math"

	"github.com/pretrain-go/pretrain/kernels"
)

// ScaledDotProductAttention computes softmax(q·kᵀ/√d + mask)·v, fused, for
// q [..., T, D], k [..., S, D] and v [..., S, Dv] with equal leading
// dimensions (typically [batch, heads]). With causal, query i attends to
// keys j ≤ i + S - T (so a query block at the end of a longer key sequence,
// as with a KV cache, sees its past). keyMask, if not nil, is [batch, S]
// with 1 for real tokens and 0 for padding, where batch is the first
// dimension of q; padded keys are ignored. A query whose keys are all masked
// gets zeros.
func ScaledDotProductAttention(q, k, v *Tensor, causal bool, keyMask *Tensor) *Tensor {
	return scaledDotProductAttention(q, k, v, causal, keyMask, defaultPlan())
}

// attnPlan is how the attention problems are computed: causal ones in
// blocks of blockRows query rows, and small ones through
// kernels.SgemmSmall unless sgemmOnly. Parameters, so that tests can cover
// many blocks with small shapes and both product paths.
type attnPlan struct {
	blockRows int
	sgemmOnly bool
}

// defaultPlan is the plan of the exported functions.
func defaultPlan() attnPlan { return attnPlan{blockRows: causalBlockRows} }

// scaledDotProductAttention is ScaledDotProductAttention under plan.
func scaledDotProductAttention(q, k, v *Tensor, causal bool, keyMask *Tensor, plan attnPlan) *Tensor {
	const op = "ScaledDotProductAttention"
	sc := scopeOf(q, k, v)
	nd := q.Dims()
	if nd < 2 || k.Dims() != nd || v.Dims() != nd {
		panicShape(op, "q, k and v need the same rank, at least 2", q.shape, k.shape, v.shape)
	}
	t, d := q.shape[nd-2], q.shape[nd-1]
	s, dk := k.shape[nd-2], k.shape[nd-1]
	sv, dv := v.shape[nd-2], v.shape[nd-1]
	lead := q.shape[:nd-2]
	if dk != d || sv != s || !sameShape(lead, k.shape[:nd-2]) || !sameShape(lead, v.shape[:nd-2]) {
		panicShape(op, "want q [..., T, D], k [..., S, D], v [..., S, Dv]", q.shape, k.shape, v.shape)
	}
	batch := numel(lead)
	perMask := 1
	if keyMask != nil {
		if nd < 3 || keyMask.Dims() != 2 || keyMask.shape[0] != q.shape[0] || keyMask.shape[1] != s {
			panicShape(op, "keyMask must be [batch, S] where batch is q's first dimension", q.shape, keyMask.shape)
		}
		perMask = batch / q.shape[0]
	}
	a := attnLayout{
		sc: sc, plan: plan,
		batch: batch, t: t, s: s, d: d, dv: dv, perMask: perMask, causal: causal,
		q: q.f32(), k: k.f32(), v: v.f32(),
		ldq: d, ldk: d, ldv: dv, ldo: dv,
		qOff: func(b int) int { return b * t * d },
		kOff: func(b int) int { return b * s * d },
		vOff: func(b int) int { return b * s * dv },
		oOff: func(b int) int { return b * t * dv },
	}
	if keyMask != nil {
		a.mask = keyMask.f32()
	}
	o := sc.allocRaw(batch * t * dv)
	p := a.forward(o)
	out := sc.newTensor(append(append([]int(nil), lead...), t, dv), o)
	record(out, op, func(g []float32) {
		dq, bq := q.gradDst()
		dk, bk := k.gradDst()
		dv, bv := v.gradDst()
		a.backward(p, g, dq, dk, dv, bq, bk, bv)
	}, q, k, v)
	return finish(out, resultDType(q, k, v))
}

// SelfAttention is multi-head self-attention on the packed output of a
// fused q/k/v projection: qkv [B, T, 3E] holds q, k and v side by side,
// each split into heads contiguous chunks of E/heads features. The result
// is [B, T, E] with the heads side by side again. It equals splitting the
// heads out, calling ScaledDotProductAttention and merging them back, but
// the products read and write the packed layout in place, so no copies are
// made. causal and keyMask ([B, T], 1 keep, 0 pad) are as there.
func SelfAttention(qkv *Tensor, heads int, causal bool, keyMask *Tensor) *Tensor {
	return selfAttention(qkv, heads, causal, keyMask, defaultPlan())
}

// selfAttention is SelfAttention under plan.
func selfAttention(qkv *Tensor, heads int, causal bool, keyMask *Tensor, plan attnPlan) *Tensor {
	const op = "SelfAttention"
	sc := qkv.scope
	if qkv.Dims() != 3 || heads <= 0 || qkv.shape[2]%(3*heads) != 0 {
		panicShape(op, "qkv must be [batch, seq, 3·E] with E a multiple of heads="+itoa(heads), qkv.shape)
	}
	bs, t, e3 := qkv.shape[0], qkv.shape[1], qkv.shape[2]
	e := e3 / 3
	dh := e / heads
	if keyMask != nil && (keyMask.Dims() != 2 || keyMask.shape[0] != bs || keyMask.shape[1] != t) {
		panicShape(op, "keyMask must be [batch, seq]", qkv.shape, keyMask.shape)
	}
	x := qkv.f32()
	base := func(bh int) int { return (bh/heads)*t*e3 + (bh%heads)*dh }
	a := attnLayout{
		sc: sc, plan: plan,
		batch: bs * heads, t: t, s: t, d: dh, dv: dh, perMask: heads, causal: causal,
		q: x, k: x, v: x,
		ldq: e3, ldk: e3, ldv: e3, ldo: e,
		qOff: base,
		kOff: func(bh int) int { return base(bh) + e },
		vOff: func(bh int) int { return base(bh) + 2*e },
		oOff: func(bh int) int { return (bh/heads)*t*e + (bh%heads)*dh },
	}
	if keyMask != nil {
		a.mask = keyMask.f32()
	}
	o := sc.allocRaw(bs * t * e)
	p := a.forward(o)
	out := sc.newTensor([]int{bs, t, e}, o)
	record(out, op, func(g []float32) {
		// Every head writes its own q, k and v blocks once.
		if dx, beta := qkv.gradDst(); dx != nil {
			a.backward(p, g, dx, dx, dx, beta, beta, beta)
		}
	}, qkv)
	return finish(out, qkv.dtype)
}

// attnLayout describes where the q, k, v and output matrices of each of
// batch attention problems live: matrix b of q starts at qOff(b) and has
// rows ldq apart, and so on.
type attnLayout struct {
	sc                 *Scope // where the probabilities and scratch buffers come from
	plan               attnPlan
	batch, t, s, d, dv int
	perMask            int // problems sharing one mask row
	causal             bool
	q, k, v, mask      []float32
	ldq, ldk, ldv, ldo int
	qOff, kOff, vOff   func(b int) int
	oOff               func(b int) int
}

// width is how many keys query row i may attend to: all s, or with the
// causal mask the first i+s-t+1 (at least 0).
func (a *attnLayout) width(i int) int {
	if !a.causal {
		return a.s
	}
	return min(a.s, max(i+a.s-a.t+1, 0))
}

// causalBlockRows is the query rows per block of a causal problem: block
// [r0,r1) multiplies only the keys its last row sees, which skips 3/8 of
// the products' work at t = s = 4·causalBlockRows.
const causalBlockRows = 32

// small says that every problem runs in one block on products small enough
// for kernels.SgemmSmall (at most 32 keys, heads of at most 64), where
// Sgemm's packing and tiling cost several times the arithmetic (a 16×16×16
// product: 150 ns against 650 ns on AVX2).
func (a *attnLayout) small() bool {
	return !a.plan.sgemmOnly && a.numBlocks() == 1 && a.t <= 64 && a.s <= 32 && a.d <= 64 && a.dv <= 64
}

// numBlocks is how many query-row blocks a problem runs in: one, or for a
// causal problem longer than blockRows, blocks of blockRows rows.
func (a *attnLayout) numBlocks() int {
	if !a.causal || a.t <= a.plan.blockRows {
		return 1
	}
	return (a.t + a.plan.blockRows - 1) / a.plan.blockRows
}

// block returns query-row block n, [r0,r1), and the keys w its last row
// sees. Blocks come widest first (the last rows), so that a product
// accumulating over blocks applies the caller's beta in its first call.
func (a *attnLayout) block(n int) (r0, r1, w int) {
	if a.numBlocks() == 1 {
		return 0, a.t, a.s
	}
	r1 = a.t - n*a.plan.blockRows
	return max(0, r1-a.plan.blockRows), r1, a.width(r1 - 1)
}

// prefetch brings problem b's q, k and v rows into cache: in a packed q/k/v
// buffer each head's rows are lines scattered a whole token apart, which
// the hardware prefetcher does not see coming, so a small problem otherwise
// spends most of its time waiting for them.
func (a *attnLayout) prefetch(b int) {
	kernels.Prefetch(a.q[a.qOff(b):], a.ldq, a.t, a.d)
	kernels.Prefetch(a.k[a.kOff(b):], a.ldk, a.s, a.d)
	kernels.Prefetch(a.v[a.vOff(b):], a.ldv, a.s, a.dv)
}

// maskKeys sets the scores of problem b's padded keys to -Inf in its rows
// rows of p (every row sees every key).
func (a *attnLayout) maskKeys(p []float32, b, rows int) {
	if a.mask == nil {
		return
	}
	s := a.s
	mr := a.mask[(b/a.perMask)*s : (b/a.perMask+1)*s]
	negInf := float32(math.Inf(-1))
	for j, m := range mr {
		if m == 0 {
			for i := range rows {
				p[i*s+j] = negInf
			}
		}
	}
}

// softmaxSmallRows is softmaxRowMasked (probabilities, 0 for a row whose
// scores are all -Inf) on rows×cols scores in place, for attention
// problems of a few keys, where per-row vector calls cost more than the
// arithmetic: rows a multiple of 8 long go to kernels.SoftmaxRowsInPlace
// (one AVX2 call for the block), others take one vector exp for the whole
// block. A NaN score makes its row NaN.
func softmaxSmallRows(p []float32, rows, cols int) {
	if cols%8 == 0 {
		kernels.SoftmaxRowsInPlace(p, rows, cols) // one vector pass per row
		return
	}
	p = p[:rows*cols]
	negInf := float32(math.Inf(-1))
	for i := range rows {
		r := p[i*cols : (i+1)*cols]
		m := negInf
		for _, v := range r {
			m = max(m, v)
		}
		if m == negInf {
			m = 0 // exp(-Inf) is 0: the row sums to 0 and is cleared below
		}
		for j := range r {
			r[j] -= m
		}
	}
	kernels.Exp(p, p)
	for i := range rows {
		r := p[i*cols : (i+1)*cols]
		var sum float32
		for _, v := range r {
			sum += v
		}
		if sum == 0 {
			clear(r)
			continue
		}
		inv := 1 / sum
		for j := range r {
			r[j] *= inv
		}
	}
}

// forward writes the attention outputs into o and returns the attention
// probabilities [batch, t, s], kept for the backward pass.
func (a *attnLayout) forward(o []float32) []float32 {
	t, s := a.t, a.s
	p := a.sc.allocRaw(a.batch * t * s)
	scale := float32(1 / math.Sqrt(float64(a.d)))
	negInf := float32(math.Inf(-1))
	small := a.small()
	var ktAll []float32
	if small {
		ktAll = a.sc.allocRaw(a.batch * a.d * s)
	}
	kernels.Parallel(a.batch, func(lo, hi int) {
		// Kᵀ of one problem at a time, for the small products: each chunk
		// of problems reuses the slot of its first one (chunks are
		// disjoint, so no two share a slot).
		var kt []float32
		if small {
			kt = ktAll[lo*a.d*s : (lo+1)*a.d*s]
		}
		for b := lo; b < hi; b++ {
			// The offsets once per problem: each is a division or two.
			offQ, offK, offV, offO := a.qOff(b), a.kOff(b), a.vOff(b), a.oOff(b)
			if small && b+1 < hi {
				a.prefetch(b + 1)
			}
			pb := p[b*t*s : (b+1)*t*s]
			for n := range a.numBlocks() {
				r0, r1, w := a.block(n)
				if small {
					kernels.Transpose(kt, s, a.k[offK:], a.ldk, s, a.d)
					kernels.SgemmSmall(t, s, a.d, scale, a.q[offQ:], a.ldq, 1, kt, s, 0, pb, s)
				} else if w > 0 {
					kernels.Sgemm(false, true, r1-r0, w, a.d, scale, a.q[offQ+r0*a.ldq:], a.ldq, a.k[offK:], a.ldk, 0, pb[r0*s:], s)
				}
				if small && !a.causal {
					a.maskKeys(pb, b, t)
					softmaxSmallRows(pb, t, s)
				}
				for i := r0; i < r1 && !(small && !a.causal); i++ {
					// A causal row attends to its first wi keys only: the
					// softmax runs over them and the rest is exactly 0,
					// rather than exp(-Inf) lanes.
					row := pb[i*s : (i+1)*s]
					wi := a.width(i)
					if a.mask != nil {
						mr := a.mask[(b/a.perMask)*s : (b/a.perMask)*s+wi]
						for j, m := range mr {
							if m == 0 {
								row[j] = negInf
							}
						}
					}
					if wi > 0 {
						softmaxRowMasked(row[:wi], row[:wi], false, 0)
					}
					clear(row[wi:])
				}
				oo := o[offO+r0*a.ldo:]
				if w == 0 {
					for i := 0; i < r1-r0; i++ {
						clear(oo[i*a.ldo : i*a.ldo+a.dv])
					}
					continue
				}
				if small {
					kernels.SgemmSmall(t, a.dv, s, 1, pb, s, 1, a.v[offV:], a.ldv, 0, oo, a.ldo)
					continue
				}
				kernels.Sgemm(false, false, r1-r0, a.dv, w, 1, pb[r0*s:], s, a.v[offV:], a.ldv, 0, oo, a.ldo)
			}
		}
	})
	return p
}

// backward adds the gradients for output gradient g into dq, dk and dv
// (each nil when not needed; they may be the same packed buffer, since every
// problem writes its own disjoint block), scaling their previous contents by
// bq, bk and bv (0 for new buffers, 1 to accumulate).
func (a *attnLayout) backward(p, g, dq, dk, dv []float32, bq, bk, bv float32) {
	t, s := a.t, a.s
	scale := float32(1 / math.Sqrt(float64(a.d)))
	var dpAll []float32
	if dq != nil || dk != nil {
		dpAll = a.sc.allocRaw(a.batch * t * s)
	}
	small := a.small()
	var vtAll []float32
	if small && dpAll != nil {
		vtAll = a.sc.allocRaw(a.batch * a.dv * s)
	}
	kernels.Parallel(a.batch, func(lo, hi int) {
		// Vᵀ of one problem at a time, in the slot of the chunk's first
		// problem (as Kᵀ in forward).
		var vt []float32
		if vtAll != nil {
			vt = vtAll[lo*a.dv*s : (lo+1)*a.dv*s]
		}
		for b := lo; b < hi; b++ {
			// The offsets once per problem: each is a division or two.
			offQ, offK, offV, offO := a.qOff(b), a.kOff(b), a.vOff(b), a.oOff(b)
			if small && b+1 < hi {
				a.prefetch(b + 1)
				kernels.Prefetch(g[a.oOff(b+1):], a.ldo, t, a.dv)
				kernels.Prefetch(p[(b+1)*t*s:], s, t, s)
			}
			pb, gb := p[b*t*s:(b+1)*t*s], g[offO:]
			// Blocks come widest first: the first product into dV and dK
			// covers all their rows with the caller's beta, later ones add
			// to a prefix.
			for n := range a.numBlocks() {
				r0, r1, w := a.block(n)
				rows := r1 - r0
				kb, vb := bk, bv
				if n > 0 {
					kb, vb = 1, 1
				}
				if w == 0 {
					continue
				}
				gr := gb[r0*a.ldo:]
				if dv != nil { // dV = Pᵀ·dO
					if small {
						kernels.SgemmSmall(w, a.dv, rows, 1, pb[r0*s:], 1, s, gr, a.ldo, vb, dv[offV:], a.ldv)
					} else {
						kernels.Sgemm(true, false, w, a.dv, rows, 1, pb[r0*s:], s, gr, a.ldo, vb, dv[offV:], a.ldv)
					}
				}
				if dpAll == nil {
					continue
				}
				// dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P))
				dp := dpAll[b*t*s : (b+1)*t*s]
				if small {
					kernels.Transpose(vt, s, a.v[offV:], a.ldv, s, a.dv)
					kernels.SgemmSmall(rows, w, a.dv, 1, gr, a.ldo, 1, vt, s, 0, dp[r0*s:], s)
				} else {
					kernels.Sgemm(false, true, rows, w, a.dv, 1, gr, a.ldo, a.v[offV:], a.ldv, 0, dp[r0*s:], s)
				}
				if small && !a.causal {
					kernels.SoftmaxBackwardRows(dp, pb, t, s)
				}
				for i := r0; i < r1 && !(small && !a.causal); i++ {
					wi := a.width(i)
					pr, dr := pb[i*s:i*s+wi], dp[i*s:(i+1)*s]
					dot := kernels.Dot(pr, dr[:wi])
					for j, x := range pr {
						dr[j] = x * (dr[j] - dot)
					}
					clear(dr[wi:]) // P is 0 there
				}
				if dq != nil { // dQ = scale·dS·K
					if small {
						kernels.SgemmSmall(rows, a.d, w, scale, dp[r0*s:], s, 1, a.k[offK:], a.ldk, bq, dq[offQ+r0*a.ldq:], a.ldq)
					} else {
						kernels.Sgemm(false, false, rows, a.d, w, scale, dp[r0*s:], s, a.k[offK:], a.ldk, bq, dq[offQ+r0*a.ldq:], a.ldq)
					}
				}
				if dk != nil { // dK = scale·dSᵀ·Q
					if small {
						kernels.SgemmSmall(w, a.d, rows, scale, dp[r0*s:], 1, s, a.q[offQ+r0*a.ldq:], a.ldq, kb, dk[offK:], a.ldk)
					} else {
						kernels.Sgemm(true, false, w, a.d, rows, scale, dp[r0*s:], s, a.q[offQ+r0*a.ldq:], a.ldq, kb, dk[offK:], a.ldk)
					}
				}
			}
		}
	})
}
