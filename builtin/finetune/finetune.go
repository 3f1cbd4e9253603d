// Package finetune adapts a pretrained backbone to a labeled task: a head
// from the task registry ("classify" by default) over a GPT backbone, one of
// five strategies, early stopping on a validation set's accuracy with the
// best weights kept (SplitValid carves one from the training pool; the
// test set is scored once at the end, never used for selection), whole
// documents read in windows whose logits are averaged (Model.SeqLen), and
// an optional auxiliary language-model loss on the task's own text
// (task-adaptive pretraining).
//
// Strategies:
//
//   - full: every parameter is trained at the same learning rate.
//   - probe: the backbone is frozen; only the head learns (a linear probe).
//   - llrd: layer-wise LR decay: the head and the top block train at LR,
//     each block below at Decay times the one above, the embeddings last.
//   - gradual: gradual unfreezing as in ULMFiT: the first epoch trains the
//     head, each further epoch unfreezes one more layer group from the top.
//   - lora: the backbone is frozen and LoRA adapters (builtin/lora) on its
//     attention and MLP linears train with the head; Save merges them.
//
// A fine-tuned model is a directory (see Model.Save) that Load reads back;
// `pretrain finetune`, `predict` and `evaluate` are thin shells over this
// package.
package finetune

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/builtin/lora"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Strategies lists the strategy names.
var Strategies = []string{"full", "probe", "llrd", "gradual", "lora"}

// Config holds the fine-tuning settings; zero fields take the defaults
// noted.
type Config struct {
	Strategy  string  // full (default), probe, llrd, gradual, lora
	LR        float32 // peak learning rate; default 1e-3
	HeadLR    float32 // the head's learning rate; default LR
	Decay     float32 // llrd: factor per layer down from the top; default 0.8
	WD        float32 // AdamW weight decay; default 0.01
	BatchSize int     // default 16
	Steps     int     // optimizer steps; default: Epochs passes
	Epochs    int     // used when Steps is 0; default 10
	Warmup    int     // linear warm-up steps; default Steps/10
	ClipNorm  float32 // gradient clipping; default 1
	Seed      uint64  // batch order, head init, dropout

	EvalEvery int // evaluate every N steps (and at the end); default: once per epoch
	Patience  int // stop after N evaluations without a better accuracy; 0: never

	LoRARank    int     // default 8
	LoRAAlpha   float32 // default 2·rank
	LoRADropout float32

	// AuxLM weights an auxiliary causal-LM loss on the batch's own text
	// (0: off), computed from the same forward pass through the backbone's
	// tied LM head.
	AuxLM float32

	// AuxMLM weights an auxiliary masked-LM loss with dynamic masking
	// (0: off): each step re-draws BERT-style corruption (15% of tokens,
	// 80/10/10) of the batch's text, and the backbone's LM head predicts
	// every corrupted token from the position before it (the causal
	// model's own convention). Needs a mask token in the tokenizer.
	AuxMLM float32

	// Precision is the matrix-product precision of the training steps:
	// F32 (default) or BF16 for mixed precision (bf16 products with f32
	// accumulation; weights, gradients and optimizer state stay f32).
	Precision tensor.DType

	// OnEval, when set, is called after each evaluation.
	OnEval func(p EvalPoint)
	// OnProgress, when set, is called every ProgressEvery optimizer steps
	// (default Steps/10) and after the last one.
	OnProgress    func(p Progress)
	ProgressEvery int
}

// Progress is where a run stands: the step, the mean training loss since
// the last report, the time so far and the estimated time left.
type Progress struct {
	Step, Steps int
	Loss        float64
	Elapsed     time.Duration
	ETA         time.Duration
}

// String formats the progress line.
func (p Progress) String() string {
	return fmt.Sprintf("step %d/%d: train loss %.4f, elapsed %s, ETA %s", p.Step, p.Steps, p.Loss,
		p.Elapsed.Round(time.Second), p.ETA.Round(time.Second))
}

// String summarises the settings.
func (c Config) String() string {
	return fmt.Sprintf("finetune.Config(strategy=%s, lr=%g, batch=%d, steps=%d, epochs=%d, eval-every=%d, patience=%d, seed=%d)",
		c.Strategy, c.LR, c.BatchSize, c.Steps, c.Epochs, c.EvalEvery, c.Patience, c.Seed)
}

// EvalPoint is one evaluation during a run.
type EvalPoint struct {
	Step     int
	Accuracy float64
	MacroF1  float64
	Loss     float64
	Elapsed  time.Duration
}

// String formats the point.
func (p EvalPoint) String() string {
	return fmt.Sprintf("step %d: eval accuracy %.4f, macro-F1 %.4f, loss %.4f", p.Step, p.Accuracy, p.MacroF1, p.Loss)
}

// Result summarises a run.
type Result struct {
	Steps     int         // optimizer steps taken
	BestStep  int         // step of the best evaluation (its weights are kept)
	Best      Metrics     // the kept model's evaluation
	Curve     []EvalPoint // every evaluation in order
	Trainable int         // parameters trained (at the end, for gradual)
	Total     int         // parameters of backbone and head
	Stopped   bool        // early stopping ended the run
	Elapsed   time.Duration
}

// String summarises the result.
func (r Result) String() string {
	return fmt.Sprintf("%d steps, best at step %d: %v; %d of %d parameters trained", r.Steps, r.BestStep, r.Best, r.Trainable, r.Total)
}

// ConfigError reports an impossible setting.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return "finetune: " + e.Msg }

func (c *Config) defaults(n int) error {
	known := false
	if c.Strategy == "" {
		c.Strategy = "full"
	}
	for _, s := range Strategies {
		known = known || s == c.Strategy
	}
	if !known {
		return &ConfigError{fmt.Sprintf("unknown strategy %q (want full, probe, llrd, gradual or lora)", c.Strategy)}
	}
	if c.Precision != tensor.F32 && c.Precision != tensor.BF16 {
		return &ConfigError{fmt.Sprintf("precision %s: want F32 or BF16", c.Precision)}
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.HeadLR == 0 {
		c.HeadLR = c.LR
	}
	if c.Decay == 0 {
		c.Decay = 0.8
	}
	if c.WD == 0 {
		c.WD = 0.01
	}
	if c.BatchSize == 0 {
		c.BatchSize = 16
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 1
	}
	if c.LR < 0 || c.HeadLR < 0 || c.Decay < 0 || c.BatchSize < 0 || c.Steps < 0 || c.Epochs < 0 || c.Patience < 0 || c.AuxLM < 0 || c.AuxMLM < 0 {
		return &ConfigError{"negative setting in " + c.String()}
	}
	perEpoch := (n + c.BatchSize - 1) / c.BatchSize
	if c.Steps == 0 {
		if c.Epochs == 0 {
			c.Epochs = 10
		}
		c.Steps = c.Epochs * perEpoch
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = perEpoch
	}
	if c.Warmup == 0 {
		c.Warmup = c.Steps / 10
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = max(1, c.Steps/10)
	}
	return nil
}

// Run fine-tunes m on the train examples (their LabelIDs index m.Labels),
// evaluating on valid, the validation set that chooses the checkpoint and
// stops early: never pass the test set here (score it once afterwards
// with Evaluate; SplitValid carves a validation set from a training
// pool). The model ends with the weights of its best validation accuracy
// (the last step's when valid is empty). Cancelling ctx stops
// after the current step, keeps the best weights and returns ctx's error
// with the result so far.
func Run(ctx context.Context, m *Model, train, valid []data.Example, cfg Config) (*Result, error) {
	eval := valid
	if len(train) == 0 {
		return nil, &ConfigError{"no training examples"}
	}
	if err := cfg.defaults(len(train)); err != nil {
		return nil, err
	}
	for _, set := range [][]data.Example{train, eval} {
		for _, e := range set {
			if e.LabelID < 0 || e.LabelID >= m.Labels.Len() {
				return nil, &ConfigError{fmt.Sprintf("%s:%d: label id %d outside the model's %d labels", e.Source, e.Line, e.LabelID, m.Labels.Len())}
			}
		}
	}
	start := time.Now()
	bb := m.Backbone
	layers := bb.Layers()
	groups, err := Groups(m, cfg)
	if err != nil {
		return nil, err
	}
	setGrad := func(ps []nn.NamedParam, on bool) {
		for _, p := range ps {
			p.Tensor.SetRequiresGrad(on)
		}
	}
	var trainable []*tensor.Tensor // what the best-weights snapshot keeps
	for _, g := range groups {
		for _, p := range g.Params {
			trainable = append(trainable, p.Tensor)
		}
	}
	opt := optim.NewAdamW(groups, optim.DefaultAdam())
	sched := optim.WarmupLinear(cfg.LR, cfg.Warmup, cfg.Steps, 0)

	// Pre-encode; batches are drawn from a fresh permutation each epoch.
	seqs := make([][][]int, len(train))
	for i, e := range train {
		seqs[i] = m.encode(e.Text)
	}
	gptBB, isGPT := bb.(*GPT)
	if (cfg.AuxLM > 0 || cfg.AuxMLM > 0) && !isGPT {
		return nil, &ConfigError{fmt.Sprintf("the auxiliary LM losses need a GPT backbone (this one is %s)", bb.Family())}
	}
	var mlm *data.MLMCollator
	if cfg.AuxMLM > 0 {
		mask := m.Tokens.MaskID()
		if mask < 0 {
			return nil, &ConfigError{fmt.Sprintf("AuxMLM needs a mask token (<mask> or [MASK]) in %v", m.Tokens)}
		}
		var err error
		if mlm, err = data.NewMLMCollator(data.DefaultMLMConfig(m.Tokens.Vocab, mask, m.Tokens.Pad, m.Tokens.Pad)); err != nil {
			return nil, err
		}
	}
	mlmRNG := data.NewRNG(cfg.Seed ^ 0x6d6c6d)
	rng := tensor.NewRNG(cfg.Seed)
	perEpoch := (len(train) + cfg.BatchSize - 1) / cfg.BatchSize
	var order []int
	res := &Result{Total: bb.NumParams() + m.Head.Module().NumParams()}
	best := math.Inf(-1)
	var bestWeights [][]float32
	snapshot := func() {
		if bestWeights == nil {
			bestWeights = make([][]float32, len(trainable))
		}
		for i, t := range trainable {
			bestWeights[i] = append(bestWeights[i][:0], t.Data()...)
		}
	}
	since := 0
	evaluate := func(step int) bool {
		if len(eval) == 0 {
			return false
		}
		mt := Evaluate(m, eval)
		p := EvalPoint{Step: step, Accuracy: mt.Accuracy, MacroF1: mt.MacroF1, Loss: mt.Loss, Elapsed: time.Since(start)}
		res.Curve = append(res.Curve, p)
		if cfg.OnEval != nil {
			cfg.OnEval(p)
		}
		if step > 0 && mt.Accuracy > best { // step 0 is the untrained head
			best, since, res.BestStep, res.Best = mt.Accuracy, 0, step, mt
			snapshot()
			return false
		}
		since++
		return cfg.Patience > 0 && since >= cfg.Patience
	}
	evaluate(0)
	// Each step's activations come from one arena, recycled after the
	// update.
	arena := tensor.NewArena()
	stepScope := tensor.NewScope().WithArena(arena).WithAutocast(cfg.Precision)
	unfrozen := 0
	var runErr error
	var lossSum float64
	lossN := 0
	for step := 0; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		epoch := step / perEpoch
		if step%perEpoch == 0 {
			order = rng.Perm(len(train))
			if cfg.Strategy == "gradual" {
				// Epoch 0 trains the head alone; epoch e adds the e top groups.
				for unfrozen < epoch && unfrozen < len(layers) {
					setGrad(layers[len(layers)-1-unfrozen], true)
					unfrozen++
				}
			}
		}
		i0 := (step % perEpoch) * cfg.BatchSize
		idx := order[i0:min(i0+cfg.BatchSize, len(order))]
		docs := make([][][]int, len(idx))
		labels := make([]int, len(idx))
		for j, k := range idx {
			docs[j], labels[j] = seqs[k], train[k].LabelID
		}
		b, rows := m.batchOf(docs, labels)
		b.Scope = stepScope
		m.Train(true)
		optim.SetLR(opt, sched.LR(step))
		var loss *tensor.Tensor
		if err := tensor.Catch(func() {
			loss = m.loss(b, rows, labels)
			if cfg.AuxLM > 0 {
				loss = loss.Add(auxLM(gptBB, b).MulScalar(cfg.AuxLM))
			}
			if mlm != nil {
				var bs [][]int
				for _, d := range docs {
					bs = append(bs, d...)
				}
				mb, err := mlm.Collate(bs, mlmRNG.Derive(uint64(step)))
				if err != nil {
					panic(err)
				}
				targets := lm.ShiftLabels(nil, mb.Labels, mb.Size, mb.SeqLen)
				loss = loss.Add(tensor.CrossEntropy(gptBB.Forward(b.Scope, mb.InputIDs, mb.Size, mb.SeqLen), targets).MulScalar(cfg.AuxMLM))
			}
			loss.Backward()
		}); err != nil {
			return res, fmt.Errorf("finetune: step %d: %w", step, err)
		}
		lossSum += float64(loss.Item())
		lossN++
		ps := optim.Params(opt)
		if n := optim.ClipGradNorm(ps, cfg.ClipNorm); !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) {
			opt.Step()
		}
		opt.ZeroGrad()
		arena.Reset()
		res.Steps = step + 1
		if cfg.OnProgress != nil && (res.Steps%cfg.ProgressEvery == 0 || res.Steps == cfg.Steps) {
			el := time.Since(start)
			cfg.OnProgress(Progress{Step: res.Steps, Steps: cfg.Steps, Loss: lossSum / float64(max(1, lossN)), Elapsed: el,
				ETA: time.Duration(float64(el) / float64(res.Steps) * float64(cfg.Steps-res.Steps))})
			lossSum, lossN = 0, 0
		}
		if res.Steps%cfg.EvalEvery == 0 || res.Steps == cfg.Steps {
			if evaluate(res.Steps) {
				res.Stopped = true
				break
			}
		}
	}
	if len(res.Curve) == 0 || res.Curve[len(res.Curve)-1].Step != res.Steps {
		if len(eval) > 0 && runErr == nil {
			evaluate(res.Steps)
		}
	}
	if bestWeights != nil {
		for i, t := range trainable {
			copy(t.Data(), bestWeights[i])
		}
	}
	for _, g := range groups {
		for _, p := range g.Params {
			if p.Tensor.RequiresGrad() {
				res.Trainable += p.Tensor.Numel()
			}
		}
	}
	res.Elapsed = time.Since(start)
	m.Train(false)
	return res, runErr
}

// auxLM is the causal-LM loss of the batch's text through the backbone's
// tied LM head, from the hidden states the head's forward pass left in
// the backbone (recomputed here; the backbone is small next to the head).
func auxLM(bb *GPT, b *data.Batch) *tensor.Tensor {
	labels := make([]int, len(b.InputIDs))
	for i, id := range b.InputIDs {
		labels[i] = id
		if b.AttentionMask != nil && b.AttentionMask[i] == 0 {
			labels[i] = tensor.IgnoreIndex
		}
	}
	targets := lm.ShiftLabels(nil, labels, b.Size, b.SeqLen)
	return tensor.CrossEntropy(bb.Forward(b.Scope, b.InputIDs, b.Size, b.SeqLen), targets)
}

// Groups sets which parameters of m train under cfg.Strategy (freezing the
// rest, adding LoRA adapters for "lora") and returns the optimizer's
// parameter groups with their learning rates: for llrd, the top layer group
// (last block and final LayerNorm) at LR, each one below at Decay times the
// one above, the embeddings one step below the first block; the head at
// HeadLR. Gradual unfreezing starts with the backbone frozen (Run unfreezes
// a group per epoch). Call it once per model.
func Groups(m *Model, cfg Config) ([]*optim.Group, error) {
	if err := cfg.defaults(1); err != nil {
		return nil, err
	}
	bb := m.Backbone
	layers := bb.Layers()
	headParams := m.Head.Module().NamedParameters()
	var groups []*optim.Group
	setGrad := func(ps []nn.NamedParam, on bool) {
		for _, p := range ps {
			p.Tensor.SetRequiresGrad(on)
		}
	}
	for _, p := range headParams {
		p.Tensor.SetRequiresGrad(true)
	}
	wd := cfg.WD
	if bb.Family() == "word-vectors" {
		// Decay would shrink every word's vector, also those absent from
		// the labeled examples.
		wd = 0
	}
	switch cfg.Strategy {
	case "full", "gradual":
		for _, l := range layers {
			groups = append(groups, optim.SplitDecay(l, cfg.LR, wd)...)
		}
		setGrad(bb.NamedParameters(), cfg.Strategy == "full")
	case "probe":
		setGrad(bb.NamedParameters(), false)
	case "llrd":
		for i, l := range layers {
			// The top group (last block + ln_f) trains at LR; the
			// embeddings (group 0) sit one step below the first block.
			depth := len(layers) - 1 - i
			lr := cfg.LR * float32(math.Pow(float64(cfg.Decay), float64(depth)))
			for _, g := range optim.SplitDecay(l, lr, wd) {
				g.Name = fmt.Sprintf("layer%d.%s", i, g.Name)
				g.LRScale = lr / cfg.LR
				groups = append(groups, g)
			}
		}
		setGrad(bb.NamedParameters(), true)
	case "lora":
		g, ok := bb.(*GPT)
		if !ok {
			return nil, &ConfigError{fmt.Sprintf("strategy lora adapts a GPT backbone's linears; this one is %s (use full, probe, llrd or gradual)", bb.Family())}
		}
		if g.LoRA != nil {
			return nil, &ConfigError{"the backbone already has LoRA adapters"}
		}
		ad, err := lora.Apply(g.Model, lora.Config{Rank: cfg.LoRARank, Alpha: cfg.LoRAAlpha, Dropout: cfg.LoRADropout, Seed: cfg.Seed + 17})
		if err != nil {
			return nil, err
		}
		g.LoRA = ad
		groups = append(groups, optim.NewGroup("lora", ad.NamedParameters(), cfg.LR, 0))
	}
	for _, g := range optim.SplitDecay(headParams, cfg.HeadLR, cfg.WD) {
		g.Name = "head." + g.Name
		g.LRScale = cfg.HeadLR / cfg.LR
		groups = append(groups, g)
	}
	return groups, nil
}

// SplitValid carves a validation set from a labeled pool: frac of each
// label's examples (rounded, at least one where the label has two or
// more, never a label's last example), drawn at random with seed; the
// rest, in their original order, is the training set. frac 0 returns the
// pool and no validation set.
func SplitValid(pool []data.Example, frac float64, seed uint64) (train, valid []data.Example, err error) {
	if frac < 0 || frac >= 1 {
		return nil, nil, &ConfigError{fmt.Sprintf("validation fraction %g: want 0 <= frac < 1", frac)}
	}
	if frac == 0 {
		return pool, nil, nil
	}
	byLabel := map[int][]int{}
	for _, i := range tensor.NewRNG(seed*104729 + 7).Perm(len(pool)) {
		l := pool[i].LabelID
		byLabel[l] = append(byLabel[l], i)
	}
	inValid := make([]bool, len(pool))
	for _, idx := range byLabel {
		k := int(math.Round(frac * float64(len(idx))))
		if len(idx) >= 2 {
			k = max(1, min(k, len(idx)-1))
		} else {
			k = 0
		}
		for _, i := range idx[:k] {
			inValid[i] = true
		}
	}
	for i, e := range pool {
		if inValid[i] {
			valid = append(valid, e)
		} else {
			train = append(train, e)
		}
	}
	return train, valid, nil
}
