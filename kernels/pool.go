package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// pool is the persistent set of worker goroutines that run parallel kernels.
// Work is handed out as index ranges; the calling goroutine takes part, so a
// pool of n threads has n-1 workers.
type pool struct {
	threads atomic.Int32
	once    sync.Once
	jobs    chan job
}

type job struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var workers pool

// minPerTask keeps tiny loops on the calling goroutine.
const minPerTask = 1

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
		n := max(runtime.NumCPU(), runtime.GOMAXPROCS(0)) * 2
		p.jobs = make(chan job, n)
		for range n {
			go func() {
				for j := range p.jobs {
					j.fn(j.lo, j.hi)
					j.wg.Done()
				}
			}()
		}
	})
}

// Parallel splits [0,n) into at most Threads() contiguous chunks and runs fn
// on each, returning when all are done. The split depends only on n and the
// thread count, so results are deterministic.
func Parallel(n int, fn func(lo, hi int)) {
	t := Threads()
	if t > n {
		t = n
	}
	if t <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	workers.start()
	var wg sync.WaitGroup
	chunk := (n + t - 1) / t
	wg.Add(t - 1)
	for i := 1; i < t; i++ {
		lo := i * chunk
		hi := min(lo+chunk, n)
		if lo >= hi {
			wg.Done()
			continue
		}
		workers.jobs <- job{fn: fn, lo: lo, hi: hi, wg: &wg}
	}
	fn(0, min(chunk, n))
	wg.Wait()
}
