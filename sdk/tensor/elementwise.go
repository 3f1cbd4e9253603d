package tensor

import (
	"math"

	"github.com/pretrain-go/pretrain/kernels"
)

// resultDType is BF16 when every operand is BF16, F32 otherwise.
func resultDType(ts ...*Tensor) DType {
	for _, t := range ts {
		if t != nil && t.dtype != BF16 {
			return F32
		}
	}
	return BF16
}

// finish stores out's float32 values as dtype (a no-op for F32). Backward
// functions read saved outputs through f32(), so they see either form.
func finish(out *Tensor, dt DType) *Tensor {
	if dt == BF16 {
		out.bf = out.scope.allocBF16(len(out.data))
		narrow(out.bf, out.data)
		out.data = nil
		out.dtype = BF16
	}
	return out
}

// parallelMin is the element count below which elementwise work stays on
// one thread.
const parallelMin = 1 << 15

// chunked runs fn over [0,n), split across the worker pool when n is large.
func chunked(n int, fn func(lo, hi int)) {
	if n < parallelMin {
		fn(0, n)
		return
	}
	kernels.Parallel(n, fn)
}

type binKind int

const (
	binAdd binKind = iota
	binSub
	binMul
	binDiv
)

var binNames = [...]string{"Add", "Sub", "Mul", "Div"}

// binaryRow computes dst[i] = x[i·ix] op y[i·iy] for i < len(dst).
func binaryRow(k binKind, dst, x []float32, ix int, y []float32, iy int) {
	n := len(dst)
	switch {
	case ix == 1 && iy == 1 && k == binAdd:
		kernels.Add(dst, x[:n], y[:n])
	case ix == 1 && iy == 1 && k == binMul:
		kernels.Mul(dst, x[:n], y[:n])
	case ix == 1 && iy == 1:
		x, y = x[:n], y[:n]
		switch k {
		case binAdd:
			for i := range dst {
				dst[i] = x[i] + y[i]
			}
		case binSub:
			for i := range dst {
				dst[i] = x[i] - y[i]
			}
		case binMul:
			for i := range dst {
				dst[i] = x[i] * y[i]
			}
		case binDiv:
			for i := range dst {
				dst[i] = x[i] / y[i]
			}
		}
	case ix == 1 && iy == 0:
		x = x[:n]
		s := y[0]
		switch k {
		case binAdd:
			for i := range dst {
				dst[i] = x[i] + s
			}
		case binSub:
			for i := range dst {
				dst[i] = x[i] - s
			}
		case binMul:
			for i := range dst {
				dst[i] = x[i] * s
			}
		case binDiv:
			for i := range dst {
				dst[i] = x[i] / s
			}
		}
	default:
		for i := range dst {
			a, b := x[i*ix], y[i*iy]
			switch k {
			case binAdd:
				dst[i] = a + b
			case binSub:
				dst[i] = a - b
			case binMul:
				dst[i] = a * b
			case binDiv:
				dst[i] = a / b
			}
		}
	}
}

// applyBinary computes x op y with broadcasting into a new buffer of shape
// out.
func applyBinary(sc *Scope, k binKind, x []float32, xs []int, y []float32, ys []int, out []int) []float32 {
	dst := sc.allocRaw(numel(out))
	if len(x) == len(dst) && len(y) == len(dst) {
		chunked(len(dst), func(lo, hi int) { binaryRow(k, dst[lo:hi], x[lo:], 1, y[lo:], 1) })
		return dst
	}
	pos := 0
	forEachRow2(out, broadcastStrides(xs, out), broadcastStrides(ys, out), func(oa, ob, n, ia, ib int) {
		binaryRow(k, dst[pos:pos+n], x[oa:], ia, y[ob:], ib)
		pos += n
	})
	return dst
}

func binary(k binKind, a, b *Tensor) *Tensor {
	sc := scopeOf(a, b)
	op := binNames[k]
	outShape := broadcastShape(op, a.shape, b.shape)
	av, bv := a.f32(), b.f32()
	out := sc.newTensor(outShape, applyBinary(sc, k, av, a.shape, bv, b.shape, outShape))
	record(out, op, func(g []float32) {
		// For a sum or difference, b's gradient is taken from g first (a
		// copy or a reduction over broadcast dimensions); then a, when its
		// shape is the output's, takes g itself, so g is handed over at
		// most once and no gradient buffer is zeroed only to be added to.
		if (k == binAdd || k == binSub) && a != b && sameShape(a.shape, outShape) {
			switch {
			case !b.requiresGrad:
			case k == binAdd && sameShape(b.shape, outShape):
				copyGrad(b, g)
			case k == binAdd:
				reduceGradTo(b.gradSlot(), g, b.shape, outShape)
			default:
				t := sc.allocRaw(len(g))
				for i, v := range g {
					t[i] = -v
				}
				reduceGradTo(b.gradSlot(), t, b.shape, outShape)
			}
			passGrad(a, g)
			return
		}
		if da := a.gradSlot(); da != nil {
			switch k {
			case binAdd, binSub:
				reduceGradTo(da, g, a.shape, outShape)
			case binMul:
				reduceGradTo(da, applyBinary(sc, binMul, g, outShape, bv, b.shape, outShape), a.shape, outShape)
			case binDiv:
				reduceGradTo(da, applyBinary(sc, binDiv, g, outShape, bv, b.shape, outShape), a.shape, outShape)
			}
		}
		if db := b.gradSlot(); db != nil {
			var t []float32
			switch k {
			case binAdd:
				reduceGradTo(db, g, b.shape, outShape)
				return
			case binSub:
				t = sc.allocRaw(len(g))
				for i, v := range g {
					t[i] = -v
				}
			case binMul:
				t = applyBinary(sc, binMul, g, outShape, av, a.shape, outShape)
			case binDiv:
				// d(a/b)/db = -a/b² = -out/b
				o := out.f32()
				t = sc.allocRaw(len(g))
				for i, v := range g {
					t[i] = -v * o[i]
				}
				t = applyBinary(sc, binDiv, t, outShape, bv, b.shape, outShape)
			}
			reduceGradTo(db, t, b.shape, outShape)
		}
	}, a, b)
	return finish(out, resultDType(a, b))
}

// Add returns a + b with NumPy broadcasting.
func (a *Tensor) Add(b *Tensor) *Tensor { return binary(binAdd, a, b) }

// Sub returns a - b with NumPy broadcasting.
func (a *Tensor) Sub(b *Tensor) *Tensor { return binary(binSub, a, b) }

// Mul returns the elementwise product a · b with NumPy broadcasting.
func (a *Tensor) Mul(b *Tensor) *Tensor { return binary(binMul, a, b) }

// Div returns the elementwise quotient a / b with NumPy broadcasting.
func (a *Tensor) Div(b *Tensor) *Tensor { return binary(binDiv, a, b) }

// unary builds an elementwise operation. fwd fills dst from src; bwd adds
// the input gradient into dx given the output gradient g, the input x and
// the output y. Both are called on chunks, so they hold the loops.
func unary(op string, t *Tensor, fwd func(dst, src []float32), bwd func(dx, g, x, y []float32)) *Tensor {
	x := t.f32()
	y := t.scope.allocRaw(len(x))
	chunked(len(x), func(lo, hi int) { fwd(y[lo:hi], x[lo:hi]) })
	out := t.scope.newTensor(t.shape, y)
	record(out, op, func(g []float32) {
		dx := t.gradSlot()
		xv, yv := t.f32(), out.f32()
		chunked(len(g), func(lo, hi int) { bwd(dx[lo:hi], g[lo:hi], xv[lo:hi], yv[lo:hi]) })
	}, t)
	return finish(out, t.dtype)
}

// Neg returns -t.
func (t *Tensor) Neg() *Tensor { return t.MulScalar(-1) }

// AddScalar returns t + s.
func (t *Tensor) AddScalar(s float32) *Tensor {
	x := t.f32()
	y := t.scope.allocRaw(len(x))
	chunked(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			y[lo+i] = v + s
		}
	})
	out := t.scope.newTensor(t.shape, y)
	record(out, "AddScalar", func(g []float32) { passGrad(t, g) }, t)
	return finish(out, t.dtype)
}

// MulScalar returns t · s.
func (t *Tensor) MulScalar(s float32) *Tensor {
	return unary("MulScalar", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = v * s
		}
	}, func(dx, g, _, _ []float32) {
		for i, v := range g {
			dx[i] += v * s
		}
	})
}

// Exp returns eᵗ elementwise.
func (t *Tensor) Exp() *Tensor {
	return unary("Exp", t, kernels.Exp, func(dx, g, _, y []float32) {
		for i, v := range g {
			dx[i] += v * y[i]
		}
	})
}

// Log returns the natural logarithm elementwise.
func (t *Tensor) Log() *Tensor {
	return unary("Log", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = float32(math.Log(float64(v)))
		}
	}, func(dx, g, x, _ []float32) {
		for i, v := range g {
			dx[i] += v / x[i]
		}
	})
}

// Sqrt returns the square root elementwise.
func (t *Tensor) Sqrt() *Tensor {
	return unary("Sqrt", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = float32(math.Sqrt(float64(v)))
		}
	}, func(dx, g, _, y []float32) {
		for i, v := range g {
			dx[i] += v * 0.5 / y[i]
		}
	})
}

// Pow returns tᵖ elementwise.
func (t *Tensor) Pow(p float32) *Tensor {
	if p == 2 {
		// Squares (every MSE loss) skip math.Pow's general path; the
		// float32 product is the float64 square correctly rounded, so
		// the values are the same.
		return unary("Pow", t, func(dst, src []float32) {
			kernels.Mul(dst, src, src)
		}, func(dx, g, x, _ []float32) {
			for i, v := range g {
				dx[i] += 2 * v * x[i]
			}
		})
	}
	return unary("Pow", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = float32(math.Pow(float64(v), float64(p)))
		}
	}, func(dx, g, x, _ []float32) {
		for i, v := range g {
			dx[i] += v * p * float32(math.Pow(float64(x[i]), float64(p-1)))
		}
	})
}

// Tanh returns the hyperbolic tangent elementwise.
func (t *Tensor) Tanh() *Tensor {
	return unary("Tanh", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = float32(math.Tanh(float64(v)))
		}
	}, func(dx, g, _, y []float32) {
		for i, v := range g {
			dx[i] += v * (1 - y[i]*y[i])
		}
	})
}

func sigmoid(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return float32(e / (1 + e))
}

// Sigmoid returns 1/(1+e⁻ᵗ) elementwise.
func (t *Tensor) Sigmoid() *Tensor {
	return unary("Sigmoid", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = sigmoid(v)
		}
	}, func(dx, g, _, y []float32) {
		for i, v := range g {
			dx[i] += v * y[i] * (1 - y[i])
		}
	})
}

// ReLU returns max(t, 0) elementwise.
func (t *Tensor) ReLU() *Tensor {
	return unary("ReLU", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = max(v, 0)
		}
	}, func(dx, g, x, _ []float32) {
		for i, v := range g {
			if x[i] > 0 {
				dx[i] += v
			}
		}
	})
}

// SiLU returns t·sigmoid(t) elementwise (also called swish).
func (t *Tensor) SiLU() *Tensor {
	return unary("SiLU", t, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = v * sigmoid(v)
		}
	}, func(dx, g, x, _ []float32) {
		for i, v := range g {
			s := sigmoid(x[i])
			dx[i] += v * s * (1 + x[i]*(1-s))
		}
	})
}

// GELU returns the exact Gaussian error linear unit x·Φ(x) elementwise, as
// torch.nn.functional.gelu and BERT use.
func (t *Tensor) GELU() *Tensor {
	return geluOp("GELU", t, kernels.GELU, kernels.GELUBackward)
}

// GELUTanh returns the tanh approximation of GELU elementwise, as GPT-2
// uses: 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))).
func (t *Tensor) GELUTanh() *Tensor {
	return geluOp("GELUTanh", t, kernels.GELUTanh, kernels.GELUTanhBackward)
}

// geluOp runs a GELU kernel pair. The backward kernel overwrites its
// output, so the gradient goes through a scratch buffer before being added.
func geluOp(op string, t *Tensor, fwd func(dst, x []float32), bwd func(dx, dy, x []float32)) *Tensor {
	x := t.f32()
	y := t.scope.allocRaw(len(x))
	chunked(len(x), func(lo, hi int) { fwd(y[lo:hi], x[lo:hi]) })
	out := t.scope.newTensor(t.shape, y)
	record(out, op, func(g []float32) {
		dx, beta := t.gradDst()
		xv := t.f32()
		if beta == 0 { // a new buffer: write the gradient straight into it
			chunked(len(g), func(lo, hi int) { bwd(dx[lo:hi], g[lo:hi], xv[lo:hi]) })
			return
		}
		tmp := t.scope.allocRaw(len(g))
		chunked(len(g), func(lo, hi int) {
			bwd(tmp[lo:hi], g[lo:hi], xv[lo:hi])
			kernels.Add(dx[lo:hi], dx[lo:hi], tmp[lo:hi])
		})
	}, t)
	return finish(out, t.dtype)
}
