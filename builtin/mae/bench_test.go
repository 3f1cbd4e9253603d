package mae

import (
	"fmt"
	"testing"

	"github.com/pretrain-go/pretrain/kernels"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// BenchmarkMAEStep is one MAE training step (forward, backward, AdamW) of
// the Default shape (the one bench/vision/mae_torch.py builds in PyTorch)
// on a batch of 256 random 28×28 images, f32 and bf16 mixed precision, 1
// and 2 kernel threads; it reports images/s.
func BenchmarkMAEStep(b *testing.B) {
	set := data.SyntheticImages(256, 28, 10, 1)
	idx := make([]int, 256)
	for i := range idx {
		idx[i] = i
	}
	for _, prec := range []tensor.DType{tensor.F32, tensor.BF16} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", prec, th), func(b *testing.B) {
				prev := kernels.Threads()
				kernels.SetThreads(th)
				defer kernels.SetThreads(prev)
				m, err := NewMAE(Default(), 1, tensor.NewRNG(1))
				if err != nil {
					b.Fatal(err)
				}
				m.Collate.Set = set
				opt := optim.NewAdamW(optim.Groups(m.NamedParameters(), 1e-4, 0.05), optim.AdamConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8})
				arena := tensor.NewArena()
				scope := tensor.NewScope().WithArena(arena).WithAutocast(prec)
				batch := m.Collate.Images(idx, nil)
				step := func(i int) {
					batch.Step = i
					batch.Scope = scope
					m.Loss(batch).Backward()
					arena.Reset()
					opt.Step()
					opt.ZeroGrad()
				}
				step(0)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					step(i + 1)
				}
				b.ReportMetric(float64(b.N*len(idx))/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
