package tensor

import "github.com/pretrain-go/pretrain/kernels"

// broadcastShape returns the NumPy broadcast of a and b, or panics with a
// *ShapeError naming op.
func broadcastShape(op string, a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			panicShape(op, "shapes cannot be broadcast together (dimension "+itoa(i)+": "+itoa(da)+" vs "+itoa(db)+")", a, b)
		}
	}
	return out
}

// broadcastStrides returns the strides with which an operand of shape in is
// read when broadcast to shape out: 0 along broadcast dimensions.
func broadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	s := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(in) - len(out) + i
		if j >= 0 && in[j] != 1 {
			st[i] = s
			s *= in[j]
		} else if j >= 0 {
			s *= in[j]
		}
	}
	return st
}

// forEachRow2 walks shape in row-major order one innermost row at a time,
// calling fn with the row's start offset in two operands read with strides
// sa and sb, the row length and the operands' innermost strides. The walk
// position in a contiguous tensor of shape is the running sum of n.
func forEachRow2(shape, sa, sb []int, fn func(oa, ob, n, ia, ib int)) {
	nd := len(shape)
	if nd == 0 {
		fn(0, 0, 1, 0, 0)
		return
	}
	total := numel(shape)
	if total == 0 {
		return
	}
	// Merge trailing dimensions that are contiguous in both operands, so that
	// rows are as long as possible.
	inner := shape[nd-1]
	ia, ib := sa[nd-1], sb[nd-1]
	last := nd - 1
	for last > 0 {
		d := last - 1
		if mergeable(sa[d], ia, inner) && mergeable(sb[d], ib, inner) {
			inner *= shape[d]
			last = d
			continue
		}
		break
	}
	idx := make([]int, last)
	oa, ob := 0, 0
	for rows := total / inner; rows > 0; rows-- {
		fn(oa, ob, inner, ia, ib)
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			oa += sa[d]
			ob += sb[d]
			if idx[d] < shape[d] {
				break
			}
			oa -= sa[d] * shape[d]
			ob -= sb[d] * shape[d]
			idx[d] = 0
		}
	}
}

// mergeable reports whether an outer dimension of stride outer continues an
// inner block of n elements read with stride inner.
func mergeable(outer, inner, n int) bool {
	if inner == 0 {
		return outer == 0
	}
	return outer == inner*n
}

// reduceGradTo adds g, the gradient of a tensor of shape out, into dst, the
// gradient of the operand of shape in that was broadcast to out.
func reduceGradTo(dst, g []float32, in, out []int) {
	if len(dst) == len(g) {
		kernels.Add(dst, dst, g)
		return
	}
	st := broadcastStrides(in, out)
	zero := make([]int, len(out))
	pos := 0
	forEachRow2(out, st, zero, func(oa, _, n, ia, _ int) {
		gr := g[pos : pos+n]
		pos += n
		if ia == 0 {
			dst[oa] += kernels.Sum(gr)
			return
		}
		d := dst[oa : oa+n]
		kernels.Add(d, d, gr)
	})
}

// contiguousStrides returns the row-major strides of shape.
func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}
