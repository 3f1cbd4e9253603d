package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each optimizer step; step counts
// from 0 (the first update). Apply it with SetLR(opt, sched.LR(step))
// before each Step.
type Schedule interface {
	LR(step int) float32
	String() string
}

type constant struct{ lr float32 }

// Constant returns a schedule that always gives lr.
func Constant(lr float32) Schedule {
	if lr < 0 || lr != lr {
		panicConfig("Constant", "learning rate must be >= 0, got %v", lr)
	}
	return constant{lr}
}

// LR returns the constant rate.
func (c constant) LR(int) float32 { return c.lr }

// String prints the rate.
func (c constant) String() string { return fmt.Sprintf("Constant(lr=%g)", c.lr) }

type warmupDecay struct {
	peak, final   float32
	warmup, total int
	cosine        bool
}

// WarmupLinear returns a schedule that rises linearly over warmup steps to
// peak (peak·(step+1)/warmup, so the first step is not wasted), then falls
// linearly to final at step total, and stays at final after.
func WarmupLinear(peak float32, warmup, total int, final float32) Schedule {
	return newWarmupDecay("WarmupLinear", peak, warmup, total, final, false)
}

// WarmupCosine is WarmupLinear with a half-cosine decay from peak to
// final.
func WarmupCosine(peak float32, warmup, total int, final float32) Schedule {
	return newWarmupDecay("WarmupCosine", peak, warmup, total, final, true)
}

func newWarmupDecay(op string, peak float32, warmup, total int, final float32, cosine bool) Schedule {
	if peak < 0 || final < 0 || peak != peak || final != final {
		panicConfig(op, "learning rates must be >= 0, got peak %v and final %v", peak, final)
	}
	if warmup < 0 || total < warmup {
		panicConfig(op, "need 0 <= warmup <= total, got warmup %d and total %d", warmup, total)
	}
	return warmupDecay{peak: peak, final: final, warmup: warmup, total: total, cosine: cosine}
}

// LR returns the rate of step (from 0).
func (w warmupDecay) LR(step int) float32 {
	if step < w.warmup {
		return w.peak * float32(step+1) / float32(w.warmup)
	}
	if step >= w.total {
		return w.final
	}
	p := float64(step-w.warmup) / float64(w.total-w.warmup)
	if w.cosine {
		return w.final + (w.peak-w.final)*float32(0.5*(1+math.Cos(math.Pi*p)))
	}
	return w.peak + (w.final-w.peak)*float32(p)
}

// String prints the schedule's parameters.
func (w warmupDecay) String() string {
	name := "WarmupLinear"
	if w.cosine {
		name = "WarmupCosine"
	}
	return fmt.Sprintf("%s(peak=%g, warmup=%d, total=%d, final=%g)", name, w.peak, w.warmup, w.total, w.final)
}
