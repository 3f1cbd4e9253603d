package vit

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

var _ task.Backbone = (*Model)(nil)

type goldT struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func loadGolden(t *testing.T) (map[string]int, map[string]goldT) {
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Attrs   map[string]int   `json:"attrs"`
		Tensors map[string]goldT `json:"tensors"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g.Attrs, g.Tensors
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// TestPatchEmbedMatchesTorchConv2d: unfold + linear equals PyTorch's
// Conv2d(stride = kernel = patch) forward and backward (golden from
// testdata/gen_golden.py).
func TestPatchEmbedMatchesTorchConv2d(t *testing.T) {
	a, g := loadGolden(t)
	x := tensor.FromFloat32s(g["x"].Data, g["x"].Shape...).SetRequiresGrad(true)
	lin := nn.NewLinear(a["C"]*a["P"]*a["P"], a["D"], true, tensor.NewRNG(1))
	lin.Weight.CopyFrom(tensor.FromFloat32s(g["weight"].Data, a["D"], a["C"]*a["P"]*a["P"]))
	lin.Bias.CopyFrom(tensor.FromFloat32s(g["bias"].Data, a["D"]))
	out := lin.Forward(PatchifyTensor(x, a["P"]))
	if d := maxDiff(out.Float32s(), g["out"].Data); d > 1e-5 {
		t.Fatalf("forward differs from torch conv2d by %g", d)
	}
	out.Mul(tensor.FromFloat32s(g["gout"].Data, g["gout"].Shape...)).Sum().Backward()
	for name, got := range map[string]*tensor.Tensor{"grad.x": x.Grad(), "grad.weight": lin.Weight.Grad(), "grad.bias": lin.Bias.Grad()} {
		if d := maxDiff(got.Float32s(), g[name].Data); d > 1e-5 {
			t.Errorf("%s differs from torch by %g", name, d)
		}
	}
	// The data-side unfold used in training gives the same patches.
	fast := Patchify(g["x"].Data, a["B"], a["C"], a["H"], a["W"], a["P"])
	if d := maxDiff(fast, PatchifyTensor(x, a["P"]).Float32s()); d != 0 {
		t.Fatalf("Patchify and PatchifyTensor differ by %g", d)
	}
	if d := maxDiff(SinCos2D(a["grid"], a["dim"]), g["sincos"].Data); d > 1e-6 {
		t.Fatalf("2-D sin-cos positions differ from MAE's by %g", d)
	}
}

// TestPatchEmbedGradCheck compares Backward with central finite
// differences for the input, weight and bias of a patch embedding.
func TestPatchEmbedGradCheck(t *testing.T) {
	rng := tensor.NewRNG(5)
	x := tensor.Randn(rng, 2, 2, 6, 6).SetRequiresGrad(true)
	lin := nn.NewLinear(2*3*3, 5, true, rng)
	nn.InitNormal(lin.Bias, 0.5, rng)
	gout := tensor.Randn(rng, 2, 4, 5)
	loss := func() *tensor.Tensor { return lin.Forward(PatchifyTensor(x, 3)).Tanh().Mul(gout).Sum() }
	for _, p := range []*tensor.Tensor{x, lin.Weight, lin.Bias} {
		p.ZeroGrad()
	}
	loss().Backward()
	for pi, p := range []*tensor.Tensor{x, lin.Weight, lin.Bias} {
		d, gd := p.Data(), p.Grad().Float32s()
		for i := range d {
			old := d[i]
			const h = 1e-2
			d[i] = old + h
			lp := float64(loss().Item())
			d[i] = old - h
			lm := float64(loss().Item())
			d[i] = old
			num := (lp - lm) / (2 * h)
			if math.Abs(num-float64(gd[i])) > 2e-2*math.Max(1, math.Abs(num)) {
				t.Fatalf("tensor %d element %d: backward %g, finite difference %g", pi, i, gd[i], num)
			}
		}
	}
}

func TestEncodeShapesAndErrors(t *testing.T) {
	cfg := Config{ImageSize: 8, Channels: 1, Patch: 4, Dim: 16, Layers: 2, Heads: 2}
	m, err := New(cfg, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	set := data.SyntheticImages(3, 8, 2, 1)
	b := (&data.ImageCollator{Set: set}).Images([]int{0, 1, 2}, nil)
	h := m.Encode(b)
	if s := h.Shape(); len(s) != 3 || s[0] != 3 || s[1] != 4 || s[2] != 16 {
		t.Fatalf("Encode shape %v", s)
	}
	h.Sum().Backward()
	if m.Proj.Weight.Grad() == nil {
		t.Fatal("no gradient reached the patch embedding")
	}
	// A batch under a no-grad scope records nothing.
	b.Scope = tensor.NewScope().NoGrad()
	if m.Encode(b).RequiresGrad() {
		t.Fatal("Encode under a NoGrad scope requires grad")
	}
	b.Height = 12
	defer func() {
		var se *nn.ShapeError
		if r := recover(); r == nil || !errors.As(r.(error), &se) {
			t.Fatalf("wrong image size: recovered %v, want *nn.ShapeError", r)
		}
	}()
	m.Encode(b)
}

func TestConfigValidateAndMap(t *testing.T) {
	bad := []Config{{ImageSize: 28, Channels: 1, Patch: 5, Dim: 16, Layers: 1, Heads: 2}, {ImageSize: 28, Channels: 1, Patch: 7, Dim: 18, Layers: 1, Heads: 3}}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%v accepted", c)
		}
	}
	c := Small()
	raw, _ := json.Marshal(c.ConfigMap())
	var m map[string]any
	json.Unmarshal(raw, &m)
	back, err := ConfigFromMap(m)
	if err != nil || back != c {
		t.Fatalf("round trip %v %v", back, err)
	}
}

func TestSaveLoad(t *testing.T) {
	m, _ := New(Config{ImageSize: 8, Channels: 1, Patch: 4, Dim: 16, Layers: 1, Heads: 2}, tensor.NewRNG(2))
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if !IsSaved(dir) || IsSaved(t.TempDir()) {
		t.Fatal("IsSaved")
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := (&data.ImageCollator{Set: data.SyntheticImages(2, 8, 2, 1)}).Images([]int{0, 1}, nil)
	if d := maxDiff(m.Encode(b).Float32s(), back.Encode(b).Float32s()); d != 0 {
		t.Fatalf("loaded model differs by %g", d)
	}
	os.WriteFile(dir+"/config.json", []byte(`{"arch":"vit","image_size":8,"channels":1,"patch":4,"dim":32,"layers":1,"heads":2}`), 0o644)
	if _, err := Load(dir); err == nil {
		t.Fatal("weights of the wrong shape accepted")
	}
}
