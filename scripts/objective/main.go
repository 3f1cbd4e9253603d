// Command objective defines a new pretraining objective in a script,
// registers it in the task registry beside the built-in ones, and trains
// it on the embedded Austen corpus with the compiled training loop
// (sdk/train): only the loss, a handful of coarse tensor ops, runs
// interpreted.
//
// The objective is a neural trigram language model (Bengio et al., 2003)
// over bytes: each byte is predicted from the embeddings of the two before
// it.
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

const pad = 256 // byte ids are 0-255; one more id pads

// trigram holds the model. Its parameters live in base, the nn.Module
// handed to the SDK (script types must not embed SDK types).
type trigram struct {
	base   *nn.Base
	embed  *nn.Embedding
	hidden *nn.Linear
	out    *nn.Linear
}

// loss predicts bytes 2..T-1 of each row from the two bytes before each.
func (m *trigram) loss(b *data.Batch) *tensor.Tensor {
	t := b.SeqLen
	x := m.embed.Forward(b.InputIDs, b.Size, t)
	ctx := tensor.Concat(2, x.Narrow(1, 0, t-2), x.Narrow(1, 1, t-2))
	logits := m.out.Forward(m.hidden.Forward(ctx).Tanh())
	targets := tensor.FromInts(b.Labels, b.Size, t).Narrow(1, 2, t-2).Ints()
	return tensor.CrossEntropyWith(logits.Reshape(b.Size*(t-2), m.out.Out), targets, data.IgnoreIndex, 0)
}

// newTrigram is the objective's factory, as a plugin would export it.
func newTrigram(cfg task.Config) (task.Objective, error) {
	dim, err := cfg.Int("dim", 24)
	if err != nil {
		return nil, err
	}
	hidden, err := cfg.Int("hidden", 64)
	if err != nil {
		return nil, err
	}
	rng := tensor.NewRNG(cfg.Seed)
	m := &trigram{base: nn.NewBase()}
	m.embed = nn.NewEmbedding(cfg.VocabSize, dim, rng)
	m.hidden = nn.NewLinear(2*dim, hidden, true, rng)
	m.out = nn.NewLinear(hidden, cfg.VocabSize, true, rng)
	m.base.AddModule("embed", m.embed)
	m.base.AddModule("hidden", m.hidden)
	m.base.AddModule("out", m.out)
	return &task.ObjectiveFuncs{
		ObjectiveName: "trigram-lm",
		Model:         m.base,
		Collate:       &data.CausalLMCollator{SeqLen: cfg.SeqLen, PadID: pad},
		LossFunc:      m.loss,
	}, nil
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
	if !contains(task.Default.Objectives(), "trigram-lm") {
		if err := task.RegisterObjective("trigram-lm", "neural trigram byte LM (script)", newTrigram); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	obj, err := task.NewObjective("trigram-lm", task.Config{VocabSize: pad + 1, SeqLen: *seqLen, Seed: 1})
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
