package finetune

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/heads"
	"github.com/pretrain-go/pretrain/builtin/lora"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// goldenCase is one file written by tools/torchgolden_ft/gen.py.
type goldenCase struct {
	Attrs   map[string]float64 `json:"attrs"`
	Tensors map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"tensors"`
}

func loadGolden(t *testing.T, name string) *goldenCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c goldenCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func (c *goldenCase) tensor(t *testing.T, name string) *tensor.Tensor {
	t.Helper()
	g, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden tensor %q missing", name)
	}
	return tensor.FromFloat32s(append([]float32(nil), g.Data...), g.Shape...)
}

// close fails unless got matches the golden tensor within tol, scaled by
// max(1, |want|max).
func (c *goldenCase) close(t *testing.T, name string, got []float32, tol float64) {
	t.Helper()
	want := c.Tensors[name].Data
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, golden has %d", name, len(got), len(want))
	}
	scale, worst := 1.0, 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i])-float64(want[i])))
	}
	if worst/scale > tol {
		t.Errorf("%s: max scaled error %.3g > %.3g", name, worst/scale, tol)
	}
}

// fixedStates is a backbone whose states are a given leaf tensor.
type fixedStates struct {
	*nn.Base
	h *tensor.Tensor
}

func (f *fixedStates) Encode(*data.Batch) *tensor.Tensor { return f.h }
func (f *fixedStates) Dim() int                          { return f.h.Size(2) }

func TestGoldenClassifyHead(t *testing.T) {
	c := loadGolden(t, "classify_head")
	h := c.tensor(t, "h").SetRequiresGrad(true)
	bb := &fixedStates{Base: nn.NewBase(), h: h}
	head, err := task.NewHead("classify", bb, task.Config{Labels: 3, Options: map[string]string{"pooling": "mean", "dropout": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	cl := head.(*heads.Classifier)
	cl.Out.Weight.CopyFrom(c.tensor(t, "out.weight"))
	cl.Out.Bias.CopyFrom(c.tensor(t, "out.bias"))
	mask := c.tensor(t, "mask").Float32s()
	b := &data.Batch{Size: 2, SeqLen: 4, InputIDs: make([]int, 8), AttentionMask: make([]int, 8),
		RowLabels: []int{int(c.Attrs["labels0"]), int(c.Attrs["labels1"])}}
	for i, m := range mask {
		b.AttentionMask[i] = int(m)
	}
	c.close(t, "logits", head.Predict(b).Float32s(), 1e-6)
	loss := head.Loss(b)
	c.close(t, "loss", loss.Float32s(), 1e-6)
	loss.Backward()
	c.close(t, "grad.h", h.Grad().Float32s(), 1e-6)
	c.close(t, "grad.out.weight", cl.Out.Weight.Grad().Float32s(), 1e-6)
	c.close(t, "grad.out.bias", cl.Out.Bias.Grad().Float32s(), 1e-6)
}

func TestGoldenLLRD(t *testing.T) {
	c := loadGolden(t, "llrd")
	g, err := gpt.New(gpt.Config{VocabSize: 8, ContextLen: 4, Dim: 4, Layers: 2, Heads: 1, MLPHidden: 16, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(NewGPT(g), &Tokens{Kind: "bytes", Vocab: 8}, "classify", map[string]string{"dropout": "0"}, data.NewLabelMap("a", "b", "c"), 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	params := append(g.NamedParameters(), m.Head.Module().NamedParameters()...)
	for _, p := range params {
		p.Tensor.CopyFrom(c.tensor(t, p.Name))
	}
	groups, err := Groups(m, Config{Strategy: "llrd", LR: float32(c.Attrs["lr"]), Decay: float32(c.Attrs["decay"]),
		HeadLR: float32(c.Attrs["head_lr"]), WD: float32(c.Attrs["wd"])})
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdamW(groups, optim.DefaultAdam())
	for k := 1; k <= int(c.Attrs["steps"]); k++ {
		for _, p := range params {
			p.Tensor.SetGrad(c.tensor(t, fmt.Sprintf("grad.step%d.%s", k, p.Name)))
		}
		opt.Step()
		for _, p := range params {
			c.close(t, fmt.Sprintf("%s.step%d", p.Name, k), p.Tensor.Float32s(), 1e-6)
		}
	}
}

func TestGoldenLoRA(t *testing.T) {
	c := loadGolden(t, "lora")
	lin := nn.NewLinear(int(c.Attrs["in"]), int(c.Attrs["out"]), true, tensor.NewRNG(1))
	lin.Weight.CopyFrom(c.tensor(t, "weight"))
	lin.Bias.CopyFrom(c.tensor(t, "bias"))
	holder := nn.NewBase()
	holder.AddModule("proj", lin)
	ad, err := lora.Apply(holder, lora.Config{Rank: int(c.Attrs["rank"]), Alpha: float32(c.Attrs["alpha"])})
	if err != nil {
		t.Fatal(err)
	}
	a := ad.Adapters[0]
	a.A.CopyFrom(c.tensor(t, "lora_A"))
	a.B.CopyFrom(c.tensor(t, "lora_B"))
	opt := optim.NewAdamW([]*optim.Group{optim.NewGroup("lora", ad.NamedParameters(), float32(c.Attrs["lr"]), 0)}, optim.DefaultAdam())
	x, gout := c.tensor(t, "x"), c.tensor(t, "gout")
	for k := 1; k <= int(c.Attrs["steps"]); k++ {
		opt.ZeroGrad()
		ad.Refresh()
		y := lin.Forward(x)
		c.close(t, fmt.Sprintf("out.step%d", k), y.Float32s(), 1e-6)
		y.Mul(gout).Sum().Backward()
		opt.Step()
		c.close(t, fmt.Sprintf("lora_A.step%d", k), a.A.Float32s(), 1e-6)
		c.close(t, fmt.Sprintf("lora_B.step%d", k), a.B.Float32s(), 1e-6)
	}
	ad.Merge()
	c.close(t, "merged", lin.Weight.Float32s(), 1e-6)
}
