package main

import (
	"context"
	"errors"
	"flag"
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

const finetuneSynopsis = `--from CKPT --data TRAIN [--valid VALID] [--eval TEST] [flags]

Fine-tunes the backbone in CKPT with a
task head on TRAIN and writes the model to --out (labels and tokenizer
included), ready for ` + "`pretrain predict`" + ` and ` + "`pretrain evaluate`" + `.
CKPT is any ` + "`pretrain train`" + ` output (clm: the GPT; mlm, contrastive,
electra: the BERT encoder or discriminator; span, dae: the T5 encoder;
bilm: the biLSTM; skipgram, cbow, glove: the word vectors, mean-pooled),
` + "`pretrain transfer`" + `'s pretrained/ folder, a word-vector file, or a
fine-tuned model. Its own tokenizer (config.json, tokenizer.json beside
it) is used.

Model selection never sees the test data: a validation set (--valid FILE,
or by default --valid-frac of TRAIN, stratified by label, held out from
training) is scored every --eval-every steps; the weights of its best
accuracy are kept (--patience stops early). --valid-frac 0 without
--valid trains on all of TRAIN and keeps the last step. --eval TEST is
scored once, at the end, on every example.

Whole texts are read: a text longer than --seq-len tokens (default the
backbone's context) is covered by windows of --seq-len tokens, --stride
apart, and the logits are averaged over its windows; the banner prints
how many windows the texts need. --seq-len above the backbone's context
is an error. --scratch trains the same architecture from random weights
(a baseline). The defaults are those of ` + "`pretrain transfer`" + `.

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
		validPath                                     string
		validFrac                                     float64
		scratch                                       bool
		stride, maxWindows                            int
		nLabels                                       int
		cols                                          labeledFlags
		cfg                                           finetune.Config
		lr, headLR, decay, dropout, auxLM, auxMLM     float64
		seqLen                                        int
		loraAlpha, loraDropout                        float64
	)
	fs := newFlagSet("finetune", finetuneSynopsis, stderr)
	fs.StringVar(&from, "from", "", "pretrained checkpoint directory or word-vector file (required)")
	fs.StringVar(&head, "head", "classify", "task head: classify, or a head registered by a plugin")
	fs.StringVar(&trainPath, "data", "", "training examples: .jsonl, .csv or .tsv (required)")
	fs.StringVar(&validPath, "valid", "", "validation examples for checkpoint choice and early stopping (default: --valid-frac of --data)")
	fs.Float64Var(&validFrac, "valid-frac", 0.2, "fraction of --data held out for validation when --valid is not given (0: none, keep the last step)")
	fs.StringVar(&evalPath, "eval", "", "test examples, scored once at the end on every example (labels must appear in --data)")
	fs.BoolVar(&scratch, "scratch", false, "train the backbone's architecture from random weights (a baseline for --from)")
	fs.IntVar(&stride, "stride", 0, "tokens between the starts of a long text's windows (0: --seq-len, no overlap)")
	fs.IntVar(&maxWindows, "max-windows", 0, "read a long text through at most N windows spread over it (0: every window)")
	fs.StringVar(&out, "out", "runs/finetune", "output directory for the best model")
	fs.StringVar(&cfg.Strategy, "strategy", "full", "full, probe, llrd, gradual or lora")
	fs.IntVar(&nLabels, "labels", 0, "expected number of labels (0: as found in --data)")
	fs.StringVar(&cols.text, "text-column", "text", "column or JSON key of the text")
	fs.StringVar(&cols.label, "label-column", "label", "column or JSON key of the label")
	fs.StringVar(&pooling, "pooling", "mean", "classify pooling: mean, last or cls")
	fs.Float64Var(&dropout, "dropout", 0.1, "head dropout")
	fs.IntVar(&cfg.Epochs, "epochs", 0, "passes over the training examples (when --steps is 0)")
	fs.IntVar(&cfg.Steps, "steps", 100, "optimizer steps (0: --epochs passes)")
	fs.IntVar(&cfg.BatchSize, "batch", 16, "examples per step")
	fs.IntVar(&seqLen, "seq-len", 0, "tokens per window (0: the backbone's context; more is an error)")
	fs.Float64Var(&lr, "lr", 1e-3, "peak learning rate (linear warm-up and decay; word vectors: 1e-2)")
	fs.Float64Var(&headLR, "head-lr", 1e-2, "head learning rate (0: --lr; word vectors: 1)")
	fs.Float64Var(&decay, "decay", 0.8, "llrd: LR factor per layer down from the top")
	fs.IntVar(&cfg.EvalEvery, "eval-every", 0, "score the validation set every N steps (0: --steps/10, or every epoch with --epochs)")
	fs.IntVar(&cfg.Patience, "patience", 0, "stop after N validation scores without improvement (0: never)")
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
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["epochs"] && !set["steps"] {
		cfg.Steps = 0 // --epochs passes instead of the default step count
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
	var test, valid []data.Example
	if evalPath != "" {
		if test, _, err = data.ReadLabeled(evalPath, cols.options(labels)); err != nil {
			return err
		}
	}
	validFrom := ""
	if validPath != "" {
		if valid, _, err = data.ReadLabeled(validPath, cols.options(labels)); err != nil {
			return err
		}
		validFrom = validPath
	} else if validFrac > 0 {
		if train, valid, err = finetune.SplitValid(train, validFrac, cfg.Seed); err != nil {
			return fmt.Errorf("--valid-frac: %w", err)
		}
		validFrom = fmt.Sprintf("%.0f%% of %s", 100*validFrac, trainPath)
	} else if validFrac < 0 {
		return fmt.Errorf("--valid-frac %g is negative", validFrac)
	}
	if cfg.Steps > 0 && cfg.EvalEvery == 0 {
		cfg.EvalEvery = max(1, cfg.Steps/10)
	}
	pre, err := finetune.LoadPretrained(from)
	if err != nil {
		return err
	}
	if scratch {
		if err := pre.Randomize(1000 + cfg.Seed); err != nil {
			return err
		}
	}
	if pre.Backbone.Family() == "word-vectors" {
		// Mean-pooled word vectors are small: transfer's word-vector
		// rates, unless given.
		if !set["lr"] {
			cfg.LR = 1e-2
		}
		if !set["head-lr"] {
			cfg.HeadLR = 1
		}
	}
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return fmt.Errorf("--out %s exists and is not a directory", out)
	}
	m, err := finetune.NewModel(pre.Backbone, pre.Tokens, head, map[string]string{"pooling": pooling, "dropout": fmt.Sprint(dropout)}, labels, seqLen, cfg.Seed)
	if err != nil {
		return err
	}
	if stride < 0 || maxWindows < 0 {
		return fmt.Errorf("--stride and --max-windows must not be negative")
	}
	m.Stride, m.MaxWindows = stride, maxWindows
	kind := "pretrained " + from
	if scratch {
		kind = "scratch (random weights, the architecture of " + from + ")"
	}
	fmt.Fprintf(stdout, "pretrain finetune: %s over %s on %d examples (%d labels: %s); validation %d (%s); test %d; strategy %s\n",
		head, kind, len(train), labels.Len(), strings.Join(labels.Names(), ", "), len(valid), orNone(validFrom), len(test), cfg.Strategy)
	fmt.Fprintf(stdout, "texts: %s; %s\n", m.WindowString(), windowStats(m, train))
	cfg.OnEval = func(p finetune.EvalPoint) { fmt.Fprintf(stdout, "  validation %v\n", p) }
	cfg.OnProgress = func(p finetune.Progress) { fmt.Fprintf(stderr, "  %v\n", p) }
	res, err := finetune.Run(ctx, m, train, valid, cfg)
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
	if len(valid) > 0 {
		fmt.Fprintf(stdout, "kept: step %d, validation %v\n", res.BestStep, res.Best)
	} else {
		fmt.Fprintf(stdout, "kept: the last step (%d); no validation set\n", res.Steps)
	}
	if len(test) > 0 {
		fmt.Fprintf(stdout, "test (%s, scored once, all %d examples): %v\n", evalPath, len(test), finetune.Evaluate(m, test))
	}
	fmt.Fprintf(stdout, "model in %s\n", out)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// windowStats says how many windows the texts need.
func windowStats(m *finetune.Model, ex []data.Example) string {
	if len(ex) == 0 {
		return "no texts"
	}
	long, most := 0, 0
	for _, e := range ex {
		n := m.Windows(e.Text)
		if n > 1 {
			long++
		}
		most = max(most, n)
	}
	s := fmt.Sprintf("%d of %d training texts are longer than one window (at most %d windows)", long, len(ex), most)
	if m.MaxWindows > 0 && most > m.MaxWindows {
		s += fmt.Sprintf("; --max-windows %d reads the longer ones through %d evenly spread windows", m.MaxWindows, m.MaxWindows)
	}
	return s
}
