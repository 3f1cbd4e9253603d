package nn

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Module is a layer or model: a tree of named parameters and child modules
// with a train/eval mode. Every method but String comes from an embedded
// *Base.
type Module interface {
	// NamedParameters lists every parameter of the module and its
	// children, depth first in registration order, with dotted names.
	NamedParameters() []NamedParam
	// Parameters lists the same tensors without names.
	Parameters() []*tensor.Tensor
	// StateDict maps each parameter name to a detached view of the
	// parameter (sharing its storage).
	StateDict() map[string]*tensor.Tensor
	// LoadStateDict copies values into the parameters; it returns a
	// *StateDictError and changes nothing when a key is missing or
	// unexpected or a shape differs.
	LoadStateDict(sd map[string]*tensor.Tensor) error
	// ZeroGrad clears the gradients of all parameters.
	ZeroGrad()
	// NumParams counts the scalar parameters.
	NumParams() int
	// Train switches the module and its children to training mode (on)
	// or evaluation mode (off); it affects Dropout.
	Train(on bool)
	// Training reports the mode.
	Training() bool
	// String describes the module, e.g. "Linear(in=5, out=4, bias=true)".
	String() string
}

// NamedParam is a parameter with its dotted name.
type NamedParam struct {
	Name   string
	Tensor *tensor.Tensor
}

// String prints the name, shape and dtype.
func (p NamedParam) String() string {
	return fmt.Sprintf("%s %s %s", p.Name, shapeString(p.Tensor.Shape()), p.Tensor.DType())
}

// NamedModule is a child module with its name.
type NamedModule struct {
	Name   string
	Module Module
}

// Base holds the parameters, children and mode of a module. Embed a *Base
// made by NewBase in a module struct and register parameters with AddParam
// and children with AddModule.
type Base struct {
	params   []NamedParam
	children []NamedModule
	training bool
}

// NewBase returns an empty Base in training mode.
func NewBase() *Base { return &Base{training: true} }

// AddParam registers t as a parameter called name (no dots), marks it as
// requiring a gradient and returns it.
func (b *Base) AddParam(name string, t *tensor.Tensor) *tensor.Tensor {
	b.checkName("AddParam", name)
	if !t.IsLeaf() {
		panicConfig("AddParam", "parameter %q must be a leaf tensor", name)
	}
	t.SetRequiresGrad(true)
	b.params = append(b.params, NamedParam{Name: name, Tensor: t})
	return t
}

// AddModule registers m as a child called name (no dots, e.g. "attn" or
// "0") and returns it.
func (b *Base) AddModule(name string, m Module) Module {
	b.checkName("AddModule", name)
	b.children = append(b.children, NamedModule{Name: name, Module: m})
	return m
}

func (b *Base) checkName(op, name string) {
	if name == "" {
		panicConfig(op, "empty name")
	}
	for _, c := range name {
		if c == '.' {
			panicConfig(op, "name %q contains a dot; register a child module instead", name)
		}
	}
	for _, p := range b.params {
		if p.Name == name {
			panicConfig(op, "name %q already used", name)
		}
	}
	for _, c := range b.children {
		if c.Name == name {
			panicConfig(op, "name %q already used", name)
		}
	}
}

// Children lists the direct child modules.
func (b *Base) Children() []NamedModule { return append([]NamedModule(nil), b.children...) }

// NamedParameters lists every parameter, depth first, with dotted names.
func (b *Base) NamedParameters() []NamedParam {
	var out []NamedParam
	b.walk("", func(name string, t *tensor.Tensor) {
		out = append(out, NamedParam{Name: name, Tensor: t})
	})
	return out
}

func (b *Base) walk(prefix string, fn func(string, *tensor.Tensor)) {
	for _, p := range b.params {
		fn(prefix+p.Name, p.Tensor)
	}
	for _, c := range b.children {
		for _, p := range c.Module.NamedParameters() {
			fn(prefix+c.Name+"."+p.Name, p.Tensor)
		}
	}
}

// Parameters lists every parameter tensor, in the order of
// NamedParameters.
func (b *Base) Parameters() []*tensor.Tensor {
	var out []*tensor.Tensor
	b.walk("", func(_ string, t *tensor.Tensor) { out = append(out, t) })
	return out
}

// StateDict maps each parameter name to a detached view of the parameter:
// it shares storage, so it is cheap to save and reflects later updates.
func (b *Base) StateDict() map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	b.walk("", func(name string, t *tensor.Tensor) { sd[name] = t.Detach() })
	return sd
}

// LoadStateDict copies the values of sd into the parameters, converting
// dtypes as needed. Every parameter must be present with its shape and no
// other key may appear; otherwise it returns a *StateDictError and leaves
// the parameters unchanged.
func (b *Base) LoadStateDict(sd map[string]*tensor.Tensor) error {
	params := b.NamedParameters()
	e := &StateDictError{}
	seen := map[string]bool{}
	for _, p := range params {
		seen[p.Name] = true
		src, ok := sd[p.Name]
		switch {
		case !ok || src == nil:
			e.Missing = append(e.Missing, p.Name)
		case !equalShape(src.Shape(), p.Tensor.Shape()):
			e.Mismatched = append(e.Mismatched, ShapeMismatch{Key: p.Name, Want: p.Tensor.Shape(), Got: src.Shape()})
		}
	}
	for k := range sd {
		if !seen[k] {
			e.Unexpected = append(e.Unexpected, k)
		}
	}
	if !e.empty() {
		e.sort()
		return e
	}
	for _, p := range params {
		p.Tensor.CopyFrom(sd[p.Name])
	}
	return nil
}

// ZeroGrad clears the gradient of every parameter.
func (b *Base) ZeroGrad() {
	b.walk("", func(_ string, t *tensor.Tensor) { t.ZeroGrad() })
}

// NumParams counts the scalar parameters.
func (b *Base) NumParams() int {
	n := 0
	b.walk("", func(_ string, t *tensor.Tensor) { n += t.Numel() })
	return n
}

// Train sets training mode (on) or evaluation mode (off) for the module
// and all its children.
func (b *Base) Train(on bool) {
	b.training = on
	for _, c := range b.children {
		c.Module.Train(on)
	}
}

// Training reports whether the module is in training mode.
func (b *Base) Training() bool { return b.training }

// String describes the base by its counts; layers print their own
// configuration instead.
func (b *Base) String() string {
	return fmt.Sprintf("Module(%d params in %d tensors, %d children)", b.NumParams(), len(b.NamedParameters()), len(b.children))
}

func equalShape(a, b []int) bool {
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

// Summary prints a module tree: each child on its own line, indented, then
// the parameter count, e.g. for the REPL.
func Summary(m Module) string {
	s := m.String() + "\n"
	s += summaryChildren(m, "  ")
	return s + fmt.Sprintf("%d parameters\n", m.NumParams())
}

func summaryChildren(m Module, indent string) string {
	type haser interface{ Children() []NamedModule }
	h, ok := m.(haser)
	if !ok {
		return ""
	}
	s := ""
	for _, c := range h.Children() {
		s += indent + "(" + c.Name + "): " + c.Module.String() + "\n"
		s += summaryChildren(c.Module, indent+"  ")
	}
	return s
}
