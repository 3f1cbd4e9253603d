package vision

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/mae"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// tinyConfig is the CI-size experiment on synthetic 16×16 shapes.
func tinyConfig() Config {
	c := Config{Train: data.SyntheticImages(600, 16, 4, 1), Test: data.SyntheticImages(300, 16, 4, 2),
		Budgets: []int{40, 0}, Seeds: []uint64{1, 2}, PretrainSteps: 40, PretrainBatch: 64, Steps: 100, Batch: 32, CLIPSteps: 60, CLIPBatch: 64}
	c.MAE = mae.Default()
	e := &c.MAE.Encoder
	e.ImageSize, e.Patch, e.Dim, e.Layers, e.Heads, e.MLPHidden = 16, 4, 32, 2, 2, 64
	c.MAE.DecDim, c.MAE.DecLayers, c.MAE.DecHeads = 16, 1, 2
	return c
}

func TestExperimentCISize(t *testing.T) {
	cfg := tinyConfig()
	rep, err := Experiment(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2*2*2 {
		t.Fatalf("%d runs, want 8", len(rep.Runs))
	}
	for _, r := range rep.Runs {
		if r.Accuracy < 0 || r.Accuracy > 1 || math.IsNaN(r.Accuracy) {
			t.Fatalf("run %+v", r)
		}
	}
	// Training on every label must beat chance (25%) clearly.
	for _, c := range rep.Cells() {
		if c.Budget == 0 && c.Mean < 0.4 {
			t.Errorf("%s with all labels: accuracy %.2f", c.Arm, c.Mean)
		}
	}
	if math.IsNaN(rep.ZeroShot) || rep.ZeroShot < 0.4 {
		t.Errorf("zero-shot accuracy %v, want well above chance 0.25", rep.ZeroShot)
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ResultsMD, ResultsJSON, PlotSVG} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, ResultsMD))
	if !strings.Contains(string(md), "| 40 |") || !strings.Contains(string(md), "| all |") {
		t.Fatalf("table:\n%s", md)
	}
}

func TestStrategiesAndSubset(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 20
	for _, s := range []string{"probe", "lora"} {
		cfg.Strategy = s
		if s == "lora" {
			// Adapters on a random backbone learn slowly: more steps, higher LR.
			cfg.Steps, cfg.LR = 80, 5e-3
		}
		acc, err := Finetune(context.Background(), cfg, nil, 0, 1)
		if err != nil || acc < 0.3 {
			t.Errorf("%s: accuracy %.2f, %v", s, acc, err)
		}
	}
	cfg.Strategy = "bogus"
	if _, err := Finetune(context.Background(), cfg, nil, 0, 1); err == nil {
		t.Error("bogus strategy accepted")
	}
	a, b := Subset(100, 10, 1), Subset(100, 20, 1)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("budgets must be nested: the first N of one permutation")
		}
	}
	if len(Subset(100, 0, 1)) != 100 {
		t.Fatal("budget 0 must be all")
	}
}

// TestPrecisionReachesEveryStep checks that Precision BF16 changes the
// arithmetic of both the MAE pretraining and the fine-tuning steps (the
// products round their operands to bfloat16), while staying close to f32.
func TestPrecisionReachesEveryStep(t *testing.T) {
	cfg := tinyConfig()
	cfg.PretrainSteps, cfg.Steps = 8, 8
	var loss [2]float64
	var head [2][]float32
	for i, p := range []tensor.DType{tensor.F32, tensor.BF16} {
		cfg.Precision = p
		_, res, err := Pretrain(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		loss[i] = res.Loss
		clf, _, err := FinetuneModel(context.Background(), cfg, nil, 40, 1)
		if err != nil {
			t.Fatal(err)
		}
		head[i] = append([]float32(nil), clf.Head.Weight.Float32s()...)
	}
	if math.IsNaN(loss[1]) || loss[0] == loss[1] || math.Abs(loss[1]-loss[0]) > 0.1*loss[0] {
		t.Errorf("MAE loss f32 %v, bf16 %v: want different and within 10%%", loss[0], loss[1])
	}
	diff := 0
	for j := range head[0] {
		if head[0][j] != head[1][j] {
			diff++
		}
	}
	if diff == 0 {
		t.Error("fine-tuning in bf16 left the head's weights exactly as in f32")
	}
}

// TestExperimentImageDAE runs the experiment with the denoising
// autoencoder as the pretraining objective: the pretrained arm is named
// after it in the runs, the table and the report.
func TestExperimentImageDAE(t *testing.T) {
	cfg := tinyConfig()
	cfg.Objective, cfg.Noise = "image-dae", 0.3
	cfg.Budgets, cfg.Seeds, cfg.Steps, cfg.CLIPSteps = []int{0}, []uint64{1}, 60, -1
	rep, err := Experiment(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objective != "image-dae" || len(rep.Runs) != 2 || rep.Runs[0].Arm != "image-dae" || rep.Runs[1].Arm != "scratch" {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(rep.Config, "noise=0.3") || rep.PretrainSteps != 40 || math.IsNaN(rep.PretrainLoss) {
		t.Fatalf("config %q, %d steps, loss %v", rep.Config, rep.PretrainSteps, rep.PretrainLoss)
	}
	if c := rep.cell("image-dae", 0); c.Mean < 0.4 {
		t.Errorf("DAE-pretrained with all labels: accuracy %.2f", c.Mean)
	}
	var md strings.Builder
	rep.WriteTable(&md)
	if !strings.Contains(md.String(), "DAE-pretrained ViT") || !strings.Contains(md.String(), "DAE pretraining: 40 steps") {
		t.Fatalf("table:\n%s", md.String())
	}
	cfg.Objective = "bogus"
	if _, err := Experiment(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("objective bogus: %v", err)
	}
}
