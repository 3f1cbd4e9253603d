//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestVec512Installed checks that the AVX-512 tiers run the zmm kernels
// (installVecAVX512 is hooked into the tier table at init) and avx2 does
// not.
func TestVec512Installed(t *testing.T) {
	ptr := func(f any) uintptr { return reflect.ValueOf(f).Pointer() }
	for _, name := range availableTiers() {
		restore := forceTier(name)
		want := name[:min(6, len(name))] == "avx512"
		got := ptr(expK) == ptr(expAVX512) && ptr(geluK) == ptr(geluAVX512) && ptr(addK) == ptr(addAsm512)
		restore()
		if got != want {
			t.Errorf("tier %s: AVX-512 vector kernels installed = %v, want %v", name, got, want)
		}
	}
}

// vec512Special are inputs at the edges of the exponential family: the
// clamps of exp (expLo, expHi, 128·ln2), overflow, underflow, infinities,
// NaN, denormals and the tanh clamp.
var vec512Special = []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), 88.7, 88.72283, 88.7229, 88.73, 89, 100, 1e30, -1e30, -87.3, -87.33654, -87.34, -88, -103,
	-110, -1000, 1e-8, -1e-8, 1e-40, -1e-40, 3.4e38, -3.4e38, 20, -20, 9, -9, 5.5, -5.5, 14, -14}

// near reports whether got matches ref (a result of the Go or AVX2 code)
// within tol·max(|ref|, floor): NaN must meet NaN and an infinity the same
// infinity.
func near(got, ref float32, tol, floor float64) bool {
	switch {
	case ref != ref:
		return got != got
	case math.IsInf(float64(ref), 0) || math.IsInf(float64(got), 0):
		// exp(expHi) is 3.40280e38: the Go code's guard says +Inf, the zmm
		// code (like the AVX2 vector loop) the finite value.
		edge := math.Abs(float64(got)) >= 3.4027e38 && math.Abs(float64(ref)) >= 3.4027e38 && (got > 0) == (ref > 0)
		return got == ref || edge
	}
	return math.Abs(float64(got)-float64(ref)) <= tol*math.Max(math.Abs(float64(ref)), floor)
}

// vec512Case is one AVX-512 kernel with its Go definition and AVX2 code,
// all as func(dst, x, y) (y unused by unary kernels; it is dy for the
// backward kernels).
type vec512Case struct {
	name            string
	z, goRef, avx2  func(dst, x, y []float32)
	tol, floor      float64
	scaleX, special bool
}

func vec512Cases() []vec512Case {
	const c = 1.75 // expSub's shift
	return []vec512Case{
		{"Scale", func(d, x, _ []float32) { copy(d, x); scaleAVX512(-1.5, d) }, func(d, x, _ []float32) { copy(d, x); scaleGo(-1.5, d) }, func(d, x, _ []float32) { copy(d, x); scaleAVX2(-1.5, d) }, 0, 0, false, true},
		{"Scale2", func(d, x, _ []float32) {
			copy(d, x)
			m := len(d) &^ 63
			scale2AVX512(-1.5, d[:m])
			scaleAVX512(-1.5, d[m:])
		}, func(d, x, _ []float32) { copy(d, x); scaleGo(-1.5, d) }, func(d, x, _ []float32) { copy(d, x); scaleAVX2(-1.5, d) }, 0, 0, false, true},
		{"Axpy", func(d, x, y []float32) { copy(d, y); axpyAVX512(0.3, x, d) }, func(d, x, y []float32) { copy(d, y); axpyGo(0.3, x, d) }, func(d, x, y []float32) { copy(d, y); axpyAVX2(0.3, x, d) }, 1.2e-7, 1, false, false},
		{"Add", func(d, x, y []float32) { addAVX512(d, x, y) }, func(d, x, y []float32) { addGo(d, x, y) }, func(d, x, y []float32) { addAVX2(d, x, y) }, 0, 0, false, true},
		{"Mul", func(d, x, y []float32) { mulAVX512(d, x, y) }, func(d, x, y []float32) { mulGo(d, x, y) }, func(d, x, y []float32) { mulAVX2(d, x, y) }, 0, 0, false, true},
		{"Norm", func(d, x, _ []float32) { normAVX512(d, x, 0.3, 1.7) }, func(d, x, _ []float32) { normRowGo(d, x, nil, nil, 0.3, 1.7) }, func(d, x, _ []float32) { normRowAsm(d, x, nil, nil, 0.3, 1.7) }, 1e-7, 1, false, false},
		{"NormAffine", func(d, x, y []float32) { normAffineAVX512(d, x, y, x, 0.3, 1.7) }, func(d, x, y []float32) { normRowGo(d, x, y, x, 0.3, 1.7) }, func(d, x, y []float32) { normRowAsm(d, x, y, x, 0.3, 1.7) }, 1e-6, 1, false, false},
		{"MulAdd", func(d, x, y []float32) { copy(d, y); mulAddAVX512(d, x, y) }, func(d, x, y []float32) { copy(d, y); mulAddGo(d, x, y) }, func(d, x, y []float32) { copy(d, y); mulAddAsm(d, x, y) }, 1.2e-7, 10, false, false},
		{"LnDx", func(d, x, y []float32) { lnDxAVX512(d, x, y, 1.3, 0.2, 0.7) }, func(d, x, y []float32) { lnDxGo(d, x, y, 1.3, 0.2, 0.7) }, func(d, x, y []float32) { lnDxAsm(d, x, y, 1.3, 0.2, 0.7) }, 1e-6, 1, false, false},
		{"Exp", func(d, x, _ []float32) { expAVX512(d, x) }, func(d, x, _ []float32) { expGo(d, x) }, func(d, x, _ []float32) { expAsm(d, x) }, 5e-7, 0, true, true},
		{"ExpSub", func(d, x, _ []float32) { expSubAVX512(d, x, c) }, func(d, x, _ []float32) { expSubGo(d, x, c) }, func(d, x, _ []float32) { expSubAsm(d, x, c) }, 5e-7, 0, true, true},
		{"GELU", func(d, x, _ []float32) { geluAVX512(d, x) }, func(d, x, _ []float32) { geluGo(d, x) }, func(d, x, _ []float32) { geluAsm(d, x) }, 1e-6, 1, true, true},
		{"GELUBackward", func(d, x, y []float32) { geluBackwardAVX512(d, y, x) }, func(d, x, y []float32) { geluBackwardGo(d, y, x) }, func(d, x, y []float32) { geluBackwardAsm(d, y, x) }, 1e-6, 1, true, true},
		{"GELUTanh", func(d, x, _ []float32) { geluTanhAVX512(d, x) }, func(d, x, _ []float32) { geluTanhGo(d, x) }, func(d, x, _ []float32) { geluTanhAsm(d, x) }, 1e-6, 1, true, true},
		{"GELUTanhBackward", func(d, x, y []float32) { geluTanhBackwardAVX512(d, y, x) }, func(d, x, y []float32) { geluTanhBackwardGo(d, y, x) }, func(d, x, y []float32) { geluTanhBackwardAsm(d, y, x) }, 1e-6, 1, true, true},
	}
}

// TestVec512Tails runs every AVX-512 kernel at every length 0..70 (all the
// masked tails), plus a few long ones, with inputs and output at four
// element offsets, inputs mixing random values and vec512Special, and NaN
// guard bands around the output; results must match the Go definition and
// the AVX2 code within the tolerances of the tier tests, and an in-place
// call must give the same bits.
func TestVec512Tails(t *testing.T) {
	if !hasAVX512() {
		t.Skip("needs AVX-512")
	}
	r := rand.New(rand.NewPCG(51, 52))
	lens := vecLens()
	for _, k := range vec512Cases() {
		for _, n := range lens {
			for off := 0; off < 4; off++ {
				xb, yb := make([]float32, n+off), make([]float32, n+off)
				x, y := xb[off:], yb[off:]
				for i := range x {
					x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
					if k.scaleX {
						x[i] *= 6
					}
					if k.special && r.IntN(3) == 0 {
						x[i] = vec512Special[r.IntN(len(vec512Special))]
					}
				}
				buf := make([]float32, n+2*guard+off)
				for i := range buf {
					buf[i] = sentinel
				}
				dst := buf[guard+off : guard+off+n : guard+off+n]
				k.z(dst, x, y)
				for i := 0; i < guard; i++ {
					if math.Float32bits(buf[off+i]) != 0x7fc0beef || math.Float32bits(buf[guard+off+n+i]) != 0x7fc0beef {
						t.Fatalf("%s n=%d off=%d: write outside the output", k.name, n, off)
					}
				}
				want, w2 := make([]float32, n), make([]float32, n)
				k.goRef(want, x, y)
				k.avx2(w2, x, y)
				for i := range dst {
					if !near(dst[i], want[i], k.tol, k.floor) || !near(dst[i], w2[i], k.tol, k.floor) {
						t.Fatalf("%s n=%d off=%d [%d]: x=%g y=%g: got %g, Go %g, AVX2 %g", k.name, n, off, i, x[i], y[i], dst[i], want[i], w2[i])
					}
				}
				if k.name == "Axpy" || k.name == "MulAdd" {
					continue // x is not an output
				}
				in := append([]float32(nil), x...)
				k.z(in, in, y)
				for i := range in {
					if math.Float32bits(in[i]) != math.Float32bits(dst[i]) && !(in[i] != in[i] && dst[i] != dst[i]) {
						t.Fatalf("%s n=%d off=%d: in place differs at %d: %g vs %g", k.name, n, off, i, in[i], dst[i])
					}
				}
			}
		}
	}
}

// TestVec512LargePath runs the streaming kernels through the exported API
// with zmmStreamBytes 0, so that every length takes the path of calls
// larger than L1 (two-stream Scale, AVX2 Add, Mul, Axpy, BF16ToF32).
func TestVec512LargePath(t *testing.T) {
	defer func(b int) { zmmStreamBytes = b }(zmmStreamBytes)
	zmmStreamBytes = 0
	forEachTier(t, func(t *testing.T) {
		elementwise(t, "Add", func(d, x, y []float32) { Add(d, x, y) }, func(x, y float64) float64 { return x + y }, 1e-7, 1e-3, -10, 10)
		elementwise(t, "Mul", func(d, x, y []float32) { Mul(d, x, y) }, func(x, y float64) float64 { return x * y }, 1e-7, 1e-3, -10, 10)
		elementwise(t, "Scale", func(d, x, _ []float32) { copy(d, x); Scale(-1.5, d) }, func(x, _ float64) float64 { return -1.5 * x }, 1e-7, 1e-3, -10, 10)
		elementwise(t, "Axpy", func(d, x, y []float32) { x = append([]float32(nil), x...); copy(d, y); Axpy(0.25, x, d) }, func(x, y float64) float64 { return y + 0.25*x }, 1e-7, 1e-3, -10, 10)
		elementwise(t, "BF16ToF32", func(d, x, _ []float32) {
			h := make([]uint16, len(x))
			for i, v := range x {
				h[i] = uint16(math.Float32bits(v) >> 16)
			}
			BF16ToF32(d, h)
		}, func(x, _ float64) float64 {
			return float64(math.Float32frombits(math.Float32bits(float32(x)) &^ 0xffff))
		}, 0, 0, -10, 10)
	})
}

// TestVec512Reductions checks Sum, Dot and Max on the zmm code at every
// tail length and offset; Max also with NaNs (skipped unless all are NaN)
// and -Inf at random places, through maxAsm512 as the tiers call it.
func TestVec512Reductions(t *testing.T) {
	if !hasAVX512() {
		t.Skip("needs AVX-512")
	}
	r := rand.New(rand.NewPCG(59, 60))
	nan, minf := float32(math.NaN()), float32(math.Inf(-1))
	for _, n := range vecLens() {
		for off := 0; off < 4; off++ {
			x, y := randSlice(r, n+off)[off:], randSlice(r, n+off)[off:]
			var s, sa, d, da float64
			for i := range x {
				s += float64(x[i])
				sa += math.Abs(float64(x[i]))
				d += float64(x[i]) * float64(y[i])
				da += math.Abs(float64(x[i]) * float64(y[i]))
			}
			tol := 2e-7 * float64(n+4)
			if got := sumAVX512(x); !closeTo(got, s, sa, tol) {
				t.Fatalf("Sum n=%d off=%d: %g, want %g", n, off, got, s)
			}
			if got := dotAVX512(x, y); !closeTo(got, d, da, tol) {
				t.Fatalf("Dot n=%d off=%d: %g, want %g", n, off, got, d)
			}
			for trial := 0; trial < 4; trial++ {
				xm := append([]float32(nil), x...)
				for i := range xm {
					switch v := r.IntN(8); {
					case trial == 1 && v < 3, trial == 3:
						xm[i] = nan
					case trial == 2 && v < 2:
						xm[i] = minf
					}
				}
				if trial == 3 && n > 0 {
					xm[r.IntN(n)] = minf
				}
				got, want := maxAsm512(xm), maxGo(xm)
				if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
					t.Fatalf("Max n=%d off=%d trial %d: %g, want %g", n, off, trial, got, want)
				}
			}
		}
	}
}

// TestVec512ExpEdges pins the documented edges of Exp on the zmm code:
// exactly 0 below expLo (also -Inf, so that masked softmax entries vanish),
// +Inf from 128·ln2 up, NaN kept, and the expSub sum over the tail lanes
// only.
func TestVec512ExpEdges(t *testing.T) {
	if !hasAVX512() {
		t.Skip("needs AVX-512")
	}
	inf := float32(math.Inf(1))
	for n := 1; n <= 40; n++ {
		for _, c := range []struct{ x, want float32 }{
			{-inf, 0}, {-87.34, 0}, {-1000, 0}, {inf, inf}, {88.73, inf}, {1e30, inf}, {0, 1},
		} {
			x := make([]float32, n)
			for i := range x {
				x[i] = c.x
			}
			d := make([]float32, n)
			expAVX512(d, x)
			for i := range d {
				if d[i] != c.want {
					t.Fatalf("n=%d: exp(%g) = %g, want %g", n, c.x, d[i], c.want)
				}
			}
			s := expSubAVX512(d, x, 0)
			if ws := c.want * float32(n); s != ws && !(c.want == 1 && math.Abs(float64(s-ws)) <= 1e-6*float64(ws)) {
				t.Fatalf("n=%d: expSub sum of exp(%g) = %g, want %g", n, c.x, s, ws)
			}
		}
		x := make([]float32, n)
		x[n-1] = float32(math.NaN())
		d := make([]float32, n)
		expAVX512(d, x)
		if d[n-1] == d[n-1] || (n > 1 && d[0] != 1) {
			t.Fatalf("n=%d: exp of [0..., NaN] = %v", n, d)
		}
	}
	// The sum of expSub: float64 reference over random rows.
	r := rand.New(rand.NewPCG(53, 54))
	for _, n := range vecLens() {
		x := randSlice(r, n)
		d := make([]float32, n)
		s := expSubAVX512(d, x, 0.5)
		var ws, wa float64
		for _, v := range x {
			e := math.Exp(float64(v) - 0.5)
			ws += e
			wa += math.Abs(e)
		}
		if !closeTo(s, ws, wa, 2e-7*float64(n+4)) {
			t.Fatalf("n=%d: expSub sum %g, want %g", n, s, ws)
		}
	}
}

// TestVec512BF16 checks the zmm widening at every tail length and offset
// bit for bit, with guard bands.
func TestVec512BF16(t *testing.T) {
	if !hasAVX512() {
		t.Skip("needs AVX-512")
	}
	r := rand.New(rand.NewPCG(55, 56))
	for _, n := range vecLens() {
		for off := 0; off < 4; off++ {
			hb := make([]uint16, n+off)
			h := hb[off:]
			for i := range h {
				h[i] = uint16(r.Uint32())
			}
			buf := make([]float32, n+2*guard+off)
			for i := range buf {
				buf[i] = sentinel
			}
			dst := buf[guard+off : guard+off+n : guard+off+n]
			fromBF16AVX512x(dst, h)
			for i := 0; i < guard; i++ {
				if math.Float32bits(buf[off+i]) != 0x7fc0beef || math.Float32bits(buf[guard+off+n+i]) != 0x7fc0beef {
					t.Fatalf("BF16ToF32 n=%d off=%d: write outside the output", n, off)
				}
			}
			for i := range h {
				if math.Float32bits(dst[i]) != uint32(h[i])<<16 {
					t.Fatalf("BF16ToF32 n=%d off=%d [%d]: %#x from %#x", n, off, i, math.Float32bits(dst[i]), h[i])
				}
			}
		}
	}
}

// BenchmarkVec512Stream compares the zmm and ymm loops of the streaming
// kernels at sizes on both sides of the L1 data cache (it sets
// zmmStreamBytes in vec512_amd64.go).
func BenchmarkVec512Stream(b *testing.B) {
	if !hasAVX512() {
		b.Skip("needs AVX-512")
	}
	// Random data: stores of zeros over zeros run faster (the CPU drops
	// them), which would flatter every arm.
	r := rand.New(rand.NewPCG(57, 58))
	for _, n := range []int{2048, 4096, 8192, 16384} {
		x, y, z := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		h := make([]uint16, n)
		F32ToBF16(h, x)
		var sink float32
		for _, k := range []struct {
			name      string
			avx2, zmm func()
		}{
			{"Scale", func() { scaleAVX2(1.0001, z) }, func() { scaleAVX512(1.0001, z) }},
			{"Scale2", func() { scaleAVX2(1.0001, z) }, func() { scale2AVX512(1.0001, z) }},
			{"Axpy", func() { axpyAVX2(1e-3, x, z) }, func() { axpyAVX512(1e-3, x, z) }},
			{"Add", func() { addAVX2(z, x, y) }, func() { addAVX512(z, x, y) }},
			{"Mul", func() { mulAVX2(z, x, y) }, func() { mulAVX512(z, x, y) }},
			{"BF16ToF32", func() { fromBF16Asm(z, h) }, func() { fromBF16AVX512x(z, h) }},
			{"Sum", func() { sink += sumAVX2(x) }, func() { sink += sumAVX512(x) }},
			{"Dot", func() { sink += dotAVX2(x, y) }, func() { sink += dotAVX512(x, y) }},
			{"Max", func() { sink += maxAVX2(x) }, func() { sink += maxAVX512(x) }},
		} {
			for _, arm := range []struct {
				name string
				f    func()
			}{{"avx2", k.avx2}, {"zmm", k.zmm}} {
				b.Run(fmt.Sprintf("%s/n=%d/%s", k.name, n, arm.name), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						arm.f()
					}
				})
			}
		}
		_ = sink
	}
}
