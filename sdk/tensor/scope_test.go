package tensor

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScopeRules(t *testing.T) {
	w := rnd(1, 3, 4).SetRequiresGrad(true)
	x := rnd(2, 2, 3)
	ar := NewArena()
	s := NewScope().WithArena(ar)

	// Results take the scope of their first input that has one, through
	// every kind of op, and record gradients under a grad scope.
	y := s.Use(x).MatMul(w).Tanh().Reshape(8).Narrow(0, 1, 4)
	assert.Same(t, s, y.Scope())
	assert.True(t, y.RequiresGrad())
	assert.Same(t, s, w.MatMul(rnd(3, 4, 2)).Add(s.Use(rnd(4, 3, 2))).Scope(), "a later scoped input decides")
	assert.Nil(t, x.MatMul(w).Scope(), "constructors belong to no scope")
	assert.Positive(t, ar.Bytes(), "the outputs came from the scope's arena")

	// Use keeps the leaf: gradients reach w through a scoped view of it.
	loss := s.Use(w).Sum()
	loss.Backward()
	assert.Equal(t, []float32{1, 1, 1, 1}, w.Grad().Float32s()[:4])

	// Derived scopes are copies; the original is unchanged.
	ng := s.NoGrad()
	assert.False(t, ng.GradEnabled())
	assert.True(t, s.GradEnabled())
	assert.Same(t, ar, ng.Arena())
	assert.True(t, ng.WithGrad().GradEnabled())
	assert.False(t, ng.Use(x).MatMul(w).RequiresGrad())
	bf := s.WithAutocast(BF16)
	assert.Equal(t, BF16, bf.Autocast())
	assert.Equal(t, F32, s.Autocast())
	assert.Equal(t, "Scope(grad=false, autocast=bf16, heap)", NewScope().NoGrad().WithAutocast(BF16).String())
	var none *Scope
	assert.True(t, none.GradEnabled())
	assert.Nil(t, none.Arena())

	err := mustPanicValue(t, func() { s.WithAutocast(DType(7)) })
	assert.Contains(t, err.Error(), "Scope.WithAutocast")

	// The embedding entry point.
	e := ng.Embedding(w, []int{2, 0}, 1, 2)
	assert.Equal(t, []int{1, 2, 4}, e.Shape())
	assert.False(t, e.RequiresGrad())
	assert.Same(t, ng, e.Scope())
}

func mustPanicValue(t *testing.T, fn func()) (err error) {
	t.Helper()
	defer func() {
		r := recover()
		require.NotNil(t, r, "no panic")
		err = r.(error)
	}()
	fn()
	return nil
}

// TestScopesInGoroutines runs an arena training loop and a NoGrad
// evaluation loop in two goroutines and compares with running them one
// after the other, bit for bit.
func TestScopesInGoroutines(t *testing.T) {
	train := func() []float32 {
		w := rnd(5, 16, 16).SetRequiresGrad(true)
		x := rnd(6, 8, 16)
		ar := NewArena()
		s := NewScope().WithArena(ar).WithAutocast(BF16)
		for i := 0; i < 20; i++ {
			s.Use(x).MatMul(w).GELU().Mean().Backward()
			ar.Reset()
			w.CopyFrom(w.Detach().Sub(w.Grad().MulScalar(0.1)))
			w.ZeroGrad()
		}
		return w.Float32s()
	}
	eval := func() []float32 {
		w := rnd(7, 16, 16)
		s := NewScope().NoGrad().WithArena(NewArena())
		var out []float32
		for i := 0; i < 20; i++ {
			y := s.Use(rnd(uint64(i), 4, 16)).MatMul(w).Softmax(-1)
			require.False(t, y.RequiresGrad())
			out = append(out, y.Float32s()...)
			s.Arena().Reset()
		}
		return out
	}
	wantTrain, wantEval := train(), eval()
	var gotTrain, gotEval []float32
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); gotTrain = train() }()
	go func() { defer wg.Done(); gotEval = eval() }()
	wg.Wait()
	assert.Equal(t, wantTrain, gotTrain)
	assert.Equal(t, wantEval, gotEval)
}
