package kernels

import (
	"math"
	"math/rand"
	"sync"
	"testing"
)

// TestConcurrentCallers runs GEMMs (large enough to be split across the
// worker pool) and Parallel reductions from several goroutines at once and
// checks every result is bit-identical to the same call made alone: the pool
// is shared by independent callers (a trainer and a server) and must keep
// their tasks apart. .ci/run runs it under the race detector.
func TestConcurrentCallers(t *testing.T) {
	prev := Threads()
	SetThreads(2)
	defer SetThreads(prev)
	type job struct {
		m, n, k int
		a, b    []float32
		want    []float32
		bf      bool
		ah, bh  []uint16
	}
	rng := rand.New(rand.NewSource(1))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	var jobs []*job
	for i, sh := range [][3]int{{96, 80, 64}, {130, 70, 150}, {64, 256, 96}, {200, 48, 120}, {77, 131, 90}, {128, 128, 128}} {
		j := &job{m: sh[0], n: sh[1], k: sh[2], bf: i%2 == 1}
		j.a, j.b = fill(j.m*j.k), fill(j.k*j.n)
		if j.bf {
			j.ah, j.bh = make([]uint16, len(j.a)), make([]uint16, len(j.b))
			F32ToBF16(j.ah, j.a)
			F32ToBF16(j.bh, j.b)
		}
		jobs = append(jobs, j)
	}
	run := func(j *job) []float32 {
		c := make([]float32, j.m*j.n)
		if j.bf {
			SgemmBF16(false, false, j.m, j.n, j.k, 1, j.ah, j.k, j.bh, j.n, 0, c, j.n)
		} else {
			Sgemm(false, false, j.m, j.n, j.k, 1, j.a, j.k, j.b, j.n, 0, c, j.n)
		}
		return c
	}
	// A Parallel sum whose chunks must all land in the caller's own slice.
	sumBlocks := func(x []float32) []float32 {
		out := make([]float32, 64)
		Parallel(len(out), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = Sum(x[i*len(x)/64 : (i+1)*len(x)/64])
			}
		})
		return out
	}
	vec := fill(1 << 16)
	wantSum := sumBlocks(vec)
	for _, j := range jobs {
		j.want = run(j)
	}
	const goroutines, rounds = 4, 5
	var wg sync.WaitGroup
	errs := make(chan string, goroutines*rounds*(len(jobs)+1))
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				for i := range jobs {
					j := jobs[(i+g)%len(jobs)]
					if !sameBits(run(j), j.want) {
						errs <- "gemm differs"
					}
				}
				if !sameBits(sumBlocks(vec), wantSum) {
					errs <- "parallel sum differs"
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
