package nn_test

import (
	"testing"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// TestMLPLearnsXOR trains a 2-8-2 MLP with Adam on the four XOR cases: a
// function no linear model can fit.
func TestMLPLearnsXOR(t *testing.T) {
	m := nn.NewMLP([]int{2, 8, 2}, nn.Tanh, tensor.NewRNG(1))
	x := tensor.FromFloat32s([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	y := []int{0, 1, 1, 0}
	opt := optim.NewAdam(optim.Groups(m.NamedParameters(), 0.05, 0), optim.DefaultAdam())
	var loss float32
	for step := 0; step < 300; step++ {
		l := tensor.CrossEntropy(m.Forward(x), y)
		loss = l.Item()
		opt.ZeroGrad()
		l.Backward()
		opt.Step()
	}
	pred := m.Forward(x).Argmax(1)
	for i := range y {
		if pred[i] != y[i] {
			t.Errorf("XOR%v: predicted %d, want %d", x.Data()[2*i:2*i+2], pred[i], y[i])
		}
	}
	if loss > 0.05 {
		t.Errorf("final loss %g, want < 0.05", loss)
	}
	t.Logf("XOR loss after 300 Adam steps: %.4g", loss)
}
