// Package p is an attack test plugin (issue 16): its Loss behaves for
// three calls, then attacks the host.
package p

import (
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// bomb allocates 32 GB with a raw make, which no SDK budget can see.
func bomb() float32 {
	b := make([]float32, 1<<33)
	b[len(b)-1] = 1
	return b[len(b)-1]
}

// New builds the objective.
func New(cfg task.Config) (task.Objective, error) {
	w := tensor.Ones(2).SetRequiresGrad(true)
	m := nn.NewBase()
	m.AddParam("w", w)
	calls := 0
	return &task.ObjectiveFuncs{ObjectiveName: "membomb", Model: m, Collate: &data.CausalLMCollator{},
		LossFunc: func(b *data.Batch) *tensor.Tensor {
			calls++
			if calls > 3 {
				w.Data()[0] = bomb()
			}
			return w.Mul(w).Sum()
		}}, nil
}
