package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// EncodeFunc turns a text into token ids (a tokenizer's Encode).
type EncodeFunc func(text string) []int

// EncodePairFunc turns a pair of texts into one sequence of token ids and
// its segment ids (e.g. [CLS] a [SEP] b [SEP] with types 0…0 1…1).
type EncodePairFunc func(a, b string) (ids, typeIDs []int)

// OpenFunc opens the record stream of one epoch; use it instead of a
// Corpus for streams that are not files (e.g. TextReader).
type OpenFunc func(ctx context.Context, epoch int) (Reader, error)

// LoaderConfig wires a corpus (or labeled examples), a tokenizer and a
// collator into a stream of batches.
type LoaderConfig struct {
	Corpus   *Corpus    // the records; or set Open, or Examples
	Open     OpenFunc   // used when Corpus is nil
	Examples []Example  // labeled examples, used when Corpus and Open are nil; batches get RowLabels
	Encode   EncodeFunc // text to ids; required
	// EncodePair encodes examples that have a TextPair; batches then get
	// TokenTypeIDs.
	EncodePair EncodePairFunc
	Collator   Collator // ids to batch; nil pads with PadBatch(seqs, 0, 0)

	BatchSize     int       // sequences per batch; required
	Epochs        int       // passes over the data; 0 means 1, negative means forever
	Seed          uint64    // seeds shuffling (per epoch) and collation (per epoch and batch)
	ShuffleBuffer int       // records held by the shuffle buffer; > 1 also permutes the corpus files each epoch; <= 1 keeps corpus order
	Shard         ShardSpec // this process's and worker's share of records

	PackLen  int  // > 0: pack encoded records into rows of exactly PackLen ids
	PackSep  int  // with PackLen: id appended after each record; negative: none
	MaxLen   int  // > 0 without packing: truncate each encoded record
	DropLast bool // drop a final short batch (and a final short packed row)

	// SkipBatches batches are read and encoded but not collated nor
	// returned, to resume a run where it stopped.
	SkipBatches int64

	Prefetch int // batches prepared ahead by a background goroutine; 0: none
	// Workers > 1 encodes records on that many goroutines (Encode and
	// EncodePair must then be safe for concurrent use). Batches are the
	// same for any number of workers.
	Workers int
}

// String describes the config.
func (c LoaderConfig) String() string {
	src := "open func"
	switch {
	case c.Corpus != nil:
		src = c.Corpus.String()
	case c.Open == nil:
		src = fmt.Sprintf("%d examples", len(c.Examples))
	}
	return fmt.Sprintf("LoaderConfig{%s batch=%d epochs=%d seed=%d shuffle=%d %v pack=%d maxLen=%d dropLast=%v skip=%d prefetch=%d workers=%d}",
		src, c.BatchSize, c.Epochs, c.Seed, c.ShuffleBuffer, c.Shard, c.PackLen, c.MaxLen, c.DropLast, c.SkipBatches, c.Prefetch, c.Workers)
}

// Seed streams, so that shuffling and collation never share random numbers.
const (
	streamShuffle = 1
	streamCollate = 2
	streamSources = 3
)

// Loader streams batches. Each epoch opens the corpus afresh (its files in
// a new order when shuffling), keeps this shard's records, shuffles them with an RNG derived from (Seed, epoch),
// encodes them, optionally packs them, and collates BatchSize sequences
// with an RNG derived from (Seed, epoch, step). Batches are therefore a
// function of the config alone, whatever Prefetch and Workers are.
//
// With Prefetch > 0 a background goroutine prepares batches while the
// caller computes (and Workers goroutines encode for it); Close stops them
// and waits for them to exit.
type Loader struct {
	cfg    LoaderConfig
	ctx    context.Context
	cancel context.CancelFunc

	// producer state (used by Next directly, or by the prefetch goroutine)
	epoch   int
	step    int
	skipped int64
	items   itemStream
	packer  *Packer
	eof     bool // the current epoch's stream is exhausted
	batches int  // batches the current epoch has yielded (or skipped)
	done    bool

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
	op := "NewLoader"
	switch {
	case cfg.Corpus == nil && cfg.Open == nil && cfg.Examples == nil:
		return nil, &ParamError{Op: op, Msg: "none of Corpus, Open and Examples is set"}
	case cfg.Encode == nil:
		return nil, &ParamError{Op: op, Msg: "Encode is nil"}
	case cfg.BatchSize <= 0:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("BatchSize must be positive, got %d", cfg.BatchSize)}
	case cfg.Prefetch < 0 || cfg.Workers < 0 || cfg.SkipBatches < 0:
		return nil, &ParamError{Op: op, Msg: fmt.Sprintf("Prefetch %d, Workers %d and SkipBatches %d must not be negative", cfg.Prefetch, cfg.Workers, cfg.SkipBatches)}
	case cfg.PackLen > 0 && cfg.Corpus == nil && cfg.Open == nil:
		return nil, &ParamError{Op: op, Msg: "labeled examples cannot be packed"}
	}
	if err := cfg.Shard.Validate(); err != nil {
		return nil, err
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	if cfg.Workers > 1 && cfg.Prefetch == 0 {
		cfg.Prefetch = cfg.Workers
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

// Next returns the next batch, or io.EOF after the last epoch. A panic in
// the config's Encode, Collator or Reader (on whichever goroutine runs it)
// comes back as Next's error, naming the batch or record, and the loader
// stops.
func (l *Loader) Next() (*Batch, error) {
	if l.closed.Load() {
		return nil, errors.New("data: loader closed")
	}
	if l.ch == nil {
		if l.err != nil {
			return nil, l.err
		}
		b, err := l.produceSafe()
		if err != nil {
			l.err = err
			l.closeItems()
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

// Close stops the loader, waits for its goroutines and closes the corpus.
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
			l.closeItems()
		}
	})
	return nil
}

// produceSafe is produce with a panic of the caller's code it runs (an
// Encode function, a Collator, a Reader: a script's or a plugin's among
// them) returned as an error rather than crashing the program from the
// prefetch goroutine. The loader stops after it.
func (l *Loader) produceSafe() (b *Batch, err error) {
	if perr := catchPanic(func() { b, err = l.produce() }); perr != nil {
		l.done = true
		return nil, fmt.Errorf("data: Loader: epoch %d, batch %d: %w", l.epoch, l.step, perr)
	}
	return b, err
}

// catchPanic runs fn and returns what it panicked with as an error. Unlike
// tensor.Catch it also takes panics that are not errors (a script's
// panic("..."), a bug), with their stack: they happen on the loader's own
// goroutines, where no caller could recover them, and would end the host
// program.
func catchPanic(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
				return
			}
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	fn()
	return nil
}

// run is the prefetch goroutine: it owns the producer state.
func (l *Loader) run() {
	defer l.wg.Done()
	defer close(l.ch)
	defer l.closeItems()
	for {
		b, err := l.produceSafe()
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

func (l *Loader) closeItems() {
	if l.items != nil {
		l.items.close()
		l.items = nil
	}
}

// examplesReader serves labeled examples as records numbered by position.
func examplesReader(exs []Example) Reader {
	recs := make([]Record, len(exs))
	for i, e := range exs {
		recs[i] = Record{Text: e.Text, Source: e.Source, Line: e.Line, Index: int64(i)}
	}
	return SliceReader(recs)
}

// openEpoch opens the stream of l.epoch.
func (l *Loader) openEpoch() error {
	var r Reader
	var err error
	switch {
	case l.cfg.Corpus != nil:
		c := l.cfg.Corpus
		if src := c.Sources(); l.cfg.ShuffleBuffer > 1 && len(src) > 1 {
			// Permute the files too, or a buffer smaller than a file
			// would see the files in the same order every epoch.
			NewRNG(DeriveSeed(l.cfg.Seed, streamSources, uint64(l.epoch))).Shuffle(len(src), func(i, j int) { src[i], src[j] = src[j], src[i] })
			c = NewCorpus(src, c.Options())
		}
		r, err = c.Open(l.ctx)
	case l.cfg.Open != nil:
		r, err = l.cfg.Open(l.ctx, l.epoch)
	default:
		r = examplesReader(l.cfg.Examples)
	}
	if err != nil {
		return err
	}
	r = Shard(r, l.cfg.Shard)
	r = ShuffleBuffer(r, l.cfg.ShuffleBuffer, NewRNG(DeriveSeed(l.cfg.Seed, streamShuffle, uint64(l.epoch))))
	if l.cfg.Workers > 1 {
		l.items = newParallelItems(l.ctx, r, l.encodeRecord, l.cfg.Workers)
	} else {
		l.items = &serialItems{r: r, enc: l.encodeRecord}
	}
	l.step = 0
	l.eof = false
	if l.cfg.PackLen > 0 {
		l.packer = NewPacker(l.cfg.PackLen, l.cfg.PackSep)
	}
	return nil
}

// item is one encoded record.
type item struct {
	ids   []int
	types []int // segment ids, for encoded pairs
	label int   // label id, for examples; -1 otherwise
}

// encodeRecord encodes one record (and its example's pair and label).
func (l *Loader) encodeRecord(rec Record) (item, error) {
	it := item{label: -1}
	if l.cfg.Corpus != nil || l.cfg.Open != nil {
		it.ids = l.cfg.Encode(rec.Text)
		return it, nil
	}
	ex := l.cfg.Examples[rec.Index]
	it.label = ex.LabelID
	if ex.TextPair != "" {
		if l.cfg.EncodePair == nil {
			return it, &InputError{File: ex.Source, Line: ex.Line, Offset: -1, Msg: "example has a text pair but LoaderConfig.EncodePair is nil"}
		}
		it.ids, it.types = l.cfg.EncodePair(ex.Text, ex.TextPair)
		return it, nil
	}
	it.ids = l.cfg.Encode(ex.Text)
	return it, nil
}

// nextItem returns the next sequence of the current epoch, or io.EOF.
func (l *Loader) nextItem() (item, error) {
	for {
		if err := l.ctx.Err(); err != nil {
			return item{}, err
		}
		if l.packer != nil && l.packer.Ready() {
			return item{ids: l.packer.Next(), label: -1}, nil
		}
		it, err := l.items.next()
		if err == io.EOF {
			if l.packer != nil && !l.cfg.DropLast {
				if row := l.packer.Flush(); row != nil {
					return item{ids: row, label: -1}, nil
				}
			}
			return item{}, io.EOF
		}
		if err != nil {
			return item{}, err
		}
		if l.packer != nil {
			l.packer.Add(it.ids)
			continue
		}
		if len(it.ids) == 0 {
			continue
		}
		if l.cfg.MaxLen > 0 && len(it.ids) > l.cfg.MaxLen {
			it.ids = it.ids[:l.cfg.MaxLen]
			if it.types != nil {
				it.types = it.types[:l.cfg.MaxLen]
			}
		}
		return it, nil
	}
}

// produce builds the next batch synchronously.
func (l *Loader) produce() (*Batch, error) {
	for {
		if l.done {
			return nil, io.EOF
		}
		if l.items == nil {
			if err := l.openEpoch(); err != nil {
				return nil, err
			}
		}
		batch := make([]item, 0, l.cfg.BatchSize)
		for len(batch) < l.cfg.BatchSize && !l.eof {
			it, err := l.nextItem()
			if err == io.EOF {
				l.eof = true
				break
			}
			if err != nil {
				return nil, err
			}
			batch = append(batch, it)
		}
		if len(batch) == l.cfg.BatchSize || (len(batch) > 0 && !l.cfg.DropLast) {
			l.batches++
			if l.skipped < l.cfg.SkipBatches {
				l.skipped++
				l.step++
				continue
			}
			return l.collate(batch)
		}
		// End of epoch. Endless epochs that yield nothing would loop
		// forever: too little data for one batch.
		if l.cfg.Epochs < 0 && l.batches == 0 {
			l.closeItems()
			l.done = true
			return nil, &ParamError{Op: "Loader", Msg: fmt.Sprintf("an epoch of the data yields no batch: %d sequence(s), fewer than BatchSize %d with DropLast (add data, lower the batch size, or keep the last partial batch)", len(batch), l.cfg.BatchSize)}
		}
		l.batches = 0
		l.closeItems()
		l.epoch++
		if l.cfg.Epochs > 0 && l.epoch >= l.cfg.Epochs {
			l.done = true
		}
	}
}

func (l *Loader) collate(items []item) (*Batch, error) {
	rng := NewRNG(DeriveSeed(l.cfg.Seed, streamCollate, uint64(l.epoch), uint64(l.step)))
	seqs := make([][]int, len(items))
	for i, it := range items {
		seqs[i] = it.ids
	}
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
	if items[0].label >= 0 {
		b.RowLabels = make([]int, len(items))
		for i, it := range items {
			b.RowLabels[i] = it.label
		}
	}
	anyTypes := false
	for _, it := range items {
		anyTypes = anyTypes || it.types != nil
	}
	if anyTypes && b.Size == len(items) && b.SeqLen > 0 {
		b.TokenTypeIDs = make([]int, b.Size*b.SeqLen)
		for i, it := range items {
			copy(Row(b.TokenTypeIDs, b.SeqLen, i), it.types)
		}
	}
	b.Epoch, b.Step = l.epoch, l.step
	l.step++
	return b, nil
}

// itemStream yields encoded records in stream order.
type itemStream interface {
	next() (item, error)
	close()
}

type serialItems struct {
	r   Reader
	enc func(Record) (item, error)
}

func (s *serialItems) next() (item, error) {
	rec, err := s.r.Next()
	if err != nil {
		return item{}, err
	}
	return s.enc(rec)
}

func (s *serialItems) close() { s.r.Close() }

// parallelItems encodes chunks of records on several goroutines and hands
// them back in stream order: the reading goroutine queues one future per
// chunk, in order, and the workers fill the futures.
type parallelItems struct {
	ctx    context.Context
	cancel context.CancelFunc
	order  chan chan chunk
	wg     sync.WaitGroup
	cur    chunk
	pos    int
	err    error
}

type chunk struct {
	recs  []Record
	items []item
	err   error // error after the records (io.EOF at the end)
}

type job struct {
	c   chunk
	out chan chunk
}

const chunkRecords = 64

func newParallelItems(ctx context.Context, r Reader, enc func(Record) (item, error), workers int) *parallelItems {
	ctx, cancel := context.WithCancel(ctx)
	p := &parallelItems{ctx: ctx, cancel: cancel, order: make(chan chan chunk, 2*workers)}
	jobs := make(chan job, workers)
	p.wg.Add(1 + workers)
	go func() { // reader
		defer p.wg.Done()
		defer close(p.order)
		defer close(jobs)
		defer r.Close()
		for {
			var c chunk
			for len(c.recs) < chunkRecords && c.err == nil {
				var rec Record
				var err error
				if perr := catchPanic(func() { rec, err = r.Next() }); perr != nil {
					err = fmt.Errorf("data: Loader: reading a record: %w", perr)
				}
				if err != nil {
					c.err = err
					break
				}
				c.recs = append(c.recs, rec)
			}
			out := make(chan chunk, 1)
			select {
			case p.order <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{c, out}:
			case <-ctx.Done():
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			defer p.wg.Done()
			for j := range jobs {
				c := j.c
				c.items = make([]item, 0, len(c.recs))
				for _, rec := range c.recs {
					var it item
					var err error
					// A panic in the caller's Encode is this chunk's error,
					// not a crash of the worker goroutine.
					if perr := catchPanic(func() { it, err = enc(rec) }); perr != nil {
						err = fmt.Errorf("data: Loader: encoding %s line %d: %w", rec.Source, rec.Line, perr)
					}
					if err != nil {
						c.err = err
						break
					}
					c.items = append(c.items, it)
				}
				j.out <- c // buffered: never blocks
			}
		}()
	}
	return p
}

func (p *parallelItems) next() (item, error) {
	for {
		if p.pos < len(p.cur.items) {
			p.pos++
			return p.cur.items[p.pos-1], nil
		}
		if p.err != nil {
			return item{}, p.err
		}
		if p.cur.err != nil {
			p.err = p.cur.err
			continue
		}
		fut, ok := <-p.order
		if !ok {
			p.err = p.stopped()
			continue
		}
		select {
		case p.cur = <-fut:
		case <-p.ctx.Done():
			// The reader may have queued this future and then stopped
			// before handing its chunk to a worker.
			p.err = p.stopped()
		}
		p.pos = 0
	}
}

// stopped explains why the goroutines stopped early.
func (p *parallelItems) stopped() error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	return errors.New("data: encoding stopped")
}

func (p *parallelItems) close() {
	p.cancel()
	// Drain queued futures so no goroutine waits on a send, then wait.
	go func() {
		for range p.order {
		}
	}()
	p.wg.Wait()
}
