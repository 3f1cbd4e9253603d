package nn_test

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func ExampleNewLinear() {
	l := nn.NewLinear(5, 4, true, tensor.NewRNG(1))
	y := l.Forward(tensor.Zeros(2, 3, 5))
	fmt.Println(l)
	fmt.Println(y.Shape(), l.NumParams())
	// Output:
	// Linear(in=5, out=4, bias=true)
	// [2 3 4] 24
}

func ExampleNewTransformerBlock() {
	blk := nn.NewTransformerBlock(nn.BlockConfig{Embed: 8, Heads: 2, Causal: true}, tensor.NewRNG(1))
	for _, p := range blk.NamedParameters()[:6] {
		fmt.Println(p)
	}
	// Output:
	// ln1.weight [8] f32
	// ln1.bias [8] f32
	// attn.qkv.weight [24,8] f32
	// attn.qkv.bias [24] f32
	// attn.proj.weight [8,8] f32
	// attn.proj.bias [8] f32
}

func ExampleBase_LoadStateDict() {
	l := nn.NewLinear(3, 2, true, tensor.NewRNG(1))
	err := l.LoadStateDict(map[string]*tensor.Tensor{"weight": tensor.Zeros(3, 2)})
	fmt.Println(err)
	// Output:
	// nn.LoadStateDict: missing keys bias; shape of weight: want [2,3], got [3,2]
}
