package tensor_test

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Gradients of a small expression, as in PyTorch.
func Example() {
	x := tensor.FromFloat32s([]float32{1, 2, 3}).SetRequiresGrad(true)
	y := x.Mul(x).Sum() // y = Σ x²
	y.Backward()
	fmt.Println(y.Item())
	fmt.Println(x.Grad())
	// Output:
	// 14
	// tensor([2.0000, 4.0000, 6.0000], shape=[3], dtype=f32)
}

// Shape errors name the operation and the shapes.
func ExampleShapeError() {
	defer func() { fmt.Println(recover()) }()
	tensor.Zeros(2, 3).MatMul(tensor.Zeros(4, 5))
	// Output:
	// tensor.MatMul: shape mismatch: [2,3] and [4,5]: inner dimensions differ (3 vs 4)
}

// An Arena recycles the buffers of a training step.
func ExampleArena() {
	rng := tensor.NewRNG(1)
	w := tensor.Randn(rng, 4, 4).SetRequiresGrad(true)
	x := tensor.Randn(rng, 2, 4)
	arena := tensor.NewArena()
	step := tensor.NewScope().WithArena(arena)
	for i := 0; i < 3; i++ {
		step.Use(x).MatMul(w).Tanh().Mean().Backward()
		arena.Reset() // every intermediate tensor of the step is recycled
	}
	fmt.Println(w.Grad().Shape())
	// Output:
	// [4 4]
}

// A Scope carries the modes of one computation: here an evaluation that
// records no gradients, running beside code that does.
func ExampleScope() {
	w := tensor.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	x := tensor.FromFloat32s([]float32{1, 1}, 1, 2)
	eval := tensor.NewScope().NoGrad()
	y := eval.Use(x).MatMul(w)
	fmt.Println(y.RequiresGrad(), y.Scope().GradEnabled())
	fmt.Println(x.MatMul(w).RequiresGrad()) // no scope: gradients recorded
	// Output:
	// false false
	// true
}

// Catch turns the SDK's misuse panics into errors at a boundary.
func ExampleCatch() {
	err := tensor.Catch(func() {
		tensor.Zeros(2, 3).MatMul(tensor.Zeros(2, 3))
	})
	fmt.Println(err)
	// Output: tensor.MatMul: shape mismatch: [2,3] and [2,3]: inner dimensions differ (3 vs 2)
}
