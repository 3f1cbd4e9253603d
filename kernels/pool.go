package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The pool is a persistent set of worker goroutines. A Parallel call cuts
// its range into a fixed number of chunks and publishes a task; the caller
// and any idle workers then claim chunks with an atomic counter. Because the
// caller can always run every chunk itself, a Parallel call made from inside
// a worker (nested parallelism) never waits for a worker that is busy: it
// finishes on its own when nobody helps. The chunking depends only on n and
// the thread count, never on who runs a chunk, so results are deterministic.
//
// Waking a parked goroutine on another core takes tens of microseconds
// (futex wake and scheduling, more in a virtual machine), as long as a
// 256³ GEMM takes on two cores. So, as BLAS thread pools do, a worker that
// finishes a chunk keeps polling the posted task for a short while
// (spinFor) before it parks, and a caller waiting for the last chunk polls
// before it blocks: back-to-back kernels (a training step) then hand work
// over without a wake-up.
type pool struct {
	threads atomic.Int32
	once    sync.Once
	wake    chan *task
	posted  atomic.Pointer[task] // the latest task; spinning workers take chunks from it
	parked  atomic.Int32         // workers blocked on wake
}

// spinFor is how long a worker polls for new work, and a caller for its
// last chunks, before blocking.
const spinFor = 50 * time.Microsecond

// task is one Parallel call. Workers may still hold a pointer to a finished
// task; they then fail to claim a chunk and drop it, so tasks are never
// reused.
type task struct {
	fn     func(lo, hi int)
	n      int
	chunks int
	next   atomic.Int32
	done   atomic.Int32 // chunks finished
	slots  atomic.Int32 // helpers that may still join (Threads()-1 at most)
	wg     sync.WaitGroup
	panics atomic.Pointer[any] // first panic of a chunk, re-raised by the caller
}

// open reports whether chunks are left to claim.
func (t *task) open() bool { return t != nil && int(t.next.Load()) < t.chunks }

// help runs chunks of t as a helper if a helper slot is free, so that no
// more than the task's thread count run it.
func (t *task) help() {
	if t.slots.Add(-1) >= 0 {
		t.run()
	}
}

var workers pool

// Threads reports how many threads parallel kernels use.
func Threads() int {
	if n := workers.threads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// SetThreads sets how many threads parallel kernels use (n < 1 means
// GOMAXPROCS). Results of every kernel are deterministic for a fixed thread
// count.
func SetThreads(n int) {
	if n < 1 {
		n = 0
	}
	workers.threads.Store(int32(n))
}

func (p *pool) start() {
	p.once.Do(func() {
		n := max(runtime.NumCPU(), runtime.GOMAXPROCS(0))
		p.wake = make(chan *task, 4*n)
		for i := range n {
			go p.work(i)
		}
	})
}

// work is worker id's loop: run posted tasks, poll for spinFor after each
// (only the first Threads()-1 workers, the ones a task can use), then park
// until woken.
func (p *pool) work(id int) {
	for {
		deadline := time.Now().Add(spinFor)
		for i := 0; id < Threads()-1; i++ {
			if t := p.posted.Load(); t.open() {
				t.help()
				deadline = time.Now().Add(spinFor)
				continue
			}
			if i%64 == 63 && time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
		}
		p.parked.Add(1)
		if t := p.posted.Load(); t.open() { // posted between the last poll and parking
			p.parked.Add(-1)
			t.help()
			continue
		}
		t := <-p.wake
		p.parked.Add(-1)
		t.help()
	}
}

// post publishes t to spinning workers and wakes up to helpers parked ones.
func (p *pool) post(t *task, helpers int) {
	p.posted.Store(t)
	for i := 0; i < helpers && p.parked.Load() > 0; i++ {
		select {
		case p.wake <- t:
		default: // every worker is busy and the queue is full: run it here
		}
	}
}

// wait returns when every chunk of t has run, polling for spinFor before
// blocking, and re-raises a chunk's panic.
func (t *task) wait() {
	deadline := time.Now().Add(spinFor)
	for i := 0; int(t.done.Load()) < t.chunks; i++ {
		if i%64 == 63 && time.Now().After(deadline) {
			t.wg.Wait()
			break
		}
		runtime.Gosched()
	}
	if p := t.panics.Load(); p != nil {
		panic(*p)
	}
}

// run claims and runs chunks until none is left.
func (t *task) run() {
	for {
		c := int(t.next.Add(1)) - 1
		if c >= t.chunks {
			return
		}
		lo := c * t.n / t.chunks
		hi := (c + 1) * t.n / t.chunks
		t.call(lo, hi)
	}
}

// call runs one chunk; a panic is kept for the caller instead of killing the
// process from a worker goroutine.
func (t *task) call(lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			t.panics.CompareAndSwap(nil, &r)
		}
		t.done.Add(1)
		t.wg.Done()
	}()
	t.fn(lo, hi)
}

// parallelItems runs fn(i, i+1) for every i in [0,n) on up to threads
// threads, each item claimed separately, so that a thread slowed down by
// other work on its core takes fewer items (GEMM row blocks).
func parallelItems(threads, n int, fn func(lo, hi int)) {
	t := min(threads, n)
	if t <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	workers.start()
	tk := &task{fn: fn, n: n, chunks: n}
	tk.slots.Store(int32(t - 1))
	tk.wg.Add(n)
	workers.post(tk, t-1)
	tk.run()
	tk.wait()
}

// Parallel splits [0,n) into at most Threads() contiguous chunks and runs fn
// on each, returning when all are done. The split depends only on n and the
// thread count, so results are deterministic. Parallel may be called from
// inside fn (the nested call is run by whoever is free, at worst by the
// caller alone), and from several goroutines at once.
func Parallel(n int, fn func(lo, hi int)) {
	t := min(Threads(), n)
	if t <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	workers.start()
	tk := &task{fn: fn, n: n, chunks: t}
	tk.slots.Store(int32(t - 1))
	tk.wg.Add(t)
	workers.post(tk, t-1)
	tk.run()
	tk.wait()
}
