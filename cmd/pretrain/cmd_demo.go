package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/kernels"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	register(&command{
		Name:    "demo",
		Summary: "train a tiny byte-level GPT on a page of Austen and show it learning",
		Run:     runDemo,
	})
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[flags]", stderr)
	steps := fs.Int("steps", 300, "training steps")
	chars := fs.Int("chars", 2048, "bytes of Pride and Prejudice to learn")
	seed := fs.Uint64("seed", 1, "random seed")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	lr := fs.Float64("lr", 3e-3, "AdamW learning rate")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *steps < 1 || *chars < 128 {
		return fmt.Errorf("--steps must be ≥ 1 and --chars ≥ 128")
	}
	kernels.SetThreads(*threads)
	text, err := corpus.AustenText("prideprejudice")
	if err != nil {
		return err
	}
	if len(text) > *chars {
		text = text[:*chars]
	}
	data := []byte(text)

	cfg := gpt.Tiny()
	rng := tensor.NewRNG(*seed)
	model, err := gpt.New(cfg, rng)
	if err != nil {
		return err
	}
	opt := optim.NewAdamW(optim.SplitDecay(model.NamedParameters(), float32(*lr), 0.01), optim.DefaultAdam())
	fmt.Fprintf(stdout, "pretrain demo: %s\n", model)
	fmt.Fprintf(stdout, "learning %d bytes of Pride and Prejudice, %d steps, kernels: %s, %d threads\n\n",
		len(data), *steps, kernels.Tier(), kernels.Threads())

	const batch = 8
	seqLen := cfg.ContextLen
	ids := make([]int, batch*seqLen)
	targets := make([]int, batch*seqLen)
	arena := tensor.NewArena()
	stepScope := tensor.NewScope().WithArena(arena)
	start := time.Now()
	for step := 1; step <= *steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for b := range batch {
			off := rng.Intn(len(data) - seqLen - 1)
			for t := range seqLen {
				ids[b*seqLen+t] = int(data[off+t])
				targets[b*seqLen+t] = int(data[off+t+1])
			}
		}
		l := model.Loss(stepScope, ids, targets, batch, seqLen)
		l.Backward()
		loss := l.Item()
		arena.Reset()
		optim.ClipGradNorm(model.Parameters(), 1)
		opt.Step()
		opt.ZeroGrad()
		if step == 1 || step%25 == 0 || step == *steps {
			fmt.Fprintf(stdout, "step %4d  loss %.4f  %.0f tokens/s\n", step, loss,
				float64(step*batch*seqLen)/time.Since(start).Seconds())
		}
	}
	prompt := data[:16]
	fmt.Fprintf(stdout, "\ngreedy continuation of %q:\n%s\n", prompt, generateGreedy(model, prompt, 120))
	return nil
}

// generateGreedy extends prompt byte by byte with the most likely next byte.
func generateGreedy(model *gpt.Model, prompt []byte, n int) string {
	seq := make([]int, 0, len(prompt)+n)
	for _, b := range prompt {
		seq = append(seq, int(b))
	}
	ctxLen := model.Config.ContextLen
	noGrad := tensor.NewScope().NoGrad()
	for range n {
		window := seq
		if len(window) > ctxLen {
			window = window[len(window)-ctxLen:]
		}
		logits := model.Forward(noGrad, window, 1, len(window))
		last := logits.Narrow(1, len(window)-1, 1)
		seq = append(seq, last.Argmax(-1)[0])
	}
	out := make([]byte, len(seq))
	for i, v := range seq {
		out[i] = byte(v)
	}
	return string(out)
}
