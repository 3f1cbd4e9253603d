package optim

import (
	"fmt"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Group is a set of parameters sharing a learning rate and a weight decay.
type Group struct {
	Name        string // e.g. "decay" or "no_decay"; for printing
	Params      []nn.NamedParam
	LR          float32 // the learning rate of the next step
	LRScale     float32 // SetLR sets LR to its argument times LRScale (1 by default)
	WeightDecay float32
}

// NewGroup returns a group of params with learning rate lr and weight decay
// wd (LRScale 1).
func NewGroup(name string, params []nn.NamedParam, lr, wd float32) *Group {
	return &Group{Name: name, Params: params, LR: lr, LRScale: 1, WeightDecay: wd}
}

// String prints the group's settings and size.
func (g *Group) String() string {
	n := 0
	for _, p := range g.Params {
		n += p.Tensor.Numel()
	}
	return fmt.Sprintf("Group(%s: %d tensors, %d params, lr=%g, weight_decay=%g)", g.Name, len(g.Params), n, g.LR, g.WeightDecay)
}

// Groups returns one group "all" holding params.
func Groups(params []nn.NamedParam, lr, wd float32) []*Group {
	return []*Group{NewGroup("all", params, lr, wd)}
}

// NoDecay reports whether a parameter should be exempt from weight decay:
// every tensor of fewer than two dimensions (biases, norm gains), and any
// parameter with a name segment starting with "bias" or "ln" or containing
// "norm".
func NoDecay(p nn.NamedParam) bool {
	if p.Tensor.Dims() < 2 {
		return true
	}
	for _, seg := range strings.Split(strings.ToLower(p.Name), ".") {
		if strings.HasPrefix(seg, "bias") || strings.HasPrefix(seg, "ln") || strings.Contains(seg, "norm") {
			return true
		}
	}
	return false
}

// SplitDecay returns two groups with learning rate lr: "decay" (weight
// decay wd) and "no_decay" (the parameters NoDecay selects, weight decay
// 0). An empty group is left out.
func SplitDecay(params []nn.NamedParam, lr, wd float32) []*Group {
	var dec, no []nn.NamedParam
	for _, p := range params {
		if NoDecay(p) {
			no = append(no, p)
		} else {
			dec = append(dec, p)
		}
	}
	var gs []*Group
	if len(dec) > 0 {
		gs = append(gs, NewGroup("decay", dec, lr, wd))
	}
	if len(no) > 0 {
		gs = append(gs, NewGroup("no_decay", no, lr, 0))
	}
	return gs
}

// SetLR sets the learning rate of every group of o to lr·LRScale, as a
// schedule does before each step.
func SetLR(o Optimizer, lr float32) {
	for _, g := range o.Groups() {
		g.LR = lr * g.LRScale
	}
}

// Params returns every parameter tensor of o's groups.
func Params(o Optimizer) []*tensor.Tensor {
	var out []*tensor.Tensor
	for _, g := range o.Groups() {
		for _, p := range g.Params {
			out = append(out, p.Tensor)
		}
	}
	return out
}
