package plugins

import (
	"context"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/plugins/examples/neighbormlm"
	"github.com/pretrain-go/pretrain/plugins/internal/plugintest"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
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
	batches := collate(b, obj)
	opt := optim.NewAdam(optim.Groups(obj.Module().NamedParameters(), 1e-3, 0), optim.DefaultAdam())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		loss := obj.Loss(batches[i%len(batches)])
		loss.Backward()
		opt.Step()
		opt.ZeroGrad()
	}
	// CPU time per step is steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkLossOverhead isolates the interpreter's cost per step: the
// forward loss (no tape) of the compiled objective, of the interpreted one
// called directly, and of the interpreted one through the plugin guard,
// rotated call by call so that all three see the same machine load. It
// reports the median and the 10th percentile of each; the differences are
// the per-step overhead of interpretation and of the guard.
//
//	go test -run '^$' -bench LossOverhead -benchtime 3000x ./plugins/
func BenchmarkLossOverhead(b *testing.B) {
	cfg := plugintest.Config(1)
	native, err := neighbormlm.NewObjective(cfg)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Load("examples/neighbormlm", Options{})
	if err != nil {
		b.Fatal(err)
	}
	guarded, err := p.NewObjective("neighbor-mlm", cfg)
	if err != nil {
		b.Fatal(err)
	}
	direct := guarded.(*objective).inner
	batch := collate(b, native)[0]
	batch.Scope = tensor.NewScope().NoGrad()
	calls := []func(){func() { native.Loss(batch) }, func() { direct.Loss(batch) }, func() { guarded.Loss(batch) }}
	var d [3][]float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range calls {
			j := (i + k) % len(calls)
			t0 := time.Now()
			calls[j]()
			d[j] = append(d[j], float64(time.Since(t0)))
		}
	}
	for j, name := range []string{"compiled", "interpreted", "guarded"} {
		sort.Float64s(d[j])
		b.ReportMetric(d[j][len(d[j])/2], name+"-median-ns")
		b.ReportMetric(d[j][len(d[j])/10], name+"-p10-ns")
	}
}

// BenchmarkStepAB runs the compiled and the interpreted objective in
// alternation, step by step (ABBA order), so that both see the same load
// on a shared machine; it reports each one's time per step and their
// ratio (interpreted/compiled), from the sums and as the median of the
// per-pair ratios. This is the figure for the acceptance (≤ 1.03).
//
//	go test -run '^$' -bench StepAB -benchtime 400x ./plugins/
func BenchmarkStepAB(b *testing.B) {
	cfg := plugintest.Config(1)
	native, err := neighbormlm.NewObjective(cfg)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Load("examples/neighbormlm", Options{})
	if err != nil {
		b.Fatal(err)
	}
	interp, err := p.NewObjective("neighbor-mlm", cfg)
	if err != nil {
		b.Fatal(err)
	}
	batches := collate(b, native)
	type side struct {
		obj task.Objective
		opt optim.Optimizer
		sum time.Duration
	}
	sides := [2]*side{{obj: native}, {obj: interp}}
	for _, s := range sides {
		s.opt = optim.NewAdam(optim.Groups(s.obj.Module().NamedParameters(), 1e-3, 0), optim.DefaultAdam())
	}
	step := func(s *side, batch *data.Batch) time.Duration {
		t0 := time.Now()
		loss := s.obj.Loss(batch)
		loss.Backward()
		s.opt.Step()
		s.opt.ZeroGrad()
		d := time.Since(t0)
		s.sum += d
		return d
	}
	var ratios []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch := batches[i%len(batches)]
		var dc, di time.Duration
		if i%2 == 0 {
			dc = step(sides[0], batch)
			di = step(sides[1], batch)
		} else {
			di = step(sides[1], batch)
			dc = step(sides[0], batch)
		}
		ratios = append(ratios, float64(di)/float64(dc))
	}
	sort.Float64s(ratios)
	b.ReportMetric(float64(sides[0].sum.Nanoseconds())/float64(b.N), "compiled-ns/step")
	b.ReportMetric(float64(sides[1].sum.Nanoseconds())/float64(b.N), "interpreted-ns/step")
	b.ReportMetric(float64(sides[1].sum)/float64(sides[0].sum), "ratio-of-sums")
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
}

// collate prepares 16 batches of the objective's collator.
func collate(b *testing.B, obj task.Objective) []*data.Batch {
	l, err := data.NewLoader(context.Background(), plugintest.Loader(obj, 32, 1))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var batches []*data.Batch
	for len(batches) < 16 {
		batch, err := l.Next()
		if err != nil {
			b.Fatal(err)
		}
		batches = append(batches, batch)
	}
	return batches
}

// BenchmarkGuardPerCall is the whole cost the plugin guard adds to one
// call, with nothing inside it: the adaptive timeout (median of recent call
// times), its timer, panic recovery and the isolation bookkeeping
// (isolate.Enter/Leave; their cost inside a child is BenchmarkEnterLeave
// in repl/isolate). Compare with one training step (BenchmarkStepAB here,
// BenchmarkTrainStep in builtin/gpt).
//
//	go test -run '^$' -bench GuardPerCall ./plugins/
func BenchmarkGuardPerCall(b *testing.B) {
	p, err := Load("examples/neighbormlm", Options{})
	if err != nil {
		b.Fatal(err)
	}
	gen := p.gen
	for i := 0; i < b.N; i++ {
		if err := p.call(gen, "Loss", func() {}); err != nil {
			b.Fatal(err)
		}
	}
}
