package tensor

// Reshape returns a tensor with the same values in a new shape; one
// dimension may be -1 to be inferred. The result shares t's storage.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	const op = "Reshape"
	shape = append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panicShape(op, "invalid target dimension "+itoa(d), t.shape, shape)
		default:
			known *= d
		}
	}
	n := t.Numel()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			panicShape(op, "cannot infer the -1 dimension", t.shape, shape)
		}
		shape[infer] = n / known
	} else if known != n {
		panicShape(op, itoa(n)+" elements do not fit the target shape", t.shape, shape)
	}
	out := &Tensor{shape: shape, dtype: t.dtype, data: t.data, bf: t.bf, scope: t.scope}
	return record(out, op, func(g []float32) { passGrad(t, g) }, t)
}

// View is Reshape: tensors are always contiguous, so a view never copies.
func (t *Tensor) View(shape ...int) *Tensor { return t.Reshape(shape...) }

// Flatten collapses all dimensions into one.
func (t *Tensor) Flatten() *Tensor { return t.Reshape(-1) }

// Unsqueeze inserts a dimension of size 1 at axis (which may equal Dims()).
func (t *Tensor) Unsqueeze(axis int) *Tensor {
	if axis < 0 {
		axis += t.Dims() + 1
	}
	if axis < 0 || axis > t.Dims() {
		panic(&AxisError{Op: "Unsqueeze", Axis: axis, Shape: t.Shape()})
	}
	s := append(append(append([]int(nil), t.shape[:axis]...), 1), t.shape[axis:]...)
	return t.Reshape(s...)
}

// Squeeze removes a dimension of size 1.
func (t *Tensor) Squeeze(axis int) *Tensor {
	a := t.axis("Squeeze", axis)
	if t.shape[a] != 1 {
		panicShape("Squeeze", "axis "+itoa(axis)+" has size "+itoa(t.shape[a])+", not 1", t.shape)
	}
	s := append(append([]int(nil), t.shape[:a]...), t.shape[a+1:]...)
	return t.Reshape(s...)
}

// Permute reorders the dimensions: result dimension i is t's dimension
// axes[i]. The values are copied into the new layout.
func (t *Tensor) Permute(axes ...int) *Tensor {
	const op = "Permute"
	nd := t.Dims()
	if len(axes) != nd {
		panicShape(op, itoa(len(axes))+" axes for "+itoa(nd)+" dimensions", t.shape)
	}
	perm := make([]int, nd)
	seen := make([]bool, nd)
	for i, a := range axes {
		a = t.axis(op, a)
		if seen[a] {
			panic(&AxisError{Op: op, Axis: axes[i], Shape: t.Shape()})
		}
		seen[a] = true
		perm[i] = a
	}
	outShape := make([]int, nd)
	src := contiguousStrides(t.shape)
	rd := make([]int, nd) // strides to read t in output order
	for i, a := range perm {
		outShape[i] = t.shape[a]
		rd[i] = src[a]
	}
	x := t.f32()
	y := t.scope.allocRaw(len(x))
	zero := make([]int, nd)
	pos := 0
	forEachRow2(outShape, rd, zero, func(oa, _, n, ia, _ int) {
		row := y[pos : pos+n]
		pos += n
		if ia == 1 {
			copy(row, x[oa:oa+n])
			return
		}
		for i := range row {
			row[i] = x[oa+i*ia]
		}
	})
	out := t.scope.newTensor(outShape, y)
	record(out, op, func(g []float32) {
		dx := t.gradSlot()
		pos := 0
		forEachRow2(outShape, rd, zero, func(oa, _, n, ia, _ int) {
			for i, v := range g[pos : pos+n] {
				dx[oa+i*ia] += v
			}
			pos += n
		})
	}, t)
	return finish(out, t.dtype)
}

// Transpose swaps two dimensions.
func (t *Tensor) Transpose(a, b int) *Tensor {
	axes := make([]int, t.Dims())
	for i := range axes {
		axes[i] = i
	}
	a, b = t.axis("Transpose", a), t.axis("Transpose", b)
	axes[a], axes[b] = axes[b], axes[a]
	return t.Permute(axes...)
}

// T transposes a 2-dimensional tensor.
func (t *Tensor) T() *Tensor {
	if t.Dims() != 2 {
		panicShape("T", "T needs a 2-dimensional tensor; use Transpose", t.shape)
	}
	return t.Transpose(0, 1)
}

// To converts the tensor to dtype; the gradient flows back in F32.
// Converting to the tensor's own dtype returns t itself.
func (t *Tensor) To(dtype DType) *Tensor {
	if dtype == t.dtype {
		return t
	}
	if dtype != F32 && dtype != BF16 {
		panicValue("To", "unknown dtype %v", dtype)
	}
	out := &Tensor{shape: t.Shape(), dtype: dtype, scope: t.scope}
	if dtype == BF16 {
		out.bf = t.scope.allocBF16(len(t.data))
		narrow(out.bf, t.data)
	} else {
		out.data = t.scope.allocRaw(len(t.bf))
		widen(out.data, t.bf)
	}
	return record(out, "To", func(g []float32) { passGrad(t, g) }, t)
}

// split3 views a shape as outer × n × inner around axis a.
func split3(shape []int, a int) (outer, n, inner int) {
	return numel(shape[:a]), shape[a], numel(shape[a+1:])
}

// Concat joins tensors along axis; all other dimensions must match.
func Concat(axis int, ts ...*Tensor) *Tensor {
	sc := scopeOf(ts...)
	const op = "Concat"
	if len(ts) == 0 {
		panicValue(op, "no tensors to concatenate")
	}
	a := ts[0].axis(op, axis)
	outShape := ts[0].Shape()
	outShape[a] = 0
	for _, t := range ts {
		if t.Dims() != len(outShape) {
			panicShape(op, "tensors differ in rank", ts[0].shape, t.shape)
		}
		for i, d := range t.shape {
			if i != a && d != outShape[i] {
				panicShape(op, "dimension "+itoa(i)+" differs", ts[0].shape, t.shape)
			}
		}
		outShape[a] += t.shape[a]
	}
	outer, total, inner := split3(outShape, a)
	y := sc.allocRaw(numel(outShape))
	off := 0
	for _, t := range ts {
		x := t.f32()
		w := t.shape[a] * inner
		for o := range outer {
			copy(y[o*total*inner+off:], x[o*w:(o+1)*w])
		}
		off += w
	}
	out := sc.newTensor(outShape, y)
	record(out, op, func(g []float32) {
		off := 0
		for _, t := range ts {
			w := t.shape[a] * inner
			if dx := t.gradSlot(); dx != nil {
				for o := range outer {
					src := g[o*total*inner+off : o*total*inner+off+w]
					dst := dx[o*w : (o+1)*w]
					for i, v := range src {
						dst[i] += v
					}
				}
			}
			off += w
		}
	}, ts...)
	return finish(out, resultDType(ts...))
}

// Narrow returns length elements of axis starting at start (a copy).
func (t *Tensor) Narrow(axis, start, length int) *Tensor {
	const op = "Narrow"
	a := t.axis(op, axis)
	if start < 0 || length < 0 || start+length > t.shape[a] {
		panic(&IndexError{Op: op, Index: start + length, Size: t.shape[a] + 1, Shape: t.Shape()})
	}
	outer, n, inner := split3(t.shape, a)
	outShape := t.Shape()
	outShape[a] = length
	x := t.f32()
	y := t.scope.allocRaw(outer * length * inner)
	w := length * inner
	for o := range outer {
		copy(y[o*w:(o+1)*w], x[(o*n+start)*inner:])
	}
	out := t.scope.newTensor(outShape, y)
	record(out, op, func(g []float32) {
		dx := t.gradSlot()
		for o := range outer {
			dst := dx[(o*n+start)*inner : (o*n+start)*inner+w]
			for i, v := range g[o*w : (o+1)*w] {
				dst[i] += v
			}
		}
	}, t)
	return finish(out, t.dtype)
}

// Slice returns elements [start, end) of axis; negative bounds count from
// the end, as in Python.
func (t *Tensor) Slice(axis, start, end int) *Tensor {
	a := t.axis("Slice", axis)
	n := t.shape[a]
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if end < start {
		end = start
	}
	return t.Narrow(a, start, end-start)
}

// Expand broadcasts t to shape (NumPy rules) by copying values.
func (t *Tensor) Expand(shape ...int) *Tensor {
	const op = "Expand"
	bs := broadcastShape(op, t.shape, shape)
	if !sameShape(bs, shape) {
		panicShape(op, "tensor cannot be broadcast to the target shape", t.shape, shape)
	}
	outShape := append([]int(nil), shape...)
	if sameShape(t.shape, outShape) {
		return t
	}
	y := applyBinary(t.scope, binAdd, t.f32(), t.shape, []float32{0}, nil, outShape)
	out := t.scope.newTensor(outShape, y)
	record(out, op, func(g []float32) { reduceGradTo(t.gradSlot(), g, t.shape, outShape) }, t)
	return finish(out, t.dtype)
}

// MaskedFill returns t with value wherever mask (broadcast to t's shape) is
// non-zero. No gradient flows to filled positions.
func (t *Tensor) MaskedFill(mask *Tensor, value float32) *Tensor {
	sc := scopeOf(t, mask)
	const op = "MaskedFill"
	if bs := broadcastShape(op, t.shape, mask.shape); !sameShape(bs, t.shape) {
		panicShape(op, "mask must broadcast to the tensor's shape", t.shape, mask.shape)
	}
	x := t.f32()
	m := mask.f32()
	if len(m) != len(x) {
		m = applyBinary(sc, binAdd, m, mask.shape, []float32{0}, nil, t.shape)
	}
	y := sc.allocRaw(len(x))
	for i, v := range x {
		if m[i] != 0 {
			y[i] = value
		} else {
			y[i] = v
		}
	}
	out := sc.newTensor(t.shape, y)
	record(out, op, func(g []float32) {
		dx := t.gradSlot()
		for i, v := range g {
			if m[i] == 0 {
				dx[i] += v
			}
		}
	}, t)
	return finish(out, t.dtype)
}

// Where returns a where cond is non-zero and b elsewhere, broadcasting all
// three to a common shape.
func Where(cond, a, b *Tensor) *Tensor {
	sc := scopeOf(cond, a, b)
	const op = "Where"
	shape := broadcastShape(op, broadcastShape(op, cond.shape, a.shape), b.shape)
	c := cond.Expand(shape...).Detach().f32()
	ae, be := a.Expand(shape...), b.Expand(shape...)
	av, bv := ae.f32(), be.f32()
	y := sc.allocRaw(numel(shape))
	for i := range y {
		if c[i] != 0 {
			y[i] = av[i]
		} else {
			y[i] = bv[i]
		}
	}
	out := sc.newTensor(shape, y)
	record(out, op, func(g []float32) {
		if da := ae.gradSlot(); da != nil {
			for i, v := range g {
				if c[i] != 0 {
					da[i] += v
				}
			}
		}
		if db := be.gradSlot(); db != nil {
			for i, v := range g {
				if c[i] == 0 {
					db[i] += v
				}
			}
		}
	}, ae, be)
	return finish(out, resultDType(a, b))
}
