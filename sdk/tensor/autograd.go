package tensor

import "github.com/pretrain-go/pretrain/kernels"

// node records how an operation's output propagates its gradient.
type node struct {
	op       string
	inputs   []*Tensor
	backward func(g []float32) // g: gradient of the output, len Numel
}

// RequiresGrad reports whether gradients flow to or through t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf tensor as needing a gradient and returns it.
// It panics with a *ValueError on a tensor produced by a recorded operation.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.node != nil {
		panicValue("SetRequiresGrad", "only leaf tensors can change requires-grad; use Detach first")
	}
	t.requiresGrad = on
	return t
}

// Grad returns the gradient accumulated by Backward (an F32 tensor of t's
// shape), or nil if none has been computed.
func (t *Tensor) Grad() *Tensor { return t.grad }

// ZeroGrad discards the accumulated gradient.
func (t *Tensor) ZeroGrad() {
	if t.grad != nil {
		clear(t.grad.data)
	}
}

// SetGrad replaces the accumulated gradient (nil clears it); it is for
// optimizers, tests and gradient all-reduce.
func (t *Tensor) SetGrad(g *Tensor) {
	if g != nil && !sameShape(g.shape, t.shape) {
		panicShape("SetGrad", "gradient shape differs from tensor shape", t.shape, g.shape)
	}
	t.grad = g
}

// IsLeaf reports whether t was created by the user rather than by a
// recorded operation.
func (t *Tensor) IsLeaf() bool { return t.node == nil }

// Op names the operation that produced t ("" for a leaf).
func (t *Tensor) Op() string {
	if t.node == nil {
		return ""
	}
	return t.node.op
}

// Detach returns a tensor sharing t's storage (and scope) that is cut from
// the graph.
func (t *Tensor) Detach() *Tensor {
	return &Tensor{shape: t.shape, dtype: t.dtype, data: t.data, bf: t.bf, scope: t.scope}
}

// record attaches a backward function to out if out's scope records
// gradients and any input requires one. It returns out for chaining.
func record(out *Tensor, op string, backward func(g []float32), inputs ...*Tensor) *Tensor {
	if !out.scope.GradEnabled() {
		return out
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			out.requiresGrad = true
			out.node = &node{op: op, inputs: inputs, backward: backward}
			return out
		}
	}
	return out
}

// gradSlot returns the buffer that the gradient flowing into t is added to,
// or nil when t needs none. Leaves accumulate into Grad(); intermediate
// tensors into a buffer released at the end of Backward.
func (t *Tensor) gradSlot() []float32 {
	if t == nil || !t.requiresGrad {
		return nil
	}
	if t.node == nil {
		if t.grad == nil {
			t.grad = Zeros(t.shape...)
		}
		return t.grad.data
	}
	if t.gbuf == nil {
		t.gbuf = t.scope.alloc(t.Numel())
	}
	return t.gbuf
}

// gradDst returns the buffer for t's gradient together with the beta to
// apply to its current contents: 0 when the buffer is new and holds garbage
// (the caller must then write every element), 1 when gradients already
// accumulated there must be added to. It saves zeroing a buffer that a
// product or a row kernel is about to overwrite. It returns nil when t needs
// no gradient.
func (t *Tensor) gradDst() ([]float32, float32) {
	if t == nil || !t.requiresGrad {
		return nil, 0
	}
	if t.node == nil {
		if t.grad == nil {
			t.grad = Zeros(t.shape...)
			return t.grad.data, 0
		}
		return t.grad.data, 1
	}
	if t.gbuf == nil {
		t.gbuf = t.scope.allocRaw(t.Numel())
		return t.gbuf, 0
	}
	return t.gbuf, 1
}

// passGrad adds g, an output gradient no longer needed by its owner, into
// t's gradient. An intermediate tensor without a gradient yet takes g itself
// instead of a zeroed copy, which saves a buffer and a pass for ops such as
// Reshape and Add whose input gradient equals the output gradient. Each g
// may be passed to at most one tensor this way.
func passGrad(t *Tensor, g []float32) {
	if t == nil || !t.requiresGrad {
		return
	}
	if t.node != nil && t.gbuf == nil {
		t.gbuf = g
		return
	}
	dx := t.gradSlot()
	kernels.Add(dx, dx, g)
}

// copyGrad adds g into t's gradient without taking g: a fresh gradient
// buffer is written as a copy (one pass) instead of zeroed and then added
// to (two).
func copyGrad(t *Tensor, g []float32) {
	if da, beta := t.gradDst(); da != nil {
		if beta == 0 {
			copy(da, g)
		} else {
			kernels.Add(da, da, g)
		}
	}
}

// Backward computes the gradient of the scalar t with respect to every leaf
// that requires one, adding it to their Grad(). The graph is released
// afterwards, so Backward can run once per forward pass.
func (t *Tensor) Backward() {
	if t.Numel() != 1 {
		panicShape("Backward", "Backward needs a scalar (one element); reduce with Sum or Mean first", t.shape)
	}
	if !t.requiresGrad {
		panicValue("Backward", "the tensor does not require a gradient: no input had SetRequiresGrad(true), or it was computed under a NoGrad scope")
	}
	order := topoOrder(t)
	if t.node == nil { // a leaf scalar
		t.gradSlot()[0]++
		if t.hook != nil {
			t.hook(t)
		}
		return
	}
	hooks := leafHooks(order)
	g := t.gradSlot()
	g[0] = 1
	next := len(hooks) - 1
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.gbuf != nil && n.node != nil {
			n.node.backward(n.gbuf)
		}
		// Leaves whose last consumer has now run hold their final gradient.
		for ; next >= 0 && hooks[next].at >= i; next-- {
			if h := hooks[next].t; h.grad != nil {
				h.hook(h)
			}
		}
	}
	for _, n := range order {
		n.gbuf = nil
		n.node = nil
	}
}

// SetGradHook registers fn to be called during Backward as soon as the
// gradient of the leaf t is complete for that pass, while the rest of the
// graph is still being differentiated: a data-parallel trainer starts
// all-reducing a gradient there, overlapping communication with the
// remaining backward pass. fn runs on the goroutine that called Backward,
// once per Backward that reaches t, and must not start another Backward;
// it is not called for a leaf that the graph does not reach. nil removes the
// hook. It returns t; it panics with a *ValueError on a non-leaf tensor.
func (t *Tensor) SetGradHook(fn func(*Tensor)) *Tensor {
	if t.node != nil {
		panicValue("SetGradHook", "only leaf tensors have gradient hooks")
	}
	t.hook = fn
	return t
}

// hookAt is a leaf with a gradient hook and the index in the topological
// order of the last node (in backward order) that adds to its gradient.
type hookAt struct {
	at int
	t  *Tensor
}

// leafHooks returns the hooked leaves consumed by the nodes of order, in
// increasing order of their last consumer's index (Backward walks the order
// downwards, so a leaf's gradient is final once the node at that index has
// run). It allocates only when some leaf has a hook.
func leafHooks(order []*Tensor) []hookAt {
	var hooks []hookAt
	var seen map[*Tensor]bool
	for i, n := range order {
		if n.node == nil {
			continue
		}
		for _, in := range n.node.inputs {
			if in == nil || in.node != nil || in.hook == nil || !in.requiresGrad || seen[in] {
				continue
			}
			if seen == nil {
				seen = map[*Tensor]bool{}
			}
			seen[in] = true
			hooks = append(hooks, hookAt{i, in})
		}
	}
	return hooks
}

// topoOrder returns the recorded tensors reachable from root, each after
// all tensors it depends on.
func topoOrder(root *Tensor) []*Tensor {
	var order []*Tensor
	seen := map[*Tensor]bool{}
	type frame struct {
		t    *Tensor
		next int
	}
	stack := []frame{{t: root}}
	seen[root] = true
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.t.node != nil && f.next < len(f.t.node.inputs) {
			in := f.t.node.inputs[f.next]
			f.next++
			if in != nil && in.node != nil && !seen[in] {
				seen[in] = true
				stack = append(stack, frame{t: in})
			}
			continue
		}
		order = append(order, f.t)
		stack = stack[:len(stack)-1]
	}
	return order
}
