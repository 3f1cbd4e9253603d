package data

import (
	"errors"
	"fmt"
	"io"
)

// ShardSpec selects one shard of a record stream for distributed training:
// Rank of World processes, each with Workers loader workers, of which this
// is Worker. The shard holds every record whose index i satisfies
// i % (World*Workers) == Rank*Workers + Worker, so the shards of all
// (rank, worker) pairs partition the stream. The zero value is the whole
// stream.
type ShardSpec struct {
	Rank, World     int
	Worker, Workers int
}

// String describes the shard.
func (s ShardSpec) String() string {
	k, n := s.index()
	return fmt.Sprintf("ShardSpec{rank %d/%d worker %d/%d = shard %d of %d}", s.Rank, max(s.World, 1), s.Worker, max(s.Workers, 1), k, n)
}

// index returns the shard number and the number of shards.
func (s ShardSpec) index() (int, int) {
	world, workers := max(s.World, 1), max(s.Workers, 1)
	return s.Rank*workers + s.Worker, world * workers
}

// Validate reports a rank or worker out of range.
func (s ShardSpec) Validate() error {
	if s.World < 0 || s.Workers < 0 || s.Rank < 0 || s.Worker < 0 ||
		s.Rank >= max(s.World, 1) || s.Worker >= max(s.Workers, 1) {
		return &ParamError{Op: "ShardSpec", Msg: fmt.Sprintf("rank %d of %d, worker %d of %d is out of range", s.Rank, s.World, s.Worker, s.Workers)}
	}
	return nil
}

func checkShard(op string, rank, world int) {
	if world <= 0 || rank < 0 || rank >= world {
		panic(&ParamError{Op: op, Msg: fmt.Sprintf("rank %d of world %d is out of range", rank, world)})
	}
}

// Shard returns the records of r that belong to spec (by Record.Index).
// It panics with a *ParamError if spec is invalid.
func Shard(r Reader, spec ShardSpec) Reader {
	if err := spec.Validate(); err != nil {
		panic(err)
	}
	k, n := spec.index()
	if n == 1 {
		return r
	}
	return &shardReader{r: r, k: int64(k), n: int64(n)}
}

type shardReader struct {
	r    Reader
	k, n int64
}

func (s *shardReader) Next() (Record, error) {
	for {
		rec, err := s.r.Next()
		if err != nil {
			return rec, err
		}
		if rec.Index%s.n == s.k {
			return rec, nil
		}
	}
}

func (s *shardReader) Close() error { return s.r.Close() }

// ShuffleBuffer returns r's records in a pseudo-random order decided by
// rng: it keeps a buffer of size records and emits a random one each time
// a new one arrives, then drains the buffer in random order. The output is
// a permutation of the input; it is uniform when size is at least the
// stream length and only mixes records less than about size apart
// otherwise. size <= 1 returns r unchanged.
func ShuffleBuffer(r Reader, size int, rng *RNG) Reader {
	if size <= 1 {
		return r
	}
	if rng == nil {
		panic(&ParamError{Op: "ShuffleBuffer", Msg: "nil RNG"})
	}
	return &shuffleReader{r: r, size: size, rng: rng}
}

type shuffleReader struct {
	r    Reader
	size int
	rng  *RNG
	buf  []Record
	done bool
}

func (s *shuffleReader) Next() (Record, error) {
	for !s.done && len(s.buf) < s.size {
		rec, err := s.r.Next()
		if err == io.EOF {
			s.done = true
			break
		}
		if err != nil {
			return Record{}, err
		}
		s.buf = append(s.buf, rec)
	}
	if len(s.buf) == 0 {
		return Record{}, io.EOF
	}
	i := s.rng.Intn(len(s.buf))
	rec := s.buf[i]
	last := len(s.buf) - 1
	s.buf[i] = s.buf[last]
	s.buf[last] = Record{}
	s.buf = s.buf[:last]
	return rec, nil
}

func (s *shuffleReader) Close() error {
	s.buf = nil
	return s.r.Close()
}

// SliceReader returns a Reader over records held in memory.
func SliceReader(records []Record) Reader {
	return &sliceReader{recs: records}
}

// TextReader returns a Reader over texts, numbering them from 0 with
// source name "(memory)".
func TextReader(texts []string) Reader {
	recs := make([]Record, len(texts))
	for i, t := range texts {
		recs[i] = Record{Text: t, Source: "(memory)", Line: i + 1, Index: int64(i)}
	}
	return &sliceReader{recs: recs}
}

type sliceReader struct {
	recs   []Record
	i      int
	closed bool
}

func (s *sliceReader) Next() (Record, error) {
	if s.closed {
		return Record{}, errors.New("data: reader closed")
	}
	if s.i >= len(s.recs) {
		return Record{}, io.EOF
	}
	s.i++
	return s.recs[s.i-1], nil
}

func (s *sliceReader) Close() error { s.closed = true; return nil }

// ReadAll drains r into memory and closes it; for small streams and tests.
func ReadAll(r Reader) ([]Record, error) {
	defer r.Close()
	var out []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}
