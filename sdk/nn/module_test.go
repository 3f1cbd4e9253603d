package nn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func newStack(seed uint64) *nn.ModuleList {
	rng := tensor.NewRNG(seed)
	cfg := nn.BlockConfig{Embed: 8, Heads: 2, Causal: true, Dropout: 0.1}
	return nn.NewModuleList(nn.NewTransformerBlock(cfg, rng), nn.NewTransformerBlock(cfg, rng))
}

func TestDottedNames(t *testing.T) {
	want := []string{
		"ln1.weight", "ln1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
		"ln2.weight", "ln2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
	}
	shapes := map[string][]int{
		"attn.qkv.weight": {24, 8}, "attn.qkv.bias": {24}, "attn.proj.weight": {8, 8},
		"mlp.fc1.weight": {32, 8}, "mlp.fc2.weight": {8, 32}, "ln1.weight": {8},
	}
	s := newStack(1)
	ps := s.NamedParameters()
	if len(ps) != 2*len(want) {
		t.Fatalf("%d parameters, want %d", len(ps), 2*len(want))
	}
	for i, p := range ps {
		w := []string{"0.", "1."}[i/len(want)] + want[i%len(want)]
		if p.Name != w {
			t.Errorf("param %d is %q, want %q", i, p.Name, w)
		}
		if sh, ok := shapes[want[i%len(want)]]; ok && !equalInts(p.Tensor.Shape(), sh) {
			t.Errorf("%s has shape %v, want %v", p.Name, p.Tensor.Shape(), sh)
		}
		if !p.Tensor.RequiresGrad() || !p.Tensor.IsLeaf() {
			t.Errorf("%s must be a leaf requiring a gradient", p.Name)
		}
	}
	if got := ps[2].String(); got != "0.attn.qkv.weight [24,8] f32" {
		t.Errorf("NamedParam.String() = %q", got)
	}
	per := 2*8 + (24*8 + 24) + (8*8 + 8) + 2*8 + (32*8 + 32) + (8*32 + 8)
	if n := s.NumParams(); n != 2*per {
		t.Errorf("NumParams = %d, want %d", n, 2*per)
	}
	if got := len(s.Parameters()); got != len(ps) {
		t.Errorf("Parameters has %d tensors", got)
	}
	sum := nn.Summary(s)
	for _, w := range []string{"ModuleList(len=2)", "(0): TransformerBlock(embed=8, heads=2, hidden=32, causal=true, dropout=0.1, act=gelu)",
		"(qkv): Linear(in=8, out=24, bias=true)", "parameters"} {
		if !strings.Contains(sum, w) {
			t.Errorf("Summary lacks %q:\n%s", w, sum)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTrainEvalPropagates(t *testing.T) {
	s := newStack(1)
	x := tensor.Randn(tensor.NewRNG(5), 2, 4, 8)
	y1 := s.Modules[0].(*nn.TransformerBlock).Forward(x, nil)
	y2 := s.Modules[0].(*nn.TransformerBlock).Forward(x, nil)
	if maxAbsDiff(y1.Data(), y2.Data()) == 0 {
		t.Fatalf("dropout 0.1 in training mode gave identical outputs")
	}
	s.Train(false)
	blk := s.Modules[1].(*nn.TransformerBlock)
	if s.Training() || blk.Training() || blk.Drop.Training() || blk.Attn.Drop.Training() {
		t.Fatalf("eval mode did not reach the dropouts")
	}
	y1 = blk.Forward(x, nil)
	y2 = blk.Forward(x, nil)
	if !sameBits(y1.Data(), y2.Data()) {
		t.Errorf("eval mode is not deterministic")
	}
	s.Train(true)
	if !blk.Attn.Drop.Training() {
		t.Errorf("Train(true) did not reach the attention dropout")
	}
}

func TestStateDictRoundTrip(t *testing.T) {
	a, b := newStack(1), newStack(2)
	a.Train(false)
	b.Train(false)
	x := tensor.Randn(tensor.NewRNG(5), 2, 4, 8)
	fwd := func(s *nn.ModuleList) []float32 {
		for _, m := range s.Modules {
			x = m.(*nn.TransformerBlock).Forward(x, nil)
		}
		return x.Float32s()
	}
	x0 := x
	ya := fwd(a)
	x = x0
	if yb := fwd(b); sameBits(ya, yb) {
		t.Fatalf("different seeds gave the same model")
	}
	sd := a.StateDict()
	if len(sd) != len(a.NamedParameters()) {
		t.Fatalf("state dict has %d keys", len(sd))
	}
	if sd["1.mlp.fc2.bias"].RequiresGrad() {
		t.Errorf("state dict tensors should be detached")
	}
	if err := b.LoadStateDict(sd); err != nil {
		t.Fatal(err)
	}
	x = x0
	if yb := fwd(b); !sameBits(ya, yb) {
		t.Errorf("after LoadStateDict the outputs differ")
	}
	// The state dict shares storage with the parameters.
	sd["0.ln1.bias"].Set(7, 0)
	if a.Modules[0].(*nn.TransformerBlock).LN1.Bias.At(0) != 7 {
		t.Errorf("StateDict does not share storage")
	}
	// BF16 values load into F32 parameters.
	bf := map[string]*tensor.Tensor{}
	for k, v := range a.StateDict() {
		bf[k] = v.To(tensor.BF16)
	}
	if err := b.LoadStateDict(bf); err != nil {
		t.Fatal(err)
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	l := nn.NewLinear(3, 2, true, tensor.NewRNG(1))
	before := l.Weight.Float32s()
	err := l.LoadStateDict(map[string]*tensor.Tensor{
		"weight": tensor.Zeros(3, 2),
		"extra":  tensor.Zeros(1),
	})
	var se *nn.StateDictError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want *nn.StateDictError", err, err)
	}
	if len(se.Missing) != 1 || se.Missing[0] != "bias" || len(se.Unexpected) != 1 || se.Unexpected[0] != "extra" ||
		len(se.Mismatched) != 1 || se.Mismatched[0].Key != "weight" {
		t.Errorf("error fields %+v", se)
	}
	msg := err.Error()
	for _, w := range []string{"missing keys bias", "unexpected keys extra", "weight: want [2,3], got [3,2]"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
	if !sameBits(before, l.Weight.Float32s()) {
		t.Errorf("a failed load changed the parameters")
	}
}

func TestZeroGrad(t *testing.T) {
	l := nn.NewLinear(3, 2, true, tensor.NewRNG(1))
	weightedSum(l.Forward(tensor.Ones(4, 3)), 1).Backward()
	if maxAbsDiff(l.Bias.Grad().Data(), make([]float32, 2)) == 0 {
		t.Fatalf("no gradient before ZeroGrad")
	}
	l.ZeroGrad()
	for _, p := range l.Parameters() {
		if maxAbsDiff(p.Grad().Data(), make([]float32, p.Numel())) != 0 {
			t.Errorf("ZeroGrad left a gradient")
		}
	}
}

// A module written outside the package: embed *nn.Base, register, done.
type scaled struct {
	*nn.Base
	lin   *nn.Linear
	scale *tensor.Tensor
}

func (s *scaled) String() string { return "scaled" }

func TestCustomModule(t *testing.T) {
	s := &scaled{Base: nn.NewBase()}
	s.scale = s.AddParam("scale", tensor.Ones(1))
	s.lin = nn.NewLinear(2, 2, false, tensor.NewRNG(1))
	s.AddModule("lin", s.lin)
	var m nn.Module = s
	var names []string
	for _, p := range m.NamedParameters() {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "scale,lin.weight" {
		t.Errorf("names %v", names)
	}
}
