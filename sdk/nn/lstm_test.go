package nn_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func TestLSTMLayoutAndInit(t *testing.T) {
	l := nn.NewLSTM(4, 6, 2, tensor.NewRNG(1))
	want := map[string][]int{
		"weight_ih_l0": {24, 4}, "weight_hh_l0": {24, 6}, "bias_ih_l0": {24}, "bias_hh_l0": {24},
		"weight_ih_l1": {24, 6}, "weight_hh_l1": {24, 6}, "bias_ih_l1": {24}, "bias_hh_l1": {24},
	}
	ps := l.NamedParameters()
	if len(ps) != len(want) {
		t.Fatalf("%d parameters", len(ps))
	}
	bound := 1 / math.Sqrt(6)
	for _, p := range ps {
		if !equalInts(p.Tensor.Shape(), want[p.Name]) {
			t.Errorf("%s: shape %v, want %v", p.Name, p.Tensor.Shape(), want[p.Name])
		}
		for _, v := range p.Tensor.Data() {
			if math.Abs(float64(v)) > bound {
				t.Fatalf("%s: %v outside U(-1/√H, 1/√H)", p.Name, v)
			}
		}
	}
	if l.String() != "LSTM(input=4, hidden=6, layers=2)" {
		t.Errorf("String() = %q", l)
	}
}

// lstmRef is a scalar float64 LSTM cell for one sequence, written from the
// equations, to check the tensor version.
func lstmRef(l *nn.LSTM, x [][]float64) [][]float64 {
	in := x
	for k := 0; k < l.Layers; k++ {
		H := l.Hidden
		wih, whh := l.WeightIH[k].Data(), l.WeightHH[k].Data()
		bih, bhh := l.BiasIH[k].Data(), l.BiasHH[k].Data()
		h, c := make([]float64, H), make([]float64, H)
		var out [][]float64
		for _, xt := range in {
			g := make([]float64, 4*H)
			for r := range g {
				s := float64(bih[r]) + float64(bhh[r])
				for i, v := range xt {
					s += float64(wih[r*len(xt)+i]) * v
				}
				for i, v := range h {
					s += float64(whh[r*H+i]) * v
				}
				g[r] = s
			}
			sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
			nh := make([]float64, H)
			for j := 0; j < H; j++ {
				c[j] = sig(g[H+j])*c[j] + sig(g[j])*math.Tanh(g[2*H+j])
				nh[j] = sig(g[3*H+j]) * math.Tanh(c[j])
			}
			h = nh
			out = append(out, h)
		}
		in = out
	}
	return in
}

func TestLSTMMatchesEquations(t *testing.T) {
	l := nn.NewLSTM(3, 5, 2, tensor.NewRNG(1))
	x := tensor.Randn(tensor.NewRNG(2), 2, 4, 3)
	out, st := l.Forward(x, nil)
	if s := out.Shape(); !equalInts(s, []int{2, 4, 5}) {
		t.Fatalf("output shape %v", s)
	}
	if len(st.H) != 2 || len(st.C) != 2 || !equalInts(st.H[1].Shape(), []int{2, 5}) {
		t.Fatalf("state %v", st)
	}
	for b := 0; b < 2; b++ {
		seq := make([][]float64, 4)
		for ti := range seq {
			for i := 0; i < 3; i++ {
				seq[ti] = append(seq[ti], float64(x.At(b, ti, i)))
			}
		}
		ref := lstmRef(l, seq)
		for ti := range ref {
			for j, v := range ref[ti] {
				if got := out.At(b, ti, j); math.Abs(float64(got)-v) > 1e-5 {
					t.Fatalf("out[%d,%d,%d] = %v, want %v", b, ti, j, got, v)
				}
			}
		}
		for j := 0; j < 5; j++ { // the top layer's final h is the last output
			if st.H[1].At(b, j) != out.At(b, 3, j) {
				t.Fatalf("final h differs from the last output")
			}
		}
	}
	if st.String() != "LSTMState(layers=2, h=[2,5])" {
		t.Errorf("String() = %q", st)
	}
}

func TestLSTMStateCarries(t *testing.T) {
	l := nn.NewLSTM(3, 4, 2, tensor.NewRNG(1))
	x := tensor.Randn(tensor.NewRNG(2), 2, 5, 3)
	full, _ := l.Forward(x, nil)
	first, st := l.Forward(x.Narrow(1, 0, 3), nil)
	rest, _ := l.Forward(x.Narrow(1, 3, 2), st)
	joined := tensor.Concat(1, first, rest)
	if d := maxAbsDiff(full.Data(), joined.Data()); d > 1e-6 {
		t.Errorf("running in two pieces with the carried state differs by %g", d)
	}
	bad := &nn.LSTMState{H: []*tensor.Tensor{tensor.Zeros(2, 4)}, C: []*tensor.Tensor{tensor.Zeros(2, 4)}}
	var se *nn.ShapeError
	if err := mustPanic(t, func() { l.Forward(x, bad) }); !errors.As(err, &se) {
		t.Errorf("one-layer state for a two-layer LSTM: got %T", err)
	}
	if err := mustPanic(t, func() { l.Forward(tensor.Zeros(2, 5, 4), nil) }); !errors.As(err, &se) {
		t.Errorf("wrong input width: got %T", err)
	}
}

func TestLSTMGradients(t *testing.T) {
	l := nn.NewLSTM(3, 4, 2, tensor.NewRNG(1))
	x := tensor.Randn(tensor.NewRNG(2), 2, 3, 3).SetRequiresGrad(true)
	h0 := tensor.Randn(tensor.NewRNG(3), 2, 4).SetRequiresGrad(true)
	st := &nn.LSTMState{H: []*tensor.Tensor{h0, tensor.Zeros(2, 4)}, C: []*tensor.Tensor{tensor.Zeros(2, 4), tensor.Zeros(2, 4)}}
	checkGrads(t, "lstm", append(l.Parameters(), x, h0), func() *tensor.Tensor {
		out, _ := l.Forward(x, st)
		return weightedSum(out, 5)
	})
}

func ExampleLSTM() {
	l := nn.NewLSTM(4, 6, 2, tensor.NewRNG(1))
	out, st := l.Forward(tensor.Zeros(3, 7, 4), nil)
	fmt.Println(l)
	fmt.Println(out.Shape(), st)
	// Output:
	// LSTM(input=4, hidden=6, layers=2)
	// [3 7 6] LSTMState(layers=2, h=[3,6])
}
