package tensor

import (
	"slices"
	"testing"
)

// TestGradHookFiresOnceWithFinalGradient checks that each hooked leaf's
// hook runs once per Backward, after every contribution to its gradient
// (w1 is used twice, once early and once late in the graph), and in
// reverse order of use: the last-used parameter first.
func TestGradHookFiresOnceWithFinalGradient(t *testing.T) {
	rng := NewRNG(3)
	x := Randn(rng, 4, 3)
	w1 := Randn(rng, 3, 3).SetRequiresGrad(true)
	w2 := Randn(rng, 3, 3).SetRequiresGrad(true)
	w3 := Randn(rng, 3, 2).SetRequiresGrad(true)
	forward := func() *Tensor {
		h := x.MatMul(w1).Tanh().MatMul(w2).Tanh().MatMul(w1).Tanh()
		return h.MatMul(w3).Sum()
	}
	// Reference gradients without hooks.
	forward().Backward()
	want := map[*Tensor][]float32{}
	for _, w := range []*Tensor{w1, w2, w3} {
		want[w] = slices.Clone(w.Grad().Float32s())
		w.ZeroGrad()
	}
	var order []string
	names := map[*Tensor]string{w1: "w1", w2: "w2", w3: "w3"}
	for _, w := range []*Tensor{w1, w2, w3} {
		w.SetGradHook(func(p *Tensor) {
			order = append(order, names[p])
			if !slices.Equal(p.Grad().Float32s(), want[p]) {
				t.Errorf("%s: hook saw gradient %v, final is %v", names[p], p.Grad().Float32s(), want[p])
			}
		})
	}
	forward().Backward()
	if got := []string{"w3", "w2", "w1"}; !slices.Equal(order, got) {
		t.Errorf("hooks ran in order %v, want %v", order, got)
	}
	// A second pass fires again; a removed hook does not.
	order = nil
	w2.SetGradHook(nil)
	for _, w := range []*Tensor{w1, w2, w3} {
		w.ZeroGrad()
	}
	forward().Backward()
	if got := []string{"w3", "w1"}; !slices.Equal(order, got) {
		t.Errorf("second pass: hooks ran in order %v, want %v", order, got)
	}
}

// TestGradHookUnreachedLeaf checks that a hooked leaf outside the graph is
// not called, and that a non-leaf refuses a hook.
func TestGradHookUnreachedLeaf(t *testing.T) {
	a := Ones(2).SetRequiresGrad(true)
	b := Ones(2).SetRequiresGrad(true)
	called := false
	b.SetGradHook(func(*Tensor) { called = true })
	a.Mul(a).Sum().Backward()
	if called {
		t.Error("hook of a leaf the graph does not reach was called")
	}
	defer func() {
		if _, ok := recover().(*ValueError); !ok {
			t.Error("SetGradHook on a non-leaf did not panic with a *ValueError")
		}
	}()
	a.Mul(a).SetGradHook(func(*Tensor) {})
}

// TestGradHookNoHooksNoAllocs checks that a pass without hooks allocates
// no more than before hooks existed (leafHooks allocates nothing then).
func TestGradHookNoHooksNoAllocs(t *testing.T) {
	order := []*Tensor{Ones(2)}
	if n := testing.AllocsPerRun(10, func() { _ = leafHooks(order) }); n != 0 {
		t.Errorf("leafHooks without hooks: %v allocs", n)
	}
}
