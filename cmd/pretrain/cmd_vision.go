package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/mae"
	"github.com/pretrain-go/pretrain/builtin/vision"
	"github.com/pretrain-go/pretrain/builtin/vit"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	register(&command{
		Name:    "zeroshot",
		Summary: "train the CLIP image–text objective on captioned images and report zero-shot accuracy from class-name prompts",
		Run:     runZeroShot,
	})
}

const imageTransferSynopsis = `--images DIR|synthetic [flags]

Image version of transfer: pretrains a ViT as a masked autoencoder (mae
objective: 75% of the patches masked, normalised-pixel loss; or with
--objective image-dae a denoising autoencoder) on the training images
without their labels, then fine-tunes it and the same ViT
from scratch, same steps and seeds, on the first N images of a seeded
random permutation of the training set for each --budgets entry, and
scores each run once, after its last step, on the whole test set. It also
trains the clip objective (images paired with generated captions of their
class) and reports zero-shot accuracy from held-out prompt phrasings.

--images DIR reads Fashion-MNIST in the layout of Debian's
dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist:
train-images-idx3-ubyte.gz, ...); --images synthetic makes a CI-size set of
generated 16×16 shapes. Writes results.md, results.json and vision.svg
into --out.`

// imageFlags are the flags shared by transfer --images and zeroshot.
type imageFlags struct {
	images          string
	patch, dim      int
	layers, threads int
	bf16            bool
	trainN, testN   int
}

func (f *imageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.images, "images", "", "Fashion-MNIST directory (Debian layout) or \"synthetic\" (required)")
	fs.IntVar(&f.patch, "patch", 0, "ViT patch size (default 7 for 28×28, 4 for synthetic)")
	fs.IntVar(&f.dim, "dim", 0, "ViT width (default 96, synthetic 32)")
	fs.IntVar(&f.layers, "layers", 0, "ViT blocks (default 4, synthetic 2)")
	fs.IntVar(&f.threads, "threads", 0, "kernel threads (0: all cores)")
	fs.BoolVar(&f.bf16, "bf16", false, "bf16 mixed precision for every matrix product (f32 master weights)")
	fs.IntVar(&f.trainN, "train-limit", 0, "use only the first N training images (0: all)")
	fs.IntVar(&f.testN, "test-limit", 0, "score on only the first N test images (0: all)")
}

// load reads the sets and fills the shape defaults into cfg.
func (f *imageFlags) load(cfg *vision.Config) error {
	synthetic := f.images == "synthetic"
	if f.trainN < 0 || f.testN < 0 || f.patch < 0 || f.dim < 0 || f.layers < 0 {
		return fmt.Errorf("--train-limit, --test-limit, --patch, --dim and --layers must not be negative (0: the default)")
	}
	switch {
	case f.images == "":
		return fmt.Errorf("--images is required (a Fashion-MNIST directory or \"synthetic\")")
	case synthetic:
		cfg.Train = data.SyntheticImages(2000, 16, 4, 1)
		cfg.Test = data.SyntheticImages(1000, 16, 4, 2)
		e := &cfg.MAE.Encoder
		e.ImageSize, e.Patch, e.Dim, e.Layers, e.Heads, e.MLPHidden = 16, 4, 32, 2, 2, 64
		cfg.MAE.DecDim, cfg.MAE.DecLayers, cfg.MAE.DecHeads = 32, 1, 2
	default:
		var err error
		if cfg.Train, err = data.LoadFashionMNIST(f.images, true); err != nil {
			return err
		}
		if cfg.Test, err = data.LoadFashionMNIST(f.images, false); err != nil {
			return err
		}
	}
	if f.trainN > 0 && f.trainN < cfg.Train.N {
		cfg.Train = cfg.Train.Subset(seqInts(f.trainN))
	}
	if f.testN > 0 && f.testN < cfg.Test.N {
		cfg.Test = cfg.Test.Subset(seqInts(f.testN))
	}
	e := &cfg.MAE.Encoder
	if f.patch > 0 {
		e.Patch = f.patch
	}
	if f.dim > 0 {
		e.Dim, e.MLPHidden = f.dim, 2*f.dim
	}
	if f.layers > 0 {
		e.Layers = f.layers
	}
	if err := e.Validate(); err != nil {
		return err
	}
	cfg.Threads = f.threads
	if f.bf16 {
		cfg.Precision = tensor.BF16
	}
	return nil
}

// refuseFlags returns an error for the first of names set on the command
// line, for flags that the rest of the command line makes ignored (why
// says what does), so that no flag is silently a no-op.
func refuseFlags(fs *flag.FlagSet, why string, names ...string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && slices.Contains(names, f.Name) {
			err = fmt.Errorf("--%s does not apply %s", f.Name, why)
		}
	})
	return err
}

// strategyFlags refuses the fine-tuning flags that strategy ignores.
func strategyFlags(fs *flag.FlagSet, strategy string) error {
	if strategy != "lora" {
		if err := refuseFlags(fs, "to --strategy "+strategy+" (only to lora)", "lora-rank"); err != nil {
			return err
		}
	}
	if strategy != "full" {
		return refuseFlags(fs, "to --strategy "+strategy+" (only to full)", "layer-decay")
	}
	return nil
}

// shapeFlagsWithFrom are the encoder-shape flags a loaded backbone fixes.
var shapeFlagsWithFrom = []string{"patch", "dim", "layers"}

func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// hasImagesFlag reports whether args ask transfer for the image version.
func hasImagesFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-images" || a == "--images" || strings.HasPrefix(a, "-images=") || strings.HasPrefix(a, "--images=") {
			return true
		}
	}
	return false
}

func runImageTransfer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f imageFlags
	var cfg vision.Config
	var budgets, seeds, out string
	fs := newFlagSet("transfer", imageTransferSynopsis, stderr)
	f.register(fs)
	fs.StringVar(&out, "out", "runs/vision", "output directory")
	fs.StringVar(&budgets, "budgets", "100,1000,all", "label budgets, comma-separated (all: the whole training set)")
	fs.StringVar(&seeds, "seeds", "1,2,3", "fine-tuning seeds, comma-separated")
	fs.StringVar(&cfg.Objective, "objective", "mae", "pretraining objective: mae (masked autoencoder) or image-dae (denoising autoencoder: Gaussian noise, every patch seen)")
	fs.Float64Var(&cfg.Noise, "noise", 0, "image-dae: noise σ in normalised pixels ([-1, 1] range; default 0.5)")
	fs.IntVar(&cfg.PretrainSteps, "pretrain-steps", 0, "pretraining steps (default 6000; synthetic 150)")
	fs.IntVar(&cfg.PretrainBatch, "pretrain-batch", 0, "pretraining batch size (default 256)")
	fs.IntVar(&cfg.Steps, "steps", 0, "fine-tuning steps of every run (default 300; synthetic 60)")
	fs.IntVar(&cfg.Batch, "batch", 0, "fine-tuning batch size (default 64)")
	fs.Float64Var(&cfg.LR, "lr", 0, "fine-tuning peak learning rate (default 1e-3)")
	fs.Float64Var(&cfg.LayerLR, "layer-decay", 0, "full fine-tuning: layer-wise learning-rate decay (default 0.75; 1 for none)")
	fs.StringVar(&cfg.Strategy, "strategy", "full", "fine-tuning of both arms: full, probe (frozen encoder, linear head on its features) or lora")
	fs.IntVar(&cfg.LoRARank, "lora-rank", 0, "lora: adapter rank (default 8)")
	var from string
	fs.StringVar(&from, "from", "", "a pretrained ViT directory (OUT/pretrained of an earlier run) instead of pretraining")
	fs.IntVar(&cfg.CLIPSteps, "clip-steps", 0, "CLIP steps for the zero-shot figure (default 1000; synthetic 100; -1 skips CLIP)")
	if err := parseFlags(fs, "transfer", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pretrain transfer: unexpected argument %q (see pretrain transfer --images x -h)\n", fs.Arg(0))
		return errUsage
	}
	cfg.MAE = defaultMAE()
	if err := f.load(&cfg); err != nil {
		return err
	}
	if f.images == "synthetic" {
		defInt(&cfg.PretrainSteps, 150)
		defInt(&cfg.Steps, 60)
		defInt(&cfg.CLIPSteps, 100)
		defInt(&cfg.PretrainBatch, 128)
	}
	var err error
	if cfg.Budgets, err = parseInts(budgets, "--budgets", true); err != nil {
		return err
	}
	if cfg.Seeds, err = parseSeeds(seeds); err != nil {
		return err
	}
	if err := strategyFlags(fs, cfg.Strategy); err != nil {
		return err
	}
	if cfg.Objective != "image-dae" {
		if err := refuseFlags(fs, "to --objective "+cfg.Objective+" (only to image-dae)", "noise"); err != nil {
			return err
		}
	}
	if from != "" {
		if err := refuseFlags(fs, "with --from (the loaded backbone is already pretrained and fixes its shape)",
			slices.Concat(shapeFlagsWithFrom, []string{"pretrain-steps", "pretrain-batch", "objective", "noise"})...); err != nil {
			return err
		}
		if cfg.From, err = vit.Load(from); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	} else {
		cfg.SaveDir = filepath.Join(out, "pretrained")
	}
	cfg.Log = stderr
	rep, err := vision.Experiment(ctx, cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := rep.Write(out); err != nil {
		return err
	}
	rep.WriteTable(stdout)
	fmt.Fprintf(stdout, "\nwrote %s, %s and %s in %s\n", vision.ResultsMD, vision.ResultsJSON, vision.PlotSVG, out)
	return nil
}

func defaultMAE() mae.Config { return mae.Default() }

func defInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

const zeroShotSynopsis = `--images DIR|synthetic [flags]

Trains the clip objective (ViT image encoder and a small text encoder,
symmetric InfoNCE with a learnable temperature) on the training images
paired with generated captions of their class in several phrasings, then
classifies every test image by its nearest class prompt, built from
phrasings never used in training, and prints the accuracy.`

func runZeroShot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f imageFlags
	var cfg vision.Config
	fs := newFlagSet("zeroshot", zeroShotSynopsis, stderr)
	f.register(fs)
	fs.IntVar(&cfg.CLIPSteps, "steps", 0, "CLIP training steps (default 1000; synthetic 100)")
	fs.IntVar(&cfg.CLIPBatch, "batch", 0, "CLIP batch size (default 128)")
	if err := parseFlags(fs, "zeroshot", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pretrain zeroshot: unexpected argument %q (see pretrain zeroshot -h)\n", fs.Arg(0))
		return errUsage
	}
	cfg.MAE = defaultMAE()
	if err := f.load(&cfg); err != nil {
		return err
	}
	if f.images == "synthetic" {
		defInt(&cfg.CLIPSteps, 100)
	}
	if cfg.CLIPSteps < 0 {
		return fmt.Errorf("--steps: %d is negative", cfg.CLIPSteps)
	}
	cfg.Log = stderr
	m, err := vision.TrainCLIP(ctx, cfg)
	if err != nil {
		return err
	}
	acc := vision.ZeroShotAccuracy(m, cfg.Test)
	fmt.Fprintf(stdout, "zero-shot accuracy on %d test images: %.2f%% (chance %.2f%%, %d classes)\n", cfg.Test.N, 100*acc, 100/float64(len(cfg.Train.Classes)), len(cfg.Train.Classes))
	return nil
}

const imageFinetuneSynopsis = `--images DIR|synthetic [--from VIT] [flags]

Fine-tunes an image backbone (a ViT saved by transfer --images in
OUT/pretrained, or a fresh ViT when --from is empty) with a mean-pooled
linear head on the first --budget images of a seeded random permutation of
the training set, scores it once on the test set after the last step, and
writes the classifier (model.safetensors, config.json) to --out.
Strategies: full (layer-wise LR decay --layer-decay), probe (frozen
backbone, linear head on standardised features), lora.`

func runImageFinetune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f imageFlags
	var cfg vision.Config
	var from, out string
	var budget int
	var seed uint64
	fs := newFlagSet("finetune", imageFinetuneSynopsis, stderr)
	f.register(fs)
	fs.StringVar(&from, "from", "", "pretrained ViT directory (empty: train a fresh ViT from scratch)")
	fs.StringVar(&out, "out", "runs/finetune-images", "output directory for the classifier")
	fs.IntVar(&budget, "budget", 0, "labeled training images (0: all)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the subset, the head and the batches")
	fs.IntVar(&cfg.Steps, "steps", 0, "optimizer steps (default 300)")
	fs.IntVar(&cfg.Batch, "batch", 0, "batch size (default 64)")
	fs.Float64Var(&cfg.LR, "lr", 0, "peak learning rate (default 1e-3)")
	fs.Float64Var(&cfg.LayerLR, "layer-decay", 0, "full: layer-wise LR decay (default 0.75; 1 for none)")
	fs.StringVar(&cfg.Strategy, "strategy", "full", "full, probe or lora")
	fs.IntVar(&cfg.LoRARank, "lora-rank", 0, "lora: adapter rank (default 8)")
	if err := parseFlags(fs, "finetune", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pretrain finetune: unexpected argument %q (see pretrain finetune --images x -h)\n", fs.Arg(0))
		return errUsage
	}
	cfg.MAE = defaultMAE()
	if err := f.load(&cfg); err != nil {
		return err
	}
	if err := strategyFlags(fs, cfg.Strategy); err != nil {
		return err
	}
	var enc *vit.Model
	if from != "" {
		if err := refuseFlags(fs, "with --from (the loaded backbone fixes its shape)", shapeFlagsWithFrom...); err != nil {
			return err
		}
		var err error
		if enc, err = vit.Load(from); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		cfg.From = enc
	}
	clf, acc, err := vision.FinetuneModel(ctx, cfg, enc, budget, seed)
	if err != nil {
		return err
	}
	if err := clf.Save(out, cfg.Train.Classes); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test accuracy on %d images: %.2f%% (%s, %s labels, seed %d)\nwrote the classifier to %s\n",
		cfg.Test.N, 100*acc, cfg.Strategy, budgetLabel(budget), seed, out)
	return nil
}

func budgetLabel(b int) string {
	if b <= 0 {
		return "all"
	}
	return fmt.Sprint(b)
}
