package optim_test

import (
	"fmt"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/internal/golden"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// goldenTol is the parity bound of issue 2: max error ≤ 1e-5 relative to the
// scale of the values (see golden.AssertClose).
const goldenTol = 1e-5

// goldenSteps is the number of optimizer steps stored per case.
const goldenSteps = 5

// goldenOptims builds each case's optimizer from the hyper-parameters stored
// in the file, so the test and the generator cannot drift apart silently.
var goldenOptims = map[string]func(c *golden.Case, gs []*optim.Group) optim.Optimizer{
	"sgd_momentum": newGoldenSGD,
	"sgd_nesterov": newGoldenSGD,
	"adam": func(c *golden.Case, gs []*optim.Group) optim.Optimizer {
		return optim.NewAdam(gs, adamConfig(c))
	},
	"adamw": func(c *golden.Case, gs []*optim.Group) optim.Optimizer {
		return optim.NewAdamW(gs, adamConfig(c))
	},
	"lamb": func(c *golden.Case, gs []*optim.Group) optim.Optimizer {
		return optim.NewLAMB(gs, adamConfig(c))
	},
	"adagrad": func(c *golden.Case, gs []*optim.Group) optim.Optimizer {
		return optim.NewAdagrad(gs, optim.AdagradConfig{
			LRDecay:            float32(c.Attr("lr_decay")),
			Eps:                float32(c.Attr("eps")),
			InitialAccumulator: float32(c.Attr("initial_accumulator_value")),
		})
	},
}

func newGoldenSGD(c *golden.Case, gs []*optim.Group) optim.Optimizer {
	return optim.NewSGD(gs, optim.SGDConfig{
		Momentum:  float32(c.Attr("momentum")),
		Dampening: float32(c.Attr("dampening")),
		Nesterov:  c.Attr("nesterov") == 1,
	})
}

func adamConfig(c *golden.Case) optim.AdamConfig {
	return optim.AdamConfig{Beta1: float32(c.Attr("beta1")), Beta2: float32(c.Attr("beta2")), Eps: float32(c.Attr("eps"))}
}

// goldenParams returns the parameters "w" and "b" holding the named golden
// values ("w"/"b" for the initial ones, "w.step2"/"b.step2" after step 2).
func goldenParams(c *golden.Case, suffix string) []nn.NamedParam {
	var ps []nn.NamedParam
	for _, n := range []string{"w", "b"} {
		s, d := c.Tensor(n + suffix)
		ps = append(ps, nn.NamedParam{Name: n, Tensor: tensor.FromFloat32s(d, s...).SetRequiresGrad(true)})
	}
	return ps
}

// runGoldenSteps applies steps from..to with the stored gradients and checks the
// parameters after each one.
func runGoldenSteps(t *testing.T, c *golden.Case, o optim.Optimizer, ps []nn.NamedParam, from, to int) {
	t.Helper()
	for k := from; k <= to; k++ {
		for _, p := range ps {
			p.Tensor.SetGrad(goldenTensor(c, fmt.Sprintf("grad.step%d.%s", k, p.Name)))
		}
		o.Step()
		for _, p := range ps {
			name := fmt.Sprintf("%s.step%d", p.Name, k)
			_, want := c.Tensor(name)
			golden.AssertClose(t, c.Name+" "+name, p.Tensor.Float32s(), want, goldenTol)
			if k == to {
				e, _ := golden.MaxScaledError(p.Tensor.Float32s(), want)
				t.Logf("%s %s: max scaled error %.2g", c.Name, name, e)
			}
		}
	}
}

func goldenTensor(c *golden.Case, name string) *tensor.Tensor {
	s, d := c.Tensor(name)
	return tensor.FromFloat32s(d, s...)
}

func loadGolden(t *testing.T, name string) *golden.Case {
	t.Helper()
	c, err := golden.Load("testdata/golden/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if c.Attr("steps") != goldenSteps {
		t.Fatalf("%s: %v steps stored, want %d", name, c.Attr("steps"), goldenSteps)
	}
	return c
}

// TestGoldenOptimizers runs 5 steps of each optimizer from the stored initial
// values with the stored gradients and compares every step with PyTorch 1.13
// (LAMB with the generator's reference, torch 1.13 having none).
func TestGoldenOptimizers(t *testing.T) {
	for _, name := range []string{"sgd_momentum", "sgd_nesterov", "adam", "adamw", "adagrad", "lamb"} {
		t.Run(name, func(t *testing.T) {
			c := loadGolden(t, name)
			ps := goldenParams(c, "")
			gs := optim.Groups(ps, float32(c.Attr("lr")), float32(c.Attr("weight_decay")))
			runGoldenSteps(t, c, goldenOptims[name](c, gs), ps, 1, goldenSteps)
		})
	}
}

// TestGoldenOptimizerResume stops each optimizer after 2 steps, moves its
// State into a fresh optimizer over fresh parameters (as a checkpoint
// resume does) and checks that steps 3 to 5 still follow PyTorch.
func TestGoldenOptimizerResume(t *testing.T) {
	for _, name := range []string{"sgd_momentum", "sgd_nesterov", "adam", "adamw", "adagrad", "lamb"} {
		t.Run(name, func(t *testing.T) {
			c := loadGolden(t, name)
			lr, wd := float32(c.Attr("lr")), float32(c.Attr("weight_decay"))
			ps := goldenParams(c, "")
			first := goldenOptims[name](c, optim.Groups(ps, lr, wd))
			runGoldenSteps(t, c, first, ps, 1, 2)

			saved := map[string]*tensor.Tensor{}
			for k, v := range first.State() {
				saved[k] = v.Clone()
			}
			ps2 := make([]nn.NamedParam, len(ps))
			for i, p := range ps {
				ps2[i] = nn.NamedParam{Name: p.Name, Tensor: p.Tensor.Clone().SetRequiresGrad(true)}
			}
			second := goldenOptims[name](c, optim.Groups(ps2, lr, wd))
			if err := second.LoadState(saved); err != nil {
				t.Fatalf("LoadState: %v", err)
			}
			runGoldenSteps(t, c, second, ps2, 3, goldenSteps)
		})
	}
}
