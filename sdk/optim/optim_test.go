package optim_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func mustPanic(t *testing.T, fn func()) (err error) {
	t.Helper()
	defer func() {
		r := recover()
		e, ok := r.(error)
		if !ok {
			t.Fatalf("panicked with %T %v, want an error", r, r)
		}
		err = e
	}()
	fn()
	return nil
}

func param(name string, vals ...float32) nn.NamedParam {
	return nn.NamedParam{Name: name, Tensor: tensor.FromFloat32s(vals).SetRequiresGrad(true)}
}

func setGrad(p nn.NamedParam, g ...float32) { p.Tensor.SetGrad(tensor.FromFloat32s(g)) }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestSGDRules(t *testing.T) {
	// Plain SGD with weight decay: w -= lr·(g + wd·w).
	p := param("w", 1, -2)
	o := optim.NewSGD(optim.Groups([]nn.NamedParam{p}, 0.1, 0.5), optim.SGDConfig{})
	setGrad(p, 0.3, 0.4)
	o.Step()
	if w := p.Tensor.Data(); !near(float64(w[0]), 1-0.1*(0.3+0.5)) || !near(float64(w[1]), -2-0.1*(0.4-1)) {
		t.Errorf("plain SGD: %v", w)
	}
	if _, ok := o.State()["w.momentum_buffer"]; ok {
		t.Errorf("plain SGD keeps no momentum buffer")
	}
	// Momentum with dampening: the buffer starts as the first gradient
	// (no dampening), then buf = m·buf + (1-d)·g.
	p = param("w", 0)
	o = optim.NewSGD(optim.Groups([]nn.NamedParam{p}, 1, 0), optim.SGDConfig{Momentum: 0.9, Dampening: 0.5})
	setGrad(p, 1)
	o.Step()
	o.Step()
	buf := 0.9*1 + 0.5*1
	if w := p.Tensor.Data()[0]; !near(float64(w), -1-buf) {
		t.Errorf("momentum: w = %v, want %v", w, -1-buf)
	}
	if b := o.State()["w.momentum_buffer"].Data()[0]; !near(float64(b), buf) {
		t.Errorf("momentum buffer %v, want %v", b, buf)
	}
	// Nesterov: step with g + m·buf.
	p = param("w", 0)
	o = optim.NewSGD(optim.Groups([]nn.NamedParam{p}, 1, 0), optim.SGDConfig{Momentum: 0.5, Nesterov: true})
	setGrad(p, 2)
	o.Step()
	if w := p.Tensor.Data()[0]; !near(float64(w), -(2 + 0.5*2)) {
		t.Errorf("nesterov: w = %v", w)
	}
	if s := o.String(); !strings.HasPrefix(s, "SGD(momentum=0.5, dampening=0, nesterov=true, lr=1") {
		t.Errorf("String() = %q", s)
	}
}

// adamRef is Adam/AdamW on one scalar in float64, from the paper's
// equations in PyTorch's arrangement.
func adamRef(w float64, grads []float64, lr, b1, b2, eps, wd float64, decoupled bool) float64 {
	var m, v float64
	for i, g := range grads {
		t := float64(i + 1)
		if decoupled {
			w *= 1 - lr*wd
		} else {
			g += wd * w
		}
		m = b1*m + (1-b1)*g
		v = b2*v + (1-b2)*g*g
		w -= lr / (1 - math.Pow(b1, t)) * m / (math.Sqrt(v)/math.Sqrt(1-math.Pow(b2, t)) + eps)
	}
	return w
}

func TestAdamAndAdamW(t *testing.T) {
	grads := []float64{0.5, -0.2, 0.1, 0.7}
	for _, decoupled := range []bool{false, true} {
		p := param("w", 1.5)
		gs := optim.Groups([]nn.NamedParam{p}, 0.01, 0.1)
		var o *optim.Adam
		if decoupled {
			o = optim.NewAdamW(gs, optim.DefaultAdam())
		} else {
			o = optim.NewAdam(gs, optim.DefaultAdam())
		}
		for _, g := range grads {
			setGrad(p, float32(g))
			o.Step()
		}
		want := adamRef(1.5, grads, 0.01, 0.9, 0.999, 1e-8, 0.1, decoupled)
		if got := p.Tensor.Data()[0]; !near(float64(got), want) {
			t.Errorf("decoupled=%t: w = %v, want %v", decoupled, got, want)
		}
		st := o.State()
		if st["w.step"].Item() != 4 || st["w.exp_avg"] == nil || st["w.exp_avg_sq"] == nil || len(st) != 3 {
			t.Errorf("state %v", st)
		}
	}
	if s := optim.NewAdamW(nil, optim.DefaultAdam()).String(); !strings.HasPrefix(s, "AdamW(betas=(0.9, 0.999), eps=1e-08") {
		t.Errorf("String() = %q", s)
	}
}

func TestAdagradRule(t *testing.T) {
	p := param("w", 1)
	o := optim.NewAdagrad(optim.Groups([]nn.NamedParam{p}, 0.1, 0), optim.AdagradConfig{LRDecay: 0.5, Eps: 1e-10, InitialAccumulator: 0.25})
	w, sum := 1.0, 0.25
	for i, g := range []float64{0.5, -1, 2} {
		setGrad(p, float32(g))
		o.Step()
		sum += g * g
		w -= 0.1 / (1 + float64(i)*0.5) * g / (math.Sqrt(sum) + 1e-10)
	}
	if got := p.Tensor.Data()[0]; !near(float64(got), w) {
		t.Errorf("w = %v, want %v", got, w)
	}
	if s := o.State()["w.sum"].Data()[0]; !near(float64(s), sum) {
		t.Errorf("sum = %v, want %v", s, sum)
	}
}

func TestLAMBTrustRatio(t *testing.T) {
	// A zero weight has trust ratio 1: the first step is lr·u.
	p := param("w", 0, 0)
	o := optim.NewLAMB(optim.Groups([]nn.NamedParam{p}, 0.1, 0), optim.DefaultLAMB())
	setGrad(p, 3, -4)
	o.Step()
	// u = mhat/(sqrt(vhat)+eps) = sign(g)·|g|/(|g|+eps) after one step.
	for i, g := range []float64{3, -4} {
		want := -0.1 * g / (math.Abs(g) + 1e-6)
		if got := p.Tensor.Data()[i]; !near(float64(got), want) {
			t.Errorf("w[%d] = %v, want %v", i, got, want)
		}
	}
	// A non-zero weight: the step has norm lr·‖w‖ whatever the gradient's
	// scale.
	for _, scale := range []float32{1e-3, 1e3} {
		q := param("w", 3, 4)
		o := optim.NewLAMB(optim.Groups([]nn.NamedParam{q}, 0.1, 0), optim.DefaultLAMB())
		setGrad(q, scale, 2*scale)
		o.Step()
		d := q.Tensor.Data()
		if n := math.Hypot(float64(d[0])-3, float64(d[1])-4); math.Abs(n-0.5) > 1e-5 {
			t.Errorf("gradient scale %g: step norm %g, want lr·‖w‖ = 0.5", scale, n)
		}
	}
}

func TestGroupsHaveTheirOwnSettings(t *testing.T) {
	lin := nn.NewLinear(3, 2, true, tensor.NewRNG(1))
	ln := nn.NewLayerNorm(2)
	ps := append(lin.NamedParameters(), nn.NamedParam{Name: "ln.weight", Tensor: ln.Weight})
	gs := optim.SplitDecay(ps, 0.1, 0.01)
	if len(gs) != 2 || gs[0].Name != "decay" || len(gs[0].Params) != 1 || gs[0].Params[0].Name != "weight" ||
		gs[1].Name != "no_decay" || len(gs[1].Params) != 2 || gs[1].WeightDecay != 0 || gs[0].WeightDecay != 0.01 {
		t.Fatalf("groups %v", gs)
	}
	if !optim.NoDecay(nn.NamedParam{Name: "blocks.0.ln_1.weight", Tensor: tensor.Zeros(2, 2)}) ||
		!optim.NoDecay(nn.NamedParam{Name: "encoder.layernorm.gamma", Tensor: tensor.Zeros(2, 2)}) ||
		optim.NoDecay(nn.NamedParam{Name: "blocks.0.attn.qkv.weight", Tensor: tensor.Zeros(2, 2)}) {
		t.Errorf("NoDecay name filter")
	}
	// Two parameters with the same value and gradient in groups with
	// different learning rates move by different amounts.
	a, b := param("a", 1), param("b", 1)
	g1 := optim.NewGroup("slow", []nn.NamedParam{a}, 0.1, 0)
	g2 := optim.NewGroup("fast", []nn.NamedParam{b}, 0.3, 0)
	g2.LRScale = 3
	o := optim.NewSGD([]*optim.Group{g1, g2}, optim.SGDConfig{})
	setGrad(a, 1)
	setGrad(b, 1)
	o.Step()
	if !near(float64(a.Tensor.Data()[0]), 0.9) || !near(float64(b.Tensor.Data()[0]), 0.7) {
		t.Errorf("after one step a=%v b=%v", a.Tensor.Data(), b.Tensor.Data())
	}
	optim.SetLR(o, 0.01)
	if g1.LR != 0.01 || !near(float64(g2.LR), 0.03) {
		t.Errorf("SetLR: %v %v", g1, g2)
	}
	if len(optim.Params(o)) != 2 {
		t.Errorf("Params")
	}
	if !strings.Contains(g2.String(), "Group(fast: 1 tensors, 1 params, lr=0.03") {
		t.Errorf("String() = %q", g2)
	}
}

func TestParamsWithoutGradAreSkipped(t *testing.T) {
	a, b := param("a", 1), param("b", 1)
	o := optim.NewAdam(optim.Groups([]nn.NamedParam{a, b}, 0.1, 0), optim.DefaultAdam())
	setGrad(a, 1)
	o.Step()
	if b.Tensor.Data()[0] != 1 || o.State()["b.step"].Item() != 0 || o.State()["a.step"].Item() != 1 {
		t.Errorf("a parameter without a gradient was updated")
	}
	o.ZeroGrad()
	if a.Tensor.Grad().Data()[0] != 0 {
		t.Errorf("ZeroGrad")
	}
}

// model is a small two-layer net and its data, for save/resume tests.
func model(seed uint64) *nn.MLP { return nn.NewMLP([]int{4, 8, 3}, nn.GELU, tensor.NewRNG(seed)) }

func trainSteps(m *nn.MLP, o optim.Optimizer, from, to int) {
	for step := from; step < to; step++ {
		x := tensor.Randn(tensor.NewRNG(uint64(100+step)), 5, 4)
		o.ZeroGrad()
		tensor.CrossEntropy(m.Forward(x), []int{0, 1, 2, 1, 0}).Backward()
		optim.ClipGradNorm(m.Parameters(), 0.5)
		o.Step()
	}
}

func clone(st map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for k, v := range st {
		out[k] = v.Clone()
	}
	return out
}

func TestSaveLoadResumeIsExact(t *testing.T) {
	makers := map[string]func([]*optim.Group) optim.Optimizer{
		"sgd": func(g []*optim.Group) optim.Optimizer {
			return optim.NewSGD(g, optim.SGDConfig{Momentum: 0.9, Nesterov: true})
		},
		"adam":    func(g []*optim.Group) optim.Optimizer { return optim.NewAdam(g, optim.DefaultAdam()) },
		"adamw":   func(g []*optim.Group) optim.Optimizer { return optim.NewAdamW(g, optim.DefaultAdam()) },
		"adagrad": func(g []*optim.Group) optim.Optimizer { return optim.NewAdagrad(g, optim.DefaultAdagrad()) },
		"lamb":    func(g []*optim.Group) optim.Optimizer { return optim.NewLAMB(g, optim.DefaultLAMB()) },
	}
	for name, mk := range makers {
		// Uninterrupted: 6 steps.
		a := model(1)
		oa := mk(optim.SplitDecay(a.NamedParameters(), 0.05, 0.01))
		trainSteps(a, oa, 0, 3)
		savedModel, savedOpt := clone(a.StateDict()), clone(oa.State())
		trainSteps(a, oa, 3, 6)
		// Interrupted: a fresh model and optimizer resume from the save.
		b := model(2)
		ob := mk(optim.SplitDecay(b.NamedParameters(), 0.05, 0.01))
		if err := b.LoadStateDict(savedModel); err != nil {
			t.Fatal(err)
		}
		if err := ob.LoadState(savedOpt); err != nil {
			t.Fatal(err)
		}
		trainSteps(b, ob, 3, 6)
		for i, p := range a.Parameters() {
			pa, pb := p.Data(), b.Parameters()[i].Data()
			for j := range pa {
				if math.Float32bits(pa[j]) != math.Float32bits(pb[j]) {
					t.Fatalf("%s: parameter %d differs after resuming: %v vs %v", name, i, pa[j], pb[j])
				}
			}
		}
	}
}

func TestLoadStateErrors(t *testing.T) {
	p := param("w", 1, 2)
	o := optim.NewAdam(optim.Groups([]nn.NamedParam{p}, 0.1, 0), optim.DefaultAdam())
	err := o.LoadState(map[string]*tensor.Tensor{
		"w.step":       tensor.Scalar(3),
		"w.exp_avg":    tensor.Zeros(3),
		"w.momentum":   tensor.Zeros(2),
		"w.exp_avg_sq": nil,
	})
	var se *optim.StateError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want *optim.StateError", err, err)
	}
	msg := err.Error()
	for _, w := range []string{"missing keys w.exp_avg_sq", "unexpected keys w.momentum", "w.exp_avg: want [2], got [3]"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
	if o.State()["w.step"].Item() != 0 {
		t.Errorf("a failed load changed the state")
	}
}

func TestConfigErrors(t *testing.T) {
	p := []nn.NamedParam{param("w", 1)}
	cases := map[string]func(){
		"NewSGD":       func() { optim.NewSGD(optim.Groups(p, 0.1, 0), optim.SGDConfig{Nesterov: true}) },
		"NewAdam":      func() { optim.NewAdam(optim.Groups(p, -1, 0), optim.DefaultAdam()) },
		"NewAdamW":     func() { optim.NewAdamW(optim.Groups(p, 0.1, 0), optim.AdamConfig{Beta1: 1, Beta2: 0.9}) },
		"NewLAMB":      func() { optim.NewLAMB(optim.Groups(append(p, p[0]), 0.1, 0), optim.DefaultLAMB()) },
		"NewAdagrad":   func() { optim.NewAdagrad(optim.Groups(p, 0.1, 0), optim.AdagradConfig{Eps: -1}) },
		"ClipGradNorm": func() { optim.ClipGradNorm(nil, 0) },
		"WarmupCosine": func() { optim.WarmupCosine(1, 10, 5, 0) },
		"Constant":     func() { optim.Constant(-1) },
	}
	for op, fn := range cases {
		err := mustPanic(t, fn)
		var ce *optim.ConfigError
		if !errors.As(err, &ce) || ce.Op != op || !strings.HasPrefix(err.Error(), "optim."+op+": ") {
			t.Errorf("%s: got %T %v", op, err, err)
		}
	}
	bf := nn.NamedParam{Name: "h", Tensor: tensor.Zeros(2).To(tensor.BF16)}
	if err := mustPanic(t, func() { optim.NewSGD(optim.Groups([]nn.NamedParam{bf}, 0.1, 0), optim.SGDConfig{}) }); !strings.Contains(err.Error(), "bf16") {
		t.Errorf("BF16 parameter: %v", err)
	}
}

func TestClipGradNorm(t *testing.T) {
	a, b := param("a", 0, 0), param("b", 0)
	setGrad(a, 3, 0)
	setGrad(b, 4)
	ps := []*tensor.Tensor{a.Tensor, b.Tensor, tensor.Zeros(2).SetRequiresGrad(true)} // no grad: counts as 0
	if n := optim.ClipGradNorm(ps, 10); n != 5 || a.Tensor.Grad().Data()[0] != 3 {
		t.Errorf("below the limit: norm %v, grad %v", n, a.Tensor.Grad().Data())
	}
	if n := optim.ClipGradNorm(ps, 1); n != 5 {
		t.Errorf("returned %v, want the norm before clipping, 5", n)
	}
	if n := optim.GradNorm(ps); math.Abs(float64(n)-1) > 1e-6 {
		t.Errorf("norm after clipping %v, want 1", n)
	}
	if g := b.Tensor.Grad().Data()[0]; math.Abs(float64(g)-0.8) > 1e-6 {
		t.Errorf("b grad %v, want 0.8", g)
	}
	setGrad(b, float32(math.NaN()))
	before := a.Tensor.Grad().Data()[0]
	if n := optim.ClipGradNorm(ps, 1); !math.IsNaN(float64(n)) || a.Tensor.Grad().Data()[0] != before {
		t.Errorf("NaN norm: returned %v, grads %v", n, a.Tensor.Grad().Data())
	}
}

func TestSchedules(t *testing.T) {
	c := optim.Constant(0.1)
	if c.LR(0) != 0.1 || c.LR(1e6) != 0.1 || c.String() != "Constant(lr=0.1)" {
		t.Errorf("constant: %v", c)
	}
	lin := optim.WarmupLinear(1, 4, 14, 0.1)
	for step, want := range map[int]float64{0: 0.25, 3: 1, 4: 1, 9: 0.55, 14: 0.1, 100: 0.1} {
		if got := lin.LR(step); !near(float64(got), want) {
			t.Errorf("linear LR(%d) = %v, want %v", step, got, want)
		}
	}
	cos := optim.WarmupCosine(1, 0, 10, 0)
	for step, want := range map[int]float64{0: 1, 5: 0.5, 10: 0, 2: 0.5 * (1 + math.Cos(math.Pi*0.2))} {
		if got := cos.LR(step); !near(float64(got), want) {
			t.Errorf("cosine LR(%d) = %v, want %v", step, got, want)
		}
	}
	prev := float32(2)
	for s := 0; s < 12; s++ {
		if l := cos.LR(s); l > prev {
			t.Errorf("cosine rose at step %d", s)
		} else {
			prev = l
		}
	}
	if lin.String() != "WarmupLinear(peak=1, warmup=4, total=14, final=0.1)" || !strings.HasPrefix(cos.String(), "WarmupCosine(") {
		t.Errorf("String: %q %q", lin, cos)
	}
}

func TestAdamMinimisesQuadratic(t *testing.T) {
	w := param("w", 5, -3)
	target := tensor.FromFloat32s([]float32{1, 2})
	o := optim.NewAdamW(optim.Groups([]nn.NamedParam{w}, 0.1, 0), optim.DefaultAdam())
	sched := optim.WarmupCosine(0.1, 10, 300, 0.001)
	for step := 0; step < 300; step++ {
		optim.SetLR(o, sched.LR(step))
		o.ZeroGrad()
		w.Tensor.Sub(target).Pow(2).Sum().Backward()
		o.Step()
	}
	if d := w.Tensor.Data(); math.Abs(float64(d[0])-1) > 1e-2 || math.Abs(float64(d[1])-2) > 1e-2 {
		t.Errorf("w = %v, want [1 2]", d)
	}
}
