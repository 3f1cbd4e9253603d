package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/pretrain-go/pretrain/kernels"

	"github.com/pretrain-go/pretrain/sdk/dist"
)

// distArgs joins `pretrain train` to an MPI job: a binary built with
// `-tags mpi` and started by `mpirun -np N pretrain train ...` trains
// data-parallel on N processes (see docs/scaleout.md).
type distArgs struct {
	timeout time.Duration
	comm    dist.Comm // dist.Local() outside mpirun
}

func (d *distArgs) register(fs *flag.FlagSet) {
	fs.DurationVar(&d.timeout, "dist-timeout", dist.DefaultTimeout,
		"under mpirun: the longest wait for the other ranks in one collective (gradient all-reduce, broadcast) before the run stops with an error, e.g. when a rank died; must exceed rank 0's checkpoint and evaluation time")
}

// open joins the MPI job when mpirun started the process and returns the
// writer for the run's messages: rank 0's stdout, nothing on the others.
// With threads 0 (all cores), the ranks that share a machine split its
// cores between them.
func (d *distArgs) open(objective string, threads int, stdout io.Writer) (io.Writer, error) {
	if d.timeout <= 0 {
		return nil, errors.New("--dist-timeout must be positive")
	}
	c, err := dist.Init(d.timeout)
	if err != nil {
		return nil, err
	}
	d.comm = c
	if c.Size() == 1 {
		return stdout, nil
	}
	switch objective {
	case "skipgram", "cbow", "glove":
		return nil, fmt.Errorf("%s trains with its own multi-threaded loop and does not run on several processes; start it without mpirun", objective)
	}
	if c.Rank() != 0 {
		stdout = io.Discard
	}
	if local, err := strconv.Atoi(os.Getenv("OMPI_COMM_WORLD_LOCAL_SIZE")); err == nil && local > 1 && threads == 0 {
		kernels.SetThreads(max(1, runtime.NumCPU()/local))
	}
	fmt.Fprintf(stdout, "pretrain train: data-parallel on %d processes (%v), %d threads each on rank 0\n", c.Size(), c, kernels.Threads())
	return stdout, nil
}

// lead reports whether this process writes the run's files (rank 0, or the
// only process).
func (d *distArgs) lead() bool { return d.comm == nil || d.comm.Rank() == 0 }

// world is the number of processes.
func (d *distArgs) world() int {
	if d.comm == nil {
		return 1
	}
	return d.comm.Size()
}

// close leaves the MPI job after a successful run. After a failure it does
// not finalize MPI, which would wait for peers that may be dead or stuck:
// the process exits with an error and mpirun ends the other ranks.
func (d *distArgs) close(err error) error {
	if d.comm == nil || err != nil {
		return err
	}
	return d.comm.Close()
}
