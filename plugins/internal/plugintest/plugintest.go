// Package plugintest holds the small training setup shared by the plugin
// tests and benchmarks: byte-level ids over the embedded Austen corpus and
// a Trainer run that records the loss curve.
package plugintest

import (
	"context"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/train"
)

// Vocab is 256 byte ids plus mask (256) and pad (257).
const Vocab = 258

// SeqLen is the row length used by the tests.
const SeqLen = 32

// Config is the task config the example objective is built with.
func Config(seed uint64) task.Config {
	return task.Config{VocabSize: Vocab, SeqLen: SeqLen, Seed: seed,
		Special: map[string]int{"mask": 256, "pad": 257}}
}

// Bytes encodes text as byte ids.
func Bytes(text string) []int {
	ids := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int(text[i])
	}
	return ids
}

// Loader streams packed byte rows of the Austen corpus through the
// objective's collator.
func Loader(obj task.Objective, batch int, seed uint64) data.LoaderConfig {
	return data.LoaderConfig{
		Corpus:    corpus.AustenPretrainText(),
		Encode:    Bytes,
		Collator:  obj.Collator(),
		BatchSize: batch,
		Seed:      seed,
		PackLen:   SeqLen,
		PackSep:   int('\n'),
		DropLast:  true,
		Epochs:    -1,
	}
}

// Train runs steps optimizer steps of Adam with the sdk/train Trainer and
// returns the loss logged every logEvery steps.
func Train(ctx context.Context, obj task.Objective, steps, logEvery int) ([]float64, error) {
	opt := optim.NewAdam(optim.Groups(obj.Module().NamedParameters(), 1e-2, 0), optim.DefaultAdam())
	var losses []float64
	tr := train.New(obj, opt, Loader(obj, 16, 1), train.Config{
		Steps: steps, LogEvery: logEvery, Threads: 1,
		OnStep: func(m train.Metrics) { losses = append(losses, m.Loss) },
	})
	_, err := tr.Run(ctx)
	return losses, err
}

// Backbone is a byte embedding table as a task.Backbone.
type Backbone struct {
	*nn.Base
	Embed *nn.Embedding
}

// NewBackbone returns a Backbone of width dim.
func NewBackbone(dim int, seed uint64) *Backbone {
	b := &Backbone{Base: nn.NewBase(), Embed: nn.NewEmbedding(Vocab, dim, tensor.NewRNG(seed))}
	b.AddModule("embed", b.Embed)
	return b
}

// Encode embeds the input ids: [batch, seqLen, dim].
func (b *Backbone) Encode(batch *data.Batch) *tensor.Tensor {
	return b.Embed.Forward(batch.Scope, batch.InputIDs, batch.Size, batch.SeqLen)
}

// Dim is the embedding width.
func (b *Backbone) Dim() int { return b.Embed.Dim }

// LabeledBatches returns n batches of size rows from the Austen paragraph
// task (train split, spread over the novels), truncated to seqLen bytes.
func LabeledBatches(n, size, seqLen int) ([]*data.Batch, int, error) {
	ex, labels, err := corpus.AustenClassification("train")
	if err != nil {
		return nil, 0, err
	}
	var out []*data.Batch
	k := 0
	for i := 0; i < n; i++ {
		seqs := make([][]int, size)
		rows := make([]int, size)
		for j := range seqs {
			e := ex[(k*7919)%len(ex)]
			k++
			seqs[j] = Bytes(e.Text)
			rows[j] = e.LabelID
		}
		b := data.PadBatch(seqs, seqLen, 257)
		b.RowLabels = rows
		out = append(out, b)
	}
	return out, labels.Len(), nil
}

// TrainHead runs steps of Adam on a head and its backbone over batches and
// returns the loss of every step.
func TrainHead(h task.Head, bb task.Backbone, batches []*data.Batch, steps int) []float64 {
	params := append(bb.NamedParameters(), h.Module().NamedParameters()...)
	opt := optim.NewAdam(optim.Groups(params, 1e-2, 0), optim.DefaultAdam())
	var losses []float64
	for s := 0; s < steps; s++ {
		loss := h.Loss(batches[s%len(batches)])
		loss.Backward()
		opt.Step()
		opt.ZeroGrad()
		losses = append(losses, float64(loss.Item()))
	}
	return losses
}
