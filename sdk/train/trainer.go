package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/pretrain-go/pretrain/kernels"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/dist"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config holds the loop settings. Zero fields take the defaults noted.
type Config struct {
	// Steps is the number of optimizer steps; when 0, Epochs passes over
	// the data are made instead. One of the two must be set.
	Steps  int
	Epochs int
	// BatchSize overrides the loader's BatchSize when positive.
	BatchSize int
	// GradAccum is the number of batches whose gradients are summed (each
	// loss scaled by 1/GradAccum) before an optimizer step. Default 1.
	GradAccum int
	// Schedule sets the learning rate before each step (optim.SetLR); nil
	// keeps the optimizer's groups as they are.
	Schedule optim.Schedule
	// ClipNorm clips the joint gradient norm when positive.
	ClipNorm float32
	// EvalEvery evaluates on the Trainer's Eval split every N steps and at
	// the end (0: only at the end, when an Eval split is set).
	EvalEvery int
	// EvalBatches bounds the batches of one evaluation (0: the whole split).
	EvalBatches int
	// LogEvery writes a metrics record every N steps. Default 10.
	LogEvery int
	// SaveEvery writes a checkpoint every N steps; one is always written at
	// the end and on cancellation when OutDir is set.
	SaveEvery int
	// KeepLast keeps the N newest checkpoints. Default 3; negative keeps all.
	KeepLast int
	// Seed overrides the loaders' seeds when non-zero.
	Seed uint64
	// Threads sets the kernels' worker count for the run when positive.
	// The count is process-wide (kernels.SetThreads): concurrent trainers
	// share one pool, so leave it 0 in host programs that run several; it
	// changes speed, never results.
	Threads int
	// OutDir receives checkpoints, metrics.jsonl, loss.svg and the final
	// model; "" writes nothing.
	OutDir string
	// Resume continues from the newest checkpoint in OutDir, if any.
	Resume bool
	// MaxBadSteps stops the run after that many consecutive non-finite
	// steps. Default 10.
	MaxBadSteps int
	// FLOPsPerToken is the model's training cost per token, for MFU
	// (default 6 × parameters); PeakFLOPS is the peak in FLOP/s of the
	// cores one process uses (0: MFU is not reported); a data-parallel run
	// divides by PeakFLOPS × the world size.
	FLOPsPerToken float64
	PeakFLOPS     float64
	// Perplexity reports exp(loss) beside the loss (language models).
	Perplexity bool
	// Progress receives a one-line progress bar with ETA when it is a
	// terminal; otherwise nothing is drawn.
	Progress io.Writer
	// Precision is the matrix-product precision of training and evaluation
	// steps: F32 (the default) or BF16 for mixed precision — matrix
	// products take bf16 inputs and accumulate in f32, while master weights,
	// gradients, optimizer state and every other operation stay f32, as
	// torch.autocast(dtype=bfloat16) does on CPUs.
	Precision tensor.DType
	// FinalDType is the dtype of the final OUT/model.safetensors (F32 by
	// default; BF16 halves it). Checkpoints always keep the training dtype,
	// so that a resume is exact.
	FinalDType tensor.DType
	// ModelConfig is written as config.json beside each model.
	ModelConfig map[string]any
	// RNGs are generators the objective draws from (dropout, sampling);
	// their states are saved in checkpoints and restored on resume.
	RNGs map[string]*tensor.RNG

	// Comm, when it has more than one rank, makes the run data-parallel
	// (see the package documentation): rank 0's parameters are broadcast
	// at the start, each rank reads its shard of the data, gradients are
	// averaged over the ranks in buckets overlapped with the backward pass,
	// and only rank 0 writes metrics, checkpoints and the model. nil is a
	// single process.
	Comm dist.Comm
	// BucketBytes is the size of a gradient all-reduce bucket
	// (dist.DefaultBucketBytes, 25 MiB, when 0).
	BucketBytes int

	// OnStep is called after each logged step with its record.
	OnStep func(m Metrics)
	// OnEval is called after each evaluation.
	OnEval func(m Metrics)
	// OnCheckpoint is called with the directory of each checkpoint written.
	OnCheckpoint func(dir string)
	// OnSkip is called when the NaN/Inf guard skips a step.
	OnSkip func(step int, loss, gradNorm float64)
}

// String summarises the configuration.
func (c Config) String() string {
	sched := "none"
	if c.Schedule != nil {
		sched = c.Schedule.String()
	}
	return fmt.Sprintf("train.Config{steps=%d epochs=%d accum=%d clip=%g schedule=%s eval=%d log=%d save=%d keep=%d seed=%d threads=%d out=%q resume=%v}",
		c.Steps, c.Epochs, c.GradAccum, c.ClipNorm, sched, c.EvalEvery, c.LogEvery, c.SaveEvery, c.KeepLast, c.Seed, c.Threads, c.OutDir, c.Resume)
}

// Metrics is one record of metrics.jsonl.
type Metrics struct {
	Kind         string  `json:"kind"` // "train" or "eval"
	Step         int     `json:"step"`
	Epoch        int     `json:"epoch"`
	Loss         float64 `json:"loss"`                // mean over the steps since the last record, or the eval loss
	PPL          float64 `json:"ppl,omitempty"`       // exp(Loss) with Config.Perplexity
	LR           float64 `json:"lr,omitempty"`        // learning rate of the last step
	GradNorm     float64 `json:"grad_norm,omitempty"` // before clipping, last step
	TokensPerSec float64 `json:"tokens_per_sec,omitempty"`
	MFU          float64 `json:"mfu,omitempty"` // model FLOPs utilisation, 0 to 1
	Tokens       int64   `json:"tokens"`        // trained on so far
	Skipped      int     `json:"skipped_steps,omitempty"`
	Elapsed      float64 `json:"elapsed_s"`
	// Steps is the run's total step count (0 when it runs by epochs);
	// ETA the estimated seconds left, from the pace since the start (or
	// the resume) of this process.
	Steps int     `json:"total_steps,omitempty"`
	ETA   float64 `json:"eta_s,omitempty"`
}

// String formats the record as a log line.
func (m Metrics) String() string {
	s := fmt.Sprintf("%s step %d epoch %d loss %.4f", m.Kind, m.Step, m.Epoch, m.Loss)
	if m.PPL > 0 {
		s += fmt.Sprintf(" ppl %.2f", m.PPL)
	}
	if m.Kind == "train" {
		s += fmt.Sprintf(" lr %.3g gnorm %.3g %.0f tok/s", m.LR, m.GradNorm, m.TokensPerSec)
		if m.MFU > 0 {
			s += fmt.Sprintf(" mfu %.1f%%", 100*m.MFU)
		}
		s += " elapsed " + (time.Duration(m.Elapsed * float64(time.Second))).Round(time.Second).String()
		if m.Steps > 0 {
			s += fmt.Sprintf(" eta %s (%d/%d)", (time.Duration(m.ETA * float64(time.Second))).Round(time.Second), m.Step, m.Steps)
		}
	}
	return s
}

// Result summarises a finished run.
type Result struct {
	Steps      int     // optimizer steps taken in total (resumed ones included)
	Epochs     int     // epochs started
	Loss       float64 // mean training loss over the last logging interval
	EvalLoss   float64 // last evaluation loss (NaN when none ran)
	Skipped    int     // steps skipped by the NaN/Inf guard
	Tokens     int64
	Checkpoint string // the last checkpoint written ("" when none)
	ResumedAt  int    // the step resumed from (0 for a fresh run)
	Elapsed    time.Duration
}

// String summarises the result.
func (r Result) String() string {
	return fmt.Sprintf("train.Result{steps=%d epochs=%d loss=%.4f eval=%.4f skipped=%d tokens=%d checkpoint=%q elapsed=%s}",
		r.Steps, r.Epochs, r.Loss, r.EvalLoss, r.Skipped, r.Tokens, r.Checkpoint, r.Elapsed.Round(time.Millisecond))
}

// Trainer trains an objective. Set the fields, then call Run.
type Trainer struct {
	Objective task.Objective
	Optimizer optim.Optimizer
	// Data configures the training stream. A nil Collator takes the
	// objective's; Epochs and (with Config.Seed) Seed are set by Run.
	Data data.LoaderConfig
	// Eval, when set, is the held-out split (read once per evaluation).
	Eval   *data.LoaderConfig
	Config Config
}

// New returns a Trainer.
func New(obj task.Objective, opt optim.Optimizer, train data.LoaderConfig, cfg Config) *Trainer {
	return &Trainer{Objective: obj, Optimizer: opt, Data: train, Config: cfg}
}

// String describes the trainer.
func (t *Trainer) String() string {
	name := "<nil>"
	if t.Objective != nil {
		name = t.Objective.Name()
	}
	return fmt.Sprintf("Trainer(objective=%s, optimizer=%v, %v)", name, t.Optimizer, t.Config)
}

// StepError reports a failure inside a training step.
type StepError struct {
	Step int
	Err  error
}

// Error names the step and the cause.
func (e *StepError) Error() string { return fmt.Sprintf("train: step %d: %v", e.Step, e.Err) }

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// ErrNonFinite is wrapped by the error that stops a run after
// Config.MaxBadSteps consecutive non-finite steps.
var ErrNonFinite = errors.New("loss or gradient is not finite")

// run holds the mutable state of one Run.
type run struct {
	t       *Trainer
	cfg     Config
	st      checkpoint.TrainerState
	params  []*tensor.Tensor
	arena   *tensor.Arena
	scope   *tensor.Scope // training steps: the arena, the precision, gradients on
	start   time.Time
	res     Result
	hist    []point // loss curve
	mw      io.WriteCloser
	bar     *progress
	comm    dist.Comm     // never nil: dist.Local() for a single process
	lead    bool          // rank 0: the one that writes files
	red     *dist.Reducer // gradient all-reduce when the world is larger than 1
	small   []float32     // scratch of the per-step scalar all-reduces
	batches []*data.Batch // the current step's batches

	// Since the last log record.
	lossSum   float64
	lossN     int
	tokSince  int64
	timeSince time.Time
	lastNorm  float64
}

// Run trains until the configured steps or epochs are done, ctx is
// cancelled (a checkpoint is written and ctx's error returned), or a step
// fails.
func (t *Trainer) Run(ctx context.Context) (res Result, err error) {
	if t.Objective == nil || t.Optimizer == nil {
		return Result{}, errors.New("train: Trainer needs an Objective and an Optimizer")
	}
	cfg := t.Config
	if cfg.Steps <= 0 && cfg.Epochs <= 0 {
		return Result{}, errors.New("train: set Config.Steps or Config.Epochs")
	}
	if cfg.GradAccum <= 0 {
		cfg.GradAccum = 1
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = 10
	}
	if cfg.KeepLast == 0 {
		cfg.KeepLast = 3
	}
	if cfg.MaxBadSteps <= 0 {
		cfg.MaxBadSteps = 10
	}
	if cfg.Precision != tensor.F32 && cfg.Precision != tensor.BF16 {
		return Result{}, fmt.Errorf("train: Config.Precision %s: want F32 or BF16", cfg.Precision)
	}
	module := t.Objective.Module()
	if cfg.FLOPsPerToken == 0 {
		cfg.FLOPsPerToken = 6 * float64(module.NumParams())
	}
	if cfg.Threads > 0 {
		prev := kernels.Threads()
		kernels.SetThreads(cfg.Threads)
		defer kernels.SetThreads(prev)
	}
	r := &run{t: t, cfg: cfg, params: module.Parameters(), arena: tensor.NewArena(), start: time.Now()}
	r.initDist()
	r.scope = tensor.NewScope().WithArena(r.arena).WithAutocast(cfg.Precision)
	r.res.EvalLoss = math.NaN()
	if cfg.Schedule != nil {
		r.st.Schedule = cfg.Schedule.String()
	}

	if cfg.OutDir != "" {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return Result{}, err
		}
	}
	if cfg.Resume && cfg.OutDir != "" {
		if err := r.resume(); err != nil {
			return Result{}, err
		}
	}
	if err := r.startDist(); err != nil {
		return Result{}, err
	}
	defer r.stopDist()
	if cfg.OutDir != "" && r.lead {
		if err := r.openMetrics(); err != nil {
			return Result{}, err
		}
		defer r.mw.Close()
	}

	dcfg := t.Data
	if dcfg.Collator == nil {
		dcfg.Collator = t.Objective.Collator()
	}
	if cfg.BatchSize > 0 {
		dcfg.BatchSize = cfg.BatchSize
	}
	if cfg.Seed != 0 {
		dcfg.Seed = cfg.Seed
	}
	dcfg.Epochs = cfg.Epochs
	dcfg.Shard = r.shard(dcfg.Shard)
	if cfg.Steps > 0 {
		dcfg.Epochs = -1
	}
	// Resume where the data stopped: batches are a function of the config,
	// so skipping the consumed ones lands on exactly the next unseen batch.
	dcfg.SkipBatches += r.st.Batches
	// The stream is not tied to ctx: a cancel is honoured between steps, so
	// that the checkpoint written on cancel is at a step boundary.
	loader, err := data.NewLoader(context.WithoutCancel(ctx), dcfg)
	if err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	defer loader.Close()

	if !r.lead {
		cfg.Progress = nil
	}
	r.bar = newProgress(cfg.Progress, cfg.Steps, cfg.Epochs)
	defer r.bar.done()
	module.Train(true)
	t.Optimizer.ZeroGrad()
	r.timeSince = time.Now()
	finished := false
	for !finished {
		if cfg.Steps > 0 && r.st.Step >= cfg.Steps {
			break
		}
		if ctx.Err() != nil && r.red == nil {
			if err := r.save(); err != nil {
				return r.result(), err
			}
			return r.result(), ctx.Err()
		}
		stepped, eof, err := r.step(ctx, loader)
		if errors.Is(err, context.Canceled) {
			// Distributed: some rank was cancelled, all stop together.
			if err := r.save(); err != nil {
				return r.result(), err
			}
			return r.result(), err
		}
		if err != nil {
			return r.result(), err
		}
		if eof {
			finished = true
		}
		if !stepped {
			continue
		}
		if r.st.Step%cfg.LogEvery == 0 {
			r.log()
		}
		if t.Eval != nil && cfg.EvalEvery > 0 && r.st.Step%cfg.EvalEvery == 0 {
			if err := r.evaluate(ctx); err != nil {
				return r.result(), err
			}
		}
		if cfg.SaveEvery > 0 && r.st.Step%cfg.SaveEvery == 0 && (cfg.Steps <= 0 || r.st.Step < cfg.Steps) {
			if err := r.save(); err != nil {
				return r.result(), err
			}
		}
	}
	if r.lossN > 0 {
		r.log()
	}
	if t.Eval != nil && (cfg.EvalEvery <= 0 || r.st.Step%cfg.EvalEvery != 0) {
		if err := r.evaluate(ctx); err != nil {
			return r.result(), err
		}
	}
	if err := r.save(); err != nil {
		return r.result(), err
	}
	if cfg.OutDir != "" && r.lead {
		sd := module.StateDict()
		if cfg.FinalDType == tensor.BF16 {
			for k, v := range sd {
				sd[k] = v.To(tensor.BF16)
			}
		}
		if err := checkpoint.Save(filepath.Join(cfg.OutDir, checkpoint.ModelFile), sd, map[string]string{"format": "pt"}); err != nil {
			return r.result(), err
		}
		if cfg.ModelConfig != nil {
			if err := checkpoint.WriteJSON(filepath.Join(cfg.OutDir, checkpoint.ConfigFile), cfg.ModelConfig); err != nil {
				return r.result(), err
			}
		}
	}
	return r.result(), nil
}

// step runs GradAccum batches and one optimizer update. stepped is false
// when the NaN/Inf guard skipped the update or the data ended first; eof
// reports the end of the data (epochs mode).
func (r *run) step(ctx context.Context, loader *data.Loader) (stepped, eof bool, err error) {
	t, cfg := r.t, r.cfg
	var lossSum float64
	var tokens int64
	scale := float32(1) / float32(cfg.GradAccum)
	// Read the step's batches first, so that the ranks of a distributed run
	// can agree on whether it happens at all.
	batches := r.batches[:0]
	for len(batches) < cfg.GradAccum {
		b, err := loader.Next()
		if err == io.EOF {
			eof = true
			break
		}
		if err != nil {
			return false, false, &StepError{Step: r.st.Step + 1, Err: err}
		}
		batches = append(batches, b)
	}
	r.batches = batches
	if r.red != nil {
		// Every rank must take the same steps: stop when any rank's shard
		// has ended or any rank was cancelled.
		var cancel bool
		if eof, cancel, err = r.agree(eof, ctx.Err() != nil); err != nil {
			return false, false, &StepError{Step: r.st.Step + 1, Err: err}
		}
		if cancel {
			return false, false, context.Canceled
		}
	}
	for _, b := range batches {
		r.st.Epoch, r.st.Batch = b.Epoch, b.Step+1
		r.st.Batches++
		if b.Epoch+1 > r.res.Epochs {
			r.res.Epochs = b.Epoch + 1
		}
	}
	if eof {
		// A partial accumulation at the very end is dropped.
		t.Optimizer.ZeroGrad()
		return false, true, nil
	}
	for micro, b := range batches {
		last := micro == cfg.GradAccum-1
		if r.red != nil && last {
			if err := r.red.Arm(); err != nil {
				return false, false, &StepError{Step: r.st.Step + 1, Err: err}
			}
		}
		l, err := r.forwardBackward(b, scale)
		if r.red != nil && last {
			if werr := r.red.Wait(); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			return false, false, &StepError{Step: r.st.Step + 1, Err: err}
		}
		lossSum += l
		tokens += batchTokens(b)
	}
	if r.red != nil {
		if lossSum, tokens, err = r.reduceStep(lossSum, tokens); err != nil {
			return false, false, &StepError{Step: r.st.Step + 1, Err: err}
		}
	}
	loss := lossSum / float64(cfg.GradAccum)
	var norm float32
	if cfg.ClipNorm > 0 {
		norm = optim.ClipGradNorm(r.params, cfg.ClipNorm)
	} else {
		norm = optim.GradNorm(r.params)
	}
	if !finite(loss) || !finite(float64(norm)) {
		t.Optimizer.ZeroGrad()
		r.st.Skipped++
		r.st.BadInRow++
		if cfg.OnSkip != nil {
			cfg.OnSkip(r.st.Step+1, loss, float64(norm))
		}
		if r.st.BadInRow >= cfg.MaxBadSteps {
			return false, false, &StepError{Step: r.st.Step + 1, Err: fmt.Errorf("%d steps in a row skipped: %w", r.st.BadInRow, ErrNonFinite)}
		}
		return false, false, nil
	}
	r.st.BadInRow = 0
	if cfg.Schedule != nil {
		lr := cfg.Schedule.LR(r.st.Step)
		optim.SetLR(t.Optimizer, lr)
		r.st.LR = float64(lr)
	} else if g := t.Optimizer.Groups(); len(g) > 0 {
		r.st.LR = float64(g[0].LR)
	}
	if err := r.update(); err != nil {
		return false, false, &StepError{Step: r.st.Step + 1, Err: err}
	}
	r.st.Step++
	r.st.Tokens += tokens
	r.lossSum += loss
	r.lossN++
	r.tokSince += tokens
	r.lastNorm = float64(norm)
	r.hist = append(r.hist, point{r.st.Step, loss, false})
	r.bar.update(r.st.Step, r.st.Epoch, loss, r.st.LR)
	return true, false, nil
}

// forwardBackward computes one batch's loss under the run's scope and adds
// its scaled gradient; the step's intermediates come from the arena.
func (r *run) forwardBackward(b *data.Batch, scale float32) (loss float64, err error) {
	defer recoverInto(&err)
	defer r.arena.Reset()
	b.Scope = r.scope
	l := r.t.Objective.Loss(b)
	loss = float64(l.Item())
	if !finite(loss) {
		return loss, nil // the guard skips the step; no backward of garbage
	}
	if scale != 1 {
		l = l.MulScalar(scale)
	}
	l.Backward()
	return loss, nil
}

// update applies the optimizer, converting a panic into an error.
func (r *run) update() (err error) {
	defer recoverInto(&err)
	r.t.Optimizer.Step()
	r.t.Optimizer.ZeroGrad()
	return nil
}

// recoverInto turns a panic carrying an error (the SDK's typed misuse
// errors, runtime errors) into *err; other panics propagate.
func recoverInto(err *error) {
	if p := recover(); p != nil {
		if e, ok := p.(error); ok {
			*err = e
			return
		}
		panic(p)
	}
}

// evaluate computes the mean loss over the eval split.
func (r *run) evaluate(ctx context.Context) (err error) {
	ecfg := *r.t.Eval
	if ecfg.Collator == nil {
		ecfg.Collator = r.t.Objective.Collator()
	}
	ecfg.Epochs = 1
	ecfg.Shard = r.shard(ecfg.Shard)
	if r.cfg.BatchSize > 0 && ecfg.BatchSize == 0 {
		ecfg.BatchSize = r.cfg.BatchSize
	}
	loader, err := data.NewLoader(context.WithoutCancel(ctx), ecfg)
	if err != nil {
		return fmt.Errorf("train: eval: %w", err)
	}
	defer loader.Close()
	module := r.t.Objective.Module()
	module.Train(false)
	defer module.Train(true)
	var sum float64
	n := 0
	scope := r.scope.NoGrad()
	for r.cfg.EvalBatches <= 0 || n < r.cfg.EvalBatches {
		b, err := loader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("train: eval: %w", err)
		}
		var l float64
		func() {
			defer recoverInto(&err)
			defer r.arena.Reset()
			b.Scope = scope
			l = float64(r.t.Objective.Loss(b).Item())
		}()
		if err != nil {
			return &StepError{Step: r.st.Step, Err: fmt.Errorf("eval: %w", err)}
		}
		sum += l
		n++
	}
	if r.red != nil {
		if sum, n, err = r.reduceEval(sum, n); err != nil {
			return &StepError{Step: r.st.Step, Err: fmt.Errorf("eval: %w", err)}
		}
	}
	if n == 0 {
		return errors.New("train: eval split yields no batch")
	}
	m := Metrics{Kind: "eval", Step: r.st.Step, Epoch: r.st.Epoch, Loss: sum / float64(n), Tokens: r.st.Tokens, Elapsed: time.Since(r.start).Seconds()}
	if r.cfg.Perplexity {
		m.PPL = math.Exp(m.Loss)
	}
	r.res.EvalLoss = m.Loss
	r.hist = append(r.hist, point{r.st.Step, m.Loss, true})
	r.write(m)
	if r.cfg.OnEval != nil {
		r.cfg.OnEval(m)
	}
	return nil
}

// log writes a training record for the steps since the last one.
func (r *run) log() {
	now := time.Now()
	m := Metrics{Kind: "train", Step: r.st.Step, Epoch: r.st.Epoch, LR: r.st.LR, GradNorm: r.lastNorm,
		Tokens: r.st.Tokens, Skipped: r.st.Skipped, Elapsed: now.Sub(r.start).Seconds()}
	if r.lossN > 0 {
		m.Loss = r.lossSum / float64(r.lossN)
	}
	if dt := now.Sub(r.timeSince).Seconds(); dt > 0 {
		m.TokensPerSec = float64(r.tokSince) / dt
		if r.cfg.PeakFLOPS > 0 {
			m.MFU = m.TokensPerSec * r.cfg.FLOPsPerToken / (r.cfg.PeakFLOPS * float64(r.comm.Size()))
		}
	}
	if r.cfg.Perplexity {
		m.PPL = math.Exp(m.Loss)
	}
	if r.cfg.Steps > 0 {
		m.Steps = r.cfg.Steps
		if done := r.st.Step - r.res.ResumedAt; done > 0 {
			m.ETA = m.Elapsed / float64(done) * float64(max(0, r.cfg.Steps-r.st.Step))
		}
	}
	r.res.Loss = m.Loss
	r.lossSum, r.lossN, r.tokSince, r.timeSince = 0, 0, 0, now
	r.write(m)
	if r.cfg.OnStep != nil {
		r.cfg.OnStep(m)
	}
}

// save writes a checkpoint when OutDir is set.
func (r *run) save() error {
	if r.cfg.OutDir == "" || !r.lead {
		return nil
	}
	st := r.st
	r.markWorld(&st)
	if len(r.cfg.RNGs) > 0 {
		st.RNG = map[string][2]uint64{}
		for name, g := range r.cfg.RNGs {
			st.RNG[name] = g.State()
		}
	}
	keep := r.cfg.KeepLast
	if keep < 0 {
		keep = 0
	}
	dir, err := checkpoint.SaveState(filepath.Join(r.cfg.OutDir, "checkpoints"), &checkpoint.State{
		Model:     r.t.Objective.Module().StateDict(),
		Optimizer: r.t.Optimizer.State(),
		Trainer:   st,
		Config:    r.cfg.ModelConfig,
	}, keep)
	if err != nil {
		return fmt.Errorf("train: checkpoint at step %d: %w", r.st.Step, err)
	}
	r.res.Checkpoint = dir
	if err := r.writeCurve(); err != nil {
		return err
	}
	if r.cfg.OnCheckpoint != nil {
		r.cfg.OnCheckpoint(dir)
	}
	return nil
}

// resume restores the newest checkpoint in OutDir, if there is one.
func (r *run) resume() error {
	dir, err := checkpoint.Latest(filepath.Join(r.cfg.OutDir, "checkpoints"))
	if err != nil || dir == "" {
		return err
	}
	st, err := checkpoint.LoadState(dir)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if err := r.checkWorld(dir, st.Trainer); err != nil {
		return err
	}
	if err := r.t.Objective.Module().LoadStateDict(st.Model); err != nil {
		return fmt.Errorf("train: resume from %s: model: %w", dir, err)
	}
	if err := r.t.Optimizer.LoadState(st.Optimizer); err != nil {
		return fmt.Errorf("train: resume from %s: optimizer: %w", dir, err)
	}
	for name, g := range r.cfg.RNGs {
		s, ok := st.Trainer.RNG[name]
		if !ok {
			return fmt.Errorf("train: resume from %s: no state for RNG %q", dir, name)
		}
		g.SetState(s)
	}
	sched := r.st.Schedule
	r.st = st.Trainer
	r.st.Schedule = sched
	r.st.RNG = nil
	r.res.ResumedAt = r.st.Step
	r.res.Checkpoint = dir
	return nil
}

// result fills in the running totals.
func (r *run) result() Result {
	res := r.res
	res.Steps = r.st.Step
	res.Skipped = r.st.Skipped
	res.Tokens = r.st.Tokens
	res.Elapsed = time.Since(r.start)
	return res
}

// batchTokens counts the tokens a batch trains on: real (unpadded) tokens
// when there is a mask, every id otherwise, pairs for word vectors.
func batchTokens(b *data.Batch) int64 {
	switch {
	case b.AttentionMask != nil:
		var n int64
		for _, m := range b.AttentionMask {
			if m != 0 {
				n++
			}
		}
		return n
	case b.InputIDs != nil:
		return int64(len(b.InputIDs))
	}
	return int64(b.Size)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
