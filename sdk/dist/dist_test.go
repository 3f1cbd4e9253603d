package dist

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// onRanks runs fn on every rank of a loopback world and collects errors.
func onRanks(t *testing.T, n int, timeout time.Duration, fn func(c Comm) error) []error {
	t.Helper()
	cs := NewLoopback(n, timeout)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(c)
		}()
	}
	wg.Wait()
	return errs
}

func TestLocal(t *testing.T) {
	c := Local()
	buf := []float32{1, 2, 3}
	if err := c.AllreduceF32(buf, Mean); err != nil || !slices.Equal(buf, []float32{1, 2, 3}) {
		t.Errorf("Local allreduce changed the buffer: %v %v", buf, err)
	}
	if c.Rank() != 0 || c.Size() != 1 || c.Barrier() != nil || c.BroadcastF32(buf, 0) != nil || c.Close() != nil {
		t.Error("Local is not rank 0 of 1 with no-op collectives")
	}
	if c.BroadcastF32(buf, 1) == nil {
		t.Error("broadcast from rank 1 in a world of 1 did not fail")
	}
}

// TestLoopbackCollectives checks sum, mean and broadcast on 3 ranks, odd
// lengths included.
func TestLoopbackCollectives(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1001} {
		errs := onRanks(t, 3, 10*time.Second, func(c Comm) error {
			buf := make([]float32, n)
			for i := range buf {
				buf[i] = float32(c.Rank()*1000 + i)
			}
			if err := c.AllreduceF32(buf, Sum); err != nil {
				return err
			}
			for i, v := range buf {
				if want := float32(3000 + 3*i); v != want {
					return fmt.Errorf("sum[%d] = %v, want %v", i, v, want)
				}
			}
			if err := c.AllreduceF32(buf, Mean); err != nil {
				return err
			}
			for i, v := range buf {
				if want := float32(3000 + 3*i); v != want {
					return fmt.Errorf("mean[%d] = %v, want %v", i, v, want)
				}
			}
			for i := range buf {
				buf[i] = float32(c.Rank())
			}
			if err := c.BroadcastF32(buf, 2); err != nil {
				return err
			}
			for i, v := range buf {
				if v != 2 {
					return fmt.Errorf("broadcast[%d] = %v, want 2", i, v)
				}
			}
			return c.Barrier()
		})
		for r, err := range errs {
			if err != nil {
				t.Errorf("n=%d rank %d: %v", n, r, err)
			}
		}
	}
}

// TestLoopbackTimeout checks that a rank whose peer never joins gets a
// *TimeoutError naming it, in bounded time.
func TestLoopbackTimeout(t *testing.T) {
	cs := NewLoopback(2, 100*time.Millisecond)
	start := time.Now()
	err := cs[0].AllreduceF32([]float32{1}, Sum)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Rank != 0 || te.Op != "allreduce" {
		t.Fatalf("got %v, want a timeout of rank 0's allreduce", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %s", d)
	}
	if want := "rank 0: allreduce timed out after 100ms (peer dead?)"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestLoopbackLengthMismatch(t *testing.T) {
	errs := onRanks(t, 2, 10*time.Second, func(c Comm) error {
		return c.AllreduceF32(make([]float32, 3+c.Rank()), Sum)
	})
	for r, err := range errs {
		if !errors.Is(err, ErrLengthMismatch) {
			t.Errorf("rank %d: %v, want ErrLengthMismatch", r, err)
		}
	}
}

// TestDetectLaunch checks the environment variables of the launchers.
func TestDetectLaunch(t *testing.T) {
	for _, k := range []string{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "PMIX_RANK"} {
		t.Setenv(k, "")
	}
	if l := DetectLaunch(); l.Launcher != "" || l.Size != 1 {
		t.Errorf("no launcher: %v", l)
	}
	t.Setenv("OMPI_COMM_WORLD_RANK", "1")
	t.Setenv("OMPI_COMM_WORLD_SIZE", "4")
	if l := DetectLaunch(); l != (Launch{Rank: 1, Size: 4, Launcher: "openmpi"}) {
		t.Errorf("Open MPI: %v", l)
	}
	if !Built() {
		_, err := Init(time.Second)
		if err == nil {
			t.Error("Init under mpirun with 4 ranks in a binary without MPI did not fail")
		}
	}
}

// TestReducerBuckets checks the bucket layout: reverse order, bucket
// boundaries at the size limit, a parameter larger than a bucket alone.
func TestReducerBuckets(t *testing.T) {
	sizes := []int{5, 3, 100, 2, 2, 7}
	var params []*tensor.Tensor
	for _, n := range sizes {
		params = append(params, tensor.Zeros(n).SetRequiresGrad(true))
	}
	r := NewReducer(Local(), params, 4*10) // 10 floats per bucket
	defer r.Close()
	// Reverse order: 7, 2, 2 | 100 | 3, 5.
	if got, want := r.Buckets(), []int{7 + 2, 2, 100, 3 + 5}; !slices.Equal(got, want) {
		t.Errorf("buckets %v, want %v", got, want)
	}
	// The default: a first bucket of at most 1 MiB, then 25 MiB ones.
	var big []*tensor.Tensor
	for range 12 {
		big = append(big, tensor.Zeros(1<<20).SetRequiresGrad(true)) // 4 MiB each
	}
	big = append(big, tensor.Zeros(1000).SetRequiresGrad(true), tensor.Zeros(200<<10).SetRequiresGrad(true))
	r2 := NewReducer(Local(), big, 0)
	defer r2.Close()
	mb := 1 << 20
	if got, want := r2.Buckets(), []int{200<<10 + 1000, 6 * mb, 6 * mb}; !slices.Equal(got, want) {
		t.Errorf("default buckets %v, want %v", got, want)
	}
}

// TestReducerMeansGradients trains nothing but checks that after Backward
// and Wait every rank's gradients are the mean of the ranks' gradients,
// for odd parameter sizes spread over several buckets, a parameter used
// twice, and one that gets no gradient on some ranks.
func TestReducerMeansGradients(t *testing.T) {
	const world = 3
	sizes := [][]int{{3, 5}, {5, 1}, {7}, {5, 3}, {1}}
	// Each rank's reference gradients, computed without a reducer.
	ref := make([][][]float32, world)
	build := func(rank int) ([]*tensor.Tensor, func() *tensor.Tensor) {
		rng := tensor.NewRNG(9)
		var ps []*tensor.Tensor
		for _, s := range sizes {
			ps = append(ps, tensor.Randn(rng, s...).SetRequiresGrad(true))
		}
		x := tensor.Randn(tensor.NewRNG(uint64(100+rank)), 2, 3)
		return ps, func() *tensor.Tensor {
			h := x.MatMul(ps[0]).Tanh().MatMul(ps[1]).Tanh() // [2,1]
			h = h.Mul(ps[4])
			l := h.Sum().Add(ps[2].Mul(ps[2]).Sum())
			if rank != 1 { // rank 1 never touches ps[3]
				l = l.Add(x.MatMul(ps[0]).MatMul(ps[3]).Tanh().Sum())
			}
			return l
		}
	}
	for rank := range world {
		ps, f := build(rank)
		f().Backward()
		for _, p := range ps {
			if p.Grad() == nil {
				ref[rank] = append(ref[rank], make([]float32, p.Numel()))
			} else {
				ref[rank] = append(ref[rank], p.Grad().Float32s())
			}
		}
	}
	for _, bucketBytes := range []int{4, 4 * 16, 4 * 40, 0} {
		errs := onRanks(t, world, 10*time.Second, func(c Comm) error {
			ps, f := build(c.Rank())
			r := NewReducer(c, ps, bucketBytes)
			defer r.Close()
			for step := 0; step < 2; step++ {
				for _, p := range ps {
					p.ZeroGrad()
				}
				if err := r.Arm(); err != nil {
					return err
				}
				f().Backward()
				if err := r.Wait(); err != nil {
					return err
				}
				for i, p := range ps {
					if p.Grad() == nil {
						return fmt.Errorf("param %d has no gradient after Wait", i)
					}
					got := p.Grad().Float32s()
					for j := range got {
						var want float64
						for rank := range world {
							want += float64(ref[rank][i][j])
						}
						want /= world
						if d := float64(got[j]) - want; d > 1e-6 || d < -1e-6 {
							return fmt.Errorf("buckets %d step %d: param %d[%d] = %v, want mean %v", bucketBytes, step, i, j, got[j], want)
						}
					}
				}
			}
			return nil
		})
		for r, err := range errs {
			if err != nil {
				t.Errorf("rank %d: %v", r, err)
			}
		}
	}
}

// TestReducerTimeout checks that a rank whose peers never reduce gets the
// timeout from Wait, and that the reducer then refuses further steps.
func TestReducerTimeout(t *testing.T) {
	cs := NewLoopback(2, 100*time.Millisecond)
	p := tensor.Ones(4).SetRequiresGrad(true)
	r := NewReducer(cs[0], []*tensor.Tensor{p}, 0)
	if err := r.Arm(); err != nil {
		t.Fatal(err)
	}
	p.Mul(p).Sum().Backward()
	var te *TimeoutError
	if err := r.Wait(); !errors.As(err, &te) {
		t.Fatalf("Wait: %v, want a timeout", err)
	}
	if err := r.Arm(); !errors.As(err, &te) {
		t.Errorf("Arm after a timeout: %v, want the timeout", err)
	}
}

// TestReducerFrozenParam: a parameter that does not require a gradient is
// reduced as zeros and left without a gradient (an optimizer then skips it).
func TestReducerFrozenParam(t *testing.T) {
	errs := onRanks(t, 2, 10*time.Second, func(c Comm) error {
		a := tensor.Ones(3).SetRequiresGrad(true)
		frozen := tensor.Ones(2)
		r := NewReducer(c, []*tensor.Tensor{a, frozen}, 0)
		defer r.Close()
		if err := r.Arm(); err != nil {
			return err
		}
		a.Mul(a).Sum().Add(frozen.Sum()).Backward()
		if err := r.Wait(); err != nil {
			return err
		}
		if frozen.Grad() != nil {
			return fmt.Errorf("the frozen parameter got a gradient")
		}
		if g := a.Grad().Float32s(); g[0] != 2 {
			return fmt.Errorf("grad %v, want 2s", g)
		}
		return nil
	})
	for r, err := range errs {
		if err != nil {
			t.Errorf("rank %d: %v", r, err)
		}
	}
}

func TestBroadcastParams(t *testing.T) {
	errs := onRanks(t, 2, 10*time.Second, func(c Comm) error {
		ps := []*tensor.Tensor{tensor.Full(float32(c.Rank()+1), 3), tensor.Full(float32(10*(c.Rank()+1)), 2, 2)}
		if err := BroadcastParams(c, ps, 0); err != nil {
			return err
		}
		if ps[0].Data()[2] != 1 || ps[1].Data()[3] != 10 {
			return fmt.Errorf("rank %d did not get rank 0's values: %v %v", c.Rank(), ps[0], ps[1])
		}
		return nil
	})
	for r, err := range errs {
		if err != nil {
			t.Errorf("rank %d: %v", r, err)
		}
	}
}
