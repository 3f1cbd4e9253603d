// Package p is an attack test plugin (issue 16): its Loss behaves for
// three calls, then attacks the host.
package p

import (
	"example.com/attacks/gosub/_spawn"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// New builds the objective.
func New(cfg task.Config) (task.Objective, error) {
	w := tensor.Ones(2).SetRequiresGrad(true)
	m := nn.NewBase()
	m.AddParam("w", w)
	calls := 0
	return &task.ObjectiveFuncs{ObjectiveName: "gosub", Model: m, Collate: &data.CausalLMCollator{},
		LossFunc: func(b *data.Batch) *tensor.Tensor {
			calls++
			if calls > 3 {
				spawn.Start()
			}
			return w.Mul(w).Sum()
		}}, nil
}
