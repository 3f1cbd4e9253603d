// Command objective defines a new pretraining objective in a script,
// registers it in the task registry beside the built-in ones, and trains
// it on the embedded Austen corpus with the compiled training loop
// (sdk/train): only the loss, a handful of coarse tensor ops, runs
// interpreted.
//
// The objective is "neighbour MLM": BERT's masking (the SDK's MLM
// collator), but the model predicts each masked byte from the two bytes
// around it only. The same objective ships as the plugin
// plugins/examples/neighbormlm; if that plugin is loaded
// (pretrain run --plugin plugins/examples ...), the script trains the
// plugin's registration instead of its own.
//
//	pretrain run scripts/objective -steps 200
//	go run ./scripts/objective -steps 200
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/train"
)

// Byte ids are 0-255; two more ids mask and pad.
const (
	maskID = 256
	padID  = 257
	vocab  = 258
)

// model holds the network. Its parameters live in base, the nn.Module
// handed to the SDK (script types must not embed SDK types).
type model struct {
	base   *nn.Base
	embed  *nn.Embedding
	hidden *nn.Linear
	out    *nn.Linear
}

// loss predicts the masked bytes of positions 1..T-2 from their left and
// right neighbours.
func (m *model) loss(b *data.Batch) *tensor.Tensor {
	t := b.SeqLen
	x := m.embed.Forward(b.Scope, b.InputIDs, b.Size, t)
	ctx := tensor.Concat(2, x.Narrow(1, 0, t-2), x.Narrow(1, 2, t-2))
	logits := m.out.Forward(m.hidden.Forward(ctx).GELU())
	labels := tensor.FromInts(b.Labels, b.Size, t).Narrow(1, 1, t-2).Ints()
	return tensor.CrossEntropyWith(logits.Reshape(b.Size*(t-2), m.out.Out), labels, data.IgnoreIndex, 0)
}

// newObjective is the objective's factory, as a plugin exports it.
func newObjective(cfg task.Config) (task.Objective, error) {
	dim, err := cfg.Int("dim", 32)
	if err != nil {
		return nil, err
	}
	hidden, err := cfg.Int("hidden", 64)
	if err != nil {
		return nil, err
	}
	mask, pad := cfg.SpecialID("mask", cfg.VocabSize-2), cfg.SpecialID("pad", cfg.VocabSize-1)
	mc := data.DefaultMLMConfig(cfg.VocabSize, mask, pad, mask, pad)
	mc.SeqLen = cfg.SeqLen
	collator, err := data.NewMLMCollator(mc)
	if err != nil {
		return nil, err
	}
	rng := tensor.NewRNG(cfg.Seed)
	m := &model{base: nn.NewBase()}
	m.embed = nn.NewEmbedding(cfg.VocabSize, dim, rng)
	m.hidden = nn.NewLinear(2*dim, hidden, true, rng)
	m.out = nn.NewLinear(hidden, cfg.VocabSize, true, rng)
	m.base.AddModule("embed", m.embed)
	m.base.AddModule("hidden", m.hidden)
	m.base.AddModule("out", m.out)
	return &task.ObjectiveFuncs{ObjectiveName: "neighbor-mlm", Model: m.base, Collate: collator, LossFunc: m.loss}, nil
}

// encode maps text to byte ids (data preparation, not the training step).
func encode(text string) []int {
	ids := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int(text[i])
	}
	return ids
}

func main() {
	fs := flag.NewFlagSet("objective", flag.ContinueOnError)
	steps := fs.Int("steps", 300, "optimizer steps")
	batch := fs.Int("batch", 16, "rows per batch")
	seqLen := fs.Int("seq-len", 32, "bytes per row")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}

	// Register once: a REPL session (or a test) may run this again.
	if !contains(task.Default.Objectives(), "neighbor-mlm") {
		if err := task.RegisterObjective("neighbor-mlm", "masked bytes from their two neighbours (script)", newObjective); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	obj, err := task.NewObjective("neighbor-mlm", task.Config{VocabSize: vocab, SeqLen: *seqLen, Seed: 1,
		Special: map[string]int{"mask": maskID, "pad": padID}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(obj, "with", obj.Module().NumParams(), "parameters")

	opt := optim.NewAdam(optim.Groups(obj.Module().NamedParameters(), 1e-2, 0), optim.DefaultAdam())
	var first, last float64
	tr := train.New(obj, opt, data.LoaderConfig{
		Corpus:    corpus.AustenPretrainText(),
		Encode:    encode,
		BatchSize: *batch,
		PackLen:   *seqLen,
		PackSep:   '\n',
		DropLast:  true,
		Seed:      1,
	}, train.Config{
		Steps:    *steps,
		LogEvery: 10,
		OnStep: func(m train.Metrics) {
			if first == 0 {
				first = m.Loss
			}
			last = m.Loss
			fmt.Printf("step %4d  loss %.4f\n", m.Step, m.Loss)
		},
	})
	res, err := tr.Run(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "training:", err)
		os.Exit(1)
	}
	fmt.Printf("trained %d steps: loss %.4f -> %.4f\n", res.Steps, first, last)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
