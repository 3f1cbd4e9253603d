// Package vision runs the few-label proof on images: it pretrains a ViT
// as a masked autoencoder (builtin/mae) on the unlabeled training images,
// then fine-tunes it and the same ViT from scratch on 100, 1,000 and all
// labels with the same steps and seeds, and scores both on the whole test
// set; it also trains the CLIP objective (builtin/clip) on the training
// images paired with generated captions and reports its zero-shot
// accuracy from held-out class-name prompts.
//
// Label budgets are drawn as the first N of a seeded random permutation of
// the training set (not class-balanced). The figure reported for each run
// is the test accuracy after the last fine-tuning step: no model selection
// sees the test set.
package vision

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/builtin/clip"
	"github.com/pretrain-go/pretrain/builtin/lora"
	"github.com/pretrain-go/pretrain/builtin/mae"
	"github.com/pretrain-go/pretrain/builtin/vit"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/train"
)

// Config is one experiment.
type Config struct {
	Train, Test *data.ImageSet // labeled training pool (its images also pretrain) and test set
	Budgets     []int          // label budgets; 0 means the whole pool
	Seeds       []uint64       // fine-tuning seeds (subset, head init, batches)

	MAE           mae.Config // the autoencoder; its Encoder is the ViT of both arms
	Objective     string     // pretraining objective: "mae" (default) or "image-dae" (mae.DAE on the same shapes)
	Noise         float64    // image-dae noise σ in normalised pixels (default mae.DefaultNoise)
	PretrainSteps int        // pretraining steps (default 6000)
	PretrainBatch int        // pretraining batch (default 256)
	PretrainLR    float64    // pretraining peak learning rate (default 1.5e-3)
	From          *vit.Model // a pretrained encoder to use instead of pretraining
	SaveDir       string     // when set, the pretrained encoder is saved there (vit.Model.Save)

	Steps    int     // fine-tuning steps of every run (default 300)
	Batch    int     // fine-tuning batch (default 64)
	LR       float64 // fine-tuning peak learning rate (default 1e-3)
	LayerLR  float64 // layer-wise LR decay factor for full fine-tuning (default 0.75; 1: none)
	Strategy string  // full (default), probe (frozen encoder, linear head) or lora
	LoRARank int     // lora rank (default 8)

	CLIPSteps int // CLIP steps (default 1000; negative: skip CLIP)
	CLIPBatch int // CLIP batch (default 128)

	Precision tensor.DType // F32 or BF16 mixed precision for every step
	Threads   int          // kernel threads (0: GOMAXPROCS)
	Log       io.Writer    // progress lines; nil: none
}

// Run is one fine-tuning run.
type Run struct {
	Arm      string  `json:"arm"` // the pretrained arm (Report.Objective) or "scratch"
	Budget   int     `json:"budget"`
	Seed     uint64  `json:"seed"`
	Accuracy float64 `json:"accuracy"`
	Seconds  float64 `json:"seconds"`
}

// Report is the result of an experiment.
type Report struct {
	Config           string  `json:"config"`
	Objective        string  `json:"objective"` // the pretrained arm's objective: mae, image-dae, or "pretrained" for Config.From
	Strategy         string  `json:"strategy"`
	Precision        string  `json:"precision"` // f32 or bf16 (mixed precision)
	Threads          int     `json:"threads"`   // kernel threads, 0: all cores
	FinetuneSteps    int     `json:"finetune_steps"`
	FinetuneBatch    int     `json:"finetune_batch"`
	LR               float64 `json:"lr"`
	LayerDecay       float64 `json:"layer_decay"`
	TrainImages      int     `json:"train_images"`
	TestImages       int     `json:"test_images"`
	PretrainSteps    int     `json:"pretrain_steps"`
	PretrainLoss     float64 `json:"pretrain_loss"`
	PretrainSeconds  float64 `json:"pretrain_seconds"`
	PretrainImagesPS float64 `json:"pretrain_images_per_second"`
	Runs             []Run   `json:"runs"`
	ZeroShot         float64 `json:"zeroshot_accuracy"` // NaN when CLIP was skipped
	CLIPSteps        int     `json:"clip_steps"`
	CLIPSeconds      float64 `json:"clip_seconds"`
	TotalSeconds     float64 `json:"total_seconds"`
}

func (c *Config) defaults() error {
	if c.Train == nil || c.Test == nil || c.Train.Labels == nil || c.Test.Labels == nil {
		return fmt.Errorf("vision: labeled Train and Test image sets are required")
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	if c.MAE.DecDim == 0 {
		c.MAE = mae.Default()
	}
	e := c.MAE.Encoder
	if c.From != nil {
		c.MAE.Encoder = c.From.Config
		e = c.From.Config
	}
	if e.ImageSize != c.Train.Height || c.Train.Height != c.Train.Width || e.Channels != c.Train.Channels {
		return fmt.Errorf("vision: %v does not take the %v images", e, c.Train)
	}
	def(&c.PretrainSteps, 6000)
	def(&c.PretrainBatch, 256)
	deff(&c.PretrainLR, 1.5e-3)
	def(&c.Steps, 300)
	def(&c.Batch, 64)
	deff(&c.LR, 1e-3)
	deff(&c.LayerLR, 0.75)
	def(&c.LoRARank, 8)
	def(&c.CLIPSteps, 1000)
	def(&c.CLIPBatch, 128)
	if c.Strategy == "" {
		c.Strategy = "full"
	}
	if c.Objective == "" {
		c.Objective = "mae"
	}
	if c.Objective != "mae" && c.Objective != "image-dae" {
		return fmt.Errorf("vision: objective %q (want mae or image-dae)", c.Objective)
	}
	deff(&c.Noise, mae.DefaultNoise)
	if c.Strategy != "full" && c.Strategy != "probe" && c.Strategy != "lora" {
		return fmt.Errorf("vision: strategy %q (want full, probe or lora)", c.Strategy)
	}
	if len(c.Budgets) == 0 {
		c.Budgets = []int{100, 1000, 0}
	}
	if len(c.Seeds) == 0 {
		c.Seeds = []uint64{1, 2, 3}
	}
	return c.validate()
}

// validate checks the settings once defaults are in, so that a bad one
// fails before minutes of pretraining rather than after.
func (c *Config) validate() error {
	counts := []struct {
		name string
		v    int
	}{{"PretrainSteps", c.PretrainSteps}, {"PretrainBatch", c.PretrainBatch}, {"Steps", c.Steps}, {"Batch", c.Batch},
		{"CLIPBatch", c.CLIPBatch}, {"LoRARank", c.LoRARank}, {"Threads", c.Threads}}
	for _, x := range counts {
		if x.v < 0 {
			return fmt.Errorf("vision: %s is %d, want ≥ 0 (0: the default)", x.name, x.v)
		}
	}
	positive := []struct {
		name string
		v    float64
	}{{"PretrainLR", c.PretrainLR}, {"LR", c.LR}, {"LayerLR", c.LayerLR}, {"Noise", c.Noise}}
	for _, x := range positive {
		if !(x.v > 0) || math.IsInf(x.v, 0) {
			return fmt.Errorf("vision: %s is %g, want a positive number", x.name, x.v)
		}
	}
	if c.LayerLR > 1 {
		return fmt.Errorf("vision: LayerLR is %g, want a decay in (0, 1]", c.LayerLR)
	}
	for _, b := range c.Budgets {
		if b < 0 || b > c.Train.N {
			return fmt.Errorf("vision: label budget %d outside [0, %d] (0: all %d training images)", b, c.Train.N, c.Train.N)
		}
	}
	return nil
}

// describe names the pretraining objective and its shapes, for the report.
func (c *Config) describe() string {
	if c.From != nil {
		return fmt.Sprintf("pretrained %v (--from)", c.From.Config)
	}
	if c.Objective == "image-dae" {
		m := c.MAE
		return fmt.Sprintf("image-dae(%v, dec=%d×%d/%d heads, noise=%g, normPix=%t)", m.Encoder, m.DecLayers, m.DecDim, m.DecHeads, c.Noise, m.NormPix)
	}
	return c.MAE.String()
}

func (c *Config) logf(format string, a ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", a...)
	}
}

// Experiment runs the whole comparison.
func Experiment(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	rep := &Report{Config: cfg.describe(), Objective: cfg.Objective, Strategy: cfg.Strategy, Precision: cfg.Precision.String(), Threads: cfg.Threads,
		FinetuneSteps: cfg.Steps, FinetuneBatch: cfg.Batch, LR: cfg.LR, LayerDecay: cfg.LayerLR, TrainImages: cfg.Train.N, TestImages: cfg.Test.N, ZeroShot: math.NaN()}
	enc := cfg.From
	if enc != nil {
		rep.Objective = "pretrained"
	} else {
		m, res, err := Pretrain(ctx, cfg)
		if err != nil {
			return nil, err
		}
		enc = m.Encoder
		rep.PretrainSteps, rep.PretrainLoss = res.Steps, res.Loss
		rep.PretrainSeconds = res.Elapsed.Seconds()
		rep.PretrainImagesPS = float64(res.Steps*cfg.PretrainBatch) / rep.PretrainSeconds
		cfg.logf("%s: %d steps, loss %.4f, %.0fs (%.0f images/s)", cfg.Objective, res.Steps, res.Loss, rep.PretrainSeconds, rep.PretrainImagesPS)
		if cfg.SaveDir != "" {
			if err := enc.Save(cfg.SaveDir); err != nil {
				return nil, err
			}
			cfg.logf("pretrained encoder saved in %s", cfg.SaveDir)
		}
	}
	for _, budget := range cfg.Budgets {
		for _, seed := range cfg.Seeds {
			for _, arm := range []string{rep.Objective, "scratch"} {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				t0 := time.Now()
				var from *vit.Model
				if arm != "scratch" {
					from = enc
				}
				acc, err := Finetune(ctx, cfg, from, budget, seed)
				if err != nil {
					return nil, fmt.Errorf("vision: %s budget %d seed %d: %w", arm, budget, seed, err)
				}
				r := Run{Arm: arm, Budget: budget, Seed: seed, Accuracy: acc, Seconds: time.Since(t0).Seconds()}
				rep.Runs = append(rep.Runs, r)
				cfg.logf("%-7s labels=%-6s seed=%d accuracy=%.4f (%.0fs)", arm, budgetName(budget, cfg.Train.N), seed, acc, r.Seconds)
			}
		}
	}
	if cfg.CLIPSteps > 0 {
		t0 := time.Now()
		m, err := TrainCLIP(ctx, cfg)
		if err != nil {
			return nil, err
		}
		rep.CLIPSteps = cfg.CLIPSteps
		rep.ZeroShot = ZeroShotAccuracy(m, cfg.Test)
		rep.CLIPSeconds = time.Since(t0).Seconds()
		cfg.logf("clip: %d steps, zero-shot accuracy %.4f (%.0fs)", cfg.CLIPSteps, rep.ZeroShot, rep.CLIPSeconds)
	}
	rep.TotalSeconds = time.Since(start).Seconds()
	return rep, nil
}

func budgetName(b, n int) string {
	if b <= 0 || b >= n {
		return "all"
	}
	return fmt.Sprint(b)
}

// Pretrain trains cfg.Objective (the masked autoencoder, or the denoising
// one) on cfg.Train's images (labels unused) with the SDK Trainer, and
// returns the autoencoder's module (for image-dae, the mae.DAE's MAE, whose
// Encoder is the pretrained ViT).
func Pretrain(ctx context.Context, cfg Config) (*mae.MAE, train.Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, train.Result{}, err
	}
	var obj task.Objective
	var m *mae.MAE
	if cfg.Objective == "image-dae" {
		d, err := mae.NewDAE(cfg.MAE, cfg.Noise, 7, tensor.NewRNG(7))
		if err != nil {
			return nil, train.Result{}, err
		}
		obj, m = d, d.MAE
	} else {
		mm, err := mae.NewMAE(cfg.MAE, 7, tensor.NewRNG(7))
		if err != nil {
			return nil, train.Result{}, err
		}
		obj, m = mm, mm
	}
	m.Collate.Set = cfg.Train
	m.Collate.Augment = data.Augment{Pad: 2}
	opt := optim.NewAdamW(optim.SplitDecay(m.NamedParameters(), float32(cfg.PretrainLR), 0.05), optim.AdamConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8})
	tr := train.New(obj, opt, data.LoaderConfig{Examples: cfg.Train.Examples(), Encode: data.ImageIndexEncode, BatchSize: cfg.PretrainBatch,
		ShuffleBuffer: cfg.Train.N, Seed: 7, DropLast: true, Prefetch: 2},
		train.Config{Steps: cfg.PretrainSteps, Schedule: optim.WarmupCosine(float32(cfg.PretrainLR), cfg.PretrainSteps/20, cfg.PretrainSteps, 0),
			LogEvery: max(1, cfg.PretrainSteps/10), Precision: cfg.Precision, Threads: cfg.Threads, ClipNorm: 1,
			OnStep: func(mt train.Metrics) { cfg.logf("%s step %d loss %.4f", cfg.Objective, mt.Step, mt.Loss) }})
	res, err := tr.Run(ctx)
	return m, res, err
}

// Classifier is a ViT with a mean-pooled linear head.
type Classifier struct {
	*nn.Base
	Encoder *vit.Model
	Head    *nn.Linear
	lora    *lora.LoRA
}

// NewClassifier puts a zero-initialised linear head on enc.
func NewClassifier(enc *vit.Model, classes int, rng *tensor.RNG) *Classifier {
	c := &Classifier{Base: nn.NewBase(), Encoder: enc, Head: nn.NewLinear(enc.Config.Dim, classes, true, rng)}
	nn.InitNormal(c.Head.Weight, 0.01, rng)
	c.AddModule("encoder", enc)
	c.AddModule("head", c.Head)
	return c
}

// Logits are the class scores [B, classes] of the batch's images.
func (c *Classifier) Logits(b *data.Batch) *tensor.Tensor {
	if c.lora != nil {
		c.lora.Refresh()
	}
	return c.Head.Forward(c.Encoder.Pooled(b))
}

// clone copies a model's weights into a fresh one of the same shape.
func clone(m *vit.Model) *vit.Model {
	n, _ := vit.New(m.Config, tensor.NewRNG(1))
	sd := map[string]*tensor.Tensor{}
	for k, v := range m.StateDict() {
		sd[k] = v.Detach().Clone()
	}
	if err := n.LoadStateDict(sd); err != nil {
		panic(err)
	}
	return n
}

// Subset returns the first budget indices of a seeded permutation of
// [0, n) (all of them when budget is 0 or at least n).
func Subset(n, budget int, seed uint64) []int {
	p := data.NewRNG(data.DeriveSeed(seed, 0x6c6162)).Perm(n)
	if budget <= 0 || budget >= n {
		return p
	}
	return p[:budget]
}

// groups builds the optimizer groups: layer-wise decayed learning rates
// for full fine-tuning (head and final norm at lr, block i at
// lr·decay^(L-i), the patch embedding at lr·decay^(L+1)).
func groups(c *Classifier, cfg Config) []*optim.Group {
	L := len(c.Encoder.Blocks)
	depth := func(name string) int {
		var i int
		if strings.HasPrefix(name, "encoder.patch_embed.") {
			return L + 1
		}
		if _, err := fmt.Sscanf(name, "encoder.blocks.%d.", &i); err == nil {
			return L - i
		}
		return 0
	}
	byDepth := map[int][]nn.NamedParam{}
	for _, p := range c.NamedParameters() {
		if p.Tensor.RequiresGrad() {
			byDepth[depth(p.Name)] = append(byDepth[depth(p.Name)], p)
		}
	}
	var ds []int
	for d := range byDepth {
		ds = append(ds, d)
	}
	sort.Ints(ds)
	var gs []*optim.Group
	for _, d := range ds {
		lr := cfg.LR * math.Pow(cfg.LayerLR, float64(d))
		for _, g := range optim.SplitDecay(byDepth[d], float32(lr), 0.05) {
			g.Name = fmt.Sprintf("depth%d.%s", d, g.Name)
			gs = append(gs, g)
		}
	}
	return gs
}

// Finetune trains a classifier on budget labels of cfg.Train — from a copy
// of from, or from scratch when from is nil — and returns its accuracy on
// all of cfg.Test after the last step.
func Finetune(ctx context.Context, cfg Config, from *vit.Model, budget int, seed uint64) (float64, error) {
	_, acc, err := FinetuneModel(ctx, cfg, from, budget, seed)
	return acc, err
}

// FinetuneModel is Finetune returning the trained classifier too (LoRA
// adapters merged into the weights).
func FinetuneModel(ctx context.Context, cfg Config, from *vit.Model, budget int, seed uint64) (*Classifier, float64, error) {
	if err := cfg.defaults(); err != nil {
		return nil, 0, err
	}
	if budget < 0 || budget > cfg.Train.N {
		return nil, 0, fmt.Errorf("vision: label budget %d outside [0, %d] (0: all %d training images)", budget, cfg.Train.N, cfg.Train.N)
	}
	rng := tensor.NewRNG(data.DeriveSeed(seed, 0x6674))
	var enc *vit.Model
	if from != nil {
		enc = clone(from)
	} else {
		var err error
		if enc, err = vit.New(cfg.MAE.Encoder, rng); err != nil {
			return nil, 0, err
		}
	}
	classes := 0
	for _, l := range cfg.Train.Labels {
		classes = max(classes, l+1)
	}
	clf := NewClassifier(enc, classes, rng)
	idx := Subset(cfg.Train.N, budget, seed)
	coll := &data.ImageCollator{Set: cfg.Train, Mean: 0.5, Std: 0.5, Augment: data.Augment{Pad: 2}}
	switch cfg.Strategy {
	case "probe":
		acc, err := probe(ctx, cfg, clf, idx, seed)
		return clf, acc, err
	case "lora":
		l, err := lora.Apply(enc, lora.Config{Rank: cfg.LoRARank, Seed: seed})
		if err != nil {
			return nil, 0, err
		}
		clf.lora = l
		clf.AddModule("lora", l)
	}
	gs := groups(clf, cfg)
	if cfg.Strategy == "lora" {
		gs = optim.SplitDecay(trainable(clf), float32(cfg.LR), 0.05)
	}
	opt := optim.NewAdamW(gs, optim.AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	base := make([]float32, len(gs))
	for i, g := range gs {
		base[i] = g.LR
	}
	sched := optim.WarmupCosine(1, cfg.Steps/10, cfg.Steps, 0)
	arena := tensor.NewArena()
	scope := tensor.NewScope().WithArena(arena).WithAutocast(cfg.Precision)
	brng := data.NewRNG(data.DeriveSeed(seed, 0x6261))
	clf.Train(true)
	batch := min(cfg.Batch, len(idx))
	order := append([]int(nil), idx...)
	pos := len(order)
	rows := make([]int, batch)
	err := tensor.Catch(func() {
		for step := 0; step < cfg.Steps; step++ {
			if ctx.Err() != nil {
				return
			}
			for i := range rows {
				if pos == len(order) {
					brng.ShuffleInts(order)
					pos = 0
				}
				rows[i] = order[pos]
				pos++
			}
			b := coll.Images(rows, brng)
			b.Scope = scope
			loss := tensor.CrossEntropy(clf.Logits(b), b.RowLabels)
			loss.Backward()
			arena.Reset()
			f := sched.LR(step)
			for i, g := range gs {
				g.LR = base[i] * f
			}
			optim.ClipGradNorm(optim.Params(opt), 1)
			opt.Step()
			opt.ZeroGrad()
		}
	})
	if err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	clf.Train(false)
	acc := Accuracy(clf.Logits, cfg.Test, cfg.Precision)
	if clf.lora != nil {
		clf.lora.Merge()
		clf.lora = nil
	}
	return clf, acc, nil
}

func trainable(m nn.Module) []nn.NamedParam {
	var out []nn.NamedParam
	for _, p := range m.NamedParameters() {
		if p.Tensor.RequiresGrad() {
			out = append(out, p)
		}
	}
	return out
}

// Accuracy scores a classifier on a whole labeled set without gradients.
func Accuracy(logits func(*data.Batch) *tensor.Tensor, set *data.ImageSet, prec tensor.DType) float64 {
	arena := tensor.NewArena()
	scope := tensor.NewScope().NoGrad().WithArena(arena).WithAutocast(prec)
	coll := &data.ImageCollator{Set: set, Mean: 0.5, Std: 0.5}
	right := 0
	const bs = 500
	for lo := 0; lo < set.N; lo += bs {
		idx := make([]int, 0, bs)
		for i := lo; i < min(set.N, lo+bs); i++ {
			idx = append(idx, i)
		}
		b := coll.Images(idx, nil)
		b.Scope = scope
		for i, p := range logits(b).Argmax(1) {
			if p == b.RowLabels[i] {
				right++
			}
		}
		arena.Reset()
	}
	return float64(right) / float64(set.N)
}

// features returns the frozen encoder's pooled features of the images at
// idx, [len(idx)·Dim].
func features(enc *vit.Model, set *data.ImageSet, idx []int, prec tensor.DType) []float32 {
	arena := tensor.NewArena()
	scope := tensor.NewScope().NoGrad().WithArena(arena).WithAutocast(prec)
	coll := &data.ImageCollator{Set: set, Mean: 0.5, Std: 0.5}
	out := make([]float32, 0, len(idx)*enc.Config.Dim)
	for lo := 0; lo < len(idx); lo += 500 {
		b := coll.Images(idx[lo:min(len(idx), lo+500)], nil)
		b.Scope = scope
		out = append(out, enc.Pooled(b).Float32s()...)
		arena.Reset()
	}
	return out
}

// probe trains the linear head on frozen features (standardised with the
// training subset's statistics) and scores it on the test set.
func probe(ctx context.Context, cfg Config, clf *Classifier, idx []int, seed uint64) (float64, error) {
	d := clf.Encoder.Config.Dim
	tr := features(clf.Encoder, cfg.Train, idx, cfg.Precision)
	all := make([]int, cfg.Test.N)
	for i := range all {
		all[i] = i
	}
	te := features(clf.Encoder, cfg.Test, all, cfg.Precision)
	mean, std := make([]float32, d), make([]float32, d)
	n := len(idx)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mean[j] += tr[i*d+j] / float32(n)
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v := tr[i*d+j] - mean[j]
			std[j] += v * v / float32(n)
		}
	}
	for j := range std {
		std[j] = float32(math.Sqrt(float64(std[j]))) + 1e-6
	}
	norm := func(x []float32) {
		for i := range x {
			x[i] = (x[i] - mean[i%d]) / std[i%d]
		}
	}
	norm(tr)
	norm(te)
	labels := make([]int, n)
	for i, k := range idx {
		labels[i] = cfg.Train.Labels[k]
	}
	head := clf.Head
	opt := optim.NewAdamW(optim.Groups(head.NamedParameters(), 1e-2, 1e-4), optim.AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	brng := data.NewRNG(data.DeriveSeed(seed, 0x7072))
	bs := min(256, n)
	x := make([]float32, bs*d)
	y := make([]int, bs)
	steps := max(cfg.Steps, 500)
	err := tensor.Catch(func() {
		for step := 0; step < steps && ctx.Err() == nil; step++ {
			for i := 0; i < bs; i++ {
				k := brng.Intn(n)
				copy(x[i*d:(i+1)*d], tr[k*d:(k+1)*d])
				y[i] = labels[k]
			}
			tensor.CrossEntropy(head.Forward(tensor.FromFloat32s(x, bs, d)), y).Backward()
			opt.Step()
			opt.ZeroGrad()
		}
	})
	if err != nil {
		return 0, err
	}
	pred := tensor.NewScope().NoGrad().Use(tensor.FromFloat32s(te, cfg.Test.N, d))
	right := 0
	for i, p := range head.Forward(pred).Argmax(1) {
		if p == cfg.Test.Labels[i] {
			right++
		}
	}
	return float64(right) / float64(cfg.Test.N), ctx.Err()
}

// TrainCLIP trains the CLIP objective on cfg.Train's images and generated
// captions of their classes, with the SDK Trainer.
func TrainCLIP(ctx context.Context, cfg Config) (*clip.CLIP, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	classes := cfg.Train.Classes
	if len(classes) == 0 {
		return nil, fmt.Errorf("vision: CLIP needs class names for the captions")
	}
	m, err := clip.NewCLIP(cfg.MAE.Encoder, clip.TextConfig{SeqLen: 12, Dim: 64, Layers: 2, Heads: 4}, 64, classes, tensor.NewRNG(11))
	if err != nil {
		return nil, err
	}
	m.Collate.Images.Set = cfg.Train
	m.Collate.Images.Augment = data.Augment{Pad: 2}
	lr := float32(1e-3)
	opt := optim.NewAdamW(optim.SplitDecay(m.NamedParameters(), lr, 0.1), optim.AdamConfig{Beta1: 0.9, Beta2: 0.98, Eps: 1e-6})
	tr := train.New(m, opt, data.LoaderConfig{Examples: cfg.Train.Examples(), Encode: data.ImageIndexEncode, BatchSize: cfg.CLIPBatch,
		ShuffleBuffer: cfg.Train.N, Seed: 11, DropLast: true, Prefetch: 2},
		train.Config{Steps: cfg.CLIPSteps, Schedule: optim.WarmupCosine(lr, cfg.CLIPSteps/20, cfg.CLIPSteps, 0),
			LogEvery: max(1, cfg.CLIPSteps/5), Precision: cfg.Precision, Threads: cfg.Threads, ClipNorm: 1,
			OnStep: func(mt train.Metrics) { cfg.logf("clip step %d loss %.4f", mt.Step, mt.Loss) }})
	if _, err := tr.Run(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// ZeroShotAccuracy classifies every image of set by its nearest class
// prompt (held-out phrasings) and returns the accuracy.
func ZeroShotAccuracy(m *clip.CLIP, set *data.ImageSet) float64 {
	m.Train(false)
	coll := &data.ImageCollator{Set: set, Mean: 0.5, Std: 0.5}
	right := 0
	for lo := 0; lo < set.N; lo += 500 {
		idx := make([]int, 0, 500)
		for i := lo; i < min(set.N, lo+500); i++ {
			idx = append(idx, i)
		}
		b := coll.Images(idx, nil)
		for i, p := range m.ZeroShot(b) {
			if p == b.RowLabels[i] {
				right++
			}
		}
	}
	return float64(right) / float64(set.N)
}

// Save writes the classifier into dir: model.safetensors ("encoder.*",
// "head.*") and config.json (the ViT shape, "arch": "vit-classifier" and
// the class names), each atomically.
func (c *Classifier) Save(dir string, classes []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sd := map[string]*tensor.Tensor{}
	for k, v := range c.StateDict() {
		if !strings.HasPrefix(k, "lora.") {
			sd[k] = v
		}
	}
	if err := checkpoint.Save(filepath.Join(dir, checkpoint.ModelFile), sd, map[string]string{"arch": "vit-classifier"}); err != nil {
		return err
	}
	cm := c.Encoder.Config.ConfigMap()
	cm["arch"], cm["classes"] = "vit-classifier", classes
	return checkpoint.WriteJSON(filepath.Join(dir, checkpoint.ConfigFile), cm)
}
