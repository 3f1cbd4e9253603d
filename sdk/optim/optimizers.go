package optim

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/kernels"
)

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// SGDConfig holds the hyper-parameters of SGD besides the groups' learning
// rate and weight decay.
type SGDConfig struct {
	Momentum  float32 // 0 for plain SGD
	Dampening float32 // scales the new gradient in the momentum buffer by 1-Dampening
	Nesterov  bool    // Nesterov momentum; needs Momentum > 0 and Dampening 0
}

// String prints the configuration.
func (c SGDConfig) String() string {
	return fmt.Sprintf("SGDConfig(momentum=%g, dampening=%g, nesterov=%t)", c.Momentum, c.Dampening, c.Nesterov)
}

// SGD is stochastic gradient descent with optional momentum, as
// torch.optim.SGD: the weight decay is added to the gradient, and the
// momentum buffer starts as the first gradient.
type SGD struct {
	core
	SGDConfig
}

// NewSGD returns an SGD optimizer over groups.
func NewSGD(groups []*Group, cfg SGDConfig) *SGD {
	if cfg.Momentum < 0 || cfg.Dampening < 0 || cfg.Dampening > 1 {
		panicConfig("NewSGD", "momentum must be >= 0 and dampening in [0,1], got %v and %v", cfg.Momentum, cfg.Dampening)
	}
	if cfg.Nesterov && (cfg.Momentum == 0 || cfg.Dampening != 0) {
		panicConfig("NewSGD", "Nesterov momentum needs momentum > 0 and dampening 0, got %v and %v", cfg.Momentum, cfg.Dampening)
	}
	var bufs []string
	if cfg.Momentum != 0 {
		bufs = []string{"momentum_buffer"}
	}
	return &SGD{core: newCore("NewSGD", groups, bufs...), SGDConfig: cfg}
}

// Step applies one SGD update.
func (o *SGD) Step() {
	mom, damp := o.Momentum, 1-o.Dampening
	o.each(func(g *Group, s *slot, grad []float32, t int) {
		p := s.param.Data()
		lr, wd := g.LR, g.WeightDecay
		if mom == 0 {
			for i, d := range grad {
				p[i] -= lr * (d + wd*p[i])
			}
			return
		}
		buf := s.bufs[0].Data()
		for i, d := range grad {
			d += wd * p[i]
			if t == 1 {
				buf[i] = d
			} else {
				buf[i] = mom*buf[i] + damp*d
			}
			if o.Nesterov {
				d += mom * buf[i]
			} else {
				d = buf[i]
			}
			p[i] -= lr * d
		}
	})
}

// String prints the configuration.
func (o *SGD) String() string {
	return fmt.Sprintf("SGD(momentum=%g, dampening=%g, nesterov=%t, %s)", o.Momentum, o.Dampening, o.Nesterov, o.describe())
}

// AdamConfig holds the hyper-parameters of Adam, AdamW and LAMB besides the
// groups' learning rate and weight decay.
type AdamConfig struct {
	Beta1, Beta2 float32 // decay rates of the first and second moments
	Eps          float32 // added to the root of the second moment
}

// DefaultAdam returns PyTorch's defaults: betas 0.9 and 0.999, eps 1e-8.
func DefaultAdam() AdamConfig { return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// String prints the configuration.
func (c AdamConfig) String() string {
	return fmt.Sprintf("AdamConfig(betas=(%g, %g), eps=%g)", c.Beta1, c.Beta2, c.Eps)
}

func (c AdamConfig) check(op string) {
	if c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 || c.Eps < 0 {
		panicConfig(op, "betas must be in [0,1) and eps >= 0, got %v, %v, %v", c.Beta1, c.Beta2, c.Eps)
	}
}

// Adam is Adam (Kingma and Ba 2015) with bias correction, as
// torch.optim.Adam, or AdamW (Loshchilov and Hutter 2019) when Decoupled:
// Adam adds the weight decay to the gradient (an L2 penalty); AdamW
// shrinks the weights by lr·wd before the update instead.
type Adam struct {
	core
	AdamConfig
	Decoupled bool
}

// NewAdam returns an Adam optimizer over groups.
func NewAdam(groups []*Group, cfg AdamConfig) *Adam {
	cfg.check("NewAdam")
	return &Adam{core: newCore("NewAdam", groups, "exp_avg", "exp_avg_sq"), AdamConfig: cfg}
}

// NewAdamW returns an AdamW optimizer (decoupled weight decay) over groups.
func NewAdamW(groups []*Group, cfg AdamConfig) *Adam {
	cfg.check("NewAdamW")
	return &Adam{core: newCore("NewAdamW", groups, "exp_avg", "exp_avg_sq"), AdamConfig: cfg, Decoupled: true}
}

// Step applies one Adam or AdamW update, through the fused (vectorised,
// parallel) kernels.AdamStep.
func (o *Adam) Step() {
	b1, b2, eps := o.Beta1, o.Beta2, o.Eps
	o.each(func(g *Group, s *slot, grad []float32, t int) {
		bc1 := float32(1 - math.Pow(float64(b1), float64(t)))
		bc2 := float32(1 - math.Pow(float64(b2), float64(t)))
		kernels.AdamStep(s.param.Data(), grad, s.bufs[0].Data(), s.bufs[1].Data(),
			g.LR, b1, b2, eps, g.WeightDecay, bc1, bc2, o.Decoupled)
	})
}

// String prints the configuration.
func (o *Adam) String() string {
	name := "Adam"
	if o.Decoupled {
		name = "AdamW"
	}
	return fmt.Sprintf("%s(betas=(%g, %g), eps=%g, %s)", name, o.Beta1, o.Beta2, o.Eps, o.describe())
}

// AdagradConfig holds the hyper-parameters of Adagrad besides the groups'
// learning rate and weight decay.
type AdagradConfig struct {
	LRDecay            float32 // the step size is lr/(1+(t-1)·LRDecay)
	Eps                float32 // added to the root of the sum of squares
	InitialAccumulator float32 // starting value of the sum of squares
}

// DefaultAdagrad returns PyTorch's defaults: no decay, eps 1e-10,
// accumulator 0.
func DefaultAdagrad() AdagradConfig { return AdagradConfig{Eps: 1e-10} }

// String prints the configuration.
func (c AdagradConfig) String() string {
	return fmt.Sprintf("AdagradConfig(lr_decay=%g, eps=%g, initial_accumulator=%g)", c.LRDecay, c.Eps, c.InitialAccumulator)
}

// Adagrad divides each step by the root of the running sum of squared
// gradients (Duchi et al. 2011), as torch.optim.Adagrad.
type Adagrad struct {
	core
	AdagradConfig
}

// NewAdagrad returns an Adagrad optimizer over groups.
func NewAdagrad(groups []*Group, cfg AdagradConfig) *Adagrad {
	if cfg.LRDecay < 0 || cfg.Eps < 0 || cfg.InitialAccumulator < 0 {
		panicConfig("NewAdagrad", "lr decay, eps and initial accumulator must be >= 0, got %v, %v, %v", cfg.LRDecay, cfg.Eps, cfg.InitialAccumulator)
	}
	o := &Adagrad{core: newCore("NewAdagrad", groups, "sum"), AdagradConfig: cfg}
	for _, ss := range o.slots {
		for _, s := range ss {
			d := s.bufs[0].Data()
			for i := range d {
				d[i] = cfg.InitialAccumulator
			}
		}
	}
	return o
}

// Step applies one Adagrad update.
func (o *Adagrad) Step() {
	eps := o.Eps
	o.each(func(g *Group, s *slot, grad []float32, t int) {
		p, sum := s.param.Data(), s.bufs[0].Data()
		wd := g.WeightDecay
		clr := float32(float64(g.LR) / (1 + float64(t-1)*float64(o.LRDecay)))
		for i, d := range grad {
			d += wd * p[i]
			sum[i] += d * d
			p[i] -= clr * d / (sqrt32(sum[i]) + eps)
		}
	})
}

// String prints the configuration.
func (o *Adagrad) String() string {
	return fmt.Sprintf("Adagrad(lr_decay=%g, eps=%g, %s)", o.LRDecay, o.Eps, o.describe())
}

// LAMB is layer-wise adaptive moments (You et al. 2020), per parameter
// tensor: the bias-corrected Adam direction plus weight decay,
// u = m̂/(√v̂+eps) + wd·w, is scaled by the trust ratio ‖w‖/‖u‖ (1 when
// either norm is 0), and w -= lr·ratio·u.
type LAMB struct {
	core
	AdamConfig
}

// DefaultLAMB returns betas 0.9 and 0.999 and eps 1e-6.
func DefaultLAMB() AdamConfig { return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-6} }

// NewLAMB returns a LAMB optimizer over groups.
func NewLAMB(groups []*Group, cfg AdamConfig) *LAMB {
	cfg.check("NewLAMB")
	return &LAMB{core: newCore("NewLAMB", groups, "exp_avg", "exp_avg_sq"), AdamConfig: cfg}
}

// Step applies one LAMB update. The direction u is recomputed in a second
// pass rather than stored, so LAMB keeps no buffer beyond the two moments.
func (o *LAMB) Step() {
	b1, b2, eps := o.Beta1, o.Beta2, o.Eps
	o.each(func(g *Group, s *slot, grad []float32, t int) {
		p, m, v := s.param.Data(), s.bufs[0].Data(), s.bufs[1].Data()
		wd := g.WeightDecay
		bc1 := float32(1 - math.Pow(float64(b1), float64(t)))
		bc2 := float32(1 - math.Pow(float64(b2), float64(t)))
		var wn, un float64
		for i, d := range grad {
			m[i] = b1*m[i] + (1-b1)*d
			v[i] = b2*v[i] + (1-b2)*d*d
			u := (m[i]/bc1)/(sqrt32(v[i]/bc2)+eps) + wd*p[i]
			wn += float64(p[i]) * float64(p[i])
			un += float64(u) * float64(u)
		}
		ratio := float32(1)
		if wn > 0 && un > 0 {
			ratio = float32(math.Sqrt(wn) / math.Sqrt(un))
		}
		step := g.LR * ratio
		for i := range p {
			u := (m[i]/bc1)/(sqrt32(v[i]/bc2)+eps) + wd*p[i]
			p[i] -= step * u
		}
	})
}

// String prints the configuration.
func (o *LAMB) String() string {
	return fmt.Sprintf("LAMB(betas=(%g, %g), eps=%g, %s)", o.Beta1, o.Beta2, o.Eps, o.describe())
}
