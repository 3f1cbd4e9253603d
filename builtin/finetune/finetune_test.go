package finetune

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// toy is a 3-class task a tiny model learns in a few dozen steps: the
// label is the animal named in the sentence.
func toy(n int, seed uint64) ([]data.Example, *data.LabelMap) {
	labels := data.NewLabelMap("cat", "dog", "owl")
	words := []string{"cat", "dog", "owl"}
	fill := []string{"the", "a", "saw", "near", "house", "green", "ran", "sat"}
	rng := tensor.NewRNG(seed)
	ex := make([]data.Example, n)
	for i := range ex {
		l := rng.Intn(3)
		text := ""
		for j := 0; j < 5; j++ {
			if j == 2 {
				text += words[l] + " "
			} else {
				text += fill[rng.Intn(len(fill))] + " "
			}
		}
		ex[i] = data.Example{Text: text, Label: words[l], LabelID: l, Source: "toy", Line: i + 1}
	}
	return ex, labels
}

func tinyModel(t *testing.T, seed uint64) *Model {
	t.Helper()
	g, err := gpt.New(gpt.Config{VocabSize: ByteVocab, ContextLen: 32, Dim: 32, Layers: 2, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(seed))
	if err != nil {
		t.Fatal(err)
	}
	_, labels := toy(1, 1)
	m, err := NewModel(NewGPT(g), ByteTokens(), "classify", map[string]string{"pooling": "mean", "dropout": "0"}, labels, 32, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStrategiesLearnToyTask(t *testing.T) {
	train, _ := toy(96, 1)
	eval, _ := toy(60, 2)
	for _, s := range Strategies {
		t.Run(s, func(t *testing.T) {
			m := tinyModel(t, 3)
			total := m.Backbone.NumParams() + m.Head.Module().NumParams()
			head := m.Head.Module().NumParams()
			res, err := Run(context.Background(), m, train, eval, Config{Strategy: s, LR: 3e-3, HeadLR: 1e-2, Steps: 60, EvalEvery: 20, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %v", s, res)
			switch s {
			case "probe":
				if res.Trainable != head {
					t.Fatalf("probe trained %d parameters, want the head's %d", res.Trainable, head)
				}
			case "lora":
				if res.Trainable <= head || res.Trainable >= total/2 {
					t.Fatalf("lora trained %d of %d", res.Trainable, total)
				}
			case "full", "llrd":
				if res.Trainable != total {
					t.Fatalf("%s trained %d of %d", s, res.Trainable, total)
				}
			case "gradual": // 60 steps of 6 per epoch: every group unfrozen
				if res.Trainable != total {
					t.Fatalf("gradual ended with %d of %d trainable", res.Trainable, total)
				}
			}
			if len(res.Curve) != 4 || res.Curve[0].Step != 0 || res.Curve[3].Step != 60 {
				t.Fatalf("curve %v", res.Curve)
			}
			// The kept weights are the best evaluation's.
			if got := Evaluate(m, eval); math.Abs(got.Accuracy-res.Best.Accuracy) > 1e-9 {
				t.Fatalf("model scores %.4f after the run, best was %.4f", got.Accuracy, res.Best.Accuracy)
			}
			if s != "probe" && res.Best.Accuracy < 0.6 { // chance is 1/3
				t.Fatalf("%s reached only %.3f", s, res.Best.Accuracy)
			}
		})
	}
}

func TestGradualUnfreezesOneGroupPerEpoch(t *testing.T) {
	train, _ := toy(32, 1) // 2 steps per epoch at batch 16
	m := tinyModel(t, 4)
	layers := m.Backbone.Layers() // embeddings, block 0, block 1 (+ ln_f)
	var trainable []int
	for epochs := 1; epochs <= 3; epochs++ {
		m := tinyModel(t, 4)
		res, err := Run(context.Background(), m, train, nil, Config{Strategy: "gradual", Steps: 2 * epochs, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		trainable = append(trainable, res.Trainable)
	}
	head := m.Head.Module().NumParams()
	n := func(i int) int {
		s := 0
		for _, p := range layers[i] {
			s += p.Tensor.Numel()
		}
		return s
	}
	want := []int{head, head + n(2), head + n(2) + n(1)}
	for i := range want {
		if trainable[i] != want[i] {
			t.Fatalf("after %d epochs %d parameters trainable, want %d (all: %v)", i+1, trainable[i], want[i], trainable)
		}
	}
}

func TestLLRDGroups(t *testing.T) {
	m := tinyModel(t, 1)
	groups, err := Groups(m, Config{Strategy: "llrd", LR: 1, HeadLR: 2, Decay: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	lr := map[string]float32{}
	for _, g := range groups {
		for _, p := range g.Params {
			lr[p.Name] = g.LR
		}
	}
	for name, want := range map[string]float32{"wte.weight": 0.25, "blocks.0.attn.qkv.weight": 0.5, "blocks.1.mlp.fc1.weight": 1, "ln_f.weight": 1, "out.weight": 2} {
		if lr[name] != want {
			t.Errorf("%s: lr %g, want %g", name, lr[name], want)
		}
	}
}

func TestSaveLoadPredictsTheSame(t *testing.T) {
	train, _ := toy(48, 1)
	eval, _ := toy(30, 2)
	for _, s := range []string{"full", "lora"} {
		m := tinyModel(t, 5)
		if _, err := Run(context.Background(), m, train, eval, Config{Strategy: s, LR: 3e-3, Steps: 12, Seed: 2, LoRADropout: 0.1}); err != nil {
			t.Fatal(err)
		}
		texts := []string{eval[0].Text, eval[1].Text, "an owl and a dog"}
		before := m.Logits(texts) // LoRA unmerged
		dir := filepath.Join(t.TempDir(), "model")
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		after := m.Logits(texts) // merged in place
		back, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		loaded := back.Logits(texts)
		for i := range before {
			for j := range before[i] {
				if before[i][j] != after[i][j] || before[i][j] != loaded[i][j] {
					t.Fatalf("%s: logit [%d][%d]: unmerged %g, merged %g, reloaded %g", s, i, j, before[i][j], after[i][j], loaded[i][j])
				}
			}
		}
		if back.Labels.Name(2) != "owl" || !back.Labels.Frozen() {
			t.Fatalf("labels %v", back.Labels)
		}
	}
}

func TestScore(t *testing.T) {
	m := Score([]string{"a", "b"}, []int{0, 0, 1, 1}, []int{0, 1, 1, 1}, nil)
	// a: P=1 R=.5 F1=2/3; b: P=2/3 R=1 F1=.8
	if m.Accuracy != 0.75 || math.Abs(m.MacroF1-(2.0/3+0.8)/2) > 1e-12 || m.Confusion[0][1] != 1 {
		t.Fatalf("%v %v", m, m.Confusion)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadPretrained(dir); err == nil {
		t.Fatal("no error for a directory without config.json")
	}
	m := tinyModel(t, 1)
	bbDir := filepath.Join(dir, "bb")
	if err := SavePretrained(bbDir, m.Backbone.(*GPT), m.Tokens, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPretrained(bbDir); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bbDir); err == nil {
		t.Fatal("Load accepted a backbone that is not a fine-tuned model")
	}
	if _, err := Run(context.Background(), m, nil, nil, Config{}); err == nil {
		t.Fatal("no error without examples")
	}
	if _, err := Run(context.Background(), m, []data.Example{{Text: "x", LabelID: 7}}, nil, Config{}); err == nil {
		t.Fatal("no error for a label id outside the model")
	}
	if _, err := Run(context.Background(), m, []data.Example{{Text: "x"}}, nil, Config{Strategy: "magic"}); err == nil {
		t.Fatal("no error for an unknown strategy")
	}
	_ = fmt.Sprint(m)
}

func TestAuxiliaryLosses(t *testing.T) {
	train, _ := toy(64, 1)
	eval, _ := toy(30, 2)
	for _, c := range []Config{{AuxMLM: 0.5}, {AuxLM: 0.5}} {
		m := tinyModel(t, 6)
		c.LR, c.HeadLR, c.Steps, c.EvalEvery, c.Seed = 3e-3, 1e-2, 40, 20, 1
		res, err := Run(context.Background(), m, train, eval, c)
		if err != nil {
			t.Fatal(err)
		}
		if res.Best.Accuracy < 0.6 {
			t.Fatalf("with %v: accuracy %.3f", c, res.Best.Accuracy)
		}
	}
	if _, err := Run(context.Background(), tinyModel(t, 6), train, nil, Config{Steps: 1, AuxMLM: -1}); err == nil {
		t.Fatal("negative AuxMLM accepted")
	}
}
