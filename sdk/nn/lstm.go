package nn

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// LSTM is a stacked, batch-first long short-term memory network with
// PyTorch's parameter layout: for layer k, "weight_ih_l{k}" [4H, in],
// "weight_hh_l{k}" [4H, H], "bias_ih_l{k}" and "bias_hh_l{k}" [4H], gates
// in the order input, forget, cell, output.
type LSTM struct {
	*Base
	Input, Hidden, Layers int
	WeightIH, WeightHH    []*tensor.Tensor // per layer
	BiasIH, BiasHH        []*tensor.Tensor // per layer
}

// LSTMState is the hidden and cell state of every layer of an LSTM, each
// [batch, Hidden].
type LSTMState struct {
	H, C []*tensor.Tensor
}

// String prints the number of layers and the state shape.
func (s *LSTMState) String() string {
	if s == nil || len(s.H) == 0 {
		return "LSTMState(empty)"
	}
	return fmt.Sprintf("LSTMState(layers=%d, h=%s)", len(s.H), shapeString(s.H[0].Shape()))
}

// NewLSTM returns an LSTM with layers stacked layers, initialised as
// PyTorch does: every weight and bias from U(-1/√hidden, 1/√hidden).
func NewLSTM(input, hidden, layers int, rng *tensor.RNG) *LSTM {
	if input <= 0 || hidden <= 0 || layers <= 0 {
		panicConfig("NewLSTM", "input, hidden and layers must be positive, got %d, %d, %d", input, hidden, layers)
	}
	l := &LSTM{Base: NewBase(), Input: input, Hidden: hidden, Layers: layers}
	k := float32(1 / math.Sqrt(float64(hidden)))
	for i := 0; i < layers; i++ {
		in := input
		if i > 0 {
			in = hidden
		}
		l.WeightIH = append(l.WeightIH, l.AddParam(fmt.Sprintf("weight_ih_l%d", i), tensor.Uniform(rng, -k, k, 4*hidden, in)))
		l.WeightHH = append(l.WeightHH, l.AddParam(fmt.Sprintf("weight_hh_l%d", i), tensor.Uniform(rng, -k, k, 4*hidden, hidden)))
		l.BiasIH = append(l.BiasIH, l.AddParam(fmt.Sprintf("bias_ih_l%d", i), tensor.Uniform(rng, -k, k, 4*hidden)))
		l.BiasHH = append(l.BiasHH, l.AddParam(fmt.Sprintf("bias_hh_l%d", i), tensor.Uniform(rng, -k, k, 4*hidden)))
	}
	return l
}

// Forward runs the LSTM over x [B, T, Input]. init gives each layer's
// starting state (nil for zeros). It returns the top layer's hidden states
// [B, T, Hidden] and the final state of every layer.
func (l *LSTM) Forward(x *tensor.Tensor, init *LSTMState) (*tensor.Tensor, *LSTMState) {
	s := x.Shape()
	if len(s) != 3 || s[2] != l.Input {
		panicShape(l.String(), fmt.Sprintf("input must be [batch, seq, %d]", l.Input), s)
	}
	b, t, hd := s[0], s[1], l.Hidden
	if init != nil {
		if len(init.H) != l.Layers || len(init.C) != l.Layers {
			panicShape(l.String(), fmt.Sprintf("initial state needs %d layers, got h %d and c %d", l.Layers, len(init.H), len(init.C)), s)
		}
		for i := range init.H {
			for _, st := range []*tensor.Tensor{init.H[i], init.C[i]} {
				if ss := st.Shape(); len(ss) != 2 || ss[0] != b || ss[1] != hd {
					panicShape(l.String(), fmt.Sprintf("initial state of layer %d must be [%d, %d]", i, b, hd), s, ss)
				}
			}
		}
	}
	final := &LSTMState{}
	in := x
	for k := 0; k < l.Layers; k++ {
		var h, c *tensor.Tensor
		if init != nil {
			h, c = init.H[k], init.C[k]
		} else {
			h, c = tensor.Zeros(b, hd), tensor.Zeros(b, hd)
		}
		// The input projection of all time steps is one matrix product.
		xw := tensor.MatMulT(in, l.WeightIH[k], false, true).Add(l.BiasIH[k].Add(l.BiasHH[k]))
		outs := make([]*tensor.Tensor, t)
		for step := 0; step < t; step++ {
			g := xw.Narrow(1, step, 1).Reshape(b, 4*hd).Add(tensor.MatMulT(h, l.WeightHH[k], false, true))
			ig := g.Narrow(1, 0, hd).Sigmoid()
			fg := g.Narrow(1, hd, hd).Sigmoid()
			gg := g.Narrow(1, 2*hd, hd).Tanh()
			og := g.Narrow(1, 3*hd, hd).Sigmoid()
			c = fg.Mul(c).Add(ig.Mul(gg))
			h = og.Mul(c.Tanh())
			outs[step] = h.Unsqueeze(1)
		}
		final.H = append(final.H, h)
		final.C = append(final.C, c)
		if t == 0 {
			in = tensor.Zeros(b, 0, hd)
			continue
		}
		in = tensor.Concat(1, outs...)
	}
	return in, final
}

// String prints the configuration.
func (l *LSTM) String() string {
	return fmt.Sprintf("LSTM(input=%d, hidden=%d, layers=%d)", l.Input, l.Hidden, l.Layers)
}
