//go:build mpi

package dist

/*
#cgo pkg-config: mpi
#include <mpi.h>
#include <stdlib.h>

// pt_init starts MPI on the calling thread (MPI_THREAD_FUNNELED: every
// later call comes from this thread). 1: already initialized, 2: already
// finalized (MPI allows one initialization per process).
static int pt_init(int *rank, int *size) {
	int flag = 0;
	MPI_Finalized(&flag);
	if (flag) return -2;
	MPI_Initialized(&flag);
	if (flag) return -1;
	int provided = 0;
	int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
	if (rc != MPI_SUCCESS) return rc;
	// Report errors (a peer gone) as return codes instead of aborting.
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	return 0;
}

static int pt_allreduce_sum(float *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

static int pt_bcast(float *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_FLOAT, root, MPI_COMM_WORLD);
}

static int pt_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

static int pt_finalize(void) { return MPI_Finalize(); }

static int pt_errstr(int code, char *buf) {
	int len = 0;
	if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS) return 0;
	return len;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

const mpiBuilt = true

// maxCount is the most elements one MPI call takes (its count is an int).
const maxCount = 1 << 30

// Request kinds of the MPI goroutine.
const (
	reqAllreduce = iota
	reqBroadcast
	reqBarrier
	reqFinalize
)

func reqName(kind int) string {
	return [...]string{"allreduce", "broadcast", "barrier", "finalize"}[kind]
}

type mpiReq struct {
	kind int
	buf  []float32
	root int
}

// mpiComm funnels every MPI call through one goroutine locked to the OS
// thread that initialized MPI, and bounds each call with a timeout.
type mpiComm struct {
	rank, size int
	timeout    time.Duration
	reqs       chan mpiReq
	done       chan error

	mu     sync.Mutex // serialises callers and guards the fields below
	timer  *time.Timer
	broken error // the first timeout: every later call returns it
	closed bool
}

func openMPI(timeout time.Duration) (Comm, error) {
	c := &mpiComm{timeout: timeout, reqs: make(chan mpiReq), done: make(chan error, 1)}
	started := make(chan error, 1)
	go c.loop(started)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-started:
		if err != nil {
			return nil, err
		}
	case <-t.C:
		return nil, fmt.Errorf("dist: MPI_Init did not return within %s", timeout)
	}
	c.timer = time.NewTimer(time.Hour)
	c.timer.Stop()
	return c, nil
}

// loop is the MPI goroutine.
func (c *mpiComm) loop(started chan<- error) {
	runtime.LockOSThread() // MPI_THREAD_FUNNELED: all calls on this thread
	var rank, size C.int
	switch rc := C.pt_init(&rank, &size); rc {
	case 0:
	case -1:
		started <- fmt.Errorf("dist: MPI is already initialized in this process (call dist.Init once)")
		return
	case -2:
		started <- fmt.Errorf("dist: MPI was finalized in this process and cannot start again")
		return
	default:
		started <- fmt.Errorf("dist: MPI_Init_thread: %s", mpiError(rc))
		return
	}
	c.rank, c.size = int(rank), int(size)
	started <- nil
	for r := range c.reqs {
		c.done <- c.exec(r)
		if r.kind == reqFinalize {
			return
		}
	}
}

// exec runs one request on the MPI thread.
func (c *mpiComm) exec(r mpiReq) error {
	var rc C.int
	switch r.kind {
	case reqAllreduce, reqBroadcast:
		buf := r.buf
		for len(buf) > 0 && rc == 0 {
			n := min(len(buf), maxCount)
			p := (*C.float)(unsafe.Pointer(unsafe.SliceData(buf)))
			if r.kind == reqAllreduce {
				rc = C.pt_allreduce_sum(p, C.int(n))
			} else {
				rc = C.pt_bcast(p, C.int(n), C.int(r.root))
			}
			buf = buf[n:]
		}
	case reqBarrier:
		rc = C.pt_barrier()
	case reqFinalize:
		rc = C.pt_finalize()
	}
	if rc != 0 {
		return fmt.Errorf("dist: rank %d: MPI %s: %s", c.rank, reqName(r.kind), mpiError(rc))
	}
	return nil
}

func mpiError(rc C.int) string {
	buf := (*C.char)(C.malloc(C.MPI_MAX_ERROR_STRING + 1))
	defer C.free(unsafe.Pointer(buf))
	n := C.pt_errstr(rc, buf)
	if n <= 0 {
		return fmt.Sprintf("error code %d", int(rc))
	}
	return C.GoStringN(buf, n)
}

// call hands r to the MPI goroutine and waits for it, at most the timeout.
func (c *mpiComm) call(r mpiReq) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	if c.closed {
		return fmt.Errorf("dist: rank %d: %s on a closed communicator", c.rank, reqName(r.kind))
	}
	c.timer.Reset(c.timeout)
	defer c.timer.Stop()
	select {
	case c.reqs <- r:
	case <-c.timer.C:
		c.broken = &TimeoutError{Rank: c.rank, Op: reqName(r.kind), After: c.timeout}
		return c.broken
	}
	select {
	case err := <-c.done:
		return err
	case <-c.timer.C:
		// The MPI thread stays blocked in the call; the job is over.
		c.broken = &TimeoutError{Rank: c.rank, Op: reqName(r.kind), After: c.timeout}
		return c.broken
	}
}

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

func (c *mpiComm) AllreduceF32(buf []float32, op Op) error {
	if op != Sum && op != Mean {
		return fmt.Errorf("dist: allreduce: unknown op %v", op)
	}
	if err := c.call(mpiReq{kind: reqAllreduce, buf: buf}); err != nil {
		return err
	}
	if op == Mean {
		scale(buf, 1/float32(c.size))
	}
	return nil
}

func (c *mpiComm) BroadcastF32(buf []float32, root int) error {
	if root < 0 || root >= c.size {
		return fmt.Errorf("dist: broadcast from rank %d in a world of %d", root, c.size)
	}
	return c.call(mpiReq{kind: reqBroadcast, buf: buf, root: root})
}

func (c *mpiComm) Barrier() error { return c.call(mpiReq{kind: reqBarrier}) }

func (c *mpiComm) Close() error {
	c.mu.Lock()
	broken, closed := c.broken, c.closed
	c.mu.Unlock()
	if broken != nil {
		return broken
	}
	if closed {
		return nil
	}
	err := c.call(mpiReq{kind: reqFinalize})
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return err
}

func (c *mpiComm) String() string {
	return fmt.Sprintf("dist.MPI(rank %d of %d, timeout %s)", c.rank, c.size, c.timeout)
}
