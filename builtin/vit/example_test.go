package vit_test

import (
	"fmt"

	"github.com/pretrain-go/pretrain/builtin/vit"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Encode a batch of images into patch states.
func Example() {
	m, err := vit.New(vit.Small(), tensor.NewRNG(1))
	if err != nil {
		panic(err)
	}
	set := data.SyntheticImages(8, 28, 10, 1)
	b := (&data.ImageCollator{Set: set, Mean: 0.5, Std: 0.5}).Images([]int{0, 1, 2, 3}, nil)
	b.Scope = tensor.NewScope().NoGrad()
	fmt.Println(b)
	fmt.Println(m.Encode(b).Shape(), m.Pooled(b).Shape())
	// Output:
	// Batch{size=4 epoch=0 step=0 row_labels[4,1] images[4,1,28,28]}
	// [4 16 96] [4 96]
}
