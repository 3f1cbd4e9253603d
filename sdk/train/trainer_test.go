package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

const (
	vocab = 32
	row   = 8
)

// toy is a small objective: predict the last id of a row from the mean
// embedding of the others, through dropout (so an RNG must be restored on
// resume) and a linear layer.
type toy struct {
	m    *nn.Base
	emb  *nn.Embedding
	drop *nn.Dropout
	head *nn.Linear
	rng  *tensor.RNG
	// lossHook, when set, may replace the loss (NaN injection, panics).
	lossHook func(b *data.Batch, l *tensor.Tensor) *tensor.Tensor
}

func newToy(seed uint64) *toy {
	rng := tensor.NewRNG(seed)
	t := &toy{m: nn.NewBase(), rng: tensor.NewRNG(seed + 100)}
	t.emb = nn.NewEmbedding(vocab, 16, rng)
	t.head = nn.NewLinear(16, vocab, true, rng)
	t.drop = nn.NewDropout(0.1, t.rng)
	t.m.AddModule("emb", t.emb)
	t.m.AddModule("head", t.head)
	return t
}

var _ task.Objective = (*toy)(nil)

func (t *toy) Name() string            { return "toy" }
func (t *toy) Module() nn.Module       { return t.m }
func (t *toy) Collator() data.Collator { return nil }
func (t *toy) Loss(b *data.Batch) *tensor.Tensor {
	ctxIDs := make([]int, 0, b.Size*(row-1))
	targets := make([]int, b.Size)
	for i := 0; i < b.Size; i++ {
		r := data.Row(b.InputIDs, b.SeqLen, i)
		ctxIDs = append(ctxIDs, r[:row-1]...)
		targets[i] = r[row-1]
	}
	h := t.emb.Forward(b.Scope, ctxIDs, b.Size, row-1).Mean(1)
	l := tensor.CrossEntropy(t.head.Forward(t.drop.Forward(h)), targets)
	if t.lossHook != nil {
		return t.lossHook(b, l)
	}
	return l
}

// texts is a corpus with learnable structure: each line repeats a pattern.
func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		var sb strings.Builder
		for j := 0; j < 24; j++ {
			sb.WriteByte(byte('a' + (i*3+j*(i%5+1))%26))
		}
		out[i] = sb.String()
	}
	return out
}

func loaderConfig(lines []string) data.LoaderConfig {
	return data.LoaderConfig{
		Open: func(ctx context.Context, epoch int) (data.Reader, error) { return data.TextReader(lines), nil },
		Encode: func(s string) []int {
			ids := make([]int, len(s))
			for i := range s {
				ids[i] = int(s[i]) % vocab
			}
			return ids
		},
		BatchSize: 4, PackLen: row, PackSep: -1, DropLast: true, ShuffleBuffer: 16, Seed: 3,
	}
}

// newTrainer builds a trainer over the toy objective; initSeed changes the
// initial weights (a resumed run must not depend on them).
func newTrainer(out string, steps int, initSeed uint64) (*Trainer, *toy) {
	obj := newToy(initSeed)
	opt := optim.NewAdamW(optim.SplitDecay(obj.m.NamedParameters(), 0.01, 0.01), optim.DefaultAdam())
	tr := New(obj, opt, loaderConfig(texts(200)), Config{
		Steps: steps, GradAccum: 2, ClipNorm: 1, LogEvery: 1, SaveEvery: 4, KeepLast: -1,
		OutDir: out, Seed: 11, Threads: 1,
		RNGs: map[string]*tensor.RNG{"dropout": obj.rng}, ModelConfig: map[string]any{"model_type": "toy", "vocab_size": vocab},
	})
	if steps > 0 {
		tr.Config.Schedule = optim.WarmupLinear(0.02, 3, steps, 0.001)
	}
	return tr, obj
}

func sameDir(t *testing.T, a, b string) {
	t.Helper()
	ents, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) < 4 {
		t.Fatalf("%s has %d files", a, len(ents))
	}
	for _, e := range ents {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", e.Name(), a, b)
		}
	}
}

func TestTrainLearnsAndWritesOutput(t *testing.T) {
	out := t.TempDir()
	tr, _ := newTrainer(out, 80, 1)
	tr.Config.KeepLast = 2
	tr.Eval = &data.LoaderConfig{}
	*tr.Eval = loaderConfig(texts(40))
	tr.Config.EvalEvery = 40
	var logged []Metrics
	tr.Config.OnStep = func(m Metrics) { logged = append(logged, m) }
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 80 || len(logged) != 80 {
		t.Fatalf("result %v, %d records", res, len(logged))
	}
	if m := logged[39]; m.Steps != 80 || m.ETA <= 0 || m.Elapsed <= 0 || !strings.Contains(m.String(), "(40/80)") || !strings.Contains(m.String(), "elapsed ") {
		t.Fatalf("step 40 record has no progress: %+v %q", m, m)
	}
	if m := logged[79]; m.ETA != 0 {
		t.Fatalf("ETA at the last step: %g", m.ETA)
	}
	first, last := logged[0].Loss, (logged[77].Loss+logged[78].Loss+logged[79].Loss)/3
	if !(last < first-0.5) {
		t.Fatalf("loss did not fall: first %.3f, last %.3f", first, last)
	}
	if math.IsNaN(res.EvalLoss) {
		t.Fatal("no evaluation")
	}
	cps, _ := checkpoint.List(filepath.Join(out, "checkpoints"))
	if len(cps) != 2 || filepath.Base(cps[1]) != checkpoint.StepDir(80) {
		t.Fatalf("checkpoints %v", cps)
	}
	for _, f := range []string{MetricsFile, CurveFile, checkpoint.ModelFile, checkpoint.ConfigFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, MetricsFile))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	evals := 0
	for _, l := range lines {
		var m Metrics
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m.Kind == "eval" {
			evals++
		} else if m.LR <= 0 || m.GradNorm <= 0 || m.TokensPerSec <= 0 {
			t.Fatalf("incomplete record %s", l)
		}
	}
	if evals != 2 || len(lines) != 82 {
		t.Fatalf("%d records, %d evals", len(lines), evals)
	}
	svg, _ := os.ReadFile(filepath.Join(out, CurveFile))
	if !bytes.HasPrefix(svg, []byte("<svg")) || strings.Count(string(svg), "<polyline") != 2 {
		t.Fatalf("curve: %.200s", svg)
	}
	// The final model equals the last checkpoint's.
	a, _ := os.ReadFile(filepath.Join(out, checkpoint.ModelFile))
	c, _ := os.ReadFile(filepath.Join(cps[1], checkpoint.ModelFile))
	if !bytes.Equal(a, c) {
		t.Fatal("final model differs from the last checkpoint")
	}
}

// TestResumeBitExact stops a run by cancelling it (Ctrl-C), resumes it with
// differently initialised weights, and compares the final checkpoint with
// an uninterrupted run's byte for byte.
func TestResumeBitExact(t *testing.T) {
	const steps = 14
	ref := t.TempDir()
	tr, _ := newTrainer(ref, steps, 1)
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	tr, _ = newTrainer(out, steps, 1)
	tr.Config.OnStep = func(m Metrics) {
		if m.Step == 5 {
			cancel()
		}
	}
	res, err := tr.Run(ctx)
	if !errors.Is(err, context.Canceled) || res.Steps != 5 {
		t.Fatalf("cancelled run: %v, %v", res, err)
	}
	if l, _ := checkpoint.Latest(filepath.Join(out, "checkpoints")); filepath.Base(l) != checkpoint.StepDir(5) {
		t.Fatalf("cancel wrote %q", l)
	}
	tr, _ = newTrainer(out, steps, 99)
	tr.Config.Resume = true
	res, err = tr.Run(context.Background())
	if err != nil || res.ResumedAt != 5 || res.Steps != steps {
		t.Fatalf("resumed run: %v, %v", res, err)
	}
	sameDir(t, filepath.Join(ref, "checkpoints", checkpoint.StepDir(steps)), filepath.Join(out, "checkpoints", checkpoint.StepDir(steps)))
	sameDir(t, filepath.Join(ref, "checkpoints", checkpoint.StepDir(12)), filepath.Join(out, "checkpoints", checkpoint.StepDir(12)))
}

// TestResumeAfterSIGKILL kills a training child process between checkpoints
// and resumes from what it left.
func TestResumeAfterSIGKILL(t *testing.T) {
	const steps = 14
	if out := os.Getenv("TRAIN_KILL_CHILD"); out != "" {
		tr, _ := newTrainer(out, steps, 1)
		tr.Config.OnStep = func(m Metrics) {
			if m.Step == 10 {
				os.WriteFile(filepath.Join(out, "marker"), nil, 0o644)
				time.Sleep(time.Minute)
			}
		}
		tr.Run(context.Background())
		return
	}
	ref := t.TempDir()
	tr, _ := newTrainer(ref, steps, 1)
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeAfterSIGKILL$")
	cmd.Env = append(os.Environ(), "TRAIN_KILL_CHILD="+out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, "marker")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child did not reach step 10")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if l, _ := checkpoint.Latest(filepath.Join(out, "checkpoints")); filepath.Base(l) != checkpoint.StepDir(8) {
		t.Fatalf("killed run left %q", l)
	}
	tr, _ = newTrainer(out, steps, 42)
	tr.Config.Resume = true
	res, err := tr.Run(context.Background())
	if err != nil || res.ResumedAt != 8 {
		t.Fatalf("resumed: %v, %v", res, err)
	}
	sameDir(t, filepath.Join(ref, "checkpoints", checkpoint.StepDir(steps)), filepath.Join(out, "checkpoints", checkpoint.StepDir(steps)))
	// metrics.jsonl holds each step once: the killed run's records past
	// step 8 were dropped on resume.
	b, _ := os.ReadFile(filepath.Join(out, MetricsFile))
	if n := strings.Count(string(b), "\n"); n != steps {
		t.Fatalf("metrics has %d records, want %d", n, steps)
	}
}

func TestNaNGuard(t *testing.T) {
	tr, obj := newTrainer("", 10, 1)
	tr.Config.GradAccum = 1
	calls := 0
	obj.lossHook = func(b *data.Batch, l *tensor.Tensor) *tensor.Tensor {
		calls++
		if calls%3 == 0 {
			return l.MulScalar(float32(math.Inf(1)))
		}
		return l
	}
	var skipped []int
	tr.Config.OnSkip = func(step int, loss, norm float64) { skipped = append(skipped, step) }
	before := obj.head.Weight.Float32s()
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 10 || res.Skipped != 4 || len(skipped) != 4 {
		t.Fatalf("result %v, skipped %v", res, skipped)
	}
	for _, v := range obj.head.Weight.Float32s() {
		if !finite(float64(v)) {
			t.Fatal("non-finite weight after guarded run")
		}
	}
	if obj.head.Weight.Float32s()[0] == before[0] {
		t.Fatal("weights did not change")
	}

	tr, obj = newTrainer("", 10, 1)
	obj.lossHook = func(b *data.Batch, l *tensor.Tensor) *tensor.Tensor { return l.MulScalar(float32(math.NaN())) }
	tr.Config.MaxBadSteps = 3
	res, err = tr.Run(context.Background())
	var se *StepError
	if !errors.Is(err, ErrNonFinite) || !errors.As(err, &se) || se.Step != 1 || res.Skipped != 3 {
		t.Fatalf("all-NaN run: %v, %v", res, err)
	}
}

func TestPanicInStepIsAnError(t *testing.T) {
	tr, obj := newTrainer("", 10, 1)
	calls := 0
	obj.lossHook = func(b *data.Batch, l *tensor.Tensor) *tensor.Tensor {
		calls++
		if calls == 5 {
			return l.Add(tensor.Zeros(3, 4)).Sum() // scalar + [3,4] is fine; [3,4]@[3,4] is not
		}
		if calls == 7 {
			return tensor.Zeros(3, 4).MatMul(tensor.Zeros(3, 4))
		}
		return l
	}
	_, err := tr.Run(context.Background())
	var se *StepError
	var shape *tensor.ShapeError
	if !errors.As(err, &se) || !errors.As(err, &shape) || se.Step != 4 {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "step 4") || !strings.Contains(err.Error(), "MatMul") {
		t.Fatalf("message %q", err)
	}
}

func TestFinalModelBF16(t *testing.T) {
	out := t.TempDir()
	tr, obj := newTrainer(out, 4, 1)
	tr.Config.FinalDType = tensor.BF16
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	m, _, err := checkpoint.Load(filepath.Join(out, checkpoint.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	w := m["head.weight"]
	if w.DType() != tensor.BF16 {
		t.Fatalf("final model dtype %v", w.DType())
	}
	want := obj.head.Weight.To(tensor.BF16).Float32s()
	for i, v := range w.Float32s() {
		if v != want[i] {
			t.Fatalf("head.weight[%d] = %v, want %v", i, v, want[i])
		}
	}
	cp, _, _ := checkpoint.Load(filepath.Join(out, "checkpoints", checkpoint.StepDir(4), checkpoint.ModelFile))
	if cp["head.weight"].DType() != tensor.F32 {
		t.Fatal("checkpoint not kept in f32")
	}
}

func TestEpochsMode(t *testing.T) {
	tr, _ := newTrainer("", 0, 1)
	tr.Config.Epochs = 2
	tr.Config.Schedule = nil
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 200 lines × 24 bytes = 600 rows of 8 = 150 batches of 4 per epoch;
	// 2 batches per step.
	if res.Epochs != 2 || res.Steps != 150 {
		t.Fatalf("result %v", res)
	}
}

func TestConfigErrors(t *testing.T) {
	tr, _ := newTrainer("", 0, 1)
	if _, err := tr.Run(context.Background()); err == nil {
		t.Fatal("no steps or epochs accepted")
	}
	if _, err := (&Trainer{}).Run(context.Background()); err == nil {
		t.Fatal("empty trainer accepted")
	}
	tr, _ = newTrainer("", 3, 1)
	tr.Data.Encode = nil
	if _, err := tr.Run(context.Background()); err == nil {
		t.Fatal("bad loader config accepted")
	}
	if s := fmt.Sprint(tr); !strings.Contains(s, "objective=toy") {
		t.Fatalf("String %q", s)
	}
}

func TestLossCurveSVG(t *testing.T) {
	s := lossCurveSVG([]point{{1, 3, false}, {2, math.NaN(), false}, {3, 1, false}, {3, 2, true}})
	if strings.Count(s, "<polyline") != 2 || strings.Contains(s, "NaN") {
		t.Fatal(s)
	}
	if s := lossCurveSVG(nil); !strings.HasSuffix(s, "</svg>\n") {
		t.Fatal(s)
	}
}

func TestProgressQuietWhenNotATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newProgress(f, 10, 0)
	p.update(5, 0, 1, 0.1)
	p.done()
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	if newProgress(devnull, 10, 0).w != nil || newProgress(&bytes.Buffer{}, 10, 0).w != nil {
		t.Fatal("progress drawn on a non-terminal")
	}
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Fatal("progress written to a file")
	}
}

// BenchmarkStep measures one optimizer step of the toy model; allocs/op
// shows what the arena does not recycle (batches, autograd nodes).
func BenchmarkStep(b *testing.B) {
	tr, _ := newTrainer("", 0, 1)
	tr.Config.Steps = b.N
	tr.Config.GradAccum = 1
	tr.Config.LogEvery = 1 << 30
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := tr.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}
