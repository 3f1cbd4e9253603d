//go:build mpi

package lm

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/builtin/internal/objtest"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/dist"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/train"
)

const (
	distWorkerEnv = "PT_DIST_CLM_OUT" // set: this process is a rank of the mpirun job
	distSteps     = 8
	distSeqLen    = 32
	distBatch     = 8 // global; 4 per rank on 2 ranks
)

// distTrainer is the tiny GPT (gpt-tiny shape, byte vocabulary, seq 32)
// on rows of exactly seq-len bytes of Persuasion, unpacked and in corpus
// order, so that rank r of n takes rows r, r+n, ... and the n ranks'
// batches together are exactly one process's batch of n times the size.
func distTrainer(t *testing.T, comm dist.Comm, batch int, out string) *train.Trainer {
	obj, err := task.NewObjective("clm", objtest.Config(distSeqLen, map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	text, err := corpus.AustenText("persuasion")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := 0; i+distSeqLen <= len(text) && len(lines) < 4096; i += distSeqLen {
		lines = append(lines, text[i:i+distSeqLen])
	}
	lc := data.LoaderConfig{
		Open:      func(context.Context, int) (data.Reader, error) { return data.TextReader(lines), nil },
		Encode:    encodeBytes,
		BatchSize: batch, MaxLen: distSeqLen, DropLast: true, Seed: 7,
	}
	opt := optim.NewAdamW(optim.SplitDecay(obj.Module().NamedParameters(), 2e-3, 0.01), optim.DefaultAdam())
	return train.New(obj, opt, lc, train.Config{
		Steps: distSteps, GradAccum: 2, ClipNorm: 1, LogEvery: 1, Threads: 1, OutDir: out, SaveEvery: 4,
		Schedule: optim.WarmupCosine(2e-3, 2, distSteps, 2e-4), Comm: comm, BucketBytes: 1 << 20,
	})
}

func encodeBytes(s string) []int {
	ids := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		ids[i] = int(s[i])
	}
	return ids
}

func trainLosses(t *testing.T, dir string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m train.Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m.Kind == "train" {
			out = append(out, m.Loss)
		}
	}
	return out
}

// TestMPIDataParallelCLM trains the tiny GPT for 8 steps on 2 MPI ranks
// (batch 4 each, 2 accumulated micro-batches) and in one process (batch 8):
// the loss curves agree within 1e-5 relative.
func TestMPIDataParallelCLM(t *testing.T) {
	if os.Getenv(distWorkerEnv) != "" {
		t.Skip("inside the mpirun job")
	}
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Fatal("mpirun not found: install openmpi-bin (the tests built with -tags mpi need it)")
	}
	dir := t.TempDir()
	if _, err := distTrainer(t, nil, distBatch, filepath.Join(dir, "one")).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ref := trainLosses(t, filepath.Join(dir, "one"))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	two := filepath.Join(dir, "two")
	cmd := exec.CommandContext(ctx, "mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2",
		os.Args[0], "-test.run", "^TestMPIDataParallelCLMWorker$", "-test.v")
	cmd.Env = append(os.Environ(), distWorkerEnv+"="+two)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mpirun: %v\n%s", err, out)
	}
	got := trainLosses(t, two)
	if len(ref) != distSteps || len(got) != distSteps {
		t.Fatalf("logged %d steps in one process and %d on 2 ranks, want %d\n%s", len(ref), len(got), distSteps, out)
	}
	for i := range ref {
		rel := math.Abs(got[i]-ref[i]) / math.Abs(ref[i])
		t.Logf("step %d: one process %.7f, 2 ranks %.7f, rel %.1e", i+1, ref[i], got[i], rel)
		if rel > 1e-5 {
			t.Errorf("step %d: relative difference %.2e > 1e-5", i+1, rel)
		}
	}
	if ref[distSteps-1] >= ref[0] {
		t.Errorf("the loss did not fall: %v", ref)
	}
}

// TestMPIDataParallelCLMWorker is one rank of TestMPIDataParallelCLM.
func TestMPIDataParallelCLMWorker(t *testing.T) {
	out := os.Getenv(distWorkerEnv)
	if out == "" {
		t.Skip("runs only under mpirun (launched by TestMPIDataParallelCLM)")
	}
	comm, err := dist.Init(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if comm.Size() != 2 {
		t.Fatalf("world of %d, want 2", comm.Size())
	}
	res, err := distTrainer(t, comm, distBatch/comm.Size(), out).Run(context.Background())
	if err != nil {
		t.Fatalf("rank %d: %v", comm.Rank(), err)
	}
	if err := comm.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("rank %d: %v\n", comm.Rank(), res)
}
