package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	register(&command{
		Name:    "finetune",
		Summary: "fine-tune a pretrained model on labeled data (JSONL, CSV or TSV: text, label)",
		Run:     runFinetune,
	})
}

const finetuneSynopsis = `--from CKPT --data TRAIN [--eval EVAL] [flags]

Fine-tunes the backbone in CKPT (a ` + "`pretrain train --objective clm`" + ` output,
` + "`pretrain transfer`" + `'s pretrained/ folder, or a fine-tuned model) with a
task head on TRAIN, evaluating on EVAL after every epoch (or --eval-every
steps), stopping early after --patience evaluations without a better
accuracy, and writes the best model to --out (labels and tokenizer
included), ready for ` + "`pretrain predict`" + ` and ` + "`pretrain evaluate`" + `.

Labeled files are JSONL ({"text": ..., "label": ...}), CSV or TSV with a
header row, chosen by extension (.gz allowed). Strategies: full, probe
(frozen backbone), llrd (layer-wise LR decay), gradual (ULMFiT unfreezing),
lora (low-rank adapters, merged on save).

With --images DIR|synthetic it fine-tunes an image backbone instead (a ViT
from transfer --images): see pretrain finetune --images x -h.`

// labeledFlags are the column flags shared by finetune and evaluate.
type labeledFlags struct{ text, label string }

func (l *labeledFlags) options(labels *data.LabelMap) data.LabeledOptions {
	return data.LabeledOptions{TextColumn: l.text, LabelColumn: l.label, Labels: labels}
}

func runFinetune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if hasImagesFlag(args) {
		return runImageFinetune(ctx, args, stdout, stderr)
	}
	var (
		from, head, trainPath, evalPath, out, pooling string
		nLabels                                       int
		cols                                          labeledFlags
		cfg                                           finetune.Config
		lr, headLR, decay, dropout, auxLM, auxMLM     float64
		seqLen                                        int
		loraAlpha, loraDropout                        float64
	)
	fs := newFlagSet("finetune", finetuneSynopsis, stderr)
	fs.StringVar(&from, "from", "", "pretrained checkpoint directory (required)")
	fs.StringVar(&head, "head", "classify", "task head: classify, or a head registered by a plugin")
	fs.StringVar(&trainPath, "data", "", "training examples: .jsonl, .csv or .tsv (required)")
	fs.StringVar(&evalPath, "eval", "", "evaluation examples (labels must appear in --data)")
	fs.StringVar(&out, "out", "runs/finetune", "output directory for the best model")
	fs.StringVar(&cfg.Strategy, "strategy", "full", "full, probe, llrd, gradual or lora")
	fs.IntVar(&nLabels, "labels", 0, "expected number of labels (0: as found in --data)")
	fs.StringVar(&cols.text, "text-column", "text", "column or JSON key of the text")
	fs.StringVar(&cols.label, "label-column", "label", "column or JSON key of the label")
	fs.StringVar(&pooling, "pooling", "mean", "classify pooling: mean, last or cls")
	fs.Float64Var(&dropout, "dropout", 0.1, "head dropout")
	fs.IntVar(&cfg.Epochs, "epochs", 10, "passes over --data (when --steps is 0)")
	fs.IntVar(&cfg.Steps, "steps", 0, "optimizer steps (0: --epochs passes)")
	fs.IntVar(&cfg.BatchSize, "batch", 16, "examples per step")
	fs.IntVar(&seqLen, "seq-len", 0, "tokens per example (0: the backbone's context)")
	fs.Float64Var(&lr, "lr", 1e-3, "peak learning rate (linear warm-up and decay)")
	fs.Float64Var(&headLR, "head-lr", 0, "head learning rate (0: --lr)")
	fs.Float64Var(&decay, "decay", 0.8, "llrd: LR factor per layer down from the top")
	fs.IntVar(&cfg.EvalEvery, "eval-every", 0, "evaluate every N steps (0: every epoch)")
	fs.IntVar(&cfg.Patience, "patience", 3, "stop after N evaluations without improvement (0: never)")
	fs.IntVar(&cfg.LoRARank, "lora-rank", 8, "lora: adapter rank")
	fs.Float64Var(&loraAlpha, "lora-alpha", 16, "lora: scale numerator (update scaled by alpha/rank)")
	fs.Float64Var(&loraDropout, "lora-dropout", 0, "lora: adapter input dropout")
	fs.Float64Var(&auxLM, "aux-lm", 0, "weight of an auxiliary causal-LM loss on the training text (0: off)")
	fs.Float64Var(&auxMLM, "aux-mlm", 0, "weight of an auxiliary masked-LM loss with dynamic masking on the training text (0: off)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	bf16 := fs.Bool("bf16", false, "mixed-precision fine-tuning: matrix products in bfloat16 with float32 accumulation; weights, gradients and optimizer state stay float32")
	saveDType := fs.String("save-dtype", "f32", "dtype of the saved model weights: f32 or bf16")
	if err := parseFlags(fs, "finetune", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pretrain finetune: unexpected argument %q (see pretrain finetune -h)\n", fs.Arg(0))
		return errUsage
	}
	if from == "" || trainPath == "" {
		fmt.Fprintln(stderr, "pretrain finetune: --from and --data are required (see pretrain finetune -h)")
		return errUsage
	}
	if head == "tokens" || head == "regress" {
		return fmt.Errorf("--head %s needs per-token or numeric targets; finetune reads (text, label) classification data (use classify, or a script or plugin head)", head)
	}
	cfg.LR, cfg.HeadLR, cfg.Decay, cfg.AuxLM, cfg.AuxMLM = float32(lr), float32(headLR), float32(decay), float32(auxLM), float32(auxMLM)
	cfg.LoRAAlpha, cfg.LoRADropout = float32(loraAlpha), float32(loraDropout)
	cfg.Precision = precision(*bf16)
	dtype, err := tensor.ParseDType(*saveDType)
	if err != nil {
		return fmt.Errorf("--save-dtype: %w", err)
	}

	// Everything is read and checked before training, so bad input
	// writes nothing.
	train, labels, err := data.ReadLabeled(trainPath, cols.options(nil))
	if err != nil {
		return err
	}
	if nLabels > 0 && labels.Len() != nLabels {
		return fmt.Errorf("%s: --labels %d but the data has %d: %s", trainPath, nLabels, labels.Len(), strings.Join(labels.Names(), ", "))
	}
	if labels.Len() < 2 {
		return fmt.Errorf("%s: need at least 2 labels, found %d (%s)", trainPath, labels.Len(), strings.Join(labels.Names(), ", "))
	}
	labels.Freeze()
	var eval []data.Example
	if evalPath != "" {
		if eval, _, err = data.ReadLabeled(evalPath, cols.options(labels)); err != nil {
			return err
		}
	}
	pre, err := finetune.LoadPretrained(from)
	if err != nil {
		return err
	}
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return fmt.Errorf("--out %s exists and is not a directory", out)
	}
	m, err := finetune.NewModel(pre.Backbone, pre.Tokens, head, map[string]string{"pooling": pooling, "dropout": fmt.Sprint(dropout)}, labels, seqLen, cfg.Seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pretrain finetune: %s from %s on %d examples (%d labels: %s), eval %d; strategy %s\n",
		head, from, len(train), labels.Len(), strings.Join(labels.Names(), ", "), len(eval), cfg.Strategy)
	cfg.OnEval = func(p finetune.EvalPoint) { fmt.Fprintf(stdout, "  %v\n", p) }
	res, err := finetune.Run(ctx, m, train, eval, cfg)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if err := m.SaveAs(out, dtype); err != nil {
		return err
	}
	stop := ""
	if res.Stopped {
		stop = " (stopped early)"
	}
	fmt.Fprintf(stdout, "done: %d steps%s, %d of %d parameters trained, %s\n", res.Steps, stop, res.Trainable, res.Total, res.Elapsed.Round(1e8))
	if len(eval) > 0 {
		fmt.Fprintf(stdout, "best: step %d, %v\n", res.BestStep, res.Best)
	}
	fmt.Fprintf(stdout, "model in %s\n", out)
	return nil
}
