package dist

import (
	"fmt"
	"sync"
	"time"
)

// NewLoopback returns the n communicators of a world of n ranks inside one
// process, to be used by n goroutines: for tests of code that takes a Comm
// and for experiments without MPI. Reductions add the ranks' buffers in
// rank order, so results are the same on every rank and from run to run. A
// collective that not every rank joins within timeout (DefaultTimeout when
// 0) returns a *TimeoutError.
func NewLoopback(n int, timeout time.Duration) []Comm {
	if n < 1 {
		panic(fmt.Sprintf("dist.NewLoopback: world of %d ranks", n))
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	h := &hub{n: n, timeout: timeout}
	cs := make([]Comm, n)
	for i := range cs {
		cs[i] = &loopComm{h: h, rank: i}
	}
	return cs
}

// hub is the meeting point of one loopback world.
type hub struct {
	n       int
	timeout time.Duration

	mu  sync.Mutex
	cur *round // the collective being gathered
}

// round is one collective: every rank deposits its buffer, the last one to
// arrive computes the result and closes done.
type round struct {
	kind string
	bufs [][]float32
	seen int
	res  []float32
	err  error
	done chan struct{}
}

type loopComm struct {
	h    *hub
	rank int
}

func (c *loopComm) Rank() int { return c.rank }
func (c *loopComm) Size() int { return c.h.n }

// collective deposits buf and waits for the round's result.
func (c *loopComm) collective(kind string, buf []float32, combine func(bufs [][]float32) []float32) ([]float32, error) {
	h := c.h
	h.mu.Lock()
	r := h.cur
	if r == nil {
		r = &round{kind: kind, bufs: make([][]float32, h.n), done: make(chan struct{})}
		h.cur = r
	}
	if r.bufs[c.rank] != nil || r.kind != kind {
		r.err = fmt.Errorf("dist: rank %d called %s while the others are in %s", c.rank, kind, r.kind)
	}
	r.bufs[c.rank] = buf
	if buf == nil {
		r.bufs[c.rank] = []float32{}
	}
	r.seen++
	if r.seen == h.n {
		h.cur = nil
		for _, b := range r.bufs {
			if len(b) != len(buf) && r.err == nil {
				r.err = fmt.Errorf("dist: %s: %w", kind, ErrLengthMismatch)
			}
		}
		if r.err == nil {
			r.res = combine(r.bufs)
		}
		close(r.done)
	}
	h.mu.Unlock()
	t := time.NewTimer(h.timeout)
	defer t.Stop()
	select {
	case <-r.done:
		return r.res, r.err
	case <-t.C:
		return nil, &TimeoutError{Rank: c.rank, Op: kind, After: h.timeout}
	}
}

func (c *loopComm) AllreduceF32(buf []float32, op Op) error {
	if op != Sum && op != Mean {
		return fmt.Errorf("dist: allreduce: unknown op %v", op)
	}
	res, err := c.collective("allreduce", buf, func(bufs [][]float32) []float32 {
		out := make([]float32, len(bufs[0]))
		for _, b := range bufs {
			for i, v := range b {
				out[i] += v
			}
		}
		return out
	})
	if err != nil {
		return err
	}
	copy(buf, res)
	if op == Mean {
		scale(buf, 1/float32(c.h.n))
	}
	return nil
}

func (c *loopComm) BroadcastF32(buf []float32, root int) error {
	if root < 0 || root >= c.h.n {
		return fmt.Errorf("dist: broadcast from rank %d in a world of %d", root, c.h.n)
	}
	res, err := c.collective("broadcast", buf, func(bufs [][]float32) []float32 {
		return append([]float32(nil), bufs[root]...)
	})
	if err != nil {
		return err
	}
	copy(buf, res)
	return nil
}

func (c *loopComm) Barrier() error {
	_, err := c.collective("barrier", nil, func([][]float32) []float32 { return nil })
	return err
}

func (c *loopComm) Close() error { return nil }

func (c *loopComm) String() string {
	return fmt.Sprintf("dist.Loopback(rank %d of %d)", c.rank, c.h.n)
}

// scale multiplies buf by s.
func scale(buf []float32, s float32) {
	for i := range buf {
		buf[i] *= s
	}
}
