// Command head defines a new fine-tuning head in a script and trains it on
// the embedded Austen paragraph task: which of the six novels does a
// paragraph come from? The head pools a backbone's hidden states with
// learned attention weights (attention pooling) and classifies.
//
// The backbone here is a small byte embedding table trained together with
// the head; with a pretrained backbone the same head fine-tunes it.
//
//	pretrain run scripts/head -steps 150
//	go run ./scripts/head -steps 150
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

const pad = 256

// byteBackbone implements task.Backbone: script types implement SDK
// interfaces with their own methods (here forwarding to an nn.Base), never
// by embedding SDK types.
type byteBackbone struct {
	base  *nn.Base
	embed *nn.Embedding
}

func newByteBackbone(dim int, rng *tensor.RNG) *byteBackbone {
	bb := &byteBackbone{base: nn.NewBase(), embed: nn.NewEmbedding(pad+1, dim, rng)}
	bb.base.AddModule("embed", bb.embed)
	return bb
}

func (bb *byteBackbone) Encode(b *data.Batch) *tensor.Tensor {
	return bb.embed.Forward(b.Scope, b.InputIDs, b.Size, b.SeqLen)
}
func (bb *byteBackbone) Dim() int                             { return bb.embed.Dim }
func (bb *byteBackbone) NamedParameters() []nn.NamedParam     { return bb.base.NamedParameters() }
func (bb *byteBackbone) Parameters() []*tensor.Tensor         { return bb.base.Parameters() }
func (bb *byteBackbone) StateDict() map[string]*tensor.Tensor { return bb.base.StateDict() }
func (bb *byteBackbone) LoadStateDict(sd map[string]*tensor.Tensor) error {
	return bb.base.LoadStateDict(sd)
}
func (bb *byteBackbone) ZeroGrad()      { bb.base.ZeroGrad() }
func (bb *byteBackbone) NumParams() int { return bb.base.NumParams() }
func (bb *byteBackbone) Train(on bool)  { bb.base.Train(on) }
func (bb *byteBackbone) Training() bool { return bb.base.Training() }
func (bb *byteBackbone) String() string { return "ByteBackbone(" + bb.embed.String() + ")" }

// attnPool scores each position, softmaxes the scores over the real
// tokens and classifies the weighted sum of hidden states.
type attnPool struct {
	base     *nn.Base
	backbone task.Backbone
	score    *nn.Linear
	out      *nn.Linear
}

func (h *attnPool) logits(b *data.Batch) *tensor.Tensor {
	x := h.backbone.Encode(b)      // [B, T, D]
	s := h.score.Forward(x.Tanh()) // [B, T, 1]
	pad := tensor.FromInts(b.AttentionMask, b.Size, b.SeqLen, 1).MulScalar(-1).AddScalar(1)
	w := s.Add(pad.MulScalar(-1e4)).Softmax(1) // padding gets no weight
	return h.out.Forward(x.Mul(w).Sum(1))      // [B, classes]
}

// newAttnPool is the head's factory (task.HeadFactory).
func newAttnPool(backbone task.Backbone, cfg task.Config) (task.Head, error) {
	if cfg.Labels < 2 {
		return nil, fmt.Errorf("attn-pool: needs at least 2 labels, got %d", cfg.Labels)
	}
	rng := tensor.NewRNG(cfg.Seed)
	h := &attnPool{base: nn.NewBase(), backbone: backbone}
	h.score = nn.NewLinear(backbone.Dim(), 1, false, rng)
	h.out = nn.NewLinear(backbone.Dim(), cfg.Labels, true, rng)
	h.base.AddModule("score", h.score)
	h.base.AddModule("out", h.out)
	return &task.HeadFuncs{
		HeadName:    "attn-pool",
		Model:       h.base,
		LossFunc:    func(b *data.Batch) *tensor.Tensor { return tensor.CrossEntropy(h.logits(b), b.RowLabels) },
		PredictFunc: h.logits,
	}, nil
}

func encode(text string) []int {
	ids := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int(text[i])
	}
	return ids
}

// batchOf collates examples [from, from+n) into a padded labeled batch.
func batchOf(ex []data.Example, from, n, seqLen int) *data.Batch {
	seqs := make([][]int, 0, n)
	labels := make([]int, 0, n)
	for i := from; i < from+n; i++ {
		e := ex[i%len(ex)]
		seqs = append(seqs, encode(e.Text))
		labels = append(labels, e.LabelID)
	}
	b := data.PadBatch(seqs, seqLen, pad)
	b.RowLabels = labels
	return b
}

// accuracy of the head's predictions on n examples spread over ex (the
// split is ordered by novel).
func accuracy(h task.Head, ex []data.Example, n, seqLen int) float64 {
	sample := make([]data.Example, n)
	for i := range sample {
		sample[i] = ex[i*len(ex)/n]
	}
	right := 0
	noGrad := tensor.NewScope().NoGrad()
	for i := 0; i < n; i += 32 {
		b := batchOf(sample, i, 32, seqLen)
		b.Scope = noGrad
		for j, p := range h.Predict(b).Argmax(1) {
			if p == b.RowLabels[j] {
				right++
			}
		}
	}
	return float64(right) / float64((n+31)/32*32)
}

func main() {
	fs := flag.NewFlagSet("head", flag.ContinueOnError)
	steps := fs.Int("steps", 300, "optimizer steps")
	seqLen := fs.Int("seq-len", 128, "bytes per paragraph")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	trainEx, labels, err := corpus.AustenClassification("train")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	evalEx, _, err := corpus.AustenClassification("eval")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Register once: a REPL session (or a test) may run this again.
	if !contains(task.Default.Heads(), "attn-pool") {
		if err := task.RegisterHead("attn-pool", "attention pooling classifier (script)", newAttnPool); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	backbone := newByteBackbone(32, tensor.NewRNG(7))
	head, err := task.NewHead("attn-pool", backbone, task.Config{Labels: labels.Len(), Seed: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(head, "over", backbone, "classes", labels)

	params := append(backbone.NamedParameters(), head.Module().NamedParameters()...)
	opt := optim.NewAdam(optim.Groups(params, 2e-2, 0), optim.DefaultAdam())
	rng := data.NewRNG(1)
	shuffled := make([]data.Example, len(trainEx))
	for i, j := range rng.Perm(len(trainEx)) {
		shuffled[i] = trainEx[j]
	}
	before := accuracy(head, evalEx, 256, *seqLen)
	var first, last float32
	for step := 0; step < *steps; step++ {
		b := batchOf(shuffled, step*32, 32, *seqLen)
		loss := head.Loss(b)
		loss.Backward()
		opt.Step()
		opt.ZeroGrad()
		if step == 0 {
			first = loss.Item()
		}
		last = loss.Item()
		if step%25 == 0 {
			fmt.Printf("step %4d  loss %.4f\n", step, loss.Item())
		}
	}
	after := accuracy(head, evalEx, 256, *seqLen)
	fmt.Printf("trained %d steps: loss %.4f -> %.4f, eval accuracy %.3f -> %.3f (chance %.3f)\n",
		*steps, first, last, before, after, 1/float64(labels.Len()))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
