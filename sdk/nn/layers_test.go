package nn_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func TestLinearForwardMatchesDefinition(t *testing.T) {
	l := nn.NewLinear(5, 4, true, tensor.NewRNG(1))
	x := tensor.Randn(tensor.NewRNG(2), 2, 3, 5)
	y := l.Forward(x)
	if got := y.Shape(); len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 4 {
		t.Fatalf("shape %v, want [2 3 4]", got)
	}
	w, b, xv := l.Weight.Data(), l.Bias.Data(), x.Data()
	for r := 0; r < 6; r++ {
		for o := 0; o < 4; o++ {
			want := float64(b[o])
			for i := 0; i < 5; i++ {
				want += float64(xv[r*5+i]) * float64(w[o*5+i])
			}
			if got := y.Data()[r*4+o]; math.Abs(float64(got)-want) > 1e-5 {
				t.Fatalf("y[%d,%d] = %v, want %v", r, o, got, want)
			}
		}
	}
	bound := 1 / math.Sqrt(5)
	for _, v := range w {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("weight %v outside PyTorch's init bound %v", v, bound)
		}
	}
	if s := l.String(); s != "Linear(in=5, out=4, bias=true)" {
		t.Errorf("String() = %q", s)
	}
	if n := l.NumParams(); n != 24 {
		t.Errorf("NumParams = %d, want 24", n)
	}
	nb := nn.NewLinear(5, 4, false, tensor.NewRNG(1))
	if nb.Bias != nil || nb.NumParams() != 20 || len(nb.NamedParameters()) != 1 || nb.String() != "Linear(in=5, out=4, bias=false)" {
		t.Errorf("no-bias Linear: %v, %d params", nb, nb.NumParams())
	}
}

func TestLinearShapeError(t *testing.T) {
	l := nn.NewLinear(5, 4, true, tensor.NewRNG(1))
	err := mustPanic(t, func() { l.Forward(tensor.Zeros(2, 3)) })
	var se *nn.ShapeError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want *nn.ShapeError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{"Linear(in=5, out=4, bias=true)", "[2,3]", "[4,5]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	rng := tensor.NewRNG(1)
	cases := map[string]func(){
		"NewMultiHeadAttention": func() { nn.NewMultiHeadAttention(10, 3, true, 0, rng) },
		"NewDropout":            func() { nn.NewDropout(1, rng) },
		"NewLinear":             func() { nn.NewLinear(0, 3, true, rng) },
		"NewLSTM":               func() { nn.NewLSTM(4, 0, 1, rng) },
		"NewMLP":                func() { nn.NewMLP([]int{3}, nn.ReLU, rng) },
		"NewEmbedding":          func() { nn.NewEmbedding(0, 3, rng) },
		"NewLayerNorm":          func() { nn.NewLayerNorm(0) },
		"NewRMSNorm":            func() { nn.NewRMSNorm(-1) },
		"AddParam":              func() { nn.NewBase().AddParam("a.b", tensor.Zeros(1)) },
		"InitGPT2":              func() { nn.InitGPT2(nn.NewLayerNorm(2), 0, rng) },
	}
	for op, fn := range cases {
		err := mustPanic(t, fn)
		var ce *nn.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %T %v, want *nn.ConfigError", op, err, err)
			continue
		}
		if ce.Layer != op || !strings.HasPrefix(err.Error(), "nn."+op+": ") {
			t.Errorf("%s: message %q", op, err)
		}
	}
	err := mustPanic(t, func() {
		b := nn.NewBase()
		b.AddParam("w", tensor.Zeros(1))
		b.AddModule("w", nn.NewLayerNorm(2))
	})
	if !strings.Contains(err.Error(), `"w" already used`) {
		t.Errorf("duplicate name: %v", err)
	}
}

func TestEmbedding(t *testing.T) {
	e := nn.NewEmbedding(10, 3, tensor.NewRNG(1))
	ids := []int{1, 9, 0, 1, 4, 4}
	y := e.Forward(nil, ids, 2, 3)
	if s := y.Shape(); len(s) != 3 || s[0] != 2 || s[1] != 3 || s[2] != 3 {
		t.Fatalf("shape %v", s)
	}
	w := e.Weight.Data()
	for i, id := range ids {
		for j := 0; j < 3; j++ {
			if y.Data()[i*3+j] != w[id*3+j] {
				t.Fatalf("row %d differs from weight row %d", i, id)
			}
		}
	}
	weightedSum(y, 3).Backward()
	g := e.Weight.Grad().Data()
	for j := 0; j < 3; j++ { // rows 2,3,5..8 were never looked up
		if g[2*3+j] != 0 || g[7*3+j] != 0 {
			t.Fatalf("gradient reached an unused row")
		}
	}
	err := mustPanic(t, func() { e.Forward(nil, []int{10}) })
	var ie *tensor.IndexError
	if !errors.As(err, &ie) {
		t.Errorf("out-of-range id: got %T %v", err, err)
	}
	if e.String() != "Embedding(num=10, dim=3)" {
		t.Errorf("String() = %q", e)
	}
}

func TestNormsNormalise(t *testing.T) {
	x := tensor.Randn(tensor.NewRNG(4), 3, 16).MulScalar(3).AddScalar(2)
	ln := nn.NewLayerNorm(16)
	y := ln.Forward(x).Data()
	for r := 0; r < 3; r++ {
		var m, v float64
		for _, e := range y[r*16 : (r+1)*16] {
			m += float64(e)
		}
		m /= 16
		for _, e := range y[r*16 : (r+1)*16] {
			v += (float64(e) - m) * (float64(e) - m)
		}
		v /= 16
		if math.Abs(m) > 1e-5 || math.Abs(v-1) > 1e-3 {
			t.Errorf("LayerNorm row %d: mean %g var %g", r, m, v)
		}
	}
	rn := nn.NewRMSNorm(16)
	y = rn.Forward(x).Data()
	for r := 0; r < 3; r++ {
		var ms float64
		for _, e := range y[r*16 : (r+1)*16] {
			ms += float64(e) * float64(e)
		}
		if math.Abs(ms/16-1) > 1e-3 {
			t.Errorf("RMSNorm row %d: mean square %g", r, ms/16)
		}
	}
	if ln.Eps != 1e-5 || rn.Eps != 1e-6 {
		t.Errorf("default eps %g and %g", ln.Eps, rn.Eps)
	}
	if ln.String() != "LayerNorm(dim=16, eps=1e-05)" || rn.String() != "RMSNorm(dim=16, eps=1e-06)" {
		t.Errorf("String: %q, %q", ln, rn)
	}
	for _, fn := range []func(){func() { ln.Forward(tensor.Zeros(2, 8)) }, func() { rn.Forward(tensor.Zeros(2, 8)) }} {
		var se *nn.ShapeError
		if err := mustPanic(t, fn); !errors.As(err, &se) {
			t.Errorf("got %T, want *nn.ShapeError", err)
		}
	}
}

func TestDropoutModes(t *testing.T) {
	d := nn.NewDropout(0.5, tensor.NewRNG(1))
	x := tensor.Ones(1000)
	y := d.Forward(x).Data()
	zeros := 0
	for _, v := range y {
		switch v {
		case 0:
			zeros++
		case 2:
		default:
			t.Fatalf("kept value %v, want 2 (scaled by 1/(1-p))", v)
		}
	}
	if zeros < 400 || zeros > 600 {
		t.Errorf("%d of 1000 dropped with p=0.5", zeros)
	}
	d.Train(false)
	if d.Training() || d.Forward(x) != x {
		t.Errorf("eval mode must pass the input through")
	}
	if d.String() != "Dropout(p=0.5)" {
		t.Errorf("String() = %q", d)
	}
}

func TestActivations(t *testing.T) {
	x := tensor.FromFloat32s([]float32{-2, -0.5, 0, 0.5, 2})
	want := map[nn.Activation]func(float64) float64{
		nn.GELU:     func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) },
		nn.GELUTanh: func(v float64) float64 { return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))) },
		nn.ReLU:     func(v float64) float64 { return math.Max(v, 0) },
		nn.SiLU:     func(v float64) float64 { return v / (1 + math.Exp(-v)) },
		nn.Tanh:     math.Tanh,
		nn.Sigmoid:  func(v float64) float64 { return 1 / (1 + math.Exp(-v)) },
		nn.Identity: func(v float64) float64 { return v },
	}
	names := map[string]bool{}
	for a, f := range want {
		y := a.Apply(x).Data()
		for i, v := range x.Data() {
			if math.Abs(float64(y[i])-f(float64(v))) > 1e-5 {
				t.Errorf("%s(%v) = %v, want %v", a, v, y[i], f(float64(v)))
			}
		}
		names[a.String()] = true
	}
	if len(names) != len(want) {
		t.Errorf("activation names are not distinct: %v", names)
	}
	var ce *nn.ConfigError
	if err := mustPanic(t, func() { nn.Activation(99).Apply(x) }); !errors.As(err, &ce) {
		t.Errorf("unknown activation: %T", err)
	}
}

func TestMLPNamesAndForward(t *testing.T) {
	m := nn.NewMLP([]int{3, 8, 8, 2}, nn.ReLU, tensor.NewRNG(1))
	var names []string
	for _, p := range m.NamedParameters() {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "fc1.weight fc1.bias fc2.weight fc2.bias fc3.weight fc3.bias" {
		t.Errorf("names %q", got)
	}
	x := tensor.Randn(tensor.NewRNG(2), 4, 3)
	y := m.Forward(x)
	// The same composition by hand.
	h := m.Layers[0].Forward(x).ReLU()
	h = m.Layers[1].Forward(h).ReLU()
	h = m.Layers[2].Forward(h)
	if d := maxAbsDiff(y.Data(), h.Data()); d != 0 {
		t.Errorf("MLP differs from its layers by %g", d)
	}
	if m.String() != "MLP(sizes=[3 8 8 2], act=relu)" {
		t.Errorf("String() = %q", m)
	}
}

func TestMixedPrecisionLinear(t *testing.T) {
	blk := nn.NewTransformerBlock(nn.BlockConfig{Embed: 16, Heads: 2, Causal: true}, tensor.NewRNG(1))
	x := tensor.Randn(tensor.NewRNG(2), 2, 4, 16)
	y32 := blk.Forward(x, nil).Float32s()
	if n := nn.SetCompute(blk, tensor.BF16); n != 4 {
		t.Fatalf("SetCompute changed %d Linear layers, want 4", n)
	}
	if s := blk.Attn.QKV.String(); s != "Linear(in=16, out=48, bias=true, compute=bf16)" {
		t.Errorf("String() = %q", s)
	}
	y := blk.Forward(x, nil)
	d := maxAbsDiff(y32, y.Float32s())
	if d == 0 || d > 0.05 {
		t.Errorf("bf16 products differ from f32 by %g; want a small non-zero rounding difference", d)
	}
	weightedSum(y, 3).Backward()
	w := blk.MLP.Layers[0].Weight
	if w.DType() != tensor.F32 || w.Grad() == nil || maxAbsDiff(w.Grad().Data(), make([]float32, w.Numel())) == 0 {
		t.Errorf("the F32 master weight got no gradient")
	}
}

func TestSequential(t *testing.T) {
	rng := tensor.NewRNG(1)
	s := nn.NewSequential(nn.NewLinear(3, 4, true, rng), nn.NewActivation(nn.ReLU), nn.NewLayerNorm(4), nn.NewDropout(0.5, rng))
	var names []string
	for _, p := range s.NamedParameters() {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "0.weight 0.bias 2.weight 2.bias" {
		t.Errorf("names %q", got)
	}
	s.Train(false)
	x := tensor.Randn(tensor.NewRNG(2), 2, 3)
	want := s.Layers[2].Forward(s.Layers[0].Forward(x).ReLU())
	if d := maxAbsDiff(s.Forward(x).Data(), want.Data()); d != 0 {
		t.Errorf("Sequential differs from its layers by %g", d)
	}
	if got := s.String(); got != "Sequential(Linear(in=3, out=4, bias=true), Activation(relu), LayerNorm(dim=4, eps=1e-05), Dropout(p=0.5))" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseActivationInvertsString(t *testing.T) {
	for a := nn.GELU; a <= nn.Identity; a++ {
		got, err := nn.ParseActivation(a.String())
		if err != nil || got != a {
			t.Fatalf("ParseActivation(%q) = %v, %v", a.String(), got, err)
		}
	}
	if _, err := nn.ParseActivation("swish"); err == nil {
		t.Fatal("no error for an unknown name")
	}
}
