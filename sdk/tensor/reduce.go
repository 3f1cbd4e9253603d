package tensor

import "math"

// reduceShapes normalises axes (all axes when none are given) and returns the
// keepdim output shape and the mask of reduced axes.
func (t *Tensor) reduceShapes(op string, axes []int) (keep []int, reduced []bool) {
	reduced = make([]bool, t.Dims())
	if len(axes) == 0 {
		for i := range reduced {
			reduced[i] = true
		}
	}
	for _, a := range axes {
		a = t.axis(op, a)
		if reduced[a] {
			panic(&AxisError{Op: op, Axis: a, Shape: t.Shape()})
		}
		reduced[a] = true
	}
	keep = make([]int, t.Dims())
	for i, d := range t.shape {
		if reduced[i] {
			keep[i] = 1
		} else {
			keep[i] = d
		}
	}
	return keep, reduced
}

func dropReduced(keep []int, reduced []bool) []int {
	out := make([]int, 0, len(keep))
	for i, d := range keep {
		if !reduced[i] {
			out = append(out, d)
		}
	}
	return out
}

// reduceSum sums t over the reduced axes into a buffer of shape keep,
// scaled by scale.
func (t *Tensor) reduceSum(keep []int, scale float32) []float32 {
	x := t.f32()
	out := t.scope.alloc(numel(keep))
	pos := 0
	forEachRow2(t.shape, broadcastStrides(keep, t.shape), make([]int, t.Dims()), func(oa, _, n, ia, _ int) {
		row := x[pos : pos+n]
		pos += n
		if ia == 0 {
			var s float32
			for _, v := range row {
				s += v
			}
			out[oa] += s
			return
		}
		d := out[oa : oa+n]
		for i, v := range row {
			d[i] += v
		}
	})
	if scale != 1 {
		for i := range out {
			out[i] *= scale
		}
	}
	return out
}

func (t *Tensor) sumOp(op string, keepdim bool, scaleByCount bool, axes []int) *Tensor {
	keep, reduced := t.reduceShapes(op, axes)
	scale := float32(1)
	if scaleByCount {
		cnt := t.Numel() / max(numel(keep), 1)
		if cnt == 0 {
			scale = float32(math.NaN())
		} else {
			scale = 1 / float32(cnt)
		}
	}
	shape := keep
	if !keepdim {
		shape = dropReduced(keep, reduced)
	}
	out := t.scope.newTensor(shape, t.reduceSum(keep, scale))
	record(out, op, func(g []float32) {
		dx := t.gradSlot()
		pos := 0
		forEachRow2(t.shape, broadcastStrides(keep, t.shape), make([]int, t.Dims()), func(oa, _, n, ia, _ int) {
			d := dx[pos : pos+n]
			pos += n
			if ia == 0 {
				v := g[oa] * scale
				for i := range d {
					d[i] += v
				}
				return
			}
			for i := range d {
				d[i] += g[oa+i] * scale
			}
		})
	}, t)
	return finish(out, t.dtype)
}

// Sum sums over the given axes (all axes when none), dropping them.
func (t *Tensor) Sum(axes ...int) *Tensor { return t.sumOp("Sum", false, false, axes) }

// SumKeep sums over the given axes (all when none), keeping them as size 1.
func (t *Tensor) SumKeep(axes ...int) *Tensor { return t.sumOp("Sum", true, false, axes) }

// Mean averages over the given axes (all axes when none), dropping them.
func (t *Tensor) Mean(axes ...int) *Tensor { return t.sumOp("Mean", false, true, axes) }

// MeanKeep averages over the given axes (all when none), keeping them.
func (t *Tensor) MeanKeep(axes ...int) *Tensor { return t.sumOp("Mean", true, true, axes) }

func (t *Tensor) maxOp(keepdim bool, axes []int) *Tensor {
	const op = "Max"
	if t.Numel() == 0 {
		panicShape(op, "max of an empty tensor", t.shape)
	}
	keep, reduced := t.reduceShapes(op, axes)
	x := t.f32()
	no := numel(keep)
	out := t.scope.allocRaw(no)
	arg := make([]int32, no) // flat input index of each maximum
	for i := range out {
		out[i] = float32(math.Inf(-1))
		arg[i] = -1
	}
	pos := 0
	forEachRow2(t.shape, broadcastStrides(keep, t.shape), make([]int, t.Dims()), func(oa, _, n, ia, _ int) {
		for i := 0; i < n; i++ {
			o := oa + i*ia
			v := x[pos+i]
			// NaN propagates, as in PyTorch; the first maximum wins ties.
			if arg[o] < 0 || v > out[o] || (v != v && out[o] == out[o]) {
				out[o], arg[o] = v, int32(pos+i)
			}
		}
		pos += n
	})
	shape := keep
	if !keepdim {
		shape = dropReduced(keep, reduced)
	}
	res := t.scope.newTensor(shape, out)
	record(res, op, func(g []float32) {
		dx := t.gradSlot()
		for o, i := range arg {
			dx[i] += g[o]
		}
	}, t)
	return finish(res, t.dtype)
}

// Max returns the maximum over the given axes (all when none), dropping
// them. The gradient flows to the first maximal element.
func (t *Tensor) Max(axes ...int) *Tensor { return t.maxOp(false, axes) }

// MaxKeep returns the maximum over the given axes, keeping them as size 1.
func (t *Tensor) MaxKeep(axes ...int) *Tensor { return t.maxOp(true, axes) }

// Argmax returns, for each row along axis, the index of its first maximum.
// It records no gradient.
func (t *Tensor) Argmax(axis int) []int {
	a := t.axis("Argmax", axis)
	x := t.f32()
	outer := numel(t.shape[:a])
	n := t.shape[a]
	inner := numel(t.shape[a+1:])
	res := make([]int, outer*inner)
	for o := range outer {
		for in := range inner {
			best := 0
			bv := float32(math.Inf(-1))
			for j := range n {
				v := x[(o*n+j)*inner+in]
				if j == 0 || v > bv {
					best, bv = j, v
				}
			}
			res[o*inner+in] = best
		}
	}
	return res
}
