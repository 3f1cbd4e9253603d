package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// checkGrad compares the analytic gradients of L = Σ f(inputs)·r, for a
// fixed random r, with central finite differences accumulated in float64.
// Every input must be an F32 leaf; all of them are checked.
func checkGrad(t *testing.T, name string, f func(in []*Tensor) *Tensor, inputs ...*Tensor) {
	t.Helper()
	for _, in := range inputs {
		in.SetRequiresGrad(true)
		in.grad = nil
	}
	out := f(inputs)
	r := Randn(NewRNG(99), out.shape...)
	out.Mul(r).Sum().Backward()
	lossAt := func() float64 {
		ns := NewScope().NoGrad()
		in := make([]*Tensor, len(inputs))
		for i, x := range inputs {
			in[i] = ns.Use(x)
		}
		o := f(in)
		var s float64
		ov := o.Float32s()
		for i, v := range ov {
			s += float64(v) * float64(r.data[i])
		}
		return s
	}
	const h = 1e-2
	for k, in := range inputs {
		if in.grad == nil {
			t.Fatalf("%s: input %d got no gradient", name, k)
		}
		an := in.grad.data
		for j := range in.data {
			v := in.data[j]
			in.data[j] = v + h
			lp := lossAt()
			in.data[j] = v - h
			lm := lossAt()
			in.data[j] = v
			num := (lp - lm) / (float64(v+h) - float64(v-h))
			if d := math.Abs(float64(an[j]) - num); d > 5e-3+5e-3*math.Abs(num) {
				t.Fatalf("%s: input %d element %d: analytic %.6g, numeric %.6g (diff %.3g)", name, k, j, an[j], num, d)
			}
		}
	}
}

func rnd(seed uint64, shape ...int) *Tensor { return Randn(NewRNG(seed), shape...) }

// positive returns values in [0.5, 1.5), for Log, Sqrt, Pow and Div.
func positive(seed uint64, shape ...int) *Tensor { return Uniform(NewRNG(seed), 0.5, 1.5, shape...) }

func TestGradBinaryBroadcast(t *testing.T) {
	shapes := [][2][]int{
		{{2, 3}, {2, 3}},
		{{2, 3}, {3}},
		{{2, 1, 4}, {3, 1}},
		{{4}, {2, 3, 4}},
		{{2, 3}, {}},
		{{1, 3}, {2, 1}},
	}
	ops := map[string]func(a, b *Tensor) *Tensor{
		"Add": (*Tensor).Add, "Sub": (*Tensor).Sub, "Mul": (*Tensor).Mul, "Div": (*Tensor).Div,
	}
	for name, op := range ops {
		for i, s := range shapes {
			a, b := rnd(uint64(i), s[0]...), positive(uint64(i+10), s[1]...)
			checkGrad(t, fmt.Sprintf("%s%v%v", name, s[0], s[1]), func(in []*Tensor) *Tensor { return op(in[0], in[1]) }, a, b)
		}
	}
}

func TestGradUnary(t *testing.T) {
	ops := map[string]func(x *Tensor) *Tensor{
		"Neg":       (*Tensor).Neg,
		"Exp":       (*Tensor).Exp,
		"Tanh":      (*Tensor).Tanh,
		"Sigmoid":   (*Tensor).Sigmoid,
		"GELU":      (*Tensor).GELU,
		"GELUTanh":  (*Tensor).GELUTanh,
		"SiLU":      (*Tensor).SiLU,
		"AddScalar": func(x *Tensor) *Tensor { return x.AddScalar(2.5) },
		"MulScalar": func(x *Tensor) *Tensor { return x.MulScalar(-1.5) },
		"Pow2":      func(x *Tensor) *Tensor { return x.Pow(2) }, // the squaring path
	}
	for name, op := range ops {
		checkGrad(t, name, func(in []*Tensor) *Tensor { return op(in[0]) }, rnd(1, 3, 5))
	}
	pos := map[string]func(x *Tensor) *Tensor{
		"Log":  (*Tensor).Log,
		"Sqrt": (*Tensor).Sqrt,
		"Pow":  func(x *Tensor) *Tensor { return x.Pow(2.5) },
	}
	for name, op := range pos {
		checkGrad(t, name, func(in []*Tensor) *Tensor { return op(in[0]) }, positive(2, 3, 5))
	}
	// ReLU away from its kink at 0.
	x := rnd(3, 4, 5)
	for i, v := range x.data {
		if math.Abs(float64(v)) < 0.05 {
			x.data[i] = 0.5
		}
	}
	checkGrad(t, "ReLU", func(in []*Tensor) *Tensor { return in[0].ReLU() }, x)
}

func TestGradReductions(t *testing.T) {
	cases := []struct {
		name string
		f    func(x *Tensor) *Tensor
	}{
		{"SumAll", func(x *Tensor) *Tensor { return x.Sum() }},
		{"Sum1", func(x *Tensor) *Tensor { return x.Sum(1) }},
		{"SumKeep02", func(x *Tensor) *Tensor { return x.SumKeep(0, 2) }},
		{"MeanAll", func(x *Tensor) *Tensor { return x.Mean() }},
		{"Mean-1", func(x *Tensor) *Tensor { return x.Mean(-1) }},
		{"MeanKeep0", func(x *Tensor) *Tensor { return x.MeanKeep(0) }},
		{"MaxAll", func(x *Tensor) *Tensor { return x.Max() }},
		{"Max1", func(x *Tensor) *Tensor { return x.Max(1) }},
		{"MaxKeep2", func(x *Tensor) *Tensor { return x.MaxKeep(2) }},
	}
	for _, c := range cases {
		checkGrad(t, c.name, func(in []*Tensor) *Tensor { return c.f(in[0]) }, rnd(4, 2, 3, 4))
	}
}

func TestGradMatMul(t *testing.T) {
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			as, bs := []int{3, 4}, []int{4, 5}
			if ta {
				as = []int{4, 3}
			}
			if tb {
				bs = []int{5, 4}
			}
			name := fmt.Sprintf("MatMul ta=%v tb=%v", ta, tb)
			checkGrad(t, name, func(in []*Tensor) *Tensor { return MatMulT(in[0], in[1], ta, tb) }, rnd(5, as...), rnd(6, bs...))
			// Batched, shared B, shared A.
			ab := append([]int{2}, as...)
			bb := append([]int{2}, bs...)
			checkGrad(t, name+" batched", func(in []*Tensor) *Tensor { return MatMulT(in[0], in[1], ta, tb) }, rnd(7, ab...), rnd(8, bb...))
			checkGrad(t, name+" shared B", func(in []*Tensor) *Tensor { return MatMulT(in[0], in[1], ta, tb) }, rnd(9, append([]int{2}, ab...)...), rnd(10, bs...))
			checkGrad(t, name+" shared A", func(in []*Tensor) *Tensor { return MatMulT(in[0], in[1], ta, tb) }, rnd(11, as...), rnd(12, bb...))
		}
	}
}

func TestGradLinear(t *testing.T) {
	checkGrad(t, "Linear", func(in []*Tensor) *Tensor { return Linear(in[0], in[1], in[2]) }, rnd(1, 2, 3, 4), rnd(2, 5, 4), rnd(3, 5))
	checkGrad(t, "Linear no bias", func(in []*Tensor) *Tensor { return Linear(in[0], in[1], nil) }, rnd(4, 3, 4), rnd(5, 5, 4))
	// The bias used twice: its gradient accumulates (beta 1).
	checkGrad(t, "Linear bias twice", func(in []*Tensor) *Tensor {
		return Linear(in[0], in[1], in[2]).Add(Linear(in[0].MulScalar(2), in[1], in[2]))
	}, rnd(6, 3, 4), rnd(7, 5, 4), rnd(8, 5))
}

// TestLinearMatchesMatMulAdd checks Linear against MatMulT + Add, values
// and gradients, f32 and under BF16 autocast.
func TestLinearMatchesMatMulAdd(t *testing.T) {
	// A shared weight (the bias added inside the GEMM) and one weight per
	// batch entry (the product accumulates onto bias rows), f32 and bf16.
	for _, bf := range []bool{false, true} {
		for _, wShape := range [][]int{{9, 12}, {2, 9, 12}} {
			run := func(fused bool) [][]float32 {
				sc := NewScope()
				if bf {
					sc = sc.WithAutocast(BF16)
				}
				x := rnd(1, 2, 7, 12).SetRequiresGrad(true)
				w := rnd(2, wShape...).SetRequiresGrad(true)
				b := rnd(3, 9).SetRequiresGrad(true)
				var y *Tensor
				if fused {
					y = Linear(sc.Use(x), w, b)
				} else {
					y = MatMulT(sc.Use(x), w, false, true).Add(b)
				}
				y.Mul(y).Sum().Backward()
				return [][]float32{y.Float32s(), x.Grad().Float32s(), w.Grad().Float32s(), b.Grad().Float32s()}
			}
			want, got := run(false), run(true)
			for i := range want {
				for j := range want[i] {
					if d := math.Abs(float64(want[i][j] - got[i][j])); d > 1e-4*(1+math.Abs(float64(want[i][j]))) {
						t.Fatalf("bf16=%v w %v tensor %d element %d: MatMulT+Add %g, Linear %g", bf, wShape, i, j, want[i][j], got[i][j])
					}
				}
			}
		}
	}
}

func TestGradShapeOps(t *testing.T) {
	checkGrad(t, "Reshape", func(in []*Tensor) *Tensor { return in[0].Reshape(4, -1).Mul(in[0].Reshape(4, 6)) }, rnd(1, 2, 3, 4))
	checkGrad(t, "Transpose", func(in []*Tensor) *Tensor { return in[0].Transpose(0, 2) }, rnd(2, 2, 3, 4))
	checkGrad(t, "Permute", func(in []*Tensor) *Tensor { return in[0].Permute(1, 2, 0) }, rnd(3, 2, 3, 4))
	checkGrad(t, "Concat", func(in []*Tensor) *Tensor { return Concat(1, in[0], in[1], in[0]) }, rnd(4, 2, 3, 2), rnd(5, 2, 1, 2))
	checkGrad(t, "Narrow", func(in []*Tensor) *Tensor { return in[0].Narrow(1, 1, 2) }, rnd(6, 2, 4, 3))
	checkGrad(t, "Slice", func(in []*Tensor) *Tensor { return in[0].Slice(-1, -3, -1) }, rnd(7, 2, 5))
	checkGrad(t, "Expand", func(in []*Tensor) *Tensor { return in[0].Expand(2, 3, 4) }, rnd(8, 3, 1))
	mask := FromFloat32s([]float32{1, 0, 0, 1, 0, 1}, 2, 3)
	checkGrad(t, "MaskedFill", func(in []*Tensor) *Tensor { return in[0].MaskedFill(mask, -7) }, rnd(9, 2, 3))
	cond := FromFloat32s([]float32{1, 0, 1}, 3)
	checkGrad(t, "Where", func(in []*Tensor) *Tensor { return Where(cond, in[0], in[1]) }, rnd(10, 2, 3), rnd(11, 3))
	// An intermediate reached by several gradient hand-overs (Reshape and
	// Add pass their output gradient on without copying).
	checkGrad(t, "shared intermediate", func(in []*Tensor) *Tensor {
		m := in[0].MulScalar(2)
		r := m.Reshape(6)
		return r.Add(m.Reshape(6).Exp()).AddScalar(1).Add(r.Tanh()).Reshape(2, 3).Add(m)
	}, rnd(13, 2, 3))
	checkGrad(t, "Unsqueeze/Squeeze", func(in []*Tensor) *Tensor {
		return in[0].Unsqueeze(1).Mul(in[0].Unsqueeze(-1).Squeeze(-1).Unsqueeze(1))
	}, rnd(12, 2, 3))
}

func TestGradSoftmaxFamily(t *testing.T) {
	for _, axis := range []int{-1, 0, 1} {
		checkGrad(t, fmt.Sprint("Softmax", axis), func(in []*Tensor) *Tensor { return in[0].Softmax(axis) }, rnd(1, 3, 4, 5))
		checkGrad(t, fmt.Sprint("LogSoftmax", axis), func(in []*Tensor) *Tensor { return in[0].LogSoftmax(axis) }, rnd(2, 3, 4, 5))
	}
	targets := []int{1, IgnoreIndex, 4, 0, 2, IgnoreIndex}
	checkGrad(t, "CrossEntropy", func(in []*Tensor) *Tensor { return CrossEntropy(in[0], targets) }, rnd(3, 6, 5))
	checkGrad(t, "CrossEntropySmooth", func(in []*Tensor) *Tensor { return CrossEntropyWith(in[0], targets, IgnoreIndex, 0.1) }, rnd(4, 2, 3, 5))
}

func TestGradEmbeddingDropout(t *testing.T) {
	ids := []int{3, 0, 3, 1, 4, 3}
	checkGrad(t, "Embedding", func(in []*Tensor) *Tensor { return Embedding(in[0], ids, 2, 3) }, rnd(1, 5, 4))
	checkGrad(t, "Dropout", func(in []*Tensor) *Tensor { return in[0].Dropout(0.3, NewRNG(5)) }, rnd(2, 4, 6))
}

func TestGradNorms(t *testing.T) {
	checkGrad(t, "LayerNorm", func(in []*Tensor) *Tensor { return LayerNorm(in[0], in[1], in[2], 1e-5) }, rnd(1, 2, 3, 6), rnd(2, 6), rnd(3, 6))
	checkGrad(t, "LayerNorm no affine", func(in []*Tensor) *Tensor { return LayerNorm(in[0], nil, nil, 1e-5) }, rnd(4, 3, 5))
	checkGrad(t, "RMSNorm", func(in []*Tensor) *Tensor { return RMSNorm(in[0], in[1], 1e-6) }, rnd(5, 2, 3, 6), rnd(6, 6))
}

func TestGradAttention(t *testing.T) {
	// Causal problems run in blocks of query rows: once as one block, once
	// in blocks of 1 and of 3 rows (with t = 4 and 5, the last one partial);
	// one-block problems this small run on kernels.SgemmSmall unless the
	// plan says Sgemm only.
	for _, plan := range []attnPlan{{32, false}, {32, true}, {1, false}, {3, true}} {
		t.Run(fmt.Sprintf("block%d_sgemmOnly=%v", plan.blockRows, plan.sgemmOnly), func(t *testing.T) {
			testGradAttention(t, plan)
		})
	}
}

func testGradAttention(t *testing.T, blk attnPlan) {
	q, k, v := rnd(1, 2, 2, 4, 3), rnd(2, 2, 2, 4, 3), rnd(3, 2, 2, 4, 5)
	sdpa := func(causal bool, mask *Tensor) func(in []*Tensor) *Tensor {
		return func(in []*Tensor) *Tensor { return scaledDotProductAttention(in[0], in[1], in[2], causal, mask, blk) }
	}
	checkGrad(t, "SDPA", sdpa(false, nil), q, k, v)
	checkGrad(t, "SDPA causal", sdpa(true, nil), q, k, v)
	mask := FromFloat32s([]float32{1, 1, 1, 1, 1, 1, 0, 0}, 2, 4)
	checkGrad(t, "SDPA padded", sdpa(false, mask), q, k, v)
	checkGrad(t, "SDPA causal padded", sdpa(true, mask), q, k, v)
	// Fewer queries than keys (a KV-cache step).
	checkGrad(t, "SDPA T<S causal", sdpa(true, nil), rnd(4, 2, 2, 2, 3), rnd(5, 2, 2, 4, 3), rnd(6, 2, 2, 4, 5))
	checkGrad(t, "SDPA causal t=5", sdpa(true, nil), rnd(7, 1, 2, 5, 3), rnd(8, 1, 2, 5, 3), rnd(9, 1, 2, 5, 2))
	mask5 := FromFloat32s([]float32{1, 1, 1, 0, 1}, 1, 5)
	checkGrad(t, "SDPA causal padded t=5", sdpa(true, mask5), rnd(7, 1, 2, 5, 3), rnd(8, 1, 2, 5, 3), rnd(9, 1, 2, 5, 2))
	checkGrad(t, "SelfAttention causal t=5", func(in []*Tensor) *Tensor { return selfAttention(in[0], 2, true, nil, blk) }, rnd(10, 2, 5, 12))
}

// TestCausalBlocksMatchOneBlock compares a causal attention of 70 queries
// computed in blocks of 32 rows with the one-block computation.
func TestCausalBlocksMatchOneBlock(t *testing.T) {
	x := rnd(11, 2, 70, 24)
	run := func(blk attnPlan) ([]float32, []float32) {
		xx := x.Detach().SetRequiresGrad(true)
		y := selfAttention(xx, 2, true, nil, blk)
		y.Mul(y).Sum().Backward()
		return y.Float32s(), xx.Grad().Float32s()
	}
	y1, g1 := run(attnPlan{blockRows: 1000})
	y2, g2 := run(attnPlan{blockRows: 32})
	for i := range y1 {
		if d := math.Abs(float64(y1[i] - y2[i])); d > 1e-5 {
			t.Fatalf("output %d: %g vs %g", i, y1[i], y2[i])
		}
	}
	for i := range g1 {
		if d := math.Abs(float64(g1[i] - g2[i])); d > 1e-4*(1+math.Abs(float64(g1[i]))) {
			t.Fatalf("gradient %d: %g vs %g", i, g1[i], g2[i])
		}
	}
}

func TestGradSelfAttention(t *testing.T) {
	mask := FromFloat32s([]float32{1, 1, 1, 1, 1, 1, 0, 0}, 2, 4)
	for _, causal := range []bool{false, true} {
		for _, m := range []*Tensor{nil, mask} {
			checkGrad(t, fmt.Sprintf("SelfAttention causal=%v mask=%v", causal, m != nil), func(in []*Tensor) *Tensor {
				return SelfAttention(in[0], 2, causal, m)
			}, rnd(1, 2, 4, 12))
		}
	}
}

func TestSelfAttentionEqualsSplitHeads(t *testing.T) {
	const b, tt, h, dh = 2, 5, 3, 4
	e := h * dh
	mask := FromFloat32s([]float32{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 2, 5)
	qkv := rnd(3, b, tt, 3*e)
	split := func(i int) *Tensor {
		return qkv.Narrow(2, i*e, e).Reshape(b, tt, h, dh).Permute(0, 2, 1, 3)
	}
	ref := ScaledDotProductAttention(split(0), split(1), split(2), true, mask).Permute(0, 2, 1, 3).Reshape(b, tt, e)
	got := SelfAttention(qkv, h, true, mask)
	for i, v := range ref.Data() {
		if math.Abs(float64(v-got.Data()[i])) > 1e-6 {
			t.Fatalf("element %d: split heads %v, packed %v", i, v, got.Data()[i])
		}
	}
}

// Gradients written into new buffers (beta 0) and accumulated into existing
// ones (beta 1) agree: a tensor used on both sides of a product, an
// intermediate consumed twice, and a leaf accumulating over two passes.
func TestGradWriteThenAccumulate(t *testing.T) {
	checkGrad(t, "x·x", func(in []*Tensor) *Tensor { return in[0].MatMul(in[0]) }, rnd(1, 4, 4))
	checkGrad(t, "intermediate used twice", func(in []*Tensor) *Tensor {
		h := in[0].MulScalar(1.5)
		return h.MatMul(in[1]).Add(MatMulT(h, in[1], false, false).GELU()).Add(LayerNorm(h, nil, nil, 1e-5).Sum(-1).Unsqueeze(-1))
	}, rnd(2, 3, 4), rnd(3, 4, 4))
	w := rnd(4, 3, 3).SetRequiresGrad(true)
	x := rnd(5, 2, 3)
	x.MatMul(w).GELU().Sum().Backward()
	once := w.Grad().Float32s()
	x.MatMul(w).GELU().Sum().Backward()
	for i, v := range w.Grad().Data() {
		if math.Abs(float64(v-2*once[i])) > 1e-5 {
			t.Fatalf("element %d: two passes gave %v, want %v", i, v, 2*once[i])
		}
	}
}

// TestSmallAttentionMatchesSgemm compares the two product paths on the
// shapes of the MAE encoder (4 tokens, heads of 24) and decoder (16 tokens,
// heads of 16), with a padding mask, causal, and a head width that leaves
// SgemmSmall columns past its last strip (heads of 6): outputs and the
// gradient of the packed q/k/v agree to rounding.
func TestSmallAttentionMatchesSgemm(t *testing.T) {
	cases := []struct {
		name        string
		t, e, heads int
		causal      bool
		mask        []float32
	}{
		{"encoder", 4, 96, 4, false, nil},
		{"decoder", 16, 64, 4, false, nil},
		{"padded", 4, 96, 4, false, []float32{1, 1, 1, 0, 1, 1, 1, 1}},
		{"all padded", 4, 96, 4, false, []float32{1, 0, 1, 0, 0, 0, 0, 0}},
		{"causal", 16, 64, 4, true, nil},
		{"decoder padded", 16, 64, 4, false, append(append(make([]float32, 0, 32), ones(12)...), make([]float32, 20)...)},
		{"odd heads", 4, 18, 3, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := rnd(21, 2, tc.t, 3*tc.e)
			var m *Tensor
			if tc.mask != nil {
				m = FromFloat32s(tc.mask, 2, tc.t)
			}
			run := func(plan attnPlan, sc *Scope) ([]float32, []float32) {
				xx := x.Detach().SetRequiresGrad(true)
				y := selfAttention(sc.Use(xx), tc.heads, tc.causal, m, plan)
				y.Mul(y).Sum().Backward()
				return y.Float32s(), xx.Grad().Float32s()
			}
			y1, g1 := run(attnPlan{blockRows: 32, sgemmOnly: true}, NewScope())
			y2, g2 := run(defaultPlan(), NewScope())
			// Under an arena the transposes' scratch comes from reused
			// buffers (the second step gets the first one's): the results
			// must be the same bits.
			ar := NewArena()
			for step := range 2 {
				y3, g3 := run(defaultPlan(), NewScope().WithArena(ar))
				if !slices.Equal(y3, y2) || !slices.Equal(g3, g2) {
					t.Fatalf("arena step %d differs from the run without an arena", step)
				}
				ar.Reset()
			}
			for i := range y1 {
				if d := math.Abs(float64(y1[i] - y2[i])); d > 1e-5*(1+math.Abs(float64(y1[i]))) {
					t.Fatalf("output %d: Sgemm %g, small %g", i, y1[i], y2[i])
				}
			}
			for i := range g1 {
				if d := math.Abs(float64(g1[i] - g2[i])); d > 1e-4*(1+math.Abs(float64(g1[i]))) {
					t.Fatalf("gradient %d: Sgemm %g, small %g", i, g1[i], g2[i])
				}
			}
		})
	}
}

// TestPowSquareMatchesMathPow checks that Pow(2)'s product path gives
// exactly float32(math.Pow(x, 2)), including for negative, tiny and huge
// inputs.
func TestPowSquareMatchesMathPow(t *testing.T) {
	xs := []float32{-3, -0.5, 0, 1e-30, 1.5, 3e19, 2e20, float32(math.Inf(-1))}
	got := FromFloat32s(xs, len(xs)).Pow(2).Float32s()
	for i, x := range xs {
		if want := float32(math.Pow(float64(x), 2)); got[i] != want {
			t.Errorf("Pow(%g, 2) = %g, want %g", x, got[i], want)
		}
	}
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}
