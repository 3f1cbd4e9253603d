package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/dist"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
)

// distTrainer is a toy trainer without dropout over unpacked rows of
// exactly `row` ids read in corpus order, so that the global batch of a
// world of n ranks (each taking every n-th record) is exactly the batch of
// one process with n times the batch size.
func distTrainer(out string, comm dist.Comm, batch int, initSeed uint64) (*Trainer, *toy) {
	obj := newToy(initSeed)
	obj.drop = nn.NewDropout(0, nil)
	opt := optim.NewAdamW(optim.SplitDecay(obj.m.NamedParameters(), 0.02, 0.01), optim.DefaultAdam())
	lc := loaderConfig(texts(400))
	lc.PackLen, lc.MaxLen, lc.ShuffleBuffer, lc.BatchSize = 0, row, 0, batch
	tr := New(obj, opt, lc, Config{
		Steps: 12, GradAccum: 2, ClipNorm: 1, LogEvery: 1, SaveEvery: 6, OutDir: out, Seed: 11, Threads: 1,
		Comm: comm, BucketBytes: 4 * 100, // several buckets for the toy's 1,568 parameters
		ModelConfig: map[string]any{"model_type": "toy"},
	})
	return tr, obj
}

// runRanks runs one trainer per loopback rank; rank r's trainer is made by
// mk(comm). It returns each rank's per-step losses and error.
func runRanks(t *testing.T, world int, timeout time.Duration, mk func(c dist.Comm) *Trainer) ([][]float64, []error, []*Trainer) {
	t.Helper()
	comms := dist.NewLoopback(world, timeout)
	losses := make([][]float64, world)
	errs := make([]error, world)
	trs := make([]*Trainer, world)
	for r, c := range comms {
		trs[r] = mk(c)
		trs[r].Config.OnStep = func(m Metrics) { losses[r] = append(losses[r], m.Loss) }
	}
	var wg sync.WaitGroup
	for r := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[r] = trs[r].Run(context.Background())
		}()
	}
	wg.Wait()
	return losses, errs, trs
}

// TestDataParallelMatchesOneProcess trains the toy on 2 loopback ranks
// with batch 4 (different initial weights on rank 1, which the broadcast
// must overwrite) and in one process with batch 8: the loss curves agree
// within 1e-5 relative and the final weights within 1e-5; only rank 0
// writes metrics.
func TestDataParallelMatchesOneProcess(t *testing.T) {
	dir := t.TempDir()
	one, obj1 := distTrainer(filepath.Join(dir, "one"), nil, 8, 5)
	var ref []float64
	one.Config.OnStep = func(m Metrics) { ref = append(ref, m.Loss) }
	if _, err := one.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var obj0 *toy
	losses, errs, _ := runRanks(t, 2, 30*time.Second, func(c dist.Comm) *Trainer {
		tr, obj := distTrainer(filepath.Join(dir, "two"), c, 4, 5+uint64(c.Rank())*1000)
		if c.Rank() == 0 {
			obj0 = obj
		}
		return tr
	})
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	if len(ref) != 12 || len(losses[0]) != 12 || len(losses[1]) != 12 {
		t.Fatalf("steps logged: one process %d, ranks %d and %d; want 12", len(ref), len(losses[0]), len(losses[1]))
	}
	for i := range ref {
		for r := range losses {
			if d := math.Abs(losses[r][i]-ref[i]) / math.Abs(ref[i]); d > 1e-5 {
				t.Errorf("step %d: rank %d loss %.7f, one process %.7f (rel %.1e)", i+1, r, losses[r][i], ref[i], d)
			}
		}
	}
	if ref[len(ref)-1] >= ref[0] {
		t.Errorf("loss did not fall: %v", ref)
	}
	sd1, sd0 := obj1.m.StateDict(), obj0.m.StateDict()
	for k, v := range sd1 {
		a, b := v.Float32s(), sd0[k].Float32s()
		for i := range a {
			if d := math.Abs(float64(a[i] - b[i])); d > 1e-5 {
				t.Fatalf("%s[%d]: one process %v, 2 ranks %v", k, i, a[i], b[i])
			}
		}
	}
	m, err := os.ReadFile(filepath.Join(dir, "two", MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(m), `"kind":"train"`); n != 12 {
		t.Errorf("metrics.jsonl of the 2-rank run has %d train records, want 12 (rank 0 only)", n)
	}
}

// TestDataParallelResumeWorldSize resumes a 2-rank run's step-6
// checkpoint with 2 ranks, and refuses to resume it with 1 or 3.
func TestDataParallelResumeWorldSize(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	_, errs, _ := runRanks(t, 2, 30*time.Second, func(c dist.Comm) *Trainer {
		tr, _ := distTrainer(out, c, 4, 5)
		tr.Config.Steps = 6
		return tr
	})
	for r, err := range errs {
		if err != nil {
			t.Fatalf("first run, rank %d: %v", r, err)
		}
	}
	st, err := checkpointState(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Extra[worldKey] != "2" {
		t.Errorf("checkpoint world_size %q, want 2", st.Extra[worldKey])
	}
	one, _ := distTrainer(out, nil, 8, 5)
	one.Config.Resume = true
	if _, err := one.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "2 process(es), this run has 1") {
		t.Errorf("resume with 1 process: %v, want a world-size error", err)
	}
	_, errs, _ = runRanks(t, 3, 30*time.Second, func(c dist.Comm) *Trainer {
		tr, _ := distTrainer(out, c, 4, 5)
		tr.Config.Resume = true
		return tr
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "this run has 3") {
			t.Errorf("resume with 3 ranks, rank %d: %v, want a world-size error", r, err)
		}
	}
	losses, errs, _ := runRanks(t, 2, 30*time.Second, func(c dist.Comm) *Trainer {
		tr, _ := distTrainer(out, c, 4, 5)
		tr.Config.Resume = true
		return tr
	})
	for r, err := range errs {
		if err != nil {
			t.Fatalf("resume with 2 ranks, rank %d: %v", r, err)
		}
	}
	if len(losses[0]) != 6 {
		t.Errorf("resumed run logged %d steps, want 6 (7 to 12)", len(losses[0]))
	}
}

// TestDataParallelPeerGone checks that a rank whose peer never takes part
// stops with the communicator's timeout error instead of hanging.
func TestDataParallelPeerGone(t *testing.T) {
	comms := dist.NewLoopback(2, 200*time.Millisecond)
	tr, _ := distTrainer("", comms[0], 4, 5)
	start := time.Now()
	_, err := tr.Run(context.Background())
	var te *dist.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want a *dist.TimeoutError", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to give up", d)
	}
}

func checkpointState(out string) (checkpoint.TrainerState, error) {
	dir, err := checkpoint.Latest(filepath.Join(out, "checkpoints"))
	if err != nil {
		return checkpoint.TrainerState{}, err
	}
	st, err := checkpoint.LoadState(dir)
	if err != nil {
		return checkpoint.TrainerState{}, err
	}
	return st.Trainer, nil
}
