package main

import (
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/dist"
)

// TestDistTimeoutFlag: --dist-timeout must be positive.
func TestDistTimeoutFlag(t *testing.T) {
	code, _, errs := runCLI(t, "train", "--objective", "clm", "--steps", "1", "--dist-timeout", "0s", "--out", t.TempDir())
	if code != 1 || !strings.Contains(errs, "--dist-timeout must be positive") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
}

// TestTrainUnderMpirunWithoutMPI: a binary built without -tags mpi that
// mpirun starts as one of several ranks refuses to train alone.
func TestTrainUnderMpirunWithoutMPI(t *testing.T) {
	if dist.Built() {
		t.Skip("built with MPI")
	}
	t.Setenv("OMPI_COMM_WORLD_RANK", "0")
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	code, _, errs := runCLI(t, "train", "--objective", "clm", "--steps", "1", "--out", t.TempDir())
	if code != 1 || !strings.Contains(errs, "built without MPI") || !strings.Contains(errs, "-tags mpi") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
}
