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
// positions masked) becomes fill. y may be x.
func softmaxRowsMasked(y, x []float32, n int, logOut bool, fill float32) {
	rows := len(x) / max(n, 1)
	work := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRowMasked(y[r*n:(r+1)*n], x[r*n:(r+1)*n], logOut, fill)
		}
	}
	if len(x) < parallelMin {
		work(0, rows)
	} else {
		kernels.Parallel(rows, work)
	}
}

// softmaxRowMasked is softmaxRowsMasked for one row yr = f(xr), without a
// closure (attention calls it per row).
func softmaxRowMasked(yr, xr []float32, logOut bool, fill float32) {
	n := len(xr)
	m := kernels.Max(xr)
	if math.IsInf(float64(m), -1) || m != m { // fully masked (or all NaN)
		for i := range yr {
			yr[i] = fill
		}
		return
	}
	if !logOut {
		kernels.SoftmaxRows(yr, xr, 1, n)
		return
	}
	// log softmax = x - (m + log Σ exp(x - m)), without forming
	// probabilities that could underflow to 0. y is not x here.
	for i, v := range xr {
		yr[i] = v - m
	}
	kernels.Exp(yr, yr)
	ls := m + float32(math.Log(float64(kernels.Sum(yr))))
	for i, v := range xr {
		yr[i] = v - ls
	}
}

// Softmax returns exp(t)/Σexp(t) along axis, computed stably.
func (t *Tensor) Softmax(axis int) *Tensor {
	return t.lastAxisOp("Softmax", axis, func(t *Tensor) *Tensor {
		n := t.shape[t.Dims()-1]
		y := t.scope.allocRaw(t.Numel())
		softmaxRows(y, t.f32(), n, false)
		out := t.scope.newTensor(t.shape, y)
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
		y := t.scope.allocRaw(t.Numel())
		softmaxRows(y, t.f32(), n, true)
		out := t.scope.newTensor(t.shape, y)
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
	// Keep the probabilities for the backward pass and the log-sum-exp of
	// each row for the loss: -log p_t = lse - x_t and
	// Σ_c log p_c = Σ_c x_c - C·lse, which never form log(0).
	prob := logits.scope.allocRaw(len(x))
	lse := logits.scope.allocRaw(len(targets)) // from the arena: no heap churn per step
	kernels.SoftmaxRowsLSE(prob, lse, x, len(targets), c)
	var total float64
	count := 0
	for r, tg := range targets {
		if tg == ignoreIndex {
			continue
		}
		if tg < 0 || tg >= c {
			panic(&IndexError{Op: op, Index: tg, Size: c, Shape: logits.Shape()})
		}
		xr := x[r*c : (r+1)*c]
		l := (float64(lse[r]) - float64(xr[tg])) * float64(1-smoothing)
		if smoothing > 0 {
			sumLogp := float64(kernels.Sum(xr)) - float64(c)*float64(lse[r])
			l -= float64(smoothing) * sumLogp / float64(c)
		}
		total += l
		count++
	}
	var loss float32
	if count > 0 {
		loss = float32(total / float64(count))
	}
	out := logits.scope.newTensor(nil, []float32{loss})
	return record(out, op, func(g []float32) {
		if count == 0 {
			return
		}
		// The gradient is written over prob, which nothing else reads,
		// and handed to the logits (added when they already have one).
		scale := g[0] / float32(count)
		uni := scale * smoothing / float32(c)
		byRows(len(targets), c, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				tg := targets[r]
				dr := prob[r*c : (r+1)*c]
				if tg == ignoreIndex {
					clear(dr)
					continue
				}
				kernels.Scale(scale, dr)
				if uni != 0 {
					for i := range dr {
						dr[i] -= uni
					}
				}
				dr[tg] -= scale * (1 - smoothing)
			}
		})
		passGrad(logits, prob)
	}, logits)
}

// Embedding gathers rows of weight [V, D] for each id; the result has shape
// [len(ids), D], or shape + [D] when a shape for the ids is given. The
// gradient is scattered (added) back into the rows. The result belongs to
// weight's scope; Scope.Embedding computes it under a given scope instead,
// as a model's token lookup does.
func Embedding(weight *Tensor, ids []int, shape ...int) *Tensor {
	return embedding(weight.scope, weight, ids, shape)
}

func embedding(sc *Scope, weight *Tensor, ids []int, shape []int) *Tensor {
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
	y := sc.allocRaw(len(ids) * d)
	for i, id := range ids {
		copy(y[i*d:(i+1)*d], w[id*d:(id+1)*d])
	}
	out := sc.newTensor(append(append([]int(nil), shape...), d), y)
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
	mask := t.scope.allocRaw(len(x))
	y := t.scope.allocRaw(len(x))
	for i, v := range x {
		if rng.Float32() >= p {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
		y[i] = v * mask[i]
	}
	out := t.scope.newTensor(t.shape, y)
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
	sc := scopeOf(x, weight, bias)
	const op = "LayerNorm"
	checkNormShapes(op, x, weight, bias)
	d := x.shape[x.Dims()-1]
	xv := x.f32()
	rows := len(xv) / max(d, 1)
	var wv, bv []float32
	if weight != nil {
		wv = weight.f32()
	}
	if bias != nil {
		bv = bias.f32()
	}
	y := sc.allocRaw(len(xv))
	mean, rstd := sc.allocRaw(rows), sc.allocRaw(rows)
	byRows(rows, d, func(lo, hi int) {
		kernels.LayerNormRows(y[lo*d:hi*d], xv[lo*d:hi*d], wv, bv, mean[lo:hi], rstd[lo:hi], hi-lo, d, eps)
	})
	out := sc.newTensor(x.shape, y)
	record(out, op, func(g []float32) {
		dx, beta := x.gradDst()
		tmp := dx
		if dx == nil || beta != 0 {
			tmp = sc.allocRaw(len(g))
		}
		kernels.LayerNormRowsBackward(tmp, weight.gradSlot(), bias.gradSlot(), g, xv, wv, mean, rstd, rows, d)
		if dx != nil && beta != 0 {
			kernels.Add(dx, dx, tmp)
		}
	}, x, weight, bias)
	return finish(out, x.dtype)
}

// byRows runs fn over row ranges, in parallel when the work is large.
func byRows(rows, cols int, fn func(lo, hi int)) {
	if rows*cols < parallelMin {
		fn(0, rows)
		return
	}
	kernels.Parallel(rows, fn)
}

func checkNormShapes(op string, x, weight, bias *Tensor) {
	if x.Dims() < 1 {
		panicShape(op, "input needs at least one dimension", x.shape)
	}
	d := x.shape[x.Dims()-1]
	for _, p := range []*Tensor{weight, bias} {
		if p != nil && (p.Dims() != 1 || p.shape[0] != d) {
			panicShape(op, "weight and bias must be ["+itoa(d)+"]", x.shape, p.shape)
		}
	}
}

// RMSNorm divides by the root mean square over the last dimension and
// scales by weight ([D], may be nil).
func RMSNorm(x, weight *Tensor, eps float32) *Tensor {
	sc := scopeOf(x, weight)
	const op = "RMSNorm"
	checkNormShapes(op, x, weight, nil)
	d := x.shape[x.Dims()-1]
	xv := x.f32()
	rows := len(xv) / max(d, 1)
	var wv []float32
	if weight != nil {
		wv = weight.f32()
	}
	y := sc.allocRaw(len(xv))
	xhat := sc.allocRaw(len(xv)) // x·rstd, before the weight
	rstd := sc.allocRaw(rows)
	byRows(rows, d, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := xv[r*d : (r+1)*d]
			rs := float32(1 / math.Sqrt(float64(kernels.Dot(xr, xr))/float64(d)+float64(eps)))
			rstd[r] = rs
			hr, yr := xhat[r*d:(r+1)*d], y[r*d:(r+1)*d]
			for i, v := range xr {
				hr[i] = v * rs
			}
			if wv != nil {
				kernels.Mul(yr, hr, wv)
			} else {
				copy(yr, hr)
			}
		}
	})
	out := sc.newTensor(x.shape, y)
	record(out, op, func(g []float32) {
		if dw := weight.gradSlot(); dw != nil {
			for r := range rows {
				hr, gr := xhat[r*d:(r+1)*d], g[r*d:(r+1)*d]
				for i, v := range gr {
					dw[i] += v * hr[i]
				}
			}
		}
		dx := x.gradSlot()
		if dx == nil {
			return
		}
		// dx = rstd·(gh - xhat·mean(gh·xhat)) with gh = g·weight.
		for r := range rows {
			hr, gr, dr := xhat[r*d:(r+1)*d], g[r*d:(r+1)*d], dx[r*d:(r+1)*d]
			var sgh float64
			for i, v := range gr {
				if wv != nil {
					v *= wv[i]
				}
				sgh += float64(v * hr[i])
			}
			mgh := float32(sgh / float64(d))
			rs := rstd[r]
			for i, v := range gr {
				if wv != nil {
					v *= wv[i]
				}
				dr[i] += rs * (v - hr[i]*mgh)
			}
		}
	}, x, weight)
	return finish(out, x.dtype)
}
