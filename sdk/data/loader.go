package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// EncodeFunc turns a text into token ids (a tokenizer's Encode).
type EncodeFunc func(text string) []int

// OpenFunc opens the record stream of one epoch; use it instead of a
// Corpus for streams that are not files (e.g. TextReader).
type OpenFunc func(ctx context.Context, epoch int) (Reader, error)

// LoaderConfig wires a corpus, a tokenizer and a collator into a stream of
// batches.
type LoaderConfig struct {
	Corpus   *Corpus    // the records; or set Open
	Open     OpenFunc   // used when Corpus is nil
	Encode   EncodeFunc // text to ids; required
	Collator Collator   // ids to batch; nil pads with PadBatch(seqs, 0, 0)

	BatchSize     int       // sequences per batch; required
	Epochs        int       // passes over the data; 0 means 1, negative means forever
	Seed          uint64    // seeds shuffling (per epoch) and collation (per epoch and batch)
	ShuffleBuffer int       // records held by the shuffle buffer; <= 1 keeps corpus order
	Shard         ShardSpec // this process's and worker's share of records

	PackLen  int  // > 0: pack encoded records into rows of exactly PackLen ids
	PackSep  int  // with PackLen: id appended after each record; negative: none
	MaxLen   int  // > 0 without packing: truncate each encoded record
	DropLast bool // drop a final short batch (and a final short packed row)

	Prefetch int // batches prepared ahead by a background goroutine; 0: none
}

// String describes the config.
func (c LoaderConfig) String() string {
	src := "open func"
	if c.Corpus != nil {
		src = c.Corpus.String()
	}
	return fmt.Sprintf("LoaderConfig{%s batch=%d epochs=%d seed=%d shuffle=%d %v pack=%d maxLen=%d dropLast=%v prefetch=%d}",
		src, c.BatchSize, c.Epochs, c.Seed, c.ShuffleBuffer, c.Shard, c.PackLen, c.MaxLen, c.DropLast, c.Prefetch)
}

// Seed streams, so that shuffling and collation never share random numbers.
const (
	streamShuffle = 1
	streamCollate = 2
)

// Loader streams batches. Each epoch opens the corpus afresh, keeps this
// shard's records, shuffles them with an RNG derived from (Seed, epoch),
// encodes them, optionally packs them, and collates BatchSize sequences
// with an RNG derived from (Seed, epoch, step). Batches are therefore a
// function of the config alone, whether or not they are prefetched.
//
// With Prefetch > 0 a single background goroutine prepares batches while
// the caller computes; Close stops it and waits for it to exit.
type Loader struct {
	cfg    LoaderConfig
	ctx    context.Context
	cancel context.CancelFunc

	// synchronous state (used directly, or by the prefetch goroutine)
	epoch  int
	step   int
	reader Reader
	packer *Packer
	eof    bool // the current epoch's stream is exhausted
	done   bool

	ch     chan result
	wg     sync.WaitGroup
	final  error // why the prefetch goroutine stopped; read after ch is closed
	closed atomic.Bool
	err    error
	once   sync.Once
}

type result struct {
	b   *Batch
	err error
}

// NewLoader validates cfg and returns a loader; with Prefetch > 0 it starts
// the background goroutine at once. Cancelling ctx stops the loader.
func NewLoader(ctx context.Context, cfg LoaderConfig) (*Loader, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case cfg.Corpus == nil && cfg.Open == nil:
		return nil, &ParamError{Op: "NewLoader", Msg: "neither Corpus nor Open is set"}
	case cfg.Encode == nil:
		return nil, &ParamError{Op: "NewLoader", Msg: "Encode is nil"}
	case cfg.BatchSize <= 0:
		return nil, &ParamError{Op: "NewLoader", Msg: fmt.Sprintf("BatchSize must be positive, got %d", cfg.BatchSize)}
	case cfg.Prefetch < 0:
		return nil, &ParamError{Op: "NewLoader", Msg: fmt.Sprintf("Prefetch %d is negative", cfg.Prefetch)}
	}
	if err := cfg.Shard.Validate(); err != nil {
		return nil, err
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	l := &Loader{cfg: cfg}
	l.ctx, l.cancel = context.WithCancel(ctx)
	if cfg.Prefetch > 0 {
		l.ch = make(chan result, cfg.Prefetch)
		l.wg.Add(1)
		go l.run()
	}
	return l, nil
}

// String describes the loader and its position.
func (l *Loader) String() string {
	return fmt.Sprintf("Loader{%v at epoch %d}", l.cfg, l.epoch)
}

// Next returns the next batch, or io.EOF after the last epoch.
func (l *Loader) Next() (*Batch, error) {
	if l.ch == nil {
		if l.err != nil {
			return nil, l.err
		}
		b, err := l.produce()
		if err != nil {
			l.err = err
			l.closeReader()
		}
		return b, err
	}
	r, ok := <-l.ch
	if !ok {
		if l.err == nil {
			l.err = l.final
			if l.err == nil || l.closed.Load() {
				l.err = errors.New("data: loader closed")
			}
		}
		return nil, l.err
	}
	if r.err != nil {
		l.err = r.err
	}
	return r.b, r.err
}

// Close stops the loader, waits for its goroutine and closes the corpus.
func (l *Loader) Close() error {
	l.once.Do(func() {
		l.closed.Store(true)
		l.cancel()
		if l.ch != nil {
			// Unblock a send in progress, then wait for the goroutine.
			go func() {
				for range l.ch {
				}
			}()
			l.wg.Wait()
		} else {
			l.closeReader()
		}
	})
	return nil
}

// run is the prefetch goroutine: it owns the synchronous state.
func (l *Loader) run() {
	defer l.wg.Done()
	defer close(l.ch)
	defer l.closeReader()
	for {
		b, err := l.produce()
		select {
		case l.ch <- result{b, err}:
		case <-l.ctx.Done():
			l.final = l.ctx.Err()
			return
		}
		if err != nil {
			return
		}
	}
}

func (l *Loader) closeReader() {
	if l.reader != nil {
		l.reader.Close()
		l.reader = nil
	}
}

// openEpoch opens the stream of l.epoch.
func (l *Loader) openEpoch() error {
	var r Reader
	var err error
	if l.cfg.Corpus != nil {
		r, err = l.cfg.Corpus.Open(l.ctx)
	} else {
		r, err = l.cfg.Open(l.ctx, l.epoch)
	}
	if err != nil {
		return err
	}
	r = Shard(r, l.cfg.Shard)
	r = ShuffleBuffer(r, l.cfg.ShuffleBuffer, NewRNG(DeriveSeed(l.cfg.Seed, streamShuffle, uint64(l.epoch))))
	l.reader = r
	l.step = 0
	l.eof = false
	if l.cfg.PackLen > 0 {
		l.packer = NewPacker(l.cfg.PackLen, l.cfg.PackSep)
	}
	return nil
}

// nextSeq returns the next sequence of the current epoch, or io.EOF.
func (l *Loader) nextSeq() ([]int, error) {
	for {
		if err := l.ctx.Err(); err != nil {
			return nil, err
		}
		if l.packer != nil && l.packer.Ready() {
			return l.packer.Next(), nil
		}
		rec, err := l.reader.Next()
		if err == io.EOF {
			if l.packer != nil && !l.cfg.DropLast {
				if row := l.packer.Flush(); row != nil {
					return row, nil
				}
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		ids := l.cfg.Encode(rec.Text)
		if l.packer != nil {
			l.packer.Add(ids)
			continue
		}
		if len(ids) == 0 {
			continue
		}
		if l.cfg.MaxLen > 0 && len(ids) > l.cfg.MaxLen {
			ids = ids[:l.cfg.MaxLen]
		}
		return ids, nil
	}
}

// produce builds the next batch synchronously.
func (l *Loader) produce() (*Batch, error) {
	for {
		if l.done {
			return nil, io.EOF
		}
		if l.reader == nil {
			if err := l.openEpoch(); err != nil {
				return nil, err
			}
		}
		seqs := make([][]int, 0, l.cfg.BatchSize)
		for len(seqs) < l.cfg.BatchSize && !l.eof {
			ids, err := l.nextSeq()
			if err == io.EOF {
				l.eof = true
				break
			}
			if err != nil {
				return nil, err
			}
			seqs = append(seqs, ids)
		}
		if len(seqs) == l.cfg.BatchSize || (len(seqs) > 0 && !l.cfg.DropLast) {
			return l.collate(seqs)
		}
		// End of epoch.
		l.closeReader()
		l.epoch++
		if l.cfg.Epochs > 0 && l.epoch >= l.cfg.Epochs {
			l.done = true
		}
	}
}

func (l *Loader) collate(seqs [][]int) (*Batch, error) {
	rng := NewRNG(DeriveSeed(l.cfg.Seed, streamCollate, uint64(l.epoch), uint64(l.step)))
	var b *Batch
	var err error
	if l.cfg.Collator == nil {
		b = PadBatch(seqs, 0, 0)
	} else {
		b, err = l.cfg.Collator.Collate(seqs, rng)
		if err != nil {
			return nil, err
		}
	}
	b.Epoch, b.Step = l.epoch, l.step
	l.step++
	return b, nil
}
