package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParallelCoversRange(t *testing.T) {
	defer SetThreads(0)
	for _, th := range []int{1, 2, 3, 8} {
		SetThreads(th)
		for _, n := range []int{0, 1, 2, 5, 17, 1000} {
			hits := make([]int32, n)
			var calls atomic.Int32
			Parallel(n, func(lo, hi int) {
				calls.Add(1)
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("threads %d n %d: index %d run %d times", th, n, i, h)
				}
			}
			if n > 0 && int(calls.Load()) > th {
				t.Fatalf("threads %d n %d: %d chunks", th, n, calls.Load())
			}
		}
	}
}

// TestParallelNested makes every worker call Parallel again while all of
// them are busy; with a blocking hand-off this deadlocks.
func TestParallelNested(t *testing.T) {
	defer SetThreads(0)
	SetThreads(16)
	done := make(chan int64)
	go func() {
		var total atomic.Int64
		Parallel(64, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				Parallel(100, func(lo, hi int) {
					Parallel(3, func(lo, hi int) { total.Add(int64(hi - lo)) })
					total.Add(int64(hi - lo))
				})
			}
		})
		done <- total.Load()
	}()
	select {
	case got := <-done:
		if want := int64(64 * (100 + 3*16)); got != want {
			t.Fatalf("nested total %d, want %d", got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("nested Parallel deadlocked")
	}
}

// TestParallelConcurrent runs Parallel from many goroutines at once, also
// nested inside GEMM work.
func TestParallelConcurrent(t *testing.T) {
	defer SetThreads(0)
	SetThreads(2)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := make([]float32, 80*90)
			for i := range a {
				a[i] = 1
			}
			c := make([]float32, 80*80)
			for it := 0; it < 5; it++ {
				Sgemm(false, true, 80, 80, 90, 1, a, 90, a, 90, 0, c, 80)
				for _, v := range c {
					if v != 90 {
						t.Errorf("concurrent Sgemm: got %g, want 90", v)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestParallelPanicReachesCaller(t *testing.T) {
	defer SetThreads(0)
	SetThreads(4)
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want boom", r)
		}
	}()
	Parallel(4, func(lo, hi int) {
		if lo > 0 {
			panic("boom")
		}
	})
	t.Fatal("no panic")
}

func TestParallelItems(t *testing.T) {
	for _, th := range []int{1, 2, 5} {
		for _, n := range []int{0, 1, 3, 100} {
			hits := make([]int32, n)
			parallelItems(th, n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
					parallelItems(th, 3, func(int, int) {}) // nested
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("threads %d n %d: item %d run %d times", th, n, i, h)
				}
			}
		}
	}
}
