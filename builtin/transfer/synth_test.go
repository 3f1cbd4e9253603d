package transfer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// topicWorld is a synthetic language with topics: each topic has its own
// content words, and a sentence mixes words of one topic with shared
// function words. Which topic a sentence is about can be learned from
// unlabeled text (content words of a topic co-occur) but not from a few
// labels alone (most content words never appear in them).
type topicWorld struct {
	topics [][]string
	fn     []string
	rng    *tensor.RNG
}

func newTopicWorld(topics, words int, seed uint64) *topicWorld {
	rng := tensor.NewRNG(seed)
	cons, vows := "bdfgklmnprstvz", "aeiou"
	word := func() string {
		var b strings.Builder
		for i := 0; i < 3; i++ {
			b.WriteByte(cons[rng.Intn(len(cons))])
			b.WriteByte(vows[rng.Intn(len(vows))])
		}
		return b.String()
	}
	w := &topicWorld{rng: rng, fn: []string{"the", "of", "and", "to", "in", "was", "it", "that"}}
	for t := 0; t < topics; t++ {
		var ws []string
		for i := 0; i < words; i++ {
			ws = append(ws, word())
		}
		w.topics = append(w.topics, ws)
	}
	return w
}

func (w *topicWorld) sentence(topic int) string {
	var parts []string
	for i := 0; i < 12; i++ {
		if w.rng.Intn(2) == 0 {
			parts = append(parts, w.topics[topic][w.rng.Intn(len(w.topics[topic]))])
		} else {
			parts = append(parts, w.fn[w.rng.Intn(len(w.fn))])
		}
	}
	return strings.Join(parts, " ")
}

func (w *topicWorld) labeled(n int, labels *data.LabelMap) []data.Example {
	ex := make([]data.Example, n)
	for i := range ex {
		t := w.rng.Intn(len(w.topics))
		ex[i] = data.Example{Text: w.sentence(t), Label: labels.Name(t), LabelID: t, Source: "synthetic", Line: i + 1}
	}
	return ex
}

// TestPretrainedWinsCISize is the experiment at CI size on the synthetic
// topic language: a small GPT pretrained for a few seconds on unlabeled
// topic text must beat the same architecture trained from scratch with 12
// labels, in accuracy (means over 2 seeds) and in steps to reach scratch's
// best.
func TestPretrainedWinsCISize(t *testing.T) {
	if pureGo {
		t.Skip("minutes with the purego kernels; runs in the default build")
	}
	w := newTopicWorld(4, 60, 7)
	var text strings.Builder
	for d := 0; d < 1500; d++ {
		topic := w.rng.Intn(4)
		for s := 0; s < 3; s++ {
			text.WriteString(w.sentence(topic) + " .\n")
		}
		text.WriteString("\n")
	}
	labels := data.NewLabelMap("t0", "t1", "t2", "t3")
	cfg := Config{
		Text:  data.NewCorpus([]data.Source{data.StringSource("topics.txt", text.String())}, data.CorpusOptions{Mode: data.Documents}),
		Vocab: 512, SeqLen: 32, Model: gpt.Config{Dim: 64, Layers: 2, Heads: 2, TiedEmbeddings: true},
		PretrainSteps: 400, PretrainBatch: 16, PretrainLR: 3e-3,
		PassageChars: 1, // a document is one topic; its neighbours are not
		Train:        w.labeled(400, labels), Eval: w.labeled(200, labels), Labels: labels,
		Budgets: []int{12}, Seeds: []uint64{1, 2}, Steps: 40, EvalEvery: 5,
		Out: t.TempDir(),
	}
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	rep, err := RunExperiment(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	row := rep.Rows[0]
	if row.PreAcc < row.ScratchAcc+0.15 {
		t.Fatalf("pretrained %.3f does not beat scratch %.3f by 15 points", row.PreAcc, row.ScratchAcc)
	}
	// The step statistics come from a validation set of 4 examples (20%
	// of 12, one per class), so only "no later than scratch" is asked.
	if row.PreReached != row.SeedsCounted || row.StepRatio > 1 {
		t.Fatalf("pretrained reached scratch's best in %d of %d seeds, step ratio %.2f", row.PreReached, row.SeedsCounted, row.StepRatio)
	}

	// LoRA on the same backbone trains under 5% of the parameters and
	// must reach 95% of full fine-tuning's accuracy (the probe's is
	// logged for comparison).
	acc := map[string]float64{}
	for _, strategy := range []string{"full", "lora", "probe"} {
		pre, err := finetune.LoadPretrained(filepath.Join(cfg.Out, "pretrained"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := finetune.NewModel(pre.Backbone, pre.Tokens, "classify", nil, labels, 32, 1)
		if err != nil {
			t.Fatal(err)
		}
		fc := finetune.Config{Strategy: strategy, LR: 1e-3, HeadLR: 1e-2, Steps: 100, EvalEvery: 10, Seed: 1, LoRARank: 2, LoRAAlpha: 4}
		if strategy == "lora" {
			fc.LR = 3e-3
		}
		res, err := finetune.Run(context.Background(), m, Sample(cfg.Train, 4, 100, 1), cfg.Eval, fc)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v", strategy, res)
		acc[strategy] = res.Best.Accuracy
		if frac := float64(res.Trainable) / float64(res.Total); strategy == "lora" && frac >= 0.05 {
			t.Errorf("lora trained %.1f%% of the parameters", 100*frac)
		}
	}
	t.Logf("lora reaches %.1f%% of full fine-tuning's accuracy (probe %.1f%%)", 100*acc["lora"]/acc["full"], 100*acc["probe"]/acc["full"])
	if acc["lora"] < 0.95*acc["full"] {
		t.Fatalf("lora accuracy %.3f is below 95%% of full fine-tuning's %.3f", acc["lora"], acc["full"])
	}
}
