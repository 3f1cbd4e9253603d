// Package p is a test plugin with a vendored dependency, a subpackage and
// a collator defined in interpreted code.
package p

import (
	"errors"

	"example.com/mathx"
	"example.com/sandbox/vendored/internal/scale"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// collator pads rows; an empty row makes it panic, a nil rng fail.
type collator struct{}

func (collator) Collate(seqs [][]int, rng *data.RNG) (*data.Batch, error) {
	if rng == nil {
		return nil, errors.New("no rng")
	}
	_ = seqs[0][0]
	return data.PadBatch(seqs, 0, 0), nil
}

// New builds the objective.
func New(cfg task.Config) (task.Objective, error) {
	w := tensor.Ones(2).SetRequiresGrad(true)
	m := nn.NewBase()
	m.AddParam("w", w)
	k := mathx.Square(2) * scale.Factor() // 4 * 9
	obj := &task.ObjectiveFuncs{ObjectiveName: "vendored", Model: m,
		LossFunc: func(b *data.Batch) *tensor.Tensor { return w.Sum().MulScalar(k) }}
	// A script type goes into an SDK interface field by assignment, not in
	// the composite literal (yaegi limitation; see docs/scripting.md).
	obj.Collate = collator{}
	return obj, nil
}
