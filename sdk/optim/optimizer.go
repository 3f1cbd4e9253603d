package optim

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()
	// ZeroGrad clears the gradients of all parameters.
	ZeroGrad()
	// Groups returns the parameter groups; changing a group's LR or
	// WeightDecay takes effect at the next Step.
	Groups() []*Group
	// State returns the optimizer's state as named tensors (the live
	// buffers, not copies): "<param>.step" (a float32 scalar, exact up
	// to 2^24 steps) and per-optimizer buffers such as "<param>.exp_avg".
	State() map[string]*tensor.Tensor
	// LoadState copies a state saved from State into the optimizer. It
	// returns a *StateError and changes nothing if keys or shapes differ.
	LoadState(st map[string]*tensor.Tensor) error
	// String describes the optimizer and its hyper-parameters.
	String() string
}

// slot is the state of one parameter.
type slot struct {
	name  string
	param *tensor.Tensor
	step  *tensor.Tensor   // scalar: updates applied so far
	bufs  []*tensor.Tensor // named by core.bufNames
}

// core holds what every optimizer shares: groups, per-parameter state and
// the state dictionary plumbing.
type core struct {
	groups   []*Group
	bufNames []string
	slots    [][]*slot // per group, per parameter
}

func newCore(op string, groups []*Group, bufNames ...string) core {
	c := core{groups: groups, bufNames: bufNames}
	seen := map[string]bool{}
	for _, g := range groups {
		if g.LR < 0 || g.LR != g.LR {
			panicConfig(op, "group %q: learning rate must be >= 0, got %v", g.Name, g.LR)
		}
		if g.WeightDecay < 0 || g.WeightDecay != g.WeightDecay {
			panicConfig(op, "group %q: weight decay must be >= 0, got %v", g.Name, g.WeightDecay)
		}
		var ss []*slot
		for _, p := range g.Params {
			if seen[p.Name] {
				panicConfig(op, "parameter %q appears twice", p.Name)
			}
			seen[p.Name] = true
			if p.Tensor.DType() != tensor.F32 {
				panicConfig(op, "parameter %q is %s; optimizers update F32 master weights", p.Name, p.Tensor.DType())
			}
			s := &slot{name: p.Name, param: p.Tensor, step: tensor.Scalar(0)}
			for range bufNames {
				s.bufs = append(s.bufs, tensor.Zeros(p.Tensor.Shape()...))
			}
			ss = append(ss, s)
		}
		c.slots = append(c.slots, ss)
	}
	return c
}

// Groups returns the parameter groups.
func (c *core) Groups() []*Group { return c.groups }

// ZeroGrad clears the gradients of every parameter.
func (c *core) ZeroGrad() {
	for _, g := range c.groups {
		for _, p := range g.Params {
			p.Tensor.ZeroGrad()
		}
	}
}

// each calls fn for every parameter that has a gradient, after counting
// the step; t is the parameter's new step number (1 for its first update).
func (c *core) each(fn func(g *Group, s *slot, grad []float32, t int)) {
	for gi, g := range c.groups {
		for _, s := range c.slots[gi] {
			gr := s.param.Grad()
			if gr == nil {
				continue
			}
			st := s.step.Data()
			st[0]++
			fn(g, s, gr.Data(), int(st[0]))
		}
	}
}

// State returns the live state tensors by name.
func (c *core) State() map[string]*tensor.Tensor {
	st := map[string]*tensor.Tensor{}
	for _, ss := range c.slots {
		for _, s := range ss {
			st[s.name+".step"] = s.step
			for i, b := range s.bufs {
				st[s.name+"."+c.bufNames[i]] = b
			}
		}
	}
	return st
}

// LoadState copies st into the state after checking keys and shapes.
func (c *core) LoadState(st map[string]*tensor.Tensor) error {
	mine := c.State()
	e := &StateError{}
	for k, t := range mine {
		src, ok := st[k]
		switch {
		case !ok || src == nil:
			e.Missing = append(e.Missing, k)
		case !sameShape(src.Shape(), t.Shape()):
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: want %s, got %s", k, shapeString(t.Shape()), shapeString(src.Shape())))
		}
	}
	for k := range st {
		if _, ok := mine[k]; !ok {
			e.Unexpected = append(e.Unexpected, k)
		}
	}
	if !e.empty() {
		e.sort()
		return e
	}
	for k, t := range mine {
		t.CopyFrom(st[k])
	}
	return nil
}

func (c *core) describe() string {
	n := 0
	for _, g := range c.groups {
		n += len(g.Params)
	}
	if len(c.groups) == 1 {
		g := c.groups[0]
		return fmt.Sprintf("lr=%g, weight_decay=%g, %d tensors", g.LR, g.WeightDecay, n)
	}
	return fmt.Sprintf("%d groups, %d tensors", len(c.groups), n)
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
