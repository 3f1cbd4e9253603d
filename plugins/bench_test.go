package plugins

import (
	"context"
	"testing"

	"github.com/pretrain-go/pretrain/plugins/examples/neighbormlm"
	"github.com/pretrain-go/pretrain/plugins/internal/plugintest"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
)

// BenchmarkStep measures one training step (loss, backward, Adam update)
// of the example objective, compiled natively and loaded as a plugin in
// the interpreter, on the same model, data and seed (acceptance: the
// interpreted/compiled step-time ratio is at most 1.03). Batches are
// collated up front, so the step is what the objective controls.
//
//	go test -run '^$' -bench Step -count 6 ./plugins/
func BenchmarkStep(b *testing.B) {
	cfg := plugintest.Config(1)
	b.Run("compiled", func(b *testing.B) {
		obj, err := neighbormlm.NewObjective(cfg)
		if err != nil {
			b.Fatal(err)
		}
		benchSteps(b, obj)
	})
	b.Run("interpreted", func(b *testing.B) {
		p, err := Load("examples/neighbormlm", Options{})
		if err != nil {
			b.Fatal(err)
		}
		obj, err := p.NewObjective("neighbor-mlm", cfg)
		if err != nil {
			b.Fatal(err)
		}
		benchSteps(b, obj)
	})
}

func benchSteps(b *testing.B, obj task.Objective) {
	l, err := data.NewLoader(context.Background(), plugintest.Loader(obj, 32, 1))
	if err != nil {
		b.Fatal(err)
	}
	var batches []*data.Batch
	for len(batches) < 16 {
		batch, err := l.Next()
		if err != nil {
			b.Fatal(err)
		}
		batches = append(batches, batch)
	}
	l.Close()
	opt := optim.NewAdam(optim.Groups(obj.Module().NamedParameters(), 1e-3, 0), optim.DefaultAdam())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loss := obj.Loss(batches[i%len(batches)])
		loss.Backward()
		opt.Step()
		opt.ZeroGrad()
	}
}

// BenchmarkLossCall isolates the interpreter's cost: a tiny model where
// the SDK ops take microseconds, so the difference between the two is the
// per-step overhead of calling into interpreted code (about ten SDK calls
// plus the plugin guard).
func BenchmarkLossCall(b *testing.B) {
	cfg := plugintest.Config(1)
	cfg.Options = map[string]string{"dim": "4", "hidden": "4"}
	batch := &data.Batch{Size: 2, SeqLen: 8, InputIDs: make([]int, 16), Labels: make([]int, 16)}
	for i := range batch.Labels {
		batch.Labels[i] = i % 3
	}
	run := func(b *testing.B, obj task.Objective) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			obj.Loss(batch)
		}
	}
	b.Run("compiled", func(b *testing.B) {
		obj, err := neighbormlm.NewObjective(cfg)
		if err != nil {
			b.Fatal(err)
		}
		run(b, obj)
	})
	b.Run("interpreted", func(b *testing.B) {
		p, err := Load("examples/neighbormlm", Options{})
		if err != nil {
			b.Fatal(err)
		}
		obj, err := p.NewObjective("neighbor-mlm", cfg)
		if err != nil {
			b.Fatal(err)
		}
		run(b, obj)
	})
}
