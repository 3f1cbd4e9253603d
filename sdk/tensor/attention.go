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
	const op = "ScaledDotProductAttention"
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
	perMask := 1 // heads sharing one mask row
	var mv []float32
	if keyMask != nil {
		if nd < 3 || keyMask.Dims() != 2 || keyMask.shape[0] != q.shape[0] || keyMask.shape[1] != s {
			panicShape(op, "keyMask must be [batch, S] where batch is q's first dimension", q.shape, keyMask.shape)
		}
		perMask = batch / q.shape[0]
		mv = keyMask.f32()
	}
	scale := float32(1 / math.Sqrt(float64(d)))
	qv, kv, vv := q.f32(), k.f32(), v.f32()
	p := allocRaw(batch * t * s)
	o := allocRaw(batch * t * dv)
	negInf := float32(math.Inf(-1))
	kernels.Parallel(batch, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			pb := p[b*t*s : (b+1)*t*s]
			kernels.Sgemm(false, true, t, s, d, scale, qv[b*t*d:], d, kv[b*s*d:], d, 0, pb, s)
			for i := range t {
				row := pb[i*s : (i+1)*s]
				if causal {
					for j := max(i+s-t+1, 0); j < s; j++ {
						row[j] = negInf
					}
				}
				if mv != nil {
					mr := mv[(b/perMask)*s : (b/perMask+1)*s]
					for j, m := range mr {
						if m == 0 {
							row[j] = negInf
						}
					}
				}
			}
			softmaxRowsMasked(pb, pb, s, false, 0)
			kernels.Sgemm(false, false, t, dv, s, 1, pb, s, vv[b*s*dv:], dv, 0, o[b*t*dv:], dv)
		}
	})
	outShape := append(append([]int(nil), lead...), t, dv)
	out := newTensor(outShape, o)
	record(out, op, func(g []float32) {
		dq, dk, dvg := q.gradSlot(), k.gradSlot(), v.gradSlot()
		dpAll := allocRaw(batch * t * s)
		kernels.Parallel(batch, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				dp := dpAll[b*t*s : (b+1)*t*s]
				pb, gb := p[b*t*s:(b+1)*t*s], g[b*t*dv:]
				if dvg != nil { // dV = Pᵀ·dO
					kernels.Sgemm(true, false, s, dv, t, 1, pb, s, gb, dv, 1, dvg[b*s*dv:], dv)
				}
				if dq == nil && dk == nil {
					continue
				}
				// dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P))
				kernels.Sgemm(false, true, t, s, dv, 1, gb, dv, vv[b*s*dv:], dv, 0, dp, s)
				for i := range t {
					pr, dr := pb[i*s:(i+1)*s], dp[i*s:(i+1)*s]
					var dot float32
					for j, x := range pr {
						dot += x * dr[j]
					}
					for j, x := range pr {
						dr[j] = x * (dr[j] - dot)
					}
				}
				if dq != nil { // dQ = scale·dS·K
					kernels.Sgemm(false, false, t, d, s, scale, dp, s, kv[b*s*d:], d, 1, dq[b*t*d:], d)
				}
				if dk != nil { // dK = scale·dSᵀ·Q
					kernels.Sgemm(true, false, s, d, t, scale, dp, s, qv[b*t*d:], d, 1, dk[b*s*d:], d)
				}
			}
		})
	}, q, k, v)
	return finish(out, resultDType(q, k, v))
}
