package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/presets"
	"github.com/pretrain-go/pretrain/builtin/transfer"
	"github.com/pretrain-go/pretrain/sdk/data"
)

func init() {
	register(&command{
		Name:    "transfer",
		Summary: "measure what pretraining buys: pretrained vs from-scratch accuracy at 50..all labels",
		Run:     runTransfer,
	})
}

const transferSynopsis = `[flags]

Pretrains a small GPT on the embedded Austen novels without the evaluation
paragraphs (or on --text, or takes --from): causal language modelling plus
a passage-contrastive term that pulls the mean token embeddings of two
nearby spans of a passage together (--contrastive 0 for plain clm). Then
for each label budget it fine-tunes it and trains the same architecture
from scratch with the same steps and seeds, on the "which novel is this
paragraph from" task (or --data/--eval).
Prints a table (accuracy, macro-F1, steps to reach scratch's best) and writes
results.md, results.json and transfer.svg into --out.

--images DIR|synthetic runs the image version (MAE-pretrained vs
from-scratch ViT, and CLIP zero-shot): see pretrain transfer --images x -h.

Protocol: each budget is drawn from the training pool (--budget-sampling
stratified: a random class-balanced draw per seed; first: the first N
examples); --valid-frac of it (default 20%, stratified) is held out as
the validation set that picks each run's checkpoint (--valid-frac 0: no
validation, the last step is kept), the rest trains. The --eval (test)
file is scored once per run, at the end, on every example (--eval-limit N
scores a random N instead, and the table says so). Texts are read whole,
in windows of --seq-len tokens (with --from: the backbone's context).

--text accepts plain text (paragraphs separated by blank lines) and the
text field of labeled .jsonl/.csv/.tsv files (--text-column; labels are
ignored); records of a labeled file are separate documents, so a
contrastive passage never spans two of them.

--backbone word2vec runs the same comparison for skip-gram word vectors
(trained in seconds on the same text) in an embedding table, mean-pooled,
with a linear classifier, against the same model with a random table; its
--lr and --head-lr default to 1e-2 and 1.`

func runTransfer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if hasImagesFlag(args) {
		return runImageTransfer(ctx, args, stdout, stderr)
	}
	var cfg transfer.Config
	var budgets, seeds, trainPath, evalPath string
	var cols labeledFlags
	var quick bool
	var export, model string
	var text listFlag
	var lr, headLR, contrastive float64
	var window, dim int
	var validFrac float64
	fs := newFlagSet("transfer", transferSynopsis, stderr)
	fs.StringVar(&cfg.Backbone, "backbone", "gpt", "gpt (a small GPT pretrained as a causal LM with the passage-contrastive term) or word2vec (skip-gram word vectors, mean-pooled)")
	fs.BoolVar(&cfg.FreezeVectors, "freeze-vectors", false, "word2vec: train the classifier only, the word vectors frozen (both arms)")
	fs.IntVar(&window, "window", 0, "word2vec: context window (default 50)")
	fs.IntVar(&dim, "dim", 0, "word2vec: vector size (default 100)")
	fs.StringVar(&cfg.From, "from", "", "pretrained backbone directory, or for word2vec a vector file (default: pretrain one into OUT/pretrained)")
	fs.StringVar(&cfg.Out, "out", "runs/transfer", "output directory")
	fs.StringVar(&budgets, "budgets", "50,100,200,500,all", "label budgets, comma-separated (all: the whole training set)")
	fs.StringVar(&seeds, "seeds", "1,2,3", "seeds, comma-separated")
	fs.IntVar(&cfg.Steps, "steps", 0, "fine-tuning steps of every run (default 100)")
	fs.IntVar(&cfg.PretrainSteps, "pretrain-steps", 0, "pretraining steps (default 2000)")
	fs.StringVar(&model, "model", "", "GPT shape: a preset (gpt-tiny, gpt-small; its vocabulary size too), default 2 layers of 128 with a 2048-token vocabulary")
	fs.Float64Var(&contrastive, "contrastive", 1, "weight of the passage-contrastive term in pretraining (0: plain causal LM)")
	fs.IntVar(&cfg.EvalLimit, "eval-limit", 0, "score the test (--eval) set on a random N of its examples (0: all)")
	fs.StringVar(&cfg.Sampling, "budget-sampling", "stratified", "how a budget is drawn from --data: stratified (random, class-balanced, per seed) or first (the first N examples)")
	fs.Float64Var(&validFrac, "valid-frac", 0.2, "fraction of each budget held out for checkpoint choice (0: none, keep the last step)")
	fs.Float64Var(&lr, "lr", 0, "fine-tuning learning rate of the backbone (both arms; default 1e-3, word2vec 1e-2)")
	fs.Float64Var(&headLR, "head-lr", 0, "learning rate of the classification head (both arms; default 1e-2, word2vec 1)")
	fs.IntVar(&cfg.SeqLen, "seq-len", 0, "tokens per window and pretraining row (default 64; with --from the backbone's context, more is an error)")
	fs.StringVar(&cfg.Pooling, "pooling", "mean", "classify pooling of both arms: mean, last or cls")
	fs.IntVar(&cfg.Finetune.LoRARank, "lora-rank", 0, "lora: adapter rank (default 8; alpha is twice the rank)")
	fs.StringVar(&cfg.Finetune.Strategy, "strategy", "full", "fine-tuning strategy of both arms: full, llrd, gradual, lora (probe freezes scratch's random backbone); word2vec: full, probe or gradual (the head trains alone for the first quarter of the steps)")
	fs.Var(&text, "text", "unlabeled pretraining text: file, folder or glob, .gz allowed, paragraphs separated by blank lines, or a .jsonl/.csv/.tsv file whose --text-column is read (repeatable; default: the Austen novels without the task's evaluation paragraphs)")
	fs.StringVar(&trainPath, "data", "", "labeled training file instead of the Austen task (.jsonl, .csv, .tsv)")
	fs.StringVar(&evalPath, "eval", "", "labeled evaluation file (with --data)")
	fs.StringVar(&cols.text, "text-column", "text", "column or JSON key of the text")
	fs.StringVar(&cols.label, "label-column", "label", "column or JSON key of the label")
	fs.StringVar(&export, "export", "", "write the Austen task as DIR/austen-train.jsonl and DIR/austen-eval.jsonl and stop")
	fs.BoolVar(&quick, "quick", false, "a run of about a minute: one seed, budget 100, 300 pretraining steps")
	if err := parseFlags(fs, "transfer", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pretrain transfer: unexpected argument %q (see pretrain transfer -h)\n", fs.Arg(0))
		return errUsage
	}
	if export != "" {
		tr, ev, err := transfer.ExportAusten(export)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s and %s\n", tr, ev)
		return nil
	}
	var err error
	if cfg.Budgets, err = parseInts(budgets, "--budgets", true); err != nil {
		return err
	}
	if cfg.Seeds, err = parseSeeds(seeds); err != nil {
		return err
	}
	if model != "" {
		p, err := presets.LookupFamily(model, "gpt", "")
		if err != nil {
			return fmt.Errorf("--model: %w", err)
		}
		cfg.Model, cfg.Vocab = *p.GPT, p.GPT.VocabSize
		cfg.Model.VocabSize, cfg.Model.ContextLen = 0, 0 // from the tokenizer and --seq-len
	}
	if contrastive < 0 {
		return fmt.Errorf("--contrastive: %g is negative", contrastive)
	}
	cfg.Contrastive = float32(contrastive)
	if contrastive == 0 {
		cfg.Contrastive = -1 // transfer.Config: negative is plain clm
	}
	if err := backboneFlagsApply(fs, cfg.Backbone); err != nil {
		return err
	}
	switch cfg.Backbone {
	case "gpt", "":
		cfg.Finetune.LR, cfg.Finetune.HeadLR = float32(lr), float32(headLR)
	case "word2vec":
		cfg.WordLR, cfg.WordHeadLR = float32(lr), float32(headLR)
		cfg.Word2Vec.Window, cfg.Word2Vec.Dim = window, dim
	default:
		return fmt.Errorf("--backbone: %q is not gpt or word2vec", cfg.Backbone)
	}
	switch {
	case validFrac < 0 || validFrac >= 1:
		return fmt.Errorf("--valid-frac %g: want 0 <= frac < 1", validFrac)
	case validFrac == 0:
		cfg.ValidFrac = -1 // transfer.Config: negative is none
	default:
		cfg.ValidFrac = validFrac
	}
	if cfg.Sampling != transfer.SampleStratified && cfg.Sampling != transfer.SampleFirst {
		return fmt.Errorf("--budget-sampling %q: want stratified or first", cfg.Sampling)
	}
	if quick {
		cfg.Budgets, cfg.Seeds, cfg.PretrainSteps, cfg.Steps, cfg.EvalLimit = []int{100}, []uint64{1}, 300, 60, 240
		cfg.Word2Vec.Epochs = 2
	}
	if len(text) > 0 {
		c, records, err := openPretrainText(text, cols.text)
		if err != nil {
			return fmt.Errorf("--text: %w", err)
		}
		cfg.Text, cfg.RecordDocuments = c, records
	}
	if (trainPath == "") != (evalPath == "") {
		return fmt.Errorf("--data and --eval go together")
	}
	if trainPath != "" {
		if cfg.Train, cfg.Labels, err = data.ReadLabeled(trainPath, cols.options(nil)); err != nil {
			return err
		}
		cfg.Labels.Freeze()
		if cfg.Eval, _, err = data.ReadLabeled(evalPath, cols.options(cfg.Labels)); err != nil {
			return err
		}
	}
	cfg.Progress = stderr
	rep, err := transfer.RunExperiment(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backbone: %s\n\n", rep.Backbone)
	rep.WriteTable(stdout)
	fmt.Fprintf(stdout, "\nwrote %s, %s and %s in %s (%s)\n", transfer.ResultsMD, transfer.ResultsJSON, transfer.PlotSVG, cfg.Out, rep.Elapsed.Round(1e9))
	if cfg.From == "" && cfg.Backbone == "word2vec" {
		fmt.Fprintf(stdout, "word vectors in %s\n", filepath.Join(cfg.Out, "pretrained", transfer.VectorsFile))
	} else if cfg.From == "" {
		fmt.Fprintf(stdout, "pretrained backbone in %s (use with pretrain finetune --from)\n", filepath.Join(cfg.Out, "pretrained"))
	}
	return nil
}

// parseInts reads a comma-separated list of non-negative integers ("all"
// is 0 where allowed).
func parseInts(s, flagName string, all bool) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if all && f == "all" {
			out = append(out, 0)
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s: %q is not a non-negative integer", flagName, f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty", flagName)
	}
	return out, nil
}

// openPretrainText opens --text: plain-text files as documents (paragraphs
// separated by blank lines), and the text column of labeled
// .jsonl/.csv/.tsv files, one record per example (records=true: each is
// its own document). Mixing the two kinds is an error.
func openPretrainText(paths []string, column string) (c *data.Corpus, records bool, err error) {
	files, err := data.ExpandPaths(paths)
	if err != nil {
		return nil, false, err
	}
	var labeled, plain []string
	for _, f := range files {
		if data.FormatOf(f) != data.FormatAuto {
			labeled = append(labeled, f)
		} else {
			plain = append(plain, f)
		}
	}
	if len(labeled) > 0 && len(plain) > 0 {
		return nil, false, fmt.Errorf("mixes labeled files (%s) with plain text (%s): give one kind", labeled[0], plain[0])
	}
	if len(labeled) == 0 {
		c, _, err := openData(paths)
		if err != nil {
			return nil, false, err
		}
		return c.WithOptions(data.CorpusOptions{Mode: data.Documents}), false, nil
	}
	var sources []data.Source
	for _, f := range labeled {
		h, err := os.Open(f)
		if err != nil {
			return nil, false, err
		}
		texts, err := finetune.ReadTexts(h, f, column)
		h.Close()
		if err != nil {
			return nil, false, err
		}
		var b strings.Builder
		for _, t := range texts {
			// One line per example: Lines mode makes each a record.
			b.WriteString(strings.Join(strings.Fields(t), " "))
			b.WriteByte('\n')
		}
		sources = append(sources, data.StringSource(f, b.String()))
	}
	return data.NewCorpus(sources, data.CorpusOptions{Mode: data.Lines}), true, nil
}

// parseSeeds reads the comma-separated --seeds list.
func parseSeeds(s string) ([]uint64, error) {
	ns, err := parseInts(s, "--seeds", false)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(ns))
	for i, n := range ns {
		out[i] = uint64(n)
	}
	return out, nil
}

// Flags of pretrain transfer that only one backbone reads.
var (
	gptOnlyTransferFlags  = []string{"pretrain-steps", "model", "contrastive", "seq-len", "pooling", "lora-rank"}
	wordOnlyTransferFlags = []string{"freeze-vectors", "window", "dim"}
)

// backboneFlagsApply refuses a flag set on the command line that the
// chosen backbone would ignore, so that no flag is silently a no-op.
func backboneFlagsApply(fs *flag.FlagSet, backbone string) error {
	ignored := gptOnlyTransferFlags
	if backbone == "gpt" || backbone == "" {
		ignored = wordOnlyTransferFlags
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && slices.Contains(ignored, f.Name) {
			err = fmt.Errorf("--%s does not apply to --backbone %s", f.Name, cmp.Or(backbone, "gpt"))
		}
	})
	return err
}
