// Package lora adds low-rank adapters (LoRA, Hu et al. 2021) to the
// nn.Linear layers of any module: each chosen layer's weight becomes
//
//	W = W0 + (alpha/rank) · B·A
//
// with W0 frozen, A [rank, in] initialised like a Linear weight and B
// [out, rank] zero, so that an adapted model starts out computing exactly
// what the base model does. Only A and B are trained (well under 5% of a
// transformer's parameters at rank 8); Merge folds B·A into W0 for export,
// after which the model is a plain model again.
//
// The adapters work by re-parametrisation: Refresh recomputes every adapted
// layer's Weight field from W0, A and B before a forward pass, so any
// module built from nn.Linear (attention qkv/proj, MLP fc1/fc2) is adapted
// without changing its code. Dropout on the adapter path is applied to A's
// input features, one mask per Refresh (per step), rather than per example
// as in PEFT, because the adapter is folded into the weight.
package lora

import (
	"fmt"
	"math"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config chooses the adapted layers and the adapter shape.
type Config struct {
	Rank    int     // adapter rank r; default 8
	Alpha   float32 // scale numerator; the update is scaled by Alpha/Rank; default 2·Rank
	Dropout float32 // dropout on the adapter's input features during training
	// Targets are the last name components of the Linear layers to adapt;
	// default qkv, proj, fc1, fc2 (attention and MLP of nn.TransformerBlock).
	Targets []string
	Seed    uint64 // initialises A and draws dropout masks
}

// String describes the configuration.
func (c Config) String() string {
	return fmt.Sprintf("lora.Config(rank=%d, alpha=%g, dropout=%g, targets=%s)", c.Rank, c.Alpha, c.Dropout, strings.Join(c.Targets, ","))
}

// DefaultTargets are the layers adapted when Config.Targets is empty.
var DefaultTargets = []string{"qkv", "proj", "fc1", "fc2"}

// Adapter is the low-rank update of one Linear layer.
type Adapter struct {
	Name   string         // the layer's dotted name, e.g. "blocks.0.attn.qkv"
	Linear *nn.Linear     // the adapted layer; its Weight field is rewritten by Refresh
	Base   *tensor.Tensor // W0, the layer's registered (frozen) weight
	A      *tensor.Tensor // [rank, in]
	B      *tensor.Tensor // [out, rank]
	Scale  float32        // Alpha / Rank
}

// String describes the adapter.
func (a *Adapter) String() string {
	return fmt.Sprintf("Adapter(%s, %dx%d, rank=%d, scale=%g)", a.Name, a.Linear.Out, a.Linear.In, a.A.Size(0), a.Scale)
}

// Delta returns Scale·B·A, the adapter's weight update [out, in], computed
// under scope s (nil for the default).
func (a *Adapter) Delta(s *tensor.Scope) *tensor.Tensor {
	return s.Use(a.B).MatMul(a.A).MulScalar(a.Scale)
}

// LoRA holds the adapters of one module; as an nn.Module its parameters
// are the A and B matrices ("blocks.0.attn.qkv.lora_A", ...).
type LoRA struct {
	*nn.Base
	Config   Config
	Adapters []*Adapter
	rng      *tensor.RNG
	merged   bool
}

// Error reports a LoRA misuse: no layer matched, or an adapter used after
// Merge.
type Error struct {
	Op  string
	Msg string
}

func (e *Error) Error() string { return "lora." + e.Op + ": " + e.Msg }

// Apply adds adapters to every nn.Linear of m whose name ends with one of
// cfg.Targets, and freezes every parameter of m (the caller unfreezes
// what else it wants to train, such as a task head kept outside m).
func Apply(m nn.Module, cfg Config) (*LoRA, error) {
	if cfg.Rank == 0 {
		cfg.Rank = 8
	}
	if cfg.Rank < 0 || cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, &Error{"Apply", fmt.Sprintf("rank must be positive and dropout in [0, 1), got %v", cfg)}
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = float32(2 * cfg.Rank)
	}
	if len(cfg.Targets) == 0 {
		cfg.Targets = DefaultTargets
	}
	l := &LoRA{Base: nn.NewBase(), Config: cfg, rng: tensor.NewRNG(cfg.Seed)}
	var linears []nn.NamedModule
	walk("", m, func(name string, mod nn.Module) {
		if lin, ok := mod.(*nn.Linear); ok && matches(name, cfg.Targets) {
			linears = append(linears, nn.NamedModule{Name: name, Module: lin})
		}
	})
	if len(linears) == 0 {
		return nil, &Error{"Apply", fmt.Sprintf("no Linear layer named %s in %v", strings.Join(cfg.Targets, ", "), m)}
	}
	for _, p := range m.Parameters() {
		p.SetRequiresGrad(false)
	}
	for _, nm := range linears {
		lin := nm.Module.(*nn.Linear)
		bound := float32(1 / math.Sqrt(float64(lin.In))) // kaiming-uniform(a=√5), as PEFT
		a := &Adapter{Name: nm.Name, Linear: lin, Base: lin.Weight,
			A:     tensor.Uniform(l.rng, -bound, bound, cfg.Rank, lin.In).SetRequiresGrad(true),
			B:     tensor.Zeros(lin.Out, cfg.Rank).SetRequiresGrad(true),
			Scale: cfg.Alpha / float32(cfg.Rank)}
		holder := nest(l.Base, nm.Name)
		holder.AddParam("lora_A", a.A)
		holder.AddParam("lora_B", a.B)
		l.Adapters = append(l.Adapters, a)
	}
	return l, nil
}

// nest returns the module at the dotted path below b, creating empty
// modules on the way, so that adapter parameters get the adapted layers'
// names ("blocks.0.attn.qkv.lora_A").
func nest(b *nn.Base, path string) *nn.Base {
	for _, part := range strings.Split(path, ".") {
		var next *nn.Base
		for _, c := range b.Children() {
			if c.Name == part {
				next = c.Module.(*nn.Base)
			}
		}
		if next == nil {
			next = nn.NewBase()
			b.AddModule(part, next)
		}
		b = next
	}
	return b
}

// walk visits m and its descendants with dotted names.
func walk(name string, m nn.Module, fn func(string, nn.Module)) {
	fn(name, m)
	p, ok := m.(interface{ Children() []nn.NamedModule })
	if !ok {
		return
	}
	for _, c := range p.Children() {
		n := c.Name
		if name != "" {
			n = name + "." + c.Name
		}
		walk(n, c.Module, fn)
	}
}

// matches reports whether the last component of name is a target.
func matches(name string, targets []string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	for _, t := range targets {
		if last == t {
			return true
		}
	}
	return false
}

// Refresh sets every adapted layer's Weight to W0 + Scale·B·A, recording
// the graph so that a loss's Backward reaches A and B. Call it before each
// forward pass (a training step or a prediction): the weights it sets hold
// the adapters' values at the time of the call. In training mode (see
// nn.Module.Train) with Dropout set, A's input features are dropped with
// one fresh mask per call.
func (l *LoRA) Refresh() {
	if l.merged {
		panic(&Error{"Refresh", "adapters were merged; the model is a plain model now"})
	}
	for _, a := range l.Adapters {
		A := a.A
		if l.Config.Dropout > 0 && l.Training() {
			keep := 1 - l.Config.Dropout
			mask := make([]float32, a.Linear.In)
			for i := range mask {
				if l.rng.Float32() < keep {
					mask[i] = 1 / keep
				}
			}
			A = A.Mul(tensor.FromFloat32s(mask, 1, a.Linear.In))
		}
		a.Linear.Weight = a.Base.Add(a.B.MatMul(A).MulScalar(a.Scale))
	}
}

// Merge folds every adapter into its base weight (W0 += Scale·B·A) and
// restores the layers' own weights, so the module predicts as the adapted
// one did and saves as a plain model. The adapters cannot be used after.
func (l *LoRA) Merge() {
	if l.merged {
		return
	}
	noGrad := tensor.NewScope().NoGrad()
	for _, a := range l.Adapters {
		a.Base.CopyFrom(a.Base.Add(a.Delta(noGrad)))
		a.Linear.Weight = a.Base
	}
	l.merged = true
}

// Merged reports whether Merge was called.
func (l *LoRA) Merged() bool { return l.merged }

// String describes the adapters.
func (l *LoRA) String() string {
	return fmt.Sprintf("LoRA(%d layers, rank=%d, alpha=%g, dropout=%g, %d params, merged=%t)",
		len(l.Adapters), l.Config.Rank, l.Config.Alpha, l.Config.Dropout, l.NumParams(), l.merged)
}
