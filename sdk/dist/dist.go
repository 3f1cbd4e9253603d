package dist

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Op is the reduction of an all-reduce.
type Op int

const (
	// Sum adds the buffers of all ranks.
	Sum Op = iota
	// Mean adds them and divides by the world size.
	Mean
)

// String names the op.
func (o Op) String() string {
	switch o {
	case Sum:
		return "sum"
	case Mean:
		return "mean"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Comm is a communicator over the processes of a job. Collective calls
// (AllreduceF32, BroadcastF32, Barrier) must be made by every rank in the
// same order with buffers of the same length. Calls may come from any
// goroutine but must not overlap: one collective at a time per Comm.
type Comm interface {
	// Rank is this process's index, 0 ≤ Rank < Size.
	Rank() int
	// Size is the number of processes.
	Size() int
	// AllreduceF32 replaces buf on every rank by the reduction of the
	// ranks' bufs.
	AllreduceF32(buf []float32, op Op) error
	// BroadcastF32 copies root's buf into buf on every other rank.
	BroadcastF32(buf []float32, root int) error
	// Barrier returns when every rank has called it.
	Barrier() error
	// Close ends this process's part in the job (MPI_Finalize). After a
	// timeout it returns the timeout error without finalizing, since the
	// finalization would wait for the dead peer.
	Close() error
	// String describes the communicator.
	String() string
}

// TimeoutError reports a collective that did not complete in time: a peer
// died, hangs, or is far slower than the timeout allows.
type TimeoutError struct {
	Rank  int           // this process's rank
	Op    string        // "allreduce", "broadcast", "barrier"
	After time.Duration // the timeout
}

// Error names the rank, the operation and the timeout.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("rank %d: %s timed out after %s (peer dead?)", e.Rank, e.Op, e.After)
}

// ErrLengthMismatch is wrapped by the error of a collective whose ranks
// passed buffers of different lengths (detected by the loopback
// communicator; MPI's behaviour is then undefined).
var ErrLengthMismatch = errors.New("ranks passed buffers of different lengths")

// DefaultTimeout bounds one collective when Init is given no timeout.
const DefaultTimeout = 5 * time.Minute

// local is the world of one process.
type local struct{}

// Local returns the communicator of a world of one process: rank 0 of 1,
// every collective a no-op.
func Local() Comm { return local{} }

func (local) Rank() int                        { return 0 }
func (local) Size() int                        { return 1 }
func (local) AllreduceF32([]float32, Op) error { return nil }
func (local) BroadcastF32(_ []float32, root int) error {
	if root != 0 {
		return fmt.Errorf("dist: broadcast from rank %d in a world of 1", root)
	}
	return nil
}
func (local) Barrier() error { return nil }
func (local) Close() error   { return nil }
func (local) String() string { return "dist.Local(rank 0 of 1)" }

// Launch describes how the process was started, from the environment
// variables that mpirun (Open MPI, or a PMI launcher such as MPICH's
// Hydra or Slurm's srun) sets.
type Launch struct {
	Rank, Size int
	Launcher   string // "openmpi", "pmi", or "" when not launched by one
}

// String describes the launch.
func (l Launch) String() string {
	if l.Launcher == "" {
		return "not launched by mpirun"
	}
	return fmt.Sprintf("%s rank %d of %d", l.Launcher, l.Rank, l.Size)
}

// DetectLaunch reads the launcher's environment variables; a process that
// none started gets rank 0 of 1 and an empty Launcher.
func DetectLaunch() Launch {
	for _, v := range []struct{ rank, size, name string }{
		{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "openmpi"},
		{"PMI_RANK", "PMI_SIZE", "pmi"},
		{"PMIX_RANK", "", "pmi"},
	} {
		r, err1 := strconv.Atoi(os.Getenv(v.rank))
		if err1 != nil {
			continue
		}
		s := 0
		if v.size != "" {
			if n, err := strconv.Atoi(os.Getenv(v.size)); err == nil {
				s = n
			}
		}
		return Launch{Rank: r, Size: s, Launcher: v.name}
	}
	return Launch{Size: 1}
}

// Built reports whether this binary was built with MPI (the build tag mpi).
func Built() bool { return mpiBuilt }

// Init returns the communicator of this process: MPI's world when the
// binary was built with the tag mpi and mpirun started it, Local otherwise.
// timeout bounds every collective (DefaultTimeout when 0). A process that
// mpirun started as one of several ranks, in a binary built without MPI,
// gets an error rather than silently training alone.
func Init(timeout time.Duration) (Comm, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	l := DetectLaunch()
	if l.Launcher == "" {
		return Local(), nil
	}
	if !mpiBuilt {
		if l.Size == 1 {
			return Local(), nil
		}
		return nil, fmt.Errorf("dist: started by mpirun as rank %d of %d, but this binary was built without MPI: rebuild it with `go build -tags mpi` (needs libopenmpi-dev)", l.Rank, l.Size)
	}
	return openMPI(timeout)
}
