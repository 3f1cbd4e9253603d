// Package p is a sandbox test plugin.
package p

import (
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func loss(w *tensor.Tensor) *tensor.Tensor { return w.Mul(w).Sum() }

// New builds the objective.
func New(cfg task.Config) (task.Objective, error) {
	w := tensor.Ones(2).SetRequiresGrad(true)
	m := nn.NewBase()
	m.AddParam("w", w)
	go func() { panic("boom") }()
	return &task.ObjectiveFuncs{ObjectiveName: "spawns", Model: m, Collate: &data.CausalLMCollator{},
		LossFunc: func(b *data.Batch) *tensor.Tensor {
			return loss(w)
		}}, nil
}
