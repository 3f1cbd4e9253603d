package optim_test

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// A training loop: AdamW with biases and norm gains left undecayed, a
// warmup-cosine schedule and gradient clipping.
func Example() {
	m := nn.NewMLP([]int{2, 16, 2}, nn.Tanh, tensor.NewRNG(1))
	x := tensor.FromFloat32s([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	y := []int{0, 1, 1, 0}
	groups := optim.SplitDecay(m.NamedParameters(), 0.05, 0.01)
	opt := optim.NewAdamW(groups, optim.DefaultAdam())
	sched := optim.WarmupCosine(0.05, 10, 200, 0.005)
	fmt.Println(opt)
	fmt.Println(groups[1])
	fmt.Println(sched)
	for step := 0; step < 200; step++ {
		optim.SetLR(opt, sched.LR(step))
		opt.ZeroGrad()
		tensor.CrossEntropy(m.Forward(x), y).Backward()
		optim.ClipGradNorm(m.Parameters(), 1)
		opt.Step()
	}
	fmt.Println(m.Forward(x).Argmax(1))
	// Output:
	// AdamW(betas=(0.9, 0.999), eps=1e-08, 2 groups, 4 tensors)
	// Group(no_decay: 2 tensors, 18 params, lr=0.05, weight_decay=0)
	// WarmupCosine(peak=0.05, warmup=10, total=200, final=0.005)
	// [0 1 1 0]
}
