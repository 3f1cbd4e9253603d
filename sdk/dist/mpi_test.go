//go:build mpi

package dist

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// These tests launch this test binary under `mpirun -np 2`; the launched
// copies run TestMPIWorker in the mode named by $PT_MPI_WORKER.

const workerEnv = "PT_MPI_WORKER"

// mpirun runs the worker mode on np ranks and returns the combined output
// and the error of mpirun (nil when every rank exited 0).
func mpirun(t *testing.T, np int, mode string, limit time.Duration) (string, error, time.Duration) {
	t.Helper()
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Fatal("mpirun not found: install openmpi-bin (the tests built with -tags mpi need it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mpirun", "--allow-run-as-root", "--oversubscribe", "-np", fmt.Sprint(np),
		os.Args[0], "-test.run", "^TestMPIWorker$", "-test.v")
	cmd.Env = append(os.Environ(), workerEnv+"="+mode, "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("mpirun %s did not end within %s:\n%s", mode, limit, out)
	}
	return string(out), err, time.Since(start)
}

// TestMPICollectives: allreduce (sum, mean) of odd sizes and of a buffer
// over 64 MB, broadcast, barrier, and the gradient Reducer over bucket
// boundaries, on 2 ranks.
func TestMPICollectives(t *testing.T) {
	out, err, _ := mpirun(t, 2, "collectives", 3*time.Minute)
	if err != nil || strings.Count(out, "worker ok") != 2 {
		t.Fatalf("mpirun: %v\n%s", err, out)
	}
}

// TestMPIPeerHangs: rank 1 stops taking part (it sleeps, as a hung or
// unreachable peer does); rank 0's allreduce times out after 2 s and the job
// ends with an error naming the rank and the operation.
func TestMPIPeerHangs(t *testing.T) {
	out, err, took := mpirun(t, 2, "hang", 2*time.Minute)
	if err == nil {
		t.Fatalf("mpirun succeeded with a hung rank:\n%s", out)
	}
	if !strings.Contains(out, "rank 0: allreduce timed out after 2s (peer dead?)") {
		t.Errorf("no timeout message from rank 0:\n%s", out)
	}
	t.Logf("job ended after %s", took.Round(time.Millisecond))
}

// TestMPIPeerKilled: rank 1 is killed (SIGKILL) between two allreduces;
// the job ends with an error in bounded time instead of hanging.
func TestMPIPeerKilled(t *testing.T) {
	out, err, took := mpirun(t, 2, "kill", 2*time.Minute)
	if err == nil {
		t.Fatalf("mpirun succeeded with a killed rank:\n%s", out)
	}
	t.Logf("job ended after %s: %v", took.Round(time.Millisecond), err)
}

// TestMPIWorker is the body of the launched ranks; it skips outside mpirun.
func TestMPIWorker(t *testing.T) {
	mode := os.Getenv(workerEnv)
	if mode == "" {
		t.Skip("runs only under mpirun (launched by the other TestMPI tests)")
	}
	c, err := Init(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size() != 2 {
		t.Fatalf("world of %d, want 2", c.Size())
	}
	switch mode {
	case "collectives":
		if err := checkCollectives(c); err != nil {
			t.Fatalf("rank %d: %v", c.Rank(), err)
		}
	case "hang", "kill":
		buf := []float32{1}
		if err := c.AllreduceF32(buf, Sum); err != nil || buf[0] != 2 {
			t.Fatalf("first allreduce: %v %v", buf, err)
		}
		if c.Rank() == 1 {
			if mode == "kill" {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
			time.Sleep(time.Hour)
		}
		err := c.AllreduceF32(buf, Sum)
		var te *TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("second allreduce with a dead peer: %v", err)
		}
		fmt.Println(err)
		os.Exit(3) // as the CLI does: exit without finalizing
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("rank %d: worker ok\n", c.Rank())
}

func checkCollectives(c Comm) error {
	rank := float32(c.Rank())
	for _, n := range []int{0, 1, 3, 7, 1001, 65537, 64<<20/4 + 3} {
		buf := make([]float32, n)
		for i := range buf {
			buf[i] = rank*0.5 + float32(i%1000)
		}
		if err := c.AllreduceF32(buf, Sum); err != nil {
			return err
		}
		for i, v := range buf {
			if want := 0.5 + 2*float32(i%1000); v != want {
				return fmt.Errorf("allreduce sum n=%d: [%d] = %v, want %v", n, i, v, want)
			}
		}
		if err := c.AllreduceF32(buf, Mean); err != nil {
			return err
		}
		for i, v := range buf {
			if want := 0.5 + 2*float32(i%1000); v != want {
				return fmt.Errorf("allreduce mean n=%d: [%d] = %v, want %v", n, i, v, want)
			}
		}
		for i := range buf {
			buf[i] = rank + 1
		}
		if err := c.BroadcastF32(buf, 1); err != nil {
			return err
		}
		for i, v := range buf {
			if v != 2 {
				return fmt.Errorf("broadcast n=%d: [%d] = %v, want 2", n, i, v)
			}
		}
	}
	if err := c.Barrier(); err != nil {
		return err
	}
	// The Reducer over odd parameter sizes, with buckets of 1, 16 and 40
	// floats and the default: each rank's gradient is (rank+1)·x, so the
	// mean is 1.5·x.
	sizes := []int{5, 3, 1, 17, 2, 40, 7}
	for _, bucketBytes := range []int{4, 4 * 16, 4 * 40, 0} {
		var ps []*tensor.Tensor
		for i, n := range sizes {
			ps = append(ps, tensor.Full(float32(i+1), n).SetRequiresGrad(true))
		}
		r := NewReducer(c, ps, bucketBytes)
		for step := 0; step < 2; step++ {
			for _, p := range ps {
				p.ZeroGrad()
			}
			if err := r.Arm(); err != nil {
				return err
			}
			// loss = Σ_p (rank+1)/2 · Σ p², so grad p = (rank+1)·p.
			var loss *tensor.Tensor
			for _, p := range ps {
				term := p.Mul(p).Sum().MulScalar((rank + 1) / 2)
				if loss == nil {
					loss = term
				} else {
					loss = loss.Add(term)
				}
			}
			loss.Backward()
			if err := r.Wait(); err != nil {
				return err
			}
			for i, p := range ps {
				for j, g := range p.Grad().Float32s() {
					if want := 1.5 * float32(i+1); g != want {
						return fmt.Errorf("reducer buckets %d step %d: param %d[%d] grad %v, want %v", bucketBytes, step, i, j, g, want)
					}
				}
			}
		}
		r.Close()
	}
	return nil
}
