package repl

import (
	"fmt"
	"reflect"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// MemoryError is what an SDK constructor called by interpreted code panics
// with when the allocation would take the interpreter past its memory
// budget (Policy.MemoryLimit). The boundary that recovers it (Eval, Call,
// a plugin call) reports it with the script position.
type MemoryError struct {
	Op    string // the constructor, e.g. "tensor.Zeros"
	Shape []int  // the requested shape
	Bytes int64  // bytes the call asked for
	Used  int64  // bytes held by live tensors made through the budget
	Limit int64  // Policy.MemoryLimit
}

// Error names the constructor, the size and the budget.
func (e *MemoryError) Error() string {
	return fmt.Sprintf("%s%v: allocating %s would exceed the memory budget of %s (%s in use)",
		e.Op, e.Shape, formatBytes(e.Bytes), formatBytes(e.Limit), formatBytes(e.Used))
}

// formatBytes prints a byte count in MB (or GB from 10 GB up).
func formatBytes(n int64) string {
	if n >= 10<<30 {
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// budget counts the bytes of live tensors that interpreted code made
// through the SDK constructors. A tensor's bytes are given back when the
// garbage collector frees it (runtime.AddCleanup), so the count follows
// what is live, with the collector's delay; a refusal first forces a
// collection to be sure.
type budget struct {
	limit int64
	used  atomic.Int64
}

// reserve admits an allocation of elems float32 values, returning its
// bytes, or panics with a *MemoryError.
func (b *budget) reserve(op string, shape []int, elems float64) int64 {
	bytes := elems * 4
	if bytes > float64(b.limit) {
		panic(&MemoryError{Op: op, Shape: shape, Bytes: clampBytes(bytes), Used: b.used.Load(), Limit: b.limit})
	}
	n := int64(bytes)
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		// Tensors that are garbage may still be counted: collect, give the
		// cleanups a moment to run, and try once more.
		runtime.GC()
		for i := 0; i < 10 && b.used.Load()+n > b.limit; i++ {
			time.Sleep(time.Millisecond)
		}
		if b.used.Add(n) > b.limit {
			b.used.Add(-n)
			panic(&MemoryError{Op: op, Shape: shape, Bytes: n, Used: b.used.Load(), Limit: b.limit})
		}
	}
	return n
}

func clampBytes(f float64) int64 {
	if f > 1<<62 {
		return 1 << 62
	}
	return int64(f)
}

// track charges t to the budget until it is collected.
func (b *budget) track(t *tensor.Tensor, n int64) *tensor.Tensor {
	if t == nil || n == 0 {
		b.used.Add(-n)
		return t
	}
	runtime.AddCleanup(t, func(n int64) { b.used.Add(-n) }, n)
	return t
}

// elems is the element count of shape as a float64 (no overflow).
func elems(shape []int) float64 {
	n := 1.0
	for _, d := range shape {
		if d < 0 {
			return 0 // the constructor reports the bad shape
		}
		n *= float64(d)
	}
	return n
}

// wrap replaces the allocating constructors of the tensor and nn tables
// with versions that charge the budget.
func (b *budget) wrap(out map[string]map[string]reflect.Value) {
	const tp, np = "github.com/pretrain-go/pretrain/sdk/tensor/tensor", "github.com/pretrain-go/pretrain/sdk/nn/nn"
	t := copyTable(out[tp])
	t["Zeros"] = reflect.ValueOf(func(shape ...int) *tensor.Tensor {
		n := b.reserve("tensor.Zeros", shape, elems(shape))
		return b.track(tensor.Zeros(shape...), n)
	})
	t["Ones"] = reflect.ValueOf(func(shape ...int) *tensor.Tensor {
		n := b.reserve("tensor.Ones", shape, elems(shape))
		return b.track(tensor.Ones(shape...), n)
	})
	t["Full"] = reflect.ValueOf(func(v float32, shape ...int) *tensor.Tensor {
		n := b.reserve("tensor.Full", shape, elems(shape))
		return b.track(tensor.Full(v, shape...), n)
	})
	t["Randn"] = reflect.ValueOf(func(rng *tensor.RNG, shape ...int) *tensor.Tensor {
		n := b.reserve("tensor.Randn", shape, elems(shape))
		return b.track(tensor.Randn(rng, shape...), n)
	})
	t["Uniform"] = reflect.ValueOf(func(rng *tensor.RNG, lo, hi float32, shape ...int) *tensor.Tensor {
		n := b.reserve("tensor.Uniform", shape, elems(shape))
		return b.track(tensor.Uniform(rng, lo, hi, shape...), n)
	})
	t["FromFloat32s"] = reflect.ValueOf(func(data []float32, shape ...int) *tensor.Tensor {
		n := b.reserve("tensor.FromFloat32s", shape, float64(len(data)))
		return b.track(tensor.FromFloat32s(data, shape...), n)
	})
	t["FromInts"] = reflect.ValueOf(func(data []int, shape ...int) *tensor.Tensor {
		n := b.reserve("tensor.FromInts", shape, float64(len(data)))
		return b.track(tensor.FromInts(data, shape...), n)
	})
	t["Arange"] = reflect.ValueOf(func(start, end, step float32) *tensor.Tensor {
		e := 0.0
		if step != 0 {
			e = float64((end - start) / step)
		}
		if e < 0 || e != e {
			e = 0
		}
		n := b.reserve("tensor.Arange", []int{clampInt(e)}, e)
		return b.track(tensor.Arange(start, end, step), n)
	})
	out[tp] = t
	nt := copyTable(out[np])
	nt["NewLinear"] = reflect.ValueOf(func(in, o int, bias bool, rng *tensor.RNG) *nn.Linear {
		n := b.reserve("nn.NewLinear", []int{in, o}, elems([]int{in, o})+elems([]int{o}))
		l := nn.NewLinear(in, o, bias, rng)
		runtime.AddCleanup(l, func(n int64) { b.used.Add(-n) }, n)
		return l
	})
	nt["NewEmbedding"] = reflect.ValueOf(func(num, dim int, rng *tensor.RNG) *nn.Embedding {
		n := b.reserve("nn.NewEmbedding", []int{num, dim}, elems([]int{num, dim}))
		e := nn.NewEmbedding(num, dim, rng)
		runtime.AddCleanup(e, func(n int64) { b.used.Add(-n) }, n)
		return e
	})
	out[np] = nt
}

func clampInt(f float64) int {
	if f > 1<<62 {
		return 1 << 62
	}
	return int(f)
}

func copyTable(m map[string]reflect.Value) map[string]reflect.Value {
	c := make(map[string]reflect.Value, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
