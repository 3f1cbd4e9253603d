package tensor

import (
	"math"

	"github.com/pretrain-go/pretrain/kernels"
)

// lastAxisOp applies a row operation over axis by moving axis last when
// needed.
func (t *Tensor) lastAxisOp(op string, axis int, f func(*Tensor) *Tensor) *Tensor {
	a := t.axis(op, axis)
	if a == t.Dims()-1 {
		return f(t)
	}
	return f(t.Transpose(a, -1)).Transpose(a, -1)
}

// softmaxRows writes the softmax of each row of length n of x into y.
func softmaxRows(y, x []float32, n int, logOut bool) {
	softmaxRowsMasked(y, x, n, logOut, float32(math.NaN()))
}

// softmaxRowsMasked is softmaxRows where a row that is entirely -inf (all
// positions masked) becomes fill.
func softmaxRowsMasked(y, x []float32, n int, logOut bool, fill float32) {
	rows := len(x) / max(n, 1)
	work := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
			m := float32(math.Inf(-1))
			for _, v := range xr {
				m = max(m, v)
			}
			if math.IsInf(float64(m), -1) { // a fully masked row
				for i := range yr {
					yr[i] = fill
				}
				continue
			}
			var s float64
			for i, v := range xr {
				e := float32(math.Exp(float64(v - m)))
				yr[i] = e
				s += float64(e)
			}
			if logOut {
				ls := m + float32(math.Log(s))
				for i, v := range xr {
					yr[i] = v - ls
				}
				continue
			}
			inv := float32(1 / s)
			for i := range yr {
				yr[i] *= inv
			}
		}
	}
	if len(x) < parallelMin {
		work(0, rows)
	} else {
		kernels.Parallel(rows, work)
	}
}

// Softmax returns exp(t)/Σexp(t) along axis, computed stably.
func (t *Tensor) Softmax(axis int) *Tensor {
	return t.lastAxisOp("Softmax", axis, func(t *Tensor) *Tensor {
		n := t.shape[t.Dims()-1]
		y := allocRaw(t.Numel())
		softmaxRows(y, t.f32(), n, false)
		out := newTensor(t.shape, y)
		record(out, "Softmax", func(g []float32) {
			dx := t.gradSlot()
			yv := out.f32()
			for r := 0; r < len(g); r += n {
				gr, yr, dr := g[r:r+n], yv[r:r+n], dx[r:r+n]
				var dot float32
				for i, v := range gr {
					dot += v * yr[i]
				}
				for i, v := range gr {
					dr[i] += yr[i] * (v - dot)
				}
			}
		}, t)
		return finish(out, t.dtype)
	})
}

// LogSoftmax returns t - log Σexp(t) along axis, computed stably.
func (t *Tensor) LogSoftmax(axis int) *Tensor {
	return t.lastAxisOp("LogSoftmax", axis, func(t *Tensor) *Tensor {
		n := t.shape[t.Dims()-1]
		y := allocRaw(t.Numel())
		softmaxRows(y, t.f32(), n, true)
		out := newTensor(t.shape, y)
		record(out, "LogSoftmax", func(g []float32) {
			dx := t.gradSlot()
			yv := out.f32()
			for r := 0; r < len(g); r += n {
				gr, yr, dr := g[r:r+n], yv[r:r+n], dx[r:r+n]
				var s float32
				for _, v := range gr {
					s += v
				}
				for i, v := range gr {
					dr[i] += v - float32(math.Exp(float64(yr[i])))*s
				}
			}
		}, t)
		return finish(out, t.dtype)
	})
}

// IgnoreIndex is the target value that CrossEntropy skips by default, as in
// PyTorch.
const IgnoreIndex = -100

// CrossEntropy returns the mean cross-entropy between logits [..., C] and
// integer class targets (one per row of logits), skipping targets equal to
// IgnoreIndex.
func CrossEntropy(logits *Tensor, targets []int) *Tensor {
	return CrossEntropyWith(logits, targets, IgnoreIndex, 0)
}

// CrossEntropyWith is CrossEntropy with an explicit ignore index and label
// smoothing ε: the target distribution is (1-ε)·onehot + ε/C, as in
// torch.nn.functional.cross_entropy. The mean is over non-ignored rows; with
// none, the loss is 0.
func CrossEntropyWith(logits *Tensor, targets []int, ignoreIndex int, smoothing float32) *Tensor {
	const op = "CrossEntropy"
	if logits.Dims() < 1 {
		panicShape(op, "logits need a class dimension", logits.shape)
	}
	c := logits.shape[logits.Dims()-1]
	rows := logits.Numel() / max(c, 1)
	if len(targets) != rows {
		panicShape(op, itoa(len(targets))+" targets for "+itoa(rows)+" rows of logits", logits.shape, []int{len(targets)})
	}
	if smoothing < 0 || smoothing > 1 {
		panicValue(op, "label smoothing must be in [0,1], got %v", smoothing)
	}
	x := logits.f32()
	logp := allocRaw(len(x))
	softmaxRows(logp, x, c, true)
	var total float64
	count := 0
	for r, tg := range targets {
		if tg == ignoreIndex {
			continue
		}
		if tg < 0 || tg >= c {
			panic(&IndexError{Op: op, Index: tg, Size: c, Shape: logits.Shape()})
		}
		lr := logp[r*c : (r+1)*c]
		l := -float64(lr[tg]) * float64(1-smoothing)
		if smoothing > 0 {
			var s float64
			for _, v := range lr {
				s += float64(v)
			}
			l -= float64(smoothing) * s / float64(c)
		}
		total += l
		count++
	}
	var loss float32
	if count > 0 {
		loss = float32(total / float64(count))
	}
	out := newTensor(nil, []float32{loss})
	return record(out, op, func(g []float32) {
		if count == 0 {
			return
		}
		dx := logits.gradSlot()
		scale := g[0] / float32(count)
		uni := smoothing / float32(c)
		for r, tg := range targets {
			if tg == ignoreIndex {
				continue
			}
			lr, dr := logp[r*c:(r+1)*c], dx[r*c:(r+1)*c]
			for i, v := range lr {
				dr[i] += scale * (float32(math.Exp(float64(v))) - uni)
			}
			dr[tg] -= scale * (1 - smoothing)
		}
	}, logits)
}

// Embedding gathers rows of weight [V, D] for each id; the result has shape
// [len(ids), D], or shape + [D] when a shape for the ids is given. The
// gradient is scattered (added) back into the rows.
func Embedding(weight *Tensor, ids []int, shape ...int) *Tensor {
	const op = "Embedding"
	if weight.Dims() != 2 {
		panicShape(op, "weight must be [vocab, dim]", weight.shape)
	}
	v, d := weight.shape[0], weight.shape[1]
	if len(shape) == 0 {
		shape = []int{len(ids)}
	}
	if numel(shape) != len(ids) {
		panicShape(op, itoa(len(ids))+" ids do not fit the id shape", shape)
	}
	for _, id := range ids {
		if id < 0 || id >= v {
			panic(&IndexError{Op: op, Index: id, Size: v, Shape: weight.Shape()})
		}
	}
	w := weight.f32()
	y := allocRaw(len(ids) * d)
	for i, id := range ids {
		copy(y[i*d:(i+1)*d], w[id*d:(id+1)*d])
	}
	out := newTensor(append(append([]int(nil), shape...), d), y)
	record(out, op, func(g []float32) {
		dw := weight.gradSlot()
		for i, id := range ids {
			kernels.Axpy(1, g[i*d:(i+1)*d], dw[id*d:(id+1)*d])
		}
	}, weight)
	return finish(out, weight.dtype)
}

// Dropout zeroes each element with probability p and scales the rest by
// 1/(1-p), drawing the mask from rng. With p = 0 it returns t.
func (t *Tensor) Dropout(p float32, rng *RNG) *Tensor {
	if p < 0 || p >= 1 {
		panicValue("Dropout", "probability must be in [0,1), got %v", p)
	}
	if p == 0 {
		return t
	}
	scale := 1 / (1 - p)
	x := t.f32()
	mask := allocRaw(len(x))
	y := allocRaw(len(x))
	for i, v := range x {
		if rng.Float32() >= p {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
		y[i] = v * mask[i]
	}
	out := newTensor(t.shape, y)
	record(out, "Dropout", func(g []float32) {
		dx := t.gradSlot()
		for i, v := range g {
			dx[i] += v * mask[i]
		}
	}, t)
	return finish(out, t.dtype)
}

// LayerNorm normalises over the last dimension to zero mean and unit
// variance, then scales by weight and adds bias (each [D], either may be
// nil).
func LayerNorm(x, weight, bias *Tensor, eps float32) *Tensor {
	return normOp("LayerNorm", x, weight, bias, eps, true)
}

// RMSNorm divides by the root mean square over the last dimension and
// scales by weight ([D], may be nil).
func RMSNorm(x, weight *Tensor, eps float32) *Tensor {
	return normOp("RMSNorm", x, weight, nil, eps, false)
}

func normOp(op string, x, weight, bias *Tensor, eps float32, center bool) *Tensor {
	if x.Dims() < 1 {
		panicShape(op, "input needs at least one dimension", x.shape)
	}
	d := x.shape[x.Dims()-1]
	for _, p := range []*Tensor{weight, bias} {
		if p != nil && (p.Dims() != 1 || p.shape[0] != d) {
			panicShape(op, "weight and bias must be ["+itoa(d)+"]", x.shape, p.shape)
		}
	}
	xv := x.f32()
	rows := len(xv) / max(d, 1)
	var wv, bv []float32
	if weight != nil {
		wv = weight.f32()
	}
	if bias != nil {
		bv = bias.f32()
	}
	y := allocRaw(len(xv))
	xhat := allocRaw(len(xv))
	rstd := allocRaw(rows)
	work := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := xv[r*d : (r+1)*d]
			var mean, ss float64
			if center {
				for _, v := range xr {
					mean += float64(v)
				}
				mean /= float64(d)
			}
			for _, v := range xr {
				c := float64(v) - mean
				ss += c * c
			}
			rs := float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
			rstd[r] = rs
			hr, yr := xhat[r*d:(r+1)*d], y[r*d:(r+1)*d]
			m := float32(mean)
			for i, v := range xr {
				h := (v - m) * rs
				hr[i] = h
				if wv != nil {
					h *= wv[i]
				}
				if bv != nil {
					h += bv[i]
				}
				yr[i] = h
			}
		}
	}
	if len(xv) < parallelMin {
		work(0, rows)
	} else {
		kernels.Parallel(rows, work)
	}
	out := newTensor(x.shape, y)
	record(out, op, func(g []float32) {
		if dw := weight.gradSlot(); dw != nil {
			for r := range rows {
				hr, gr := xhat[r*d:(r+1)*d], g[r*d:(r+1)*d]
				for i, v := range gr {
					dw[i] += v * hr[i]
				}
			}
		}
		if db := bias.gradSlot(); db != nil {
			for r := range rows {
				for i, v := range g[r*d : (r+1)*d] {
					db[i] += v
				}
			}
		}
		dx := x.gradSlot()
		if dx == nil {
			return
		}
		// dx = rstd·(gh - mean(gh) - xhat·mean(gh·xhat)), gh = g·weight;
		// RMSNorm drops the mean(gh) term.
		for r := range rows {
			hr, gr, dr := xhat[r*d:(r+1)*d], g[r*d:(r+1)*d], dx[r*d:(r+1)*d]
			var sg, sgh float64
			for i, v := range gr {
				if wv != nil {
					v *= wv[i]
				}
				sg += float64(v)
				sgh += float64(v * hr[i])
			}
			mg, mgh := float32(sg/float64(d)), float32(sgh/float64(d))
			if !center {
				mg = 0
			}
			rs := rstd[r]
			for i, v := range gr {
				if wv != nil {
					v *= wv[i]
				}
				dr[i] += rs * (v - mg - hr[i]*mgh)
			}
		}
	}, x, weight, bias)
	return finish(out, x.dtype)
}
