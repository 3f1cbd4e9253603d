package dist

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// DefaultBucketBytes is the bucket size of NewReducer when given 0: 25 MiB
// of float32 gradients, PyTorch DDP's default.
const DefaultBucketBytes = 25 << 20

// FirstBucketBytes bounds the first bucket (the last parameters, whose
// gradients Backward finishes first), as PyTorch DDP does: a small first
// bucket starts communication early, so that it overlaps more of the
// backward pass even for a model smaller than one full bucket.
const FirstBucketBytes = 1 << 20

// Reducer averages the gradients of a parameter list over the ranks of a
// Comm, overlapping communication with the backward pass.
//
// Parameters are grouped into buckets of about bucketBytes in reverse
// order (the last parameters' gradients are completed first by Backward),
// the first bucket at most FirstBucketBytes.
// After Arm, each parameter's gradient hook copies its finished gradient
// into its bucket; a full bucket is all-reduced by a background goroutine
// while Backward goes on, and the mean is written back into the
// parameters' gradients. Buckets are reduced strictly in bucket order, so
// every rank issues the same collectives in the same order even if its
// graph completes gradients in another order. Wait flushes the buckets
// whose parameters got no gradient (they contribute zeros) and returns when
// all are reduced. A frozen parameter (RequiresGrad false) is left without
// a gradient; one that requires a gradient but got none on this rank gets
// the mean of the others'.
//
// A Reducer is used by one goroutine (the one that runs Backward); its
// background goroutine is stopped by Close.
type Reducer struct {
	comm    Comm
	params  []*tensor.Tensor
	buckets []*bucket
	where   map[*tensor.Tensor]slot

	ready chan int   // bucket indices whose every gradient is copied in
	start chan bool  // a step begins (true) or the reducer closes (false)
	done  chan error // the step's buckets are all reduced
	armed bool
	err   error // a failure that ended the reducer
}

type bucket struct {
	params []*tensor.Tensor
	offs   []int
	buf    []float32
	filled []bool
	n      int // params copied in this step
	sent   bool
}

type slot struct{ bucket, index int }

// NewReducer returns a reducer of params' gradients over c, with buckets
// of about bucketBytes (DefaultBucketBytes when 0; a parameter larger than
// a bucket gets a bucket of its own). It sets a gradient hook on every
// parameter, replacing any other.
func NewReducer(c Comm, params []*tensor.Tensor, bucketBytes int) *Reducer {
	if bucketBytes <= 0 {
		bucketBytes = DefaultBucketBytes
	}
	limit := max(min(bucketBytes, FirstBucketBytes)/4, 1)
	r := &Reducer{comm: c, params: params, where: map[*tensor.Tensor]slot{},
		start: make(chan bool), done: make(chan error, 1)}
	var cur *bucket
	for i := len(params) - 1; i >= 0; i-- {
		p := params[i]
		if _, dup := r.where[p]; dup {
			continue
		}
		n := p.Numel()
		if cur == nil || (len(cur.buf) > 0 && len(cur.buf)+n > limit) {
			if cur != nil {
				limit = max(bucketBytes/4, 1)
			}
			cur = &bucket{}
			r.buckets = append(r.buckets, cur)
		}
		r.where[p] = slot{len(r.buckets) - 1, len(cur.params)}
		cur.params = append(cur.params, p)
		cur.offs = append(cur.offs, len(cur.buf))
		cur.buf = append(cur.buf, make([]float32, n)...)
	}
	for _, b := range r.buckets {
		b.filled = make([]bool, len(b.params))
		b.buf = b.buf[:len(b.buf):len(b.buf)]
	}
	r.ready = make(chan int, len(r.buckets))
	for _, p := range params {
		p.SetGradHook(r.hook)
	}
	go r.loop()
	return r
}

// String describes the reducer.
func (r *Reducer) String() string {
	n := 0
	for _, b := range r.buckets {
		n += len(b.buf)
	}
	return fmt.Sprintf("dist.Reducer(%d parameters, %d floats in %d buckets, %v)", len(r.where), n, len(r.buckets), r.comm)
}

// Buckets returns the number of floats in each bucket, in reduction order.
func (r *Reducer) Buckets() []int {
	out := make([]int, len(r.buckets))
	for i, b := range r.buckets {
		out[i] = len(b.buf)
	}
	return out
}

// Arm makes the next Backward's gradient hooks feed the buckets. Call it
// before the Backward whose gradients are final for the step (with
// gradient accumulation, the last micro-batch's), then Wait.
func (r *Reducer) Arm() error {
	if r.err != nil {
		return r.err
	}
	if r.armed {
		return fmt.Errorf("dist: Reducer.Arm twice without Wait")
	}
	for _, b := range r.buckets {
		clear(b.filled)
		b.n, b.sent = 0, false
	}
	r.armed = true
	r.start <- true
	return nil
}

// hook copies a finished gradient into its bucket.
func (r *Reducer) hook(p *tensor.Tensor) {
	if !r.armed {
		return
	}
	s, ok := r.where[p]
	if !ok {
		return
	}
	b := r.buckets[s.bucket]
	if b.filled[s.index] {
		return
	}
	copy(b.buf[b.offs[s.index]:b.offs[s.index]+p.Numel()], p.Grad().Data())
	b.filled[s.index] = true
	b.n++
	if b.n == len(b.params) && !b.sent {
		b.sent = true
		r.ready <- s.bucket
	}
}

// Wait sends the buckets not yet complete (a parameter without a gradient
// contributes zeros), waits until every bucket is reduced and returns the
// first communication error. The parameters' gradients then hold the mean
// over the ranks.
func (r *Reducer) Wait() error {
	if !r.armed {
		if r.err != nil {
			return r.err
		}
		return fmt.Errorf("dist: Reducer.Wait without Arm")
	}
	for i, b := range r.buckets {
		if b.sent {
			continue
		}
		for j, p := range b.params {
			if b.filled[j] {
				continue
			}
			dst := b.buf[b.offs[j] : b.offs[j]+p.Numel()]
			if g := p.Grad(); g != nil {
				copy(dst, g.Data())
			} else {
				clear(dst)
			}
		}
		b.sent = true
		r.ready <- i
	}
	err := <-r.done
	r.armed = false
	if err != nil && r.err == nil {
		r.err = err
	}
	return err
}

// loop reduces the buckets of each step in order.
func (r *Reducer) loop() {
	pending := make([]bool, len(r.buckets))
	for <-r.start {
		clear(pending)
		var err error
		for next := 0; next < len(r.buckets); {
			i := <-r.ready
			pending[i] = true
			for next < len(r.buckets) && pending[next] {
				if err == nil {
					err = r.reduce(r.buckets[next])
				}
				next++
			}
		}
		r.done <- err
	}
}

// reduce all-reduces one bucket and writes the mean into the gradients.
func (r *Reducer) reduce(b *bucket) error {
	if err := r.comm.AllreduceF32(b.buf, Mean); err != nil {
		return err
	}
	for j, p := range b.params {
		src := b.buf[b.offs[j] : b.offs[j]+p.Numel()]
		g := p.Grad()
		if g == nil {
			if !p.RequiresGrad() {
				continue // frozen (on every rank): no gradient to make
			}
			g = tensor.Zeros(p.Shape()...)
			p.SetGrad(g)
		}
		copy(g.Data(), src)
	}
	return nil
}

// Close stops the background goroutine and removes the gradient hooks.
// The Reducer must not be armed.
func (r *Reducer) Close() {
	if r.start == nil {
		return
	}
	if r.armed {
		r.Wait()
	}
	r.start <- false
	r.start = nil
	for _, p := range r.params {
		p.SetGradHook(nil)
	}
}

// BroadcastParams copies root's parameter values to every rank, so that
// all ranks start from the same weights (one broadcast per parameter).
func BroadcastParams(c Comm, params []*tensor.Tensor, root int) error {
	if c.Size() == 1 {
		return nil
	}
	for _, p := range params {
		if p.DType() != tensor.F32 {
			return fmt.Errorf("dist: BroadcastParams: parameter of dtype %s (want F32)", p.DType())
		}
		if err := c.BroadcastF32(p.Data(), root); err != nil {
			return err
		}
	}
	return nil
}
