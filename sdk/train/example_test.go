package train_test

import (
	"context"
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/train"
)

// A host application trains its own objective: here a bigram model that
// predicts each byte of a text from the one before it.
func Example() {
	rng := tensor.NewRNG(1)
	model := nn.NewBase()
	emb := nn.NewEmbedding(256, 256, rng) // row i: logits of the byte after i
	model.AddModule("bigram", emb)
	obj := &task.ObjectiveFuncs{
		ObjectiveName: "bigram",
		Model:         model,
		LossFunc: func(b *data.Batch) *tensor.Tensor {
			var in, next []int
			for r := 0; r < b.Size; r++ {
				row := data.Row(b.InputIDs, b.SeqLen, r)
				in, next = append(in, row[:len(row)-1]...), append(next, row[1:]...)
			}
			return tensor.CrossEntropy(emb.Forward(b.Scope, in), next)
		},
	}
	text := []string{"abababababababab", "abababababababab", "abababababababab"}
	tr := train.New(obj, optim.NewAdam(optim.Groups(model.NamedParameters(), 0.1, 0), optim.DefaultAdam()),
		data.LoaderConfig{
			Open: func(ctx context.Context, epoch int) (data.Reader, error) { return data.TextReader(text), nil },
			Encode: func(s string) []int {
				ids := make([]int, len(s))
				for i := range s {
					ids[i] = int(s[i])
				}
				return ids
			},
			BatchSize: 3,
		},
		train.Config{Steps: 100, LogEvery: 10, Seed: 1})
	first := 0.0
	tr.Config.OnStep = func(m train.Metrics) {
		if m.Step == 10 {
			first = m.Loss
		}
	}
	res, err := tr.Run(context.Background())
	// res.Loss is the mean over the last 10 steps.
	fmt.Println(res.Steps, err, first > 0.5, res.Loss < 0.1)
	// Output:
	// 100 <nil> true true
}
