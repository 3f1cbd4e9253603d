//go:build mpi

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
)

// cliArgsEnv carries the CLI arguments (separated by \x1f) of a test binary
// that mpirun starts as one rank of `pretrain`.
const cliArgsEnv = "PT_MPI_CLI_ARGS"

// TestMPICLIMain is `pretrain` itself when mpirun starts this test binary.
func TestMPICLIMain(t *testing.T) {
	args := os.Getenv(cliArgsEnv)
	if args == "" {
		t.Skip("runs only under mpirun (launched by the other TestMPITrain tests)")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
}

// mpiCLI returns the command `mpirun -np N pretrain ARGS...`.
func mpiCLI(ctx context.Context, np int, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "mpirun", "--allow-run-as-root", "--oversubscribe", "-np", strconv.Itoa(np),
		os.Args[0], "-test.run", "^TestMPICLIMain$")
	cmd.Env = append(os.Environ(), cliArgsEnv+"="+strings.Join(args, "\x1f"))
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func countTrainRecords(t *testing.T, out string) int {
	b, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		return 0
	}
	return strings.Count(string(b), `"kind":"train"`)
}

var distModel = []string{"--objective", "clm", "--log-every", "1", "--opt", "batch=2", "--opt", "seq-len=32",
	"--opt", "dim=32", "--opt", "layers=1", "--opt", "heads=2"}

// TestMPITrainCLI: `mpirun -np 2 pretrain train --objective clm` trains,
// rank 0 alone prints and writes, the checkpoint records the world size,
// a resume with one process is refused and one with 2 continues.
func TestMPITrainCLI(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Fatal("mpirun not found: install openmpi-bin")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "run")
	args := append([]string{"train", "--out", out, "--steps", "6", "--save-every", "3"}, distModel...)
	b, err := mpiCLI(ctx, 2, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mpirun: %v\n%s", err, b)
	}
	s := string(b)
	for _, want := range []string{"data-parallel on 2 processes", "global batch 4", "done: 6 steps"} {
		if strings.Count(s, want) != 1 {
			t.Errorf("output has %q %d times, want once (rank 0 only):\n%s", want, strings.Count(s, want), s)
		}
	}
	if n := countTrainRecords(t, out); n != 6 {
		t.Errorf("metrics.jsonl has %d train records, want 6", n)
	}
	dir, err := checkpoint.Latest(filepath.Join(out, "checkpoints"))
	if err != nil || dir == "" {
		t.Fatalf("no checkpoint: %v", err)
	}
	var st checkpoint.TrainerState
	js, _ := os.ReadFile(filepath.Join(dir, "trainer_state.json"))
	if err := json.Unmarshal(js, &st); err != nil || st.Extra["world_size"] != "2" || st.Tokens != 6*4*32 {
		t.Errorf("trainer_state.json: world_size %q tokens %d (want 2 and %d): %v", st.Extra["world_size"], st.Tokens, 6*4*32, err)
	}

	resume := append([]string{"train", "--out", out, "--steps", "8", "--resume"}, distModel...)
	code, _, errs := runCLI(t, resume...)
	if code == 0 || !strings.Contains(errs, "2 process(es), this run has 1") {
		t.Errorf("resume in one process: code %d, stderr %q; want a world-size error", code, errs)
	}
	b, err = mpiCLI(ctx, 2, resume...).CombinedOutput()
	if err != nil {
		t.Fatalf("resume on 2 ranks: %v\n%s", err, b)
	}
	if n := countTrainRecords(t, out); n != 8 {
		t.Errorf("after the resume metrics.jsonl has %d train records, want 8", n)
	}
}

// rankPID finds the process of the given rank whose CLI arguments contain
// marker, from /proc.
func rankPID(marker string, rank int) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, []byte(marker)) ||
			!bytes.Contains(env, []byte("\x00OMPI_COMM_WORLD_RANK="+strconv.Itoa(rank)+"\x00")) {
			continue
		}
		return pid
	}
	return 0
}

// TestMPITrainCLIPeerStopped stops rank 1 (SIGSTOP: alive but silent, as a
// hung machine is) in the middle of a run: rank 0 gives up after
// --dist-timeout 3s with a message naming itself and the collective, and
// the job exits non-zero.
func TestMPITrainCLIPeerStopped(t *testing.T) {
	testPeerGone(t, syscall.SIGSTOP, "rank 0: allreduce timed out after 3s (peer dead?)")
}

// TestMPITrainCLIPeerKilled kills rank 1 (SIGKILL) in the middle of a run:
// the job ends with an error in bounded time.
func TestMPITrainCLIPeerKilled(t *testing.T) {
	testPeerGone(t, syscall.SIGKILL, "")
}

func testPeerGone(t *testing.T, sig syscall.Signal, want string) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Fatal("mpirun not found: install openmpi-bin")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "run")
	cmd := mpiCLI(ctx, 2, append([]string{"train", "--out", out, "--steps", "100000", "--dist-timeout", "3s"}, distModel...)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for countTrainRecords(t, out) < 3 {
		select {
		case err := <-done:
			t.Fatalf("the job ended before step 3: %v\n%s", err, buf.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	pid := rankPID(out, 1)
	if pid == 0 {
		cmd.Process.Kill()
		t.Fatal("rank 1's process not found in /proc")
	}
	start := time.Now()
	syscall.Kill(pid, sig)
	err := <-done
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("the job did not end:\n%s", buf.String())
	}
	if err == nil {
		t.Fatalf("the job succeeded after rank 1 got %v:\n%s", sig, buf.String())
	}
	if want != "" && !strings.Contains(buf.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, buf.String())
	}
	if took > time.Minute {
		t.Errorf("took %s to end after rank 1 got %v", took, sig)
	}
	t.Logf("job ended %s after rank 1 got %v: %v", took.Round(time.Millisecond), sig, err)
}
