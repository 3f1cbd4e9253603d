package main

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func product() *tensor.Tensor {
	a := tensor.Ones(2, 3)
	b := tensor.Ones(4, 5)
	fmt.Println("about to multiply")
	return a.MatMul(b)
}

func main() {
	fmt.Println(product())
}
