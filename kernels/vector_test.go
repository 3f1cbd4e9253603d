package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// vecLens covers every length up to 70 (all tails of 8- and 16-wide loops)
// and a few long ones.
func vecLens() []int {
	var ls []int
	for n := 0; n <= 70; n++ {
		ls = append(ls, n)
	}
	return append(ls, 127, 1000, 1024, 4099)
}

// elementwise checks a unary or binary elementwise kernel against a float64
// reference, with guard bands and an in-place (aliased) call.
// The error allowed is tol·max(|want|, floor).
func elementwise(t *testing.T, name string, run func(dst, x, y []float32), ref func(x, y float64) float64, tol, floor float64, lo, hi float64) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range vecLens() {
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = float32(lo + (hi-lo)*r.Float64())
			y[i] = float32(lo + (hi-lo)*r.Float64())
		}
		buf, dst := guarded(n)
		run(dst, x, y)
		checkGuard(t, name, buf, n)
		for i := range dst {
			want := ref(float64(x[i]), float64(y[i]))
			if !closeTo(dst[i], want, math.Max(math.Abs(want), floor), tol) {
				t.Fatalf("%s n=%d: [%d] = %g, want %g (x=%g y=%g)", name, n, i, dst[i], want, x[i], y[i])
			}
		}
		// In place: dst = x.
		xc := append([]float32(nil), x...)
		run(xc, xc, y)
		for i := range xc {
			if math.Float32bits(xc[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("%s n=%d: in-place result differs at %d: %g vs %g", name, n, i, xc[i], dst[i])
			}
		}
	}
}

func TestElementwise(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		elementwise(t, "Add", func(d, x, y []float32) { Add(d, x, y) }, func(x, y float64) float64 { return x + y }, 1e-7, 1e-3, -10, 10)
		elementwise(t, "Mul", func(d, x, y []float32) { Mul(d, x, y) }, func(x, y float64) float64 { return x * y }, 1e-7, 1e-3, -10, 10)
		elementwise(t, "Exp", func(d, x, _ []float32) { Exp(d, x) }, func(x, _ float64) float64 { return math.Exp(x) }, 3e-7, 1e-30, -80, 80)
		elementwise(t, "GELU", func(d, x, _ []float32) { GELU(d, x) }, func(x, _ float64) float64 { return gelu64(x) }, 1e-6, 1, -8, 8)
		elementwise(t, "GELUTanh", func(d, x, _ []float32) { GELUTanh(d, x) }, func(x, _ float64) float64 { return geluTanh64(x) }, 1e-6, 1, -8, 8)
		elementwise(t, "GELUBackward", func(d, x, y []float32) { GELUBackward(d, y, x) }, func(x, y float64) float64 { return y * geluGrad64(x) }, 1e-6, 1, -8, 8)
		elementwise(t, "GELUTanhBackward", func(d, x, y []float32) { GELUTanhBackward(d, y, x) }, func(x, y float64) float64 { return y * geluTanhGrad64(x) }, 1e-6, 1, -8, 8)
		elementwise(t, "Scale", func(d, x, _ []float32) { copy(d, x); Scale(-1.5, d) }, func(x, _ float64) float64 { return -1.5 * x }, 1e-7, 1e-3, -10, 10)
		elementwise(t, "Axpy", func(d, x, y []float32) { x = append([]float32(nil), x...); copy(d, y); Axpy(0.25, x, d) }, func(x, y float64) float64 { return y + 0.25*x }, 1e-7, 1e-3, -10, 10)
	})
}

func gelu64(x float64) float64 { return x * 0.5 * (1 + math.Erf(x/math.Sqrt2)) }
func geluGrad64(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
}
func geluTanh64(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}
func geluTanhGrad64(x float64) float64 {
	u := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	th := math.Tanh(u)
	return 0.5*(1+th) + 0.5*x*(1-th*th)*math.Sqrt(2/math.Pi)*(1+3*0.044715*x*x)
}

func TestExpSpecial(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		inf := float32(math.Inf(1))
		x := []float32{0, -100, 100, -inf, inf, float32(math.NaN()), 88.7, -87.3, 1e-8, -1e-8}
		for n := len(x); n <= 3*len(x); n += len(x) { // also through the vector loop
			xs := make([]float32, n)
			for i := range xs {
				xs[i] = x[i%len(x)]
			}
			d := make([]float32, n)
			Exp(d, xs)
			for i, v := range xs {
				want := math.Exp(float64(v))
				if !closeTo(d[i], want, want, 3e-7) && !(want < 1.2e-38 && d[i] == 0) && !(want > 3.4e38 && math.IsInf(float64(d[i]), 1)) {
					t.Fatalf("Exp(%g) = %g, want %g", v, d[i], want)
				}
			}
		}
	})
}

func TestReductions(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range vecLens() {
			x, y := randSlice(r, n), randSlice(r, n)
			var s, sa, d, da float64
			m := math.Inf(-1)
			for i := range x {
				s += float64(x[i])
				sa += math.Abs(float64(x[i]))
				d += float64(x[i]) * float64(y[i])
				da += math.Abs(float64(x[i]) * float64(y[i]))
				m = math.Max(m, float64(x[i]))
			}
			tol := 2e-7 * float64(n+4)
			if got := Sum(x); !closeTo(got, s, sa, tol) {
				t.Fatalf("Sum n=%d: %g, want %g", n, got, s)
			}
			if got := Dot(x, y); !closeTo(got, d, da, tol) {
				t.Fatalf("Dot n=%d: %g, want %g", n, got, d)
			}
			if got := Max(x); float64(got) != m {
				t.Fatalf("Max n=%d: %g, want %g", n, got, m)
			}
		}
		nan := float32(math.NaN())
		if got := Max([]float32{nan, 1, nan, 3, 2, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, -1}); got != 3 {
			t.Fatalf("Max with NaNs = %g, want 3", got)
		}
		if got := Max([]float32{nan, nan}); got == got {
			t.Fatalf("Max of NaNs = %g, want NaN", got)
		}
	})
}

func TestSoftmaxRows(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, cols := range []int{1, 2, 7, 16, 17, 33, 70, 128, 1000} {
			rows := 3
			x := randSlice(r, rows*cols)
			for i := range x {
				x[i] *= 10
			}
			x[0] = float32(math.Inf(-1)) // a masked position
			buf, dst := guarded(rows * cols)
			SoftmaxRows(dst, x, rows, cols)
			checkGuard(t, "SoftmaxRows", buf, rows*cols)
			// SoftmaxRowsLSE: the same probabilities, plus log-sum-exp.
			lseBuf, lse := guarded(rows)
			dst2 := make([]float32, rows*cols)
			SoftmaxRowsLSE(dst2, lse, x, rows, cols)
			checkGuard(t, "SoftmaxRowsLSE", lseBuf, rows)
			for i := range dst2 {
				if math.Float32bits(dst2[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("SoftmaxRowsLSE cols=%d differs from SoftmaxRows at %d", cols, i)
				}
			}
			for rr := 0; rr < rows; rr++ {
				xr := x[rr*cols : (rr+1)*cols]
				m, s := refSoftmaxMaxSum(xr)
				if wantLSE := m + math.Log(s); !(cols == 1 && rr == 0) && !closeTo(lse[rr], wantLSE, math.Abs(wantLSE), 2e-6) {
					t.Fatalf("SoftmaxRowsLSE cols=%d row %d: lse %g, want %g", cols, rr, lse[rr], wantLSE)
				}
				for i, v := range xr {
					want := math.Exp(float64(v)-m) / s
					if cols == 1 && math.IsInf(float64(v), -1) {
						want = math.NaN()
					}
					if !closeTo(dst[rr*cols+i], want, math.Max(want, 1e-6), 2e-6) {
						t.Fatalf("Softmax cols=%d [%d,%d] = %g, want %g", cols, rr, i, dst[rr*cols+i], want)
					}
				}
			}
			SoftmaxRows(x, x, rows, cols) // in place
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("Softmax in place differs at %d", i)
				}
			}
		}
	})
}

func TestLayerNormRows(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(17, 18))
		for _, cols := range []int{1, 3, 8, 16, 31, 64, 96, 130} {
			rows := 4
			n := rows * cols
			x, gamma, beta, dy := randSlice(r, n), randSlice(r, cols), randSlice(r, cols), randSlice(r, n)
			for i := range x {
				x[i] = x[i]*3 + 5
			}
			const eps = 1e-5
			buf, dst := guarded(n)
			mean, rstd := make([]float32, rows), make([]float32, rows)
			LayerNormRows(dst, x, gamma, beta, mean, rstd, rows, cols, eps)
			checkGuard(t, "LayerNormRows", buf, n)
			dxb, dx := guarded(n)
			dgb, dg := guarded(cols)
			dbb, db := guarded(cols)
			for i := range dg {
				dg[i], db[i] = 0.5, -0.5 // backward accumulates
			}
			LayerNormRowsBackward(dx, dg, db, dy, x, gamma, mean, rstd, rows, cols)
			checkGuard(t, "LayerNormRowsBackward dx", dxb, n)
			checkGuard(t, "LayerNormRowsBackward dgamma", dgb, cols)
			checkGuard(t, "LayerNormRowsBackward dbeta", dbb, cols)
			wdg, wdb := make([]float64, cols), make([]float64, cols)
			for i := range wdg {
				wdg[i], wdb[i] = 0.5, -0.5
			}
			for rr := 0; rr < rows; rr++ {
				xr := x[rr*cols : (rr+1)*cols]
				var mu, v float64
				for _, e := range xr {
					mu += float64(e)
				}
				mu /= float64(cols)
				for _, e := range xr {
					v += (float64(e) - mu) * (float64(e) - mu)
				}
				v /= float64(cols)
				rs := 1 / math.Sqrt(v+eps)
				if !closeTo(mean[rr], mu, math.Abs(mu)+1, 1e-6) || !closeTo(rstd[rr], rs, rs, 1e-5) {
					t.Fatalf("LayerNorm cols=%d stats row %d: %g %g, want %g %g", cols, rr, mean[rr], rstd[rr], mu, rs)
				}
				var mg, mgx float64
				xh := make([]float64, cols)
				for i, e := range xr {
					xh[i] = (float64(e) - mu) * rs
					want := xh[i]*float64(gamma[i]) + float64(beta[i])
					if !closeTo(dst[rr*cols+i], want, math.Abs(want)+1, 1e-5) {
						t.Fatalf("LayerNorm cols=%d [%d,%d] = %g, want %g", cols, rr, i, dst[rr*cols+i], want)
					}
					g := float64(dy[rr*cols+i]) * float64(gamma[i])
					mg += g
					mgx += g * xh[i]
					wdg[i] += float64(dy[rr*cols+i]) * xh[i]
					wdb[i] += float64(dy[rr*cols+i])
				}
				mg /= float64(cols)
				mgx /= float64(cols)
				for i := range xr {
					g := float64(dy[rr*cols+i]) * float64(gamma[i])
					want := rs * (g - mg - xh[i]*mgx)
					if !closeTo(dx[rr*cols+i], want, math.Abs(want)+rs, 1e-5) {
						t.Fatalf("LayerNormBackward cols=%d dx[%d,%d] = %g, want %g", cols, rr, i, dx[rr*cols+i], want)
					}
				}
			}
			for i := range wdg {
				if !closeTo(dg[i], wdg[i], math.Abs(wdg[i])+1, 1e-5) || !closeTo(db[i], wdb[i], math.Abs(wdb[i])+1, 1e-5) {
					t.Fatalf("LayerNormBackward cols=%d dgamma/dbeta[%d] = %g %g, want %g %g", cols, i, dg[i], db[i], wdg[i], wdb[i])
				}
			}
			// nil gamma/beta/stats: plain normalisation.
			LayerNormRows(dst, x, nil, nil, nil, nil, rows, cols, eps)
			for i := 0; i < cols; i++ {
				want := (float64(x[i]) - float64(mean[0])) * float64(rstd[0])
				if !closeTo(dst[i], want, math.Abs(want)+1, 1e-5) {
					t.Fatalf("LayerNorm nil gamma cols=%d [%d] = %g, want %g", cols, i, dst[i], want)
				}
			}
		}
	})
}

func TestAdamStep(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 20))
		for _, n := range vecLens() {
			for _, decoupled := range []bool{false, true} {
				p, g, m, v := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
				for i := range v {
					v[i] = v[i] * v[i]
				}
				p0, m0, v0 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
				// The reference uses the float32 values of the constants.
				f := func(x float64) float64 { return float64(float32(x)) }
				lr, b1, b2, eps, wd := f(1e-2), f(0.9), f(0.999), f(1e-8), f(0.1)
				bc1, bc2 := f(1-math.Pow(b1, 3)), f(1-math.Pow(b2, 3))
				AdamStep(p, g, m, v, float32(lr), float32(b1), float32(b2), float32(eps), float32(wd), float32(bc1), float32(bc2), decoupled)
				for i := range p {
					w, gi := float64(p0[i]), float64(g[i])
					if !decoupled {
						gi += wd * w
					} else {
						w -= lr * wd * w
					}
					mi := b1*float64(m0[i]) + (1-b1)*gi
					vi := b2*float64(v0[i]) + (1-b2)*gi*gi
					upd := lr * (mi / bc1) / (math.Sqrt(vi/bc2) + eps)
					scale := math.Abs(w) + math.Abs(upd) + 1e-3
					w -= upd
					if !closeTo(m[i], mi, b1*math.Abs(float64(m0[i]))+(1-b1)*math.Abs(gi), 1e-6) || !closeTo(v[i], vi, vi+1e-3, 1e-6) || !closeTo(p[i], w, scale, 1e-6) {
						t.Fatalf("AdamStep n=%d decoupled=%v [%d]: p %g m %g v %g, want %g %g %g", n, decoupled, i, p[i], m[i], v[i], w, mi, vi)
					}
				}
			}
		}
	})
}

func TestBF16Conversion(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
			math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000), math.Float32frombits(0x3f808000),
			math.Float32frombits(0x3f818000), math.Float32frombits(0x3f80ffff), math.Float32frombits(0x7f7fffff), 1e-40}
		for _, n := range vecLens() {
			x := randSlice(r, n)
			for i := range x {
				if i%5 == 0 {
					x[i] = special[(i/5)%len(special)]
				}
			}
			h := make([]uint16, n+2)
			h[n], h[n+1] = 0xbeef, 0xbeef
			F32ToBF16(h[:n], x)
			if h[n] != 0xbeef || h[n+1] != 0xbeef {
				t.Fatalf("F32ToBF16 n=%d wrote past the end", n)
			}
			buf, back := guarded(n)
			BF16ToF32(back, h[:n])
			checkGuard(t, "BF16ToF32", buf, n)
			for i, f := range x {
				want := refBF16(f)
				if h[i] != want {
					t.Fatalf("F32ToBF16(%g = %#x) = %#x, want %#x", f, math.Float32bits(f), h[i], want)
				}
				if math.Float32bits(back[i]) != uint32(want)<<16 {
					t.Fatalf("BF16ToF32(%#x) = %#x", want, math.Float32bits(back[i]))
				}
			}
		}
	})
}

// refBF16 rounds to nearest even through float64 arithmetic, a route
// independent of the kernel's integer trick.
func refBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if f != f {
		return uint16(u>>16) | 0x40
	}
	if math.IsInf(float64(f), 0) || u&0x7fffffff >= 0x7f7f8000 { // rounds to ±Inf
		return uint16(u>>16)&0x8000 | 0x7f80
	}
	lo := math.Float32frombits(u &^ 0xffff)
	hi := math.Float32frombits((u &^ 0xffff) + 0x10000)
	dl, dh := math.Abs(float64(f)-float64(lo)), math.Abs(float64(hi)-float64(f))
	switch {
	case dl < dh:
		return uint16(u >> 16)
	case dh < dl:
		return uint16(u>>16) + 1
	}
	if (u>>16)&1 == 0 {
		return uint16(u >> 16)
	}
	return uint16(u>>16) + 1
}

func TestVectorArgErrors(t *testing.T) {
	for i, f := range []func(){
		func() { Dot(make([]float32, 3), make([]float32, 2)) },
		func() { Add(make([]float32, 3), make([]float32, 3), make([]float32, 2)) },
		func() { SoftmaxRows(make([]float32, 5), make([]float32, 6), 2, 3) },
		func() {
			AdamStep(make([]float32, 3), make([]float32, 3), make([]float32, 2), make([]float32, 3), 1, 0.9, 0.9, 1e-8, 0, 1, 1, true)
		},
	} {
		func() {
			defer func() {
				if _, ok := recover().(*ArgError); !ok {
					t.Errorf("case %d: no *ArgError panic", i)
				}
			}()
			f()
		}()
	}
}

// TestVectorParallelMatchesSerial runs the kernels that split large inputs
// over the pool with 1 and 3 threads: the results must be bit-identical.
func TestVectorParallelMatchesSerial(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		defer SetThreads(0)
		r := rand.New(rand.NewPCG(23, 24))
		const n, cols = 100003, 1000
		x, y := randSlice(r, n), randSlice(r, n)
		run := func(th int) [][]float32 {
			SetThreads(th)
			var out [][]float32
			for _, f := range []func(d []float32){
				func(d []float32) { GELU(d, x) },
				func(d []float32) { GELUTanh(d, x) },
				func(d []float32) { Exp(d, x) },
				func(d []float32) { GELUBackward(d, y, x) },
				func(d []float32) { GELUTanhBackward(d, y, x) },
				func(d []float32) { SoftmaxRows(d, x, n/cols, cols) },
				func(d []float32) { LayerNormRows(d, x, y[:cols], y[cols:2*cols], nil, nil, n/cols, cols, 1e-5) },
				func(d []float32) {
					m, v := append([]float32(nil), y...), make([]float32, n)
					copy(d, x)
					AdamStep(d, y, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.1, 0.01, true)
				},
			} {
				d := make([]float32, n)
				f(d)
				out = append(out, d)
			}
			return out
		}
		a, b := run(1), run(3)
		for i := range a {
			for j := range a[i] {
				if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
					t.Fatalf("kernel %d: element %d differs between 1 and 3 threads: %g vs %g", i, j, a[i][j], b[i][j])
				}
			}
		}
	})
}

// TestGELUSpecialValues checks that every tier's GELU and its gradient
// agree with the portable code at ±Inf, NaN, far in the tails (where exp
// underflows) and at 0, to 2e-7.
func TestGELUSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	x := []float32{inf, -inf, float32(math.NaN()), -20, 20, -14, -9.5, 9.5, 1e-30, 0, -1e-30, 3, -3, 0.5, -0.5, 7}
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = 1
	}
	wantY, wantD := make([]float32, len(x)), make([]float32, len(x))
	geluGo(wantY, x)
	geluBackwardGo(wantD, dy, x)
	same := func(got, want float32) bool {
		if want != want {
			return got != got
		}
		if math.IsInf(float64(want), 0) {
			return got == want
		}
		return math.Abs(float64(got-want)) <= 2e-7*(1+math.Abs(float64(want)))
	}
	forEachTier(t, func(t *testing.T) {
		y, d := make([]float32, len(x)), make([]float32, len(x))
		GELU(y, x)
		GELUBackward(d, dy, x)
		for i := range x {
			if !same(y[i], wantY[i]) || !same(d[i], wantD[i]) {
				t.Errorf("x=%g: GELU %g, gradient %g; portable code %g, %g", x[i], y[i], d[i], wantY[i], wantD[i])
			}
		}
	})
}

// TestSumRows checks SumRows on every tier against a float64 sum, for
// widths that hit the 64-column strips, the 8-column strips and the
// portable last columns; dst accumulates and nothing past it is written.
func TestSumRows(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, cols := range []int{0, 1, 7, 8, 16, 63, 64, 72, 96, 130, 256, 288} {
			for _, rows := range []int{0, 1, 5, 33} {
				x := randSlice(r, rows*cols)
				buf, dst := guarded(cols)
				for j := range dst {
					dst[j] = float32(j)
				}
				SumRows(dst, x, rows, cols)
				checkGuard(t, "SumRows", buf, cols)
				for j := 0; j < cols; j++ {
					want, scale := float64(j), float64(j)+1
					for i := 0; i < rows; i++ {
						want += float64(x[i*cols+j])
						scale += math.Abs(float64(x[i*cols+j]))
					}
					if !closeTo(dst[j], want, scale, 1e-6) {
						t.Fatalf("%dx%d: dst[%d] = %g, want %g", rows, cols, j, dst[j], want)
					}
				}
			}
		}
	})
}

// TestSoftmaxRowsInPlace checks the in-place row softmax and its backward
// on every tier against float64, with masked (-Inf) entries, a fully
// masked row (zeros) and a NaN row, at widths on and off the AVX2 path.
func TestSoftmaxRowsInPlace(t *testing.T) {
	negInf := float32(math.Inf(-1))
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, cols := range []int{1, 4, 8, 16, 24, 33} {
			const rows = 5
			x := randSlice(r, rows*cols)
			for j := 0; j < cols; j++ {
				x[3*cols+j] = negInf // row 3 fully masked
				if j%3 == 1 {
					x[cols+j] = negInf // row 1 partly masked
				}
			}
			x[4*cols+cols/2] = float32(math.NaN())
			buf, p := guarded(rows * cols)
			copy(p, x)
			SoftmaxRowsInPlace(p, rows, cols)
			checkGuard(t, "SoftmaxRowsInPlace", buf, rows*cols)
			for i := 0; i < rows; i++ {
				xr, pr := x[i*cols:(i+1)*cols], p[i*cols:(i+1)*cols]
				m, sum := refSoftmaxMaxSum(xr)
				for j, v := range xr {
					want := math.Exp(float64(v)-m) / sum
					switch {
					case i == 3:
						want = 0
					case i == 4:
						want = math.NaN()
					}
					if !closeTo(pr[j], want, 1, 1e-6) {
						t.Fatalf("cols %d row %d: p[%d] = %g, want %g", cols, i, j, pr[j], want)
					}
				}
			}
			// Backward on the finite rows.
			pf, dp := p[:3*cols], randSlice(r, 3*cols)
			dp0 := append([]float32(nil), dp...)
			SoftmaxBackwardRows(dp, pf, 3, cols)
			for i := 0; i < 3; i++ {
				var dot float64
				for j := 0; j < cols; j++ {
					dot += float64(pf[i*cols+j]) * float64(dp0[i*cols+j])
				}
				for j := 0; j < cols; j++ {
					want := float64(pf[i*cols+j]) * (float64(dp0[i*cols+j]) - dot)
					if !closeTo(dp[i*cols+j], want, 1+math.Abs(dot), 1e-6) {
						t.Fatalf("cols %d backward row %d: dp[%d] = %g, want %g", cols, i, j, dp[i*cols+j], want)
					}
				}
			}
		}
	})
}

// refSoftmaxMaxSum returns, in float64, a row's maximum m and Σ exp(x−m):
// the reference softmax of x is exp(x−m)/sum.
func refSoftmaxMaxSum(x []float32) (m, sum float64) {
	m = math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	for _, v := range x {
		sum += math.Exp(float64(v) - m)
	}
	return m, sum
}
