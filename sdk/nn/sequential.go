package nn

import (
	"fmt"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Layer is a module whose Forward takes one tensor, such as Linear,
// LayerNorm, RMSNorm, Dropout, MLP, ActivationLayer and Sequential; a
// script can implement it to slot its own layer into a Sequential.
type Layer interface {
	Module
	Forward(x *tensor.Tensor) *tensor.Tensor
}

// Sequential applies its layers in order; they are named "0", "1", ...
type Sequential struct {
	*Base
	Layers []Layer
}

// NewSequential returns a Sequential of layers.
func NewSequential(layers ...Layer) *Sequential {
	s := &Sequential{Base: NewBase()}
	for i, l := range layers {
		s.AddModule(fmt.Sprint(i), l)
		s.Layers = append(s.Layers, l)
	}
	return s
}

// Forward applies every layer to x in turn.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, l := range s.Layers {
		x = l.Forward(x)
	}
	return x
}

// String lists the layers.
func (s *Sequential) String() string {
	parts := make([]string, len(s.Layers))
	for i, l := range s.Layers {
		parts[i] = l.String()
	}
	return "Sequential(" + strings.Join(parts, ", ") + ")"
}

// ActivationLayer wraps an Activation as a parameterless Layer, for use in
// a Sequential.
type ActivationLayer struct {
	*Base
	Act Activation
}

// NewActivation returns the activation a as a layer.
func NewActivation(a Activation) *ActivationLayer {
	return &ActivationLayer{Base: NewBase(), Act: a}
}

// Forward applies the activation.
func (a *ActivationLayer) Forward(x *tensor.Tensor) *tensor.Tensor { return a.Act.Apply(x) }

// String names the activation, e.g. "Activation(gelu)".
func (a *ActivationLayer) String() string { return "Activation(" + a.Act.String() + ")" }

// The one-input layers satisfy Layer.
var (
	_ Layer = (*Linear)(nil)
	_ Layer = (*LayerNorm)(nil)
	_ Layer = (*RMSNorm)(nil)
	_ Layer = (*Dropout)(nil)
	_ Layer = (*MLP)(nil)
	_ Layer = (*Sequential)(nil)
	_ Layer = (*ActivationLayer)(nil)
)
