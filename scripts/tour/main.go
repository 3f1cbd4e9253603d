// Command tour is a tour of tensors and autograd in the pretrain SDK.
//
//	pretrain run scripts/tour      (interpreted)
//	go run ./scripts/tour          (compiled)
package main

import (
	"errors"
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func main() {
	// Tensors are row-major float32 arrays with a shape.
	a := tensor.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	fmt.Println("a =", a)
	fmt.Println("shape", a.Shape(), "dims", a.Dims(), "numel", a.Numel())

	// Constructors and a seeded random generator.
	rng := tensor.NewRNG(42)
	w := tensor.Randn(rng, 3, 2)
	fmt.Println("w =", w)

	// Ops are methods returning new tensors; shapes broadcast as in NumPy.
	b := tensor.FromFloat32s([]float32{10, 20, 30}, 3)
	fmt.Println("a + b =", a.Add(b))
	fmt.Println("a @ w =", a.MatMul(w))
	fmt.Println("sum over rows =", a.Sum(0), "mean =", a.Mean().Item())
	fmt.Println("softmax =", a.Softmax(1))

	// Autograd: mark leaves with SetRequiresGrad, build a scalar, call
	// Backward; gradients land in Grad().
	x := tensor.FromFloat32s([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	y := x.Mul(x).Sum() // y = Σ x², dy/dx = 2x
	y.Backward()
	fmt.Println("y =", y.Item(), "dy/dx =", x.Grad())

	// A tiny linear regression by gradient descent, all in tensor ops.
	inputs := tensor.FromFloat32s([]float32{0, 1, 2, 3}, 4, 1)
	targets := tensor.FromFloat32s([]float32{1, 3, 5, 7}, 4, 1) // y = 2x + 1
	weight := tensor.Zeros(1, 1).SetRequiresGrad(true)
	bias := tensor.Zeros(1).SetRequiresGrad(true)
	var loss *tensor.Tensor
	for step := 0; step < 200; step++ {
		weight.ZeroGrad()
		bias.ZeroGrad()
		pred := inputs.MatMul(weight).Add(bias)
		loss = pred.Sub(targets).Pow(2).Mean()
		loss.Backward()
		// The update runs under a scope that records no gradients.
		noGrad := tensor.NewScope().NoGrad()
		weight.CopyFrom(noGrad.Use(weight).Sub(weight.Grad().MulScalar(0.1)))
		bias.CopyFrom(noGrad.Use(bias).Sub(bias.Grad().MulScalar(0.1)))
	}
	fmt.Printf("fit: weight %.3f bias %.3f loss %.5f\n", weight.Item(), bias.At(0), loss.Item())

	// Misuse panics with a typed error naming the op and the shapes; a
	// script can recover it, and `pretrain run` reports it with the line.
	err := catch(func() { a.MatMul(a) })
	var se *tensor.ShapeError
	fmt.Println("caught:", err, "| is ShapeError:", errors.As(err, &se))
}

// catch runs fn and returns the error it panicked with.
func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err, _ = r.(error)
		}
	}()
	fn()
	return nil
}
