// Command script-head shows a host application that takes a fine-tuning
// head from a user's Go script, run by the sandboxed yaegi interpreter of
// package repl, registers it in the task registry and fine-tunes with it.
// No plugin build step: the script is read at run time.
//
//	go run ./examples/script-head                 # the built-in sample script
//	go run ./examples/script-head -script my.go   # your own head
//
// The script is a package main defining
//
//	func NewHead(bb task.Backbone, cfg task.Config) (task.Head, error)
//
// (see sampleScript below); it may use the SDK packages only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/repl"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// sampleScript is a head written as a script: max-pooled states, a linear
// layer.
const sampleScript = `package main

import (
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func NewHead(bb task.Backbone, cfg task.Config) (task.Head, error) {
	base := nn.NewBase()
	out := nn.NewLinear(bb.Dim(), cfg.Labels, true, tensor.NewRNG(cfg.Seed))
	base.AddModule("out", out)
	logits := func(b *data.Batch) *tensor.Tensor { return out.Forward(bb.Encode(b).Max(1)) }
	return &task.HeadFuncs{HeadName: "script-maxpool", Model: base,
		LossFunc:    func(b *data.Batch) *tensor.Tensor { return tensor.CrossEntropy(logits(b), b.RowLabels) },
		PredictFunc: logits}, nil
}
`

// LoadScriptHead evaluates a script and registers its NewHead factory in
// the default task registry under name.
func LoadScriptHead(ctx context.Context, name, src string, stderr io.Writer) error {
	it, err := repl.New(repl.Options{Stdout: stderr, Stderr: stderr})
	if err != nil {
		return err
	}
	if _, err := it.Eval(ctx, src); err != nil {
		return err
	}
	v, err := it.Value("NewHead")
	if err != nil {
		return err
	}
	f, ok := v.Interface().(func(task.Backbone, task.Config) (task.Head, error))
	if !ok {
		return fmt.Errorf("script: NewHead has type %s, want func(task.Backbone, task.Config) (task.Head, error)", v.Type())
	}
	// Every call into the script goes through the interpreter's guard, so
	// a script panic becomes an error with its position.
	guarded := func(bb task.Backbone, cfg task.Config) (h task.Head, err error) {
		if cerr := it.Call(ctx, 0, "NewHead", func() { h, err = f(bb, cfg) }); cerr != nil {
			return nil, cerr
		}
		return h, err
	}
	return task.RegisterHead(name, "head from a script", guarded)
}

// toyTask is a 3-class task: the label is the animal named.
func toyTask(n int, seed uint64) []data.Example {
	animals := []string{"cat", "dog", "owl"}
	rng := tensor.NewRNG(seed)
	ex := make([]data.Example, n)
	for i := range ex {
		l := rng.Intn(3)
		ex[i] = data.Example{Text: fmt.Sprintf("the %s sat near house %d", animals[l], rng.Intn(9)), Label: animals[l], LabelID: l}
	}
	return ex
}

// run fine-tunes a small byte-level GPT on the toy task with the script's
// head and prints the evaluation.
func run(ctx context.Context, src string, stdout, stderr io.Writer) error {
	if err := LoadScriptHead(ctx, "script-head", src, stderr); err != nil {
		return err
	}
	g, err := gpt.New(gpt.Config{VocabSize: finetune.ByteVocab, ContextLen: 32, Dim: 32, Layers: 1, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		return err
	}
	labels := data.NewLabelMap("cat", "dog", "owl")
	m, err := finetune.NewModel(finetune.NewGPT(g), finetune.ByteTokens(), "script-head", nil, labels, 32, 1)
	if err != nil {
		return err
	}
	res, err := finetune.Run(ctx, m, toyTask(96, 1), toyTask(30, 2), finetune.Config{LR: 3e-3, HeadLR: 1e-2, Steps: 40, EvalEvery: 20, Seed: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "head %s trained %d steps; %d labels\n", m.Head.Name(), res.Steps, m.Labels.Len())
	fmt.Fprintf(stderr, "eval: %v\n", res.Best)
	return nil
}

func main() {
	script := flag.String("script", "", "Go script defining NewHead (default: a built-in max-pooling head)")
	flag.Parse()
	src := sampleScript
	if *script != "" {
		b, err := os.ReadFile(*script)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		src = string(b)
	}
	if err := run(context.Background(), src, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "script-head:", err)
		os.Exit(1)
	}
}
