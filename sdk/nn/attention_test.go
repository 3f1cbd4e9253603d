package nn_test

import (
	"errors"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func TestAttentionCausality(t *testing.T) {
	a := nn.NewMultiHeadAttention(8, 2, true, 0, tensor.NewRNG(1))
	x := tensor.Randn(tensor.NewRNG(2), 2, 5, 8)
	y := a.Forward(x, nil).Data()
	x2 := x.Clone()
	for j := 0; j < 8; j++ { // change the last position of both sequences
		x2.Set(5, 0, 4, j)
		x2.Set(-5, 1, 4, j)
	}
	y2 := a.Forward(x2, nil).Data()
	for b := 0; b < 2; b++ {
		for p := 0; p < 5; p++ {
			row, row2 := y[(b*5+p)*8:(b*5+p+1)*8], y2[(b*5+p)*8:(b*5+p+1)*8]
			changed := maxAbsDiff(row, row2) > 0
			if p < 4 && changed {
				t.Errorf("causal attention: position %d saw the future", p)
			}
			if p == 4 && !changed {
				t.Errorf("position 4 did not change")
			}
		}
	}
	bi := nn.NewMultiHeadAttention(8, 2, false, 0, tensor.NewRNG(1))
	if maxAbsDiff(bi.Forward(x, nil).Data()[:8], bi.Forward(x2, nil).Data()[:8]) == 0 {
		t.Errorf("bidirectional attention: position 0 ignored the last position")
	}
	if a.String() != "MultiHeadAttention(embed=8, heads=2, causal=true, dropout=0)" {
		t.Errorf("String() = %q", a)
	}
}

func TestAttentionPaddingMask(t *testing.T) {
	a := nn.NewMultiHeadAttention(8, 4, false, 0, tensor.NewRNG(1))
	x := tensor.Randn(tensor.NewRNG(2), 2, 5, 8)
	mask := tensor.FromFloat32s([]float32{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 2, 5)
	y := a.Forward(x, mask).Data()
	x2 := x.Clone()
	for j := 0; j < 8; j++ { // change the padded positions of sequence 1
		x2.Set(9, 1, 3, j)
		x2.Set(9, 1, 4, j)
	}
	y2 := a.Forward(x2, mask).Data()
	if d := maxAbsDiff(y[5*8:8*8], y2[5*8:8*8]); d != 0 {
		t.Errorf("real positions of sequence 1 saw padding (diff %g)", d)
	}
	if d := maxAbsDiff(y[:5*8], y2[:5*8]); d != 0 {
		t.Errorf("sequence 0 changed (diff %g)", d)
	}
	var se *nn.ShapeError
	if err := mustPanic(t, func() { a.Forward(x, tensor.Ones(2, 4)) }); !errors.As(err, &se) {
		t.Errorf("bad mask: got %T", err)
	}
	if err := mustPanic(t, func() { a.Forward(tensor.Zeros(5, 8), nil) }); !errors.As(err, &se) {
		t.Errorf("2-D input: got %T", err)
	}
}

func TestAttentionAndBlockGradients(t *testing.T) {
	rng := tensor.NewRNG(3)
	x := tensor.Randn(tensor.NewRNG(4), 2, 4, 8).SetRequiresGrad(true)
	mask := tensor.FromFloat32s([]float32{1, 1, 1, 1, 1, 1, 1, 0}, 2, 4)
	a := nn.NewMultiHeadAttention(8, 2, false, 0, rng)
	checkGrads(t, "attention", append(a.Parameters(), x), func() *tensor.Tensor { return weightedSum(a.Forward(x, mask), 7) })
	blk := nn.NewTransformerBlock(nn.BlockConfig{Embed: 8, Heads: 2, Hidden: 16, Causal: true, Activation: nn.GELUTanh}, rng)
	checkGrads(t, "block", append(blk.Parameters(), x), func() *tensor.Tensor { return weightedSum(blk.Forward(x, nil), 8) })
}

func TestTransformerBlockComposition(t *testing.T) {
	blk := nn.NewTransformerBlock(nn.BlockConfig{Embed: 8, Heads: 2, Causal: true}, tensor.NewRNG(1))
	if blk.Config.Hidden != 32 || blk.Config.Eps != 1e-5 || blk.LN1.Eps != 1e-5 {
		t.Errorf("defaults: %v, ln eps %g", blk.Config, blk.LN1.Eps)
	}
	x := tensor.Randn(tensor.NewRNG(2), 2, 3, 8)
	h := x.Add(blk.Attn.Forward(blk.LN1.Forward(x), nil))
	want := h.Add(blk.MLP.Layers[1].Forward(blk.MLP.Layers[0].Forward(blk.LN2.Forward(h)).GELU()))
	if d := maxAbsDiff(blk.Forward(x, nil).Data(), want.Data()); d != 0 {
		t.Errorf("block differs from its pre-LN definition by %g", d)
	}
}

// TestPostLNBlock: a post-LN block computes ln1(x + attn(x)) then
// ln2(x + mlp(x)) with its own children, and differs from pre-LN.
func TestPostLNBlock(t *testing.T) {
	cfg := nn.BlockConfig{Embed: 8, Heads: 2, Hidden: 16, PostLN: true, Eps: 1e-12, Activation: nn.GELUTanh}
	blk := nn.NewTransformerBlock(cfg, tensor.NewRNG(3))
	for _, p := range blk.Parameters() { // gains and biases away from 1 and 0
		d := p.Data()
		for i := range d {
			d[i] += 0.1 * float32(i%7-3)
		}
	}
	x := tensor.Randn(tensor.NewRNG(4), 2, 3, 8)
	got := blk.Forward(x, nil).Data()
	h := blk.LN1.Forward(x.Add(blk.Attn.Forward(x, nil)))
	want := blk.LN2.Forward(h.Add(blk.MLP.Forward(h))).Data()
	if d := maxAbsDiff(got, want); d > 1e-6 {
		t.Errorf("post-LN block differs from its formula by %g", d)
	}
	if blk.LN1.Eps != 1e-12 {
		t.Errorf("eps %g, want 1e-12", blk.LN1.Eps)
	}
	cfg.PostLN = false
	pre := nn.NewTransformerBlock(cfg, tensor.NewRNG(3))
	if err := pre.LoadStateDict(blk.StateDict()); err != nil {
		t.Fatal(err)
	}
	if maxAbsDiff(pre.Forward(x, nil).Data(), got) < 1e-3 {
		t.Errorf("pre-LN and post-LN blocks agree")
	}
	if s := blk.String(); s != "TransformerBlock(embed=8, heads=2, hidden=16, causal=false, dropout=0, act=gelu_tanh, post-LN)" {
		t.Errorf("String() = %q", s)
	}
}
