package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Mode says what one Record of a corpus is.
type Mode int

const (
	// Lines makes every non-blank line a record.
	Lines Mode = iota
	// Documents makes every block of non-blank lines, separated by one or
	// more blank lines, a record; its lines are joined with "\n".
	Documents
	// Files makes the whole content of each source a record (bounded by
	// CorpusOptions.MaxDocumentBytes).
	Files
)

// String returns the mode name.
func (m Mode) String() string {
	switch m {
	case Lines:
		return "lines"
	case Documents:
		return "documents"
	case Files:
		return "files"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Default bounds that keep memory flat whatever the input.
const (
	DefaultMaxLineBytes     = 4 << 20
	DefaultMaxDocumentBytes = 64 << 20
)

// CorpusOptions configures how a corpus is read. The zero value reads
// non-blank lines, rejects empty sources and invalid UTF-8.
type CorpusOptions struct {
	Mode             Mode // Lines (default), Documents or Files
	KeepBlankLines   bool // Lines mode: also yield blank lines as empty records
	AllowEmpty       bool // accept sources with no content instead of failing
	AllowInvalidUTF8 bool // replace invalid UTF-8 with U+FFFD instead of failing
	MaxLineBytes     int  // longest accepted line; 0 means DefaultMaxLineBytes
	MaxDocumentBytes int  // longest accepted document; 0 means DefaultMaxDocumentBytes

	bufSize int // bufio buffer size; 0 means readBufSize (tests lower it)
}

// String describes the options.
func (o CorpusOptions) String() string {
	return fmt.Sprintf("CorpusOptions{mode=%v keepBlank=%v allowEmpty=%v allowInvalidUTF8=%v maxLine=%d maxDoc=%d}",
		o.Mode, o.KeepBlankLines, o.AllowEmpty, o.AllowInvalidUTF8, o.maxLine(), o.maxDoc())
}

func (o CorpusOptions) maxLine() int {
	if o.MaxLineBytes > 0 {
		return o.MaxLineBytes
	}
	return DefaultMaxLineBytes
}

func (o CorpusOptions) maxDoc() int {
	if o.MaxDocumentBytes > 0 {
		return o.MaxDocumentBytes
	}
	return DefaultMaxDocumentBytes
}

// Record is one unit of corpus text: a line, a document or a file.
type Record struct {
	Text   string // the text, without line terminators at the ends
	Source string // the source (file) name
	Line   int    // 1-based line where the record starts
	Index  int64  // 0-based position in the unshuffled, unsharded stream
}

// String shows the record's position and the start of its text.
func (r Record) String() string {
	t := clip(r.Text, 40)
	return fmt.Sprintf("Record{#%d %s:%d %q}", r.Index, r.Source, r.Line, t)
}

// Reader streams records. Next returns io.EOF after the last record; any
// other error ends the stream. Close releases files and goroutines and may
// be called at any time, more than once.
type Reader interface {
	Next() (Record, error)
	Close() error
}

// Corpus is an ordered list of sources read with the same options. It is
// a description, cheap to copy; Open starts one streaming pass over it.
type Corpus struct {
	sources []Source
	opt     CorpusOptions
}

// NewCorpus returns a corpus over the given sources.
func NewCorpus(sources []Source, opt CorpusOptions) *Corpus {
	return &Corpus{sources: append([]Source(nil), sources...), opt: opt}
}

// OpenCorpus resolves files, folders and globs (see ExpandPaths) and
// returns a corpus over them. Missing paths are reported here; content
// errors are reported while reading, with file and line.
func OpenCorpus(opt CorpusOptions, patterns ...string) (*Corpus, error) {
	src, err := FileSources(patterns...)
	if err != nil {
		return nil, err
	}
	return NewCorpus(src, opt), nil
}

// Sources returns the corpus sources in reading order.
func (c *Corpus) Sources() []Source { return append([]Source(nil), c.sources...) }

// Options returns the reading options.
func (c *Corpus) Options() CorpusOptions { return c.opt }

// WithOptions returns a corpus over the same sources read with opt.
func (c *Corpus) WithOptions(opt CorpusOptions) *Corpus { return NewCorpus(c.sources, opt) }

// ShardSources returns the corpus made of every world-th source starting
// at rank: a cheap file-level shard for corpora made of many files (each
// rank then opens only its own files). Use Shard for record-level shards.
func (c *Corpus) ShardSources(rank, world int) *Corpus {
	checkShard("Corpus.ShardSources", rank, world)
	var src []Source
	for i := rank; i < len(c.sources); i += world {
		src = append(src, c.sources[i])
	}
	return NewCorpus(src, c.opt)
}

// String describes the corpus.
func (c *Corpus) String() string {
	return fmt.Sprintf("Corpus{%d sources (%s), %v}", len(c.sources), describeSources(c.sources), c.opt.Mode)
}

// Open starts a pass over the corpus. The reader stops with ctx.Err()
// once ctx is cancelled.
func (c *Corpus) Open(ctx context.Context) (Reader, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(c.sources) == 0 {
		return nil, &InputError{File: "(corpus)", Offset: -1, Msg: "corpus has no sources"}
	}
	return &corpusReader{ctx: ctx, c: c}, nil
}

// Scan calls fn for every record of one pass, stopping at the first error.
func (c *Corpus) Scan(ctx context.Context, fn func(Record) error) error {
	r, err := c.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// corpusReader reads the sources one after another.
type corpusReader struct {
	ctx    context.Context
	c      *Corpus
	next   int // next source to open
	lr     *lineReader
	index  int64
	closed bool
	err    error
}

func (r *corpusReader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	for {
		if err := r.ctx.Err(); err != nil {
			return Record{}, r.fail(err)
		}
		if r.lr == nil {
			if r.closed || r.next >= len(r.c.sources) {
				return Record{}, r.fail(io.EOF)
			}
			lr, err := openLineReader(r.c.sources[r.next], r.c.opt)
			r.next++
			if err != nil {
				return Record{}, r.fail(err)
			}
			r.lr = lr
		}
		rec, err := r.lr.record()
		if err == io.EOF {
			r.lr.close()
			r.lr = nil
			continue
		}
		if err != nil {
			return Record{}, r.fail(err)
		}
		rec.Index = r.index
		r.index++
		return rec, nil
	}
}

func (r *corpusReader) fail(err error) error {
	r.err = err
	if r.lr != nil {
		r.lr.close()
		r.lr = nil
	}
	return err
}

func (r *corpusReader) Close() error {
	r.closed = true
	if r.lr != nil {
		r.lr.close()
		r.lr = nil
	}
	if r.err == nil {
		r.err = errors.New("data: reader closed")
	}
	return nil
}

// lineReader reads lines of one source, decompressing gzip and checking
// UTF-8, with bounded memory.
type lineReader struct {
	name   string
	opt    CorpusOptions
	raw    io.ReadCloser
	gz     *gzip.Reader
	br     *bufio.Reader
	line   int   // lines read so far
	offset int64 // bytes consumed so far (decompressed)
	buf    []byte
	eof    bool
	any    bool // any byte seen
}

const gzipMagic = "\x1f\x8b"

// readBufSize is the size of the bufio buffers. Tests lower it through
// CorpusOptions.bufSize to reach the paths taken by lines longer than the
// buffer.
const readBufSize = 64 << 10

func (o CorpusOptions) readBuf() int {
	if o.bufSize > 0 {
		return o.bufSize
	}
	return readBufSize
}

func openLineReader(src Source, opt CorpusOptions) (*lineReader, error) {
	if src.Open == nil {
		return nil, &InputError{File: src.Name, Offset: -1, Msg: "source has no Open function"}
	}
	raw, err := src.Open()
	if err != nil {
		return nil, &InputError{File: src.Name, Offset: -1, Msg: "cannot open", Err: err}
	}
	lr := &lineReader{name: src.Name, opt: opt, raw: raw}
	br := bufio.NewReaderSize(raw, opt.readBuf())
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		raw.Close()
		return nil, &InputError{File: src.Name, Offset: 0, Msg: "cannot read", Err: err}
	}
	if len(head) == 0 && !opt.AllowEmpty {
		raw.Close()
		return nil, &InputError{File: src.Name, Offset: 0, Msg: "empty file"}
	}
	if string(head) == gzipMagic || (strings.HasSuffix(src.Name, ".gz") && len(head) > 0) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			raw.Close()
			msg := "bad gzip header"
			if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
				msg = "truncated gzip stream (inside the header)"
			}
			return nil, &InputError{File: src.Name, Offset: 0, Msg: msg, Err: err}
		}
		lr.gz = gz
		lr.br = bufio.NewReaderSize(gz, opt.readBuf())
	} else {
		lr.br = br
	}
	return lr, nil
}

func (lr *lineReader) close() {
	if lr.gz != nil {
		lr.gz.Close()
	}
	lr.raw.Close()
}

func (lr *lineReader) errAt(line int, off int64, msg string, err error) error {
	return &InputError{File: lr.name, Line: line, Offset: off, Msg: msg, Err: err}
}

// readLine returns the next line without its terminator, valid until the
// next call, with its 1-based number and starting offset.
func (lr *lineReader) readLine() ([]byte, int, int64, error) {
	if lr.eof {
		return nil, 0, 0, io.EOF
	}
	start := lr.offset
	lr.buf = lr.buf[:0]
	var line []byte
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.offset += int64(len(chunk))
		if len(chunk) > 0 {
			lr.any = true
		}
		if err == bufio.ErrBufferFull {
			if len(lr.buf)+len(chunk) > lr.opt.maxLine() {
				return nil, 0, 0, lr.errAt(lr.line+1, start, fmt.Sprintf("line longer than %d bytes", lr.opt.maxLine()), nil)
			}
			lr.buf = append(lr.buf, chunk...)
			continue
		}
		if len(lr.buf) > 0 {
			lr.buf = append(lr.buf, chunk...)
			line = lr.buf
		} else {
			line = chunk
		}
		if n := len(line) - len(bytes.TrimSuffix(line, []byte{'\n'})); len(line)-n > lr.opt.maxLine() {
			return nil, 0, 0, lr.errAt(lr.line+1, start, fmt.Sprintf("line longer than %d bytes", lr.opt.maxLine()), nil)
		}
		if err == io.EOF {
			lr.eof = true
			if !lr.any && !lr.opt.AllowEmpty {
				what := "empty file"
				if lr.gz != nil {
					what = "empty file (after gzip decompression)"
				}
				return nil, 0, 0, lr.errAt(0, 0, what, nil)
			}
			if len(line) == 0 {
				return nil, 0, 0, io.EOF
			}
		} else if err != nil {
			return nil, 0, 0, lr.readErr(err)
		}
		if lr.line == 0 {
			line = bytes.TrimPrefix(line, []byte("\ufeff")) // a UTF-8 byte order mark is no text
		}
		lr.line++
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		return line, lr.line, start, nil
	}
}

func (lr *lineReader) readErr(err error) error {
	line := lr.line + 1
	switch {
	case lr.gz != nil && errors.Is(err, io.ErrUnexpectedEOF):
		return lr.errAt(line, lr.offset, "truncated gzip stream", err)
	case errors.Is(err, gzip.ErrChecksum):
		return lr.errAt(line, lr.offset, "gzip checksum mismatch (corrupt file)", err)
	case errors.Is(err, gzip.ErrHeader):
		return lr.errAt(line, lr.offset, "bad gzip member header", err)
	}
	return lr.errAt(line, lr.offset, "read error", err)
}

// checkUTF8 validates line; on failure it either errors with the position
// of the first bad byte or returns a repaired copy.
func (lr *lineReader) checkUTF8(line []byte, n int, off int64) (string, error) {
	if utf8.Valid(line) {
		return string(line), nil
	}
	if lr.opt.AllowInvalidUTF8 {
		return strings.ToValidUTF8(string(line), "\uFFFD"), nil
	}
	bad := 0
	for bad < len(line) {
		r, size := utf8.DecodeRune(line[bad:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		bad += size
	}
	return "", lr.errAt(n, off+int64(bad), fmt.Sprintf("invalid UTF-8 at column %d (byte 0x%02x)", bad+1, line[bad]), nil)
}

func isBlank(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}

// record returns the next record of the source according to the mode.
func (lr *lineReader) record() (Record, error) {
	switch lr.opt.Mode {
	case Documents, Files:
		var doc strings.Builder
		first := 0
		for {
			line, n, off, err := lr.readLine()
			if err == io.EOF {
				break
			}
			if err != nil {
				return Record{}, err
			}
			if lr.opt.Mode == Documents && isBlank(line) {
				if first == 0 {
					continue
				}
				break
			}
			s, err := lr.checkUTF8(line, n, off)
			if err != nil {
				return Record{}, err
			}
			if first == 0 {
				first = n
			} else {
				doc.WriteByte('\n')
			}
			if doc.Len()+len(s) > lr.opt.maxDoc() {
				return Record{}, lr.errAt(first, -1, fmt.Sprintf("document longer than %d bytes", lr.opt.maxDoc()), nil)
			}
			doc.WriteString(s)
		}
		if first == 0 {
			return Record{}, io.EOF
		}
		return Record{Text: doc.String(), Source: lr.name, Line: first}, nil
	default:
		for {
			line, n, off, err := lr.readLine()
			if err != nil {
				return Record{}, err
			}
			if !lr.opt.KeepBlankLines && isBlank(line) {
				continue
			}
			s, err := lr.checkUTF8(line, n, off)
			if err != nil {
				return Record{}, err
			}
			return Record{Text: s, Source: lr.name, Line: n}, nil
		}
	}
}
