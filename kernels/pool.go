package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The pool is a persistent set of worker goroutines. A Parallel call cuts
// its range into a fixed number of chunks and publishes a task; the caller
// and any idle workers then claim chunks with an atomic counter. Because the
// caller can always run every chunk itself, a Parallel call made from inside
// a worker (nested parallelism) never waits for a worker that is busy: it
// finishes on its own when nobody helps. The chunking depends only on n and
// the thread count, never on who runs a chunk, so results are deterministic.
type pool struct {
	threads atomic.Int32
	once    sync.Once
	wake    chan *task
}

// task is one Parallel call. Workers may still hold a pointer to a finished
// task; they then fail to claim a chunk and drop it, so tasks are never
// reused.
type task struct {
	fn     func(lo, hi int)
	n      int
	chunks int
	next   atomic.Int32
	wg     sync.WaitGroup
	panics atomic.Pointer[any] // first panic of a chunk, re-raised by the caller
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
		for range n {
			go func() {
				for t := range p.wake {
					t.run()
				}
			}()
		}
	})
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
	tk.wg.Add(n)
	for i := 1; i < t; i++ {
		select {
		case workers.wake <- tk:
		default:
		}
	}
	tk.run()
	tk.wg.Wait()
	if p := tk.panics.Load(); p != nil {
		panic(*p)
	}
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
	tk.wg.Add(t)
	for i := 1; i < t; i++ {
		select {
		case workers.wake <- tk:
		default: // every worker is busy and the queue is full: run it here
		}
	}
	tk.run()
	tk.wg.Wait()
	if p := tk.panics.Load(); p != nil {
		panic(*p)
	}
}
