package mae_test

import (
	"fmt"

	"github.com/pretrain-go/pretrain/builtin/mae"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// The "mae" objective from the registry, one loss on synthetic images.
func Example() {
	obj, err := task.NewObjective("mae", task.Config{Seed: 1, Options: map[string]string{"dim": "32", "layers": "2", "heads": "2"}})
	if err != nil {
		panic(err)
	}
	m := obj.(*mae.MAE)
	m.Collate.Set = data.SyntheticImages(16, 28, 10, 1)
	b, err := m.Collator().Collate([][]int{{0}, {1}, {2}, {3}}, data.NewRNG(1))
	if err != nil {
		panic(err)
	}
	b.Scope = tensor.NewScope()
	loss := m.Loss(b)
	fmt.Println(m.Visible(), "of", m.Config.Encoder.NumPatches(), "patches visible; loss is a scalar:", len(loss.Shape()) == 0)
	// Output: 4 of 16 patches visible; loss is a scalar: true
}

// The "image-dae" objective from the registry: noisy images in, every
// clean patch reconstructed.
func ExampleDAE() {
	obj, err := task.NewObjective("image-dae", task.Config{Seed: 1, Options: map[string]string{"dim": "32", "layers": "2", "heads": "2", "noise": "0.3"}})
	if err != nil {
		panic(err)
	}
	m := obj.(*mae.DAE)
	m.Collate.Set = data.SyntheticImages(16, 28, 10, 1)
	b := m.Collate.Images([]int{0, 1, 2, 3}, nil)
	b.Scope = tensor.NewScope()
	pred, target := m.Reconstruct(b, m.NoiseFor(b))
	fmt.Println(obj.Name(), "noise", m.Noise, "predicts", pred.Shape(), "against clean", target.Shape())
	// Output: image-dae noise 0.3 predicts [4 16 49] against clean [4 16 49]
}
