// Package transfer measures what pretraining buys: it pretrains a GPT
// backbone with the causal-LM objective plus a passage-contrastive term
// (lm.CLM.WithContrastive) on unlabeled text (by default the embedded Austen
// novels without the task's evaluation paragraphs), or takes any backbone
// finetune.LoadPretrained reads, then for each label budget fine-tunes it
// and trains the same architecture from scratch, with the same step
// budget, hyper-parameters and seeds, next to a bag-of-words Naive Bayes
// baseline (TrainNaiveBayes) on the same examples, and reports test
// accuracy, macro-F1 and how many steps the pretrained model needs to
// reach the scratch model's best validation accuracy.
//
// The protocol keeps the test set out of every choice: a budget is drawn
// from the training pool (Config.Sampling: stratified random per seed, or
// the first N), Config.ValidFrac of it is held out as the validation set
// that picks each run's checkpoint (or none: the last step is kept), and
// the test set (Config.Eval) is scored once per run, at the end, on every
// example unless Config.EvalLimit says otherwise. Texts are read whole, in
// windows of SeqLen tokens (finetune.Model). `pretrain transfer` runs it.
//
// Config.Backbone "word2vec" runs the same comparison for skip-gram word
// vectors trained on the same text (builtin/word2vec, seconds), mean-pooled
// under the "classify" head (heads.WordVectors), against that model with a
// random table of the same scale; words are split and normalised as
// word2vec's corpus reader does and unknown words skipped.
package transfer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/builtin/word2vec"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
	"github.com/pretrain-go/pretrain/sdk/train"
)

// Config sets up the experiment; zero fields take the defaults noted,
// which are the full run of `pretrain transfer`.
type Config struct {
	// Backbone is "gpt" (default: a small GPT pretrained with the causal-LM
	// objective, fine-tuned with the "classify" head) or "word2vec"
	// (skip-gram word vectors in an embedding table, mean-pooled, with
	// the "classify" head; the scratch arm draws the table at random with
	// the same scale).
	Backbone string

	// From is a pretrained backbone directory (finetune.LoadPretrained);
	// "" pretrains one into Out/pretrained. For Backbone "word2vec" it is
	// a vector file or a directory holding vectors.txt.
	From string
	// Out receives pretrained/, results.json, results.md and transfer.svg;
	// "" writes nothing.
	Out string

	// Pretraining (when From is ""): a BPE tokenizer of Vocab ids trained
	// on Text, then PretrainSteps steps of the clm objective with the
	// passage-contrastive term of weight Contrastive: Text's records
	// (paragraphs) are grouped into passages of consecutive paragraphs of
	// one source, at least PassageChars long, and each step draws two
	// nearby spans of SeqLen tokens from each of PretrainBatch passages.
	// A negative Contrastive pretrains with plain clm on PretrainBatch
	// packed rows of SeqLen tokens instead.
	Text          *data.Corpus // default corpus.AustenPretrainText()
	Vocab         int          // default 2048
	Model         gpt.Config   // default dim 128, 2 layers, 4 heads (vocab and context filled in)
	SeqLen        int          // default 64 when pretraining; the backbone's context with From
	PretrainSteps int          // default 2000
	PretrainBatch int          // default 32
	PretrainLR    float32      // default 2e-3
	Contrastive   float32      // default 1
	Temperature   float32      // default 0.1
	PassageChars  int          // default 2000
	// RecordDocuments makes every record of Text its own document: a
	// contrastive passage is then one record and never joins the next
	// one (for a file of independent texts, such as the text field of a
	// labeled JSONL file, where all records share one source). Otherwise
	// a passage runs over consecutive records of one source.
	RecordDocuments bool

	// Fine-tuning. Train and Eval default to the Austen paragraph task.
	Train, Eval []data.Example
	Labels      *data.LabelMap
	Budgets     []int    // labeled examples per run; 0 means all; default 50, 100, 200, 500, 0
	Seeds       []uint64 // default 1, 2, 3
	// Sampling picks a budget's examples from Train: "stratified"
	// (default: a random draw per seed, labels taking turns so every
	// class is present) or "first" (the first N examples in file order,
	// the same for every seed).
	Sampling string
	// ValidFrac of each budget's examples (stratified, default 0.2) is
	// held out as the validation set that picks each run's checkpoint;
	// the rest trains. Negative: no validation set, every example
	// trains and the last step is kept. Eval (the test set) is scored
	// once per run, at the end, and never chooses anything.
	ValidFrac float64
	Steps     int // optimizer steps of every run, pretrained and scratch alike; default 100
	EvalEvery int // validation every N steps; default Steps/10
	// EvalLimit scores the test set on a random N of its examples (0,
	// the default: every example).
	EvalLimit int
	Finetune  finetune.Config
	// Pooling of the classify head: mean (default), last or cls.
	Pooling  string
	Progress io.Writer // one line per run; nil: silent

	// Word-vector path (Backbone "word2vec"): Word2Vec configures the
	// skip-gram pretraining (default dim 100, window 50 — a paragraph-wide
	// context, so that vectors capture which book a word belongs to rather
	// than its syntax — min-count 5, 5 epochs; words are always
	// normalised); WordSeqLen, when positive, caps the words per example
	// (default 0: every word of the text is pooled);
	// the table trains at WordLR (default 1e-2) unless FreezeVectors, the
	// head at WordHeadLR (default 1: mean-pooled vectors are small). The
	// evaluations come every Steps/20 steps by default. Finetune.Strategy
	// applies too: full (default), probe (the same as FreezeVectors) or
	// gradual (head warm-up: the table stays frozen for the first quarter
	// of the steps, then trains); llrd and lora have no layers to act on
	// and are an error.
	Word2Vec      word2vec.Config
	WordSeqLen    int
	WordLR        float32
	WordHeadLR    float32
	FreezeVectors bool

	pretrainOut string
	evalTotal   int // test examples before EvalLimit
}

// String summarises the configuration.
func (c Config) String() string {
	if c.Backbone == BackboneWord2Vec {
		return fmt.Sprintf("transfer.Config(backbone=word2vec, from=%q, %v, words=%d, lr=%g, head-lr=%g, frozen=%t, strategy=%s, budgets=%v, seeds=%v, steps=%d, eval=%d)",
			c.From, c.Word2Vec.Defaults(), c.WordSeqLen, c.WordLR, c.WordHeadLR, c.FreezeVectors, cmp.Or(c.Finetune.Strategy, "full"), c.Budgets, c.Seeds, c.Steps, len(c.Eval))
	}
	return fmt.Sprintf("transfer.Config(from=%q, vocab=%d, %v, seq=%d, pretrain-steps=%d, batch=%d, contrastive=%g, τ=%g, passages=%d, budgets=%v (%s), seeds=%v, steps=%d, %s, test=%d)",
		c.From, c.Vocab, c.Model, c.SeqLen, c.PretrainSteps, c.PretrainBatch, c.Contrastive, c.Temperature, c.PassageChars, c.Budgets, c.Sampling, c.Seeds, c.Steps, c.selection(), len(c.Eval))
}

func (c *Config) pooling() string {
	if c.Pooling == "" {
		return "mean"
	}
	return c.Pooling
}

// protocol is the sentence above the results table.
func (c Config) protocol() string {
	sampling := "a stratified random draw per seed"
	if c.Sampling == SampleFirst {
		sampling = "the first N training examples (the same for every seed)"
	}
	test := fmt.Sprintf("all %d test examples", len(c.Eval))
	if len(c.Eval) < c.evalTotal {
		test = fmt.Sprintf("a random %d of the %d test examples (--eval-limit)", len(c.Eval), c.evalTotal)
	}
	texts := fmt.Sprintf("texts are read whole, in windows of %d tokens, logits averaged over a text's windows", c.SeqLen)
	if c.Backbone == BackboneWord2Vec {
		texts = "texts are read whole (every known word pooled)"
		if c.WordSeqLen > 0 {
			texts = fmt.Sprintf("texts are cut to their first %d known words", c.WordSeqLen)
		}
	}
	return fmt.Sprintf("Test accuracy and macro-F1 on %s, scored once per run after training; mean ± SD over %d seed(s). "+
		"Budgets (labels) are %s; %s; %s. Both arms train %d steps; Naive Bayes (bag of words, add-one) trains on all N labels.",
		test, len(c.Seeds), sampling, c.selection(), texts, c.Steps)
}

// selection says how a run's checkpoint is chosen.
func (c Config) selection() string {
	if c.ValidFrac < 0 {
		return "last step kept (no validation set)"
	}
	return fmt.Sprintf("checkpoint chosen on %.0f%% of each budget held out for validation", 100*c.ValidFrac)
}

func (c *Config) defaults() error {
	switch c.Backbone {
	case "":
		c.Backbone = BackboneGPT
	case BackboneGPT, BackboneWord2Vec:
	default:
		return fmt.Errorf("transfer: unknown backbone %q (want gpt or word2vec)", c.Backbone)
	}

	if c.Backbone == BackboneWord2Vec {
		switch c.Finetune.Strategy {
		case "", "full":
		case "gradual":
			if c.FreezeVectors {
				return fmt.Errorf("transfer: strategy gradual unfreezes the word vectors, which --freeze-vectors (FreezeVectors) keeps frozen")
			}
		case "probe":
			c.FreezeVectors = true
		default:
			return fmt.Errorf("transfer: strategy %q does not apply to word vectors (want full, probe or gradual)", c.Finetune.Strategy)
		}
	}
	if c.WordLR == 0 {
		c.WordLR = 1e-2
	}
	if c.WordHeadLR == 0 {
		c.WordHeadLR = 1
	}
	if c.Word2Vec.Window == 0 {
		c.Word2Vec.Window = 50
	}
	if c.Word2Vec.Seed == 0 {
		c.Word2Vec.Seed = 42
	}
	if c.Text == nil {
		// Paragraphs, so that a packed row is running text whose context
		// says which book it is from (shuffled lines would not).
		c.Text = corpus.AustenPretrainText().WithOptions(data.CorpusOptions{Mode: data.Documents})
	}
	if c.Vocab == 0 {
		c.Vocab = 2048
	}
	if c.SeqLen == 0 && c.From == "" {
		c.SeqLen = 64
	}
	switch c.Sampling {
	case "":
		c.Sampling = SampleStratified
	case SampleStratified, SampleFirst:
	default:
		return fmt.Errorf("transfer: unknown budget sampling %q (want stratified or first)", c.Sampling)
	}
	if c.ValidFrac == 0 {
		c.ValidFrac = 0.2
	}
	if c.ValidFrac >= 1 {
		return fmt.Errorf("transfer: validation fraction %g: want below 1 (negative: none)", c.ValidFrac)
	}
	if c.Model.Dim == 0 {
		c.Model = gpt.Config{Dim: 128, Layers: 2, Heads: 4, TiedEmbeddings: true}
	}
	if c.PretrainSteps == 0 {
		c.PretrainSteps = 2000
	}
	if c.Finetune.LR == 0 {
		c.Finetune.LR = 1e-3
	}
	if c.Finetune.HeadLR == 0 {
		c.Finetune.HeadLR = 1e-2
	}
	if c.PretrainBatch == 0 {
		c.PretrainBatch = 32
	}
	if c.Contrastive == 0 {
		c.Contrastive = 1
	}
	if c.Temperature == 0 {
		c.Temperature = 0.1
	}
	if c.PassageChars == 0 {
		c.PassageChars = 2000
	}
	if c.PretrainLR == 0 {
		c.PretrainLR = 2e-3
	}
	if c.Train == nil {
		var err error
		if c.Train, c.Labels, err = corpus.AustenClassification("train"); err != nil {
			return err
		}
		if c.Eval, _, err = corpus.AustenClassification("eval"); err != nil {
			return err
		}
	}
	if c.Labels == nil {
		return fmt.Errorf("transfer: Labels must be set with Train")
	}
	if len(c.Train) == 0 || len(c.Eval) == 0 {
		return fmt.Errorf("transfer: need training and evaluation examples (have %d and %d)", len(c.Train), len(c.Eval))
	}
	c.evalTotal = len(c.Eval)
	if c.EvalLimit > 0 && c.EvalLimit < len(c.Eval) {
		// A random subset: eval files are often sorted by label.
		perm := tensor.NewRNG(99).Perm(len(c.Eval))[:c.EvalLimit]
		sort.Ints(perm)
		sub := make([]data.Example, len(perm))
		for i, j := range perm {
			sub[i] = c.Eval[j]
		}
		c.Eval = sub
	}
	if c.Budgets == nil {
		c.Budgets = []int{50, 100, 200, 500, 0}
	}
	if c.Seeds == nil {
		c.Seeds = []uint64{1, 2, 3}
	}
	if c.Steps == 0 {
		c.Steps = 100
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = max(1, c.Steps/10)
		if c.Backbone == BackboneWord2Vec {
			c.EvalEvery = max(1, c.Steps/20) // evaluations are cheap here
		}
	}
	return nil
}

// Run is one fine-tuning run.
type Run struct {
	Pretrained bool
	Budget     int // labels used (training and validation together)
	Seed       uint64
	Accuracy   float64              // test accuracy of the kept checkpoint, scored once at the end
	MacroF1    float64              // its test macro-F1
	BestStep   int                  // the kept checkpoint's step (chosen on validation, or the last)
	ValidAcc   float64              // the kept checkpoint's validation accuracy (NaN without a validation set)
	Curve      []finetune.EvalPoint // validation accuracy during the run
}

// Row aggregates the runs of one budget (means over seeds).
type Row struct {
	Budget                   int // labels (all: the size of the training set)
	PreAcc, ScratchAcc       float64
	PreF1, ScratchF1         float64
	PreAccSD, ScratchAccSD   float64
	StepsToScratchBest       float64 // pretrained: first validation step at or above scratch's best validation accuracy (mean over seeds)
	ScratchBestStep          float64 // scratch: step of its best validation accuracy (mean)
	StepRatio                float64 // StepsToScratchBest / ScratchBestStep (mean of per-seed ratios)
	PreReached, SeedsCounted int     // seeds where the pretrained curve reached scratch's best
	// NBAcc (± NBAccSD) and NBF1: the bag-of-words Naive Bayes baseline
	// trained on the same budgets (all N examples: it needs no
	// validation set), scored on the same test set.
	NBAcc, NBAccSD, NBF1 float64
}

// Report is the experiment's outcome.
type Report struct {
	Config string
	// Protocol says what the figures are: the test set, how budgets were
	// drawn, how checkpoints were chosen.
	Protocol     string
	Backbone     string
	PretrainLoss float64
	PretrainTime time.Duration
	Runs         []Run
	Baseline     []Run // Naive Bayes on the same budgets (Pretrained false)
	Rows         []Row
	Elapsed      time.Duration
}

// Run performs the experiment.
func RunExperiment(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	rep := &Report{Config: cfg.String(), Protocol: cfg.protocol()}
	if cfg.Backbone == BackboneWord2Vec {
		return runWordVectors(ctx, cfg, rep, start)
	}
	var pre *finetune.Pretrained
	var err error
	if cfg.From != "" {
		if pre, err = finetune.LoadPretrained(cfg.From); err != nil {
			return nil, err
		}
		if c := pre.Backbone.Context(); c > 0 && cfg.SeqLen > c {
			return nil, &finetune.SeqLenError{SeqLen: cfg.SeqLen, Context: c}
		}
		if cfg.SeqLen == 0 {
			cfg.SeqLen = pre.Backbone.Context()
		}
		rep.Config, rep.Protocol = cfg.String(), cfg.protocol()
	} else {
		t0 := time.Now()
		if pre, rep.PretrainLoss, err = Pretrain(ctx, &cfg); err != nil {
			return nil, err
		}
		rep.PretrainTime = time.Since(t0)
		progress(cfg.Progress, "pretrained %v in %s, final loss %.3f\n", pre.Backbone, rep.PretrainTime.Round(time.Second), rep.PretrainLoss)
	}
	rep.Backbone = pre.Backbone.String()
	preState := map[string]*tensor.Tensor{}
	for k, v := range pre.Backbone.StateDict() {
		preState[k] = v.Clone()
	}
	for _, budget := range cfg.Budgets {
		for _, seed := range cfg.Seeds {
			sub := SampleBy(cfg.Sampling, cfg.Train, cfg.Labels.Len(), budget, seed)
			trainSet, validSet, err := cfg.split(sub, seed)
			if err != nil {
				return nil, err
			}
			rep.naiveBayes(&cfg, sub, seed)
			for _, pretrained := range []bool{true, false} {
				bb, err := pre.NewRandom(1000 + seed)
				if err != nil {
					return nil, err
				}
				if pretrained {
					if err := bb.LoadStateDict(preState); err != nil {
						return nil, err
					}
				}
				model, err := finetune.NewModel(bb, pre.Tokens, "classify", map[string]string{"pooling": cfg.pooling()}, cfg.Labels, cfg.SeqLen, seed)
				if err != nil {
					return nil, err
				}
				fc := cfg.Finetune
				fc.Steps, fc.EvalEvery, fc.Seed, fc.Patience = cfg.Steps, cfg.EvalEvery, seed, 0
				res, err := finetune.Run(ctx, model, trainSet, validSet, fc)
				if err != nil {
					return nil, err
				}
				test := finetune.Evaluate(model, cfg.Eval) // once, at the end
				r := Run{Pretrained: pretrained, Budget: len(sub), Seed: seed, Accuracy: test.Accuracy, MacroF1: test.MacroF1,
					BestStep: res.BestStep, ValidAcc: res.Best.Accuracy, Curve: res.Curve}
				if len(validSet) == 0 {
					r.BestStep, r.ValidAcc = res.Steps, math.NaN()
				}
				rep.Runs = append(rep.Runs, r)
				kind := "scratch"
				if pretrained {
					kind = "pretrained"
				}
				progress(cfg.Progress, "%4d labels, seed %d, %-10s test accuracy %.3f, macro-F1 %.3f (kept step %d, validation %.3f; %s)\n",
					r.Budget, seed, kind, r.Accuracy, r.MacroF1, r.BestStep, r.ValidAcc, res.Elapsed.Round(100*time.Millisecond))
			}
		}
	}
	rep.Rows = aggregate(rep.Runs, rep.Baseline)
	rep.Elapsed = time.Since(start)
	if cfg.Out != "" {
		if err := rep.Write(cfg.Out); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// Budget sampling modes (Config.Sampling).
const (
	SampleStratified = "stratified"
	SampleFirst      = "first"
)

// SampleBy draws a budget of n examples by mode: SampleFirst takes the
// first n in order (seed unused), anything else is Sample.
func SampleBy(mode string, ex []data.Example, labels, n int, seed uint64) []data.Example {
	if mode == SampleFirst {
		if n <= 0 || n >= len(ex) {
			return ex
		}
		return ex[:n]
	}
	return Sample(ex, labels, n, seed)
}

// split holds out the validation part of a budget.
func (c *Config) split(sub []data.Example, seed uint64) (train, valid []data.Example, err error) {
	if c.ValidFrac < 0 {
		return sub, nil, nil
	}
	return finetune.SplitValid(sub, c.ValidFrac, seed)
}

// Sample draws n examples (all when n is 0 or at least len(ex)),
// stratified: labels take turns so every class is present at small n.
func Sample(ex []data.Example, labels, n int, seed uint64) []data.Example {
	if n <= 0 || n >= len(ex) {
		return ex
	}
	rng := tensor.NewRNG(seed * 7919)
	byLabel := make([][]int, labels)
	for _, i := range rng.Perm(len(ex)) {
		l := ex[i].LabelID
		byLabel[l] = append(byLabel[l], i)
	}
	out := make([]data.Example, 0, n)
	for k := 0; len(out) < n; k++ {
		for l := 0; l < labels && len(out) < n; l++ {
			if k < len(byLabel[l]) {
				out = append(out, ex[byLabel[l][k]])
			}
		}
	}
	return out
}

// Pretrain trains a BPE tokenizer and a GPT on cfg.Text through the
// Trainer, with the clm objective and (unless cfg.Contrastive is negative)
// its passage-contrastive term, and (with cfg.Out set) saves them in
// Out/pretrained, loadable by finetune.LoadPretrained.
func Pretrain(ctx context.Context, cfg *Config) (*finetune.Pretrained, float64, error) {
	var sb strings.Builder
	if err := cfg.Text.Scan(ctx, func(r data.Record) error {
		sb.WriteString(oneLine(r.Text))
		sb.WriteByte('\n')
		return nil
	}); err != nil {
		return nil, 0, err
	}
	tok, err := tokenizer.TrainBPE(ctx, strings.NewReader(sb.String()), tokenizer.TrainOptions{VocabSize: cfg.Vocab, SpecialTokens: []string{"<pad>", "<eos>", "<mask>"}})
	if err != nil {
		return nil, 0, err
	}
	tokens := finetune.NewTokens(tok)
	eos, _ := tok.TokenID("<eos>")
	mc := cfg.Model
	mc.VocabSize, mc.ContextLen = tok.VocabSize(), cfg.SeqLen
	m, err := gpt.New(mc, tensor.NewRNG(42))
	if err != nil {
		return nil, 0, err
	}
	obj := lm.NewCLMFor(m, cfg.SeqLen, tokens.Pad)
	loader := data.LoaderConfig{Corpus: cfg.Text, Encode: func(s string) []int { return tok.Encode(oneLine(s)) },
		BatchSize: cfg.PretrainBatch, PackLen: cfg.SeqLen, PackSep: eos, DropLast: true, ShuffleBuffer: 4096, Epochs: -1}
	if cfg.Contrastive > 0 {
		// A step takes PretrainBatch whole passages; less text than that
		// cannot make a batch.
		if n, err := countPassages(ctx, cfg.Text, cfg.passageChars()); err != nil {
			return nil, 0, err
		} else if n < cfg.PretrainBatch {
			return nil, 0, fmt.Errorf("transfer: the pretraining text makes %d passage(s), fewer than the %d a pretraining step takes: give more text", n, cfg.PretrainBatch)
		}
		obj.WithContrastive(cfg.Contrastive, cfg.Temperature)
		// Whole passages, unpacked: the collator draws both spans of a
		// pair from the same one.
		loader.Corpus, loader.Open, loader.PackLen = nil, passages(cfg.Text, cfg.passageChars()), 0
		loader.Encode = func(s string) []int {
			var ids []int
			for _, para := range strings.Split(s, "\n") {
				ids = append(append(ids, tok.Encode(para)...), eos)
			}
			return ids
		}
	}
	opt := optim.NewAdamW(optim.SplitDecay(m.NamedParameters(), cfg.PretrainLR, 0.01), optim.DefaultAdam())
	tr := train.New(obj, opt, loader,
		train.Config{Steps: cfg.PretrainSteps, Seed: 42, ClipNorm: 1, LogEvery: max(1, cfg.PretrainSteps/10),
			Schedule: optim.WarmupCosine(cfg.PretrainLR, cfg.PretrainSteps/20, cfg.PretrainSteps, cfg.PretrainLR/10),
			OnStep: func(mt train.Metrics) {
				progress(cfg.Progress, "pretrain step %d/%d: loss %.3f, elapsed %s, ETA %s\n", mt.Step, cfg.PretrainSteps, mt.Loss,
					time.Duration(mt.Elapsed*1e9).Round(time.Second), time.Duration(mt.ETA*1e9).Round(time.Second))
			}})
	res, err := tr.Run(ctx)
	if err != nil {
		return nil, 0, err
	}
	pre := &finetune.Pretrained{Backbone: finetune.NewGPT(m), Tokens: tokens}
	if cfg.Out != "" {
		dir := filepath.Join(cfg.Out, "pretrained")
		if err := finetune.SavePretrained(dir, finetune.NewGPT(m), pre.Tokens, map[string]any{"pretrain_steps": res.Steps, "pretrain_loss": res.Loss,
			"pretrain_objective": obj.String()}); err != nil {
			return nil, 0, err
		}
		pre.Dir = dir
	}
	return pre, res.Loss, nil
}

// passageChars is the passage length: 1 with RecordDocuments, so that
// every record closes its passage.
func (c *Config) passageChars() int {
	if c.RecordDocuments {
		return 1
	}
	return c.PassageChars
}

// passages reads c's records (paragraphs) and yields passages: runs of
// consecutive records of one source joined by newlines, each closed once
// it holds minChars characters or its source ends.
func passages(c *data.Corpus, minChars int) data.OpenFunc {
	return func(ctx context.Context, epoch int) (data.Reader, error) {
		r, err := c.Open(ctx)
		if err != nil {
			return nil, err
		}
		return &passageReader{r: r, minChars: minChars}, nil
	}
}

// countPassages reads c once and counts its passages.
func countPassages(ctx context.Context, c *data.Corpus, minChars int) (int, error) {
	r, err := passages(c, minChars)(ctx, 0)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

type passageReader struct {
	r        data.Reader
	minChars int
	pending  *data.Record // the first record of the next passage
	n        int64
	done     bool
}

func (p *passageReader) Next() (data.Record, error) {
	if p.done {
		return data.Record{}, io.EOF
	}
	var out data.Record
	var sb strings.Builder
	for {
		var rec data.Record
		if p.pending != nil {
			rec, p.pending = *p.pending, nil
		} else {
			var err error
			if rec, err = p.r.Next(); err == io.EOF {
				p.done = true
				if sb.Len() == 0 {
					return data.Record{}, io.EOF
				}
				break
			} else if err != nil {
				return data.Record{}, err
			}
		}
		if sb.Len() > 0 && rec.Source != out.Source {
			p.pending = &rec
			break
		}
		if sb.Len() == 0 {
			out = data.Record{Source: rec.Source, Line: rec.Line, Index: p.n}
		} else {
			sb.WriteByte('\n')
		}
		sb.WriteString(oneLine(rec.Text))
		if sb.Len() >= p.minChars {
			break
		}
	}
	p.n++
	out.Text = sb.String()
	return out, nil
}

func (p *passageReader) Close() error { return p.r.Close() }

// oneLine joins a paragraph's lines with spaces, as labeled examples are.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// naiveBayes adds the baseline's run on one budget.
func (rep *Report) naiveBayes(cfg *Config, sub []data.Example, seed uint64) {
	m := TrainNaiveBayes(sub, cfg.Labels.Len(), 1).Evaluate(cfg.Labels.Names(), cfg.Eval)
	rep.Baseline = append(rep.Baseline, Run{Budget: len(sub), Seed: seed, Accuracy: m.Accuracy, MacroF1: m.MacroF1, ValidAcc: math.NaN()})
	progress(cfg.Progress, "%4d labels, seed %d, %-10s test accuracy %.3f, macro-F1 %.3f\n", len(sub), seed, "naive-bayes", m.Accuracy, m.MacroF1)
}

// aggregate averages the runs per budget over seeds.
func aggregate(runs, baseline []Run) []Row {
	byBudget := map[int][]Run{}
	var budgets []int
	for _, r := range runs {
		if _, ok := byBudget[r.Budget]; !ok {
			budgets = append(budgets, r.Budget)
		}
		byBudget[r.Budget] = append(byBudget[r.Budget], r)
	}
	sort.Ints(budgets)
	var rows []Row
	for _, b := range budgets {
		row := Row{Budget: b}
		pre, scr := map[uint64]Run{}, map[uint64]Run{}
		var pa, sa []float64
		for _, r := range byBudget[b] {
			if r.Pretrained {
				pre[r.Seed] = r
				pa = append(pa, r.Accuracy)
				row.PreF1 += r.MacroF1
			} else {
				scr[r.Seed] = r
				sa = append(sa, r.Accuracy)
				row.ScratchF1 += r.MacroF1
			}
		}
		row.PreAcc, row.PreAccSD = meanSD(pa)
		row.ScratchAcc, row.ScratchAccSD = meanSD(sa)
		row.PreF1 /= float64(max(1, len(pa)))
		row.ScratchF1 /= float64(max(1, len(sa)))
		var ratios, reach, sbest []float64
		for seed, s := range scr {
			p, ok := pre[seed]
			if !ok || math.IsNaN(s.ValidAcc) {
				continue // the step statistics need validation curves
			}
			row.SeedsCounted++
			sbest = append(sbest, float64(s.BestStep))
			for _, pt := range p.Curve {
				if pt.Step > 0 && pt.Accuracy >= s.ValidAcc {
					row.PreReached++
					reach = append(reach, float64(pt.Step))
					ratios = append(ratios, float64(pt.Step)/math.Max(1, float64(s.BestStep)))
					break
				}
			}
		}
		var nb []float64
		for _, r := range baseline {
			if r.Budget == b {
				nb = append(nb, r.Accuracy)
				row.NBF1 += r.MacroF1
			}
		}
		row.NBAcc, row.NBAccSD = meanSD(nb)
		row.NBF1 /= float64(max(1, len(nb)))
		row.StepsToScratchBest, _ = meanSD(reach)
		row.ScratchBestStep, _ = meanSD(sbest)
		row.StepRatio, _ = meanSD(ratios)
		if row.PreReached < row.SeedsCounted {
			row.StepRatio = math.Inf(1) // a seed never got there
		}
		rows = append(rows, row)
	}
	return rows
}

func meanSD(x []float64) (float64, float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	var s float64
	for _, v := range x {
		s += v
	}
	mean := s / float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)))
}

// String summarises the run.
func (r Run) String() string {
	kind := "scratch"
	if r.Pretrained {
		kind = "pretrained"
	}
	return fmt.Sprintf("Run(%s, %d labels, seed %d: accuracy %.3f, macro-F1 %.3f at step %d)", kind, r.Budget, r.Seed, r.Accuracy, r.MacroF1, r.BestStep)
}

// String summarises the row.
func (r Row) String() string {
	return fmt.Sprintf("Row(%d labels: pretrained %.3f, scratch %.3f, step ratio %.2f)", r.Budget, r.PreAcc, r.ScratchAcc, r.StepRatio)
}

// WriteJSONL writes labeled examples as JSONL ({"text": ..., "label": ...}
// per line), the format `pretrain finetune --data` reads.
func WriteJSONL(path string, ex []data.Example) error {
	return checkpoint.WriteFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, e := range ex {
			if err := enc.Encode(map[string]string{"text": e.Text, "label": e.Label}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ExportAusten writes the Austen paragraph task into dir as
// austen-train.jsonl and austen-eval.jsonl and returns their paths.
func ExportAusten(dir string) (trainPath, evalPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	trainPath, evalPath = filepath.Join(dir, "austen-train.jsonl"), filepath.Join(dir, "austen-eval.jsonl")
	for _, s := range []struct{ split, path string }{{"train", trainPath}, {"eval", evalPath}} {
		ex, _, err := corpus.AustenClassification(s.split)
		if err != nil {
			return "", "", err
		}
		if err := WriteJSONL(s.path, ex); err != nil {
			return "", "", err
		}
	}
	return trainPath, evalPath, nil
}
