package vectors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Format names a vector file format.
type Format int

const (
	// Word2VecText is word2vec's text format: a "count dim" header line,
	// then one "word x1 ... xdim" line per word.
	Word2VecText Format = iota
	// Word2VecBinary is word2vec's binary format: the same header, then per
	// word its bytes, a space, dim little-endian float32 and a newline
	// (the newline is optional when reading, as gensim omits it).
	Word2VecBinary
	// GloVeText is GloVe's text format: word2vec text without the header.
	GloVeText
)

// String returns the format's name as the CLI spells it.
func (f Format) String() string {
	switch f {
	case Word2VecText:
		return "word2vec-text"
	case Word2VecBinary:
		return "word2vec-binary"
	case GloVeText:
		return "glove"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat maps "word2vec-text" (or "text"), "word2vec-binary" (or
// "bin", "binary") and "glove" to a Format.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "word2vec-text", "text", "txt", "vec":
		return Word2VecText, nil
	case "word2vec-binary", "binary", "bin":
		return Word2VecBinary, nil
	case "glove":
		return GloVeText, nil
	}
	return 0, fmt.Errorf("vectors: unknown format %q (want word2vec-text, word2vec-binary or glove)", s)
}

// Write writes v to w in format f.
func (v *Vectors) Write(w io.Writer, f Format) error {
	if len(v.Data) != len(v.Words)*v.Dim {
		return fmt.Errorf("vectors: Write: %d floats for %d words × %d", len(v.Data), len(v.Words), v.Dim)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if f != GloVeText {
		fmt.Fprintf(bw, "%d %d\n", len(v.Words), v.Dim)
	}
	var num []byte
	var raw [4]byte
	for i, word := range v.Words {
		if word == "" || strings.ContainsAny(word, " \t\n\r") {
			return fmt.Errorf("vectors: Write: word %d (%q) is empty or contains whitespace", i, word)
		}
		bw.WriteString(word)
		row := v.Vector(i)
		switch f {
		case Word2VecBinary:
			bw.WriteByte(' ')
			for _, x := range row {
				binary.LittleEndian.PutUint32(raw[:], math.Float32bits(x))
				bw.Write(raw[:])
			}
		case Word2VecText, GloVeText:
			for _, x := range row {
				num = append(num[:0], ' ')
				num = strconv.AppendFloat(num, float64(x), 'g', -1, 32)
				bw.Write(num)
			}
		default:
			return fmt.Errorf("vectors: Write: unknown format %d", int(f))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Save writes v to path in format f, through a temporary file renamed into
// place so a failed write never leaves a partial file.
func (v *Vectors) Save(path string, f Format) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := v.Write(tmp, f); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Load reads a vector file, guessing its format: ".bin" is word2vec
// binary; otherwise a first line of two integers means word2vec text, and
// anything else GloVe text.
func Load(path string) (*Vectors, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, 1<<16)
	if strings.EqualFold(filepath.Ext(path), ".bin") {
		return ReadWord2VecBinary(br, path)
	}
	head, _ := br.Peek(256)
	if nl := bytes.IndexByte(head, '\n'); nl >= 0 {
		head = head[:nl]
	}
	if f := strings.Fields(string(head)); len(f) == 2 {
		_, e1 := strconv.Atoi(f[0])
		_, e2 := strconv.Atoi(f[1])
		if e1 == nil && e2 == nil {
			return ReadWord2VecText(br, path)
		}
	}
	return ReadGloVeText(br, path)
}

// maxPrealloc bounds what a header may make us allocate up front, so a
// hostile header cannot exhaust memory before the data proves it.
const maxPrealloc = 1 << 22

func parseHeader(line string, name string) (n, dim int, err error) {
	f := strings.Fields(line)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%s:1: want header \"count dim\", got %q", name, clip(line))
	}
	n, e1 := strconv.Atoi(f[0])
	dim, e2 := strconv.Atoi(f[1])
	if e1 != nil || e2 != nil || n < 0 || dim <= 0 || dim > 1<<16 {
		return 0, 0, fmt.Errorf("%s:1: bad header %q", name, clip(line))
	}
	return n, dim, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// ReadWord2VecText reads word2vec's text format; name labels errors.
func ReadWord2VecText(r io.Reader, name string) (*Vectors, error) {
	return readText(r, name, true)
}

// ReadGloVeText reads GloVe's text format (no header; the dimension is
// taken from the first line); name labels errors.
func ReadGloVeText(r io.Reader, name string) (*Vectors, error) {
	return readText(r, name, false)
}

func readText(r io.Reader, name string, header bool) (*Vectors, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	n, dim := -1, 0
	v := &Vectors{}
	if header {
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return nil, fmt.Errorf("%s:1: %w", name, err)
			}
			return nil, fmt.Errorf("%s:1: empty file, want header \"count dim\"", name)
		}
		line = 1
		var err error
		if n, dim, err = parseHeader(sc.Text(), name); err != nil {
			return nil, err
		}
		v.Data = make([]float32, 0, min(n*dim, maxPrealloc))
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), " \t\r")
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if dim == 0 {
			dim = len(f) - 1
			if dim <= 0 {
				return nil, fmt.Errorf("%s:%d: want a word and its vector, got %q", name, line, clip(text))
			}
		}
		if len(f) != dim+1 {
			return nil, fmt.Errorf("%s:%d: want a word and %d numbers, got %d fields", name, line, dim, len(f))
		}
		if n >= 0 && len(v.Words) == n {
			return nil, fmt.Errorf("%s:%d: more vectors than the header's %d", name, line, n)
		}
		for k, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: field %d: bad number %q", name, line, k+2, clip(s))
			}
			v.Data = append(v.Data, float32(x))
		}
		v.Words = append(v.Words, f[0])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if n >= 0 && len(v.Words) != n {
		return nil, fmt.Errorf("%s:%d: header says %d vectors, file has %d", name, line, n, len(v.Words))
	}
	if dim == 0 {
		return nil, fmt.Errorf("%s:%d: no vectors", name, line)
	}
	v.Dim = dim
	return v, nil
}

// ReadWord2VecBinary reads word2vec's binary format; name labels errors,
// which give the record number (1-based, the header being record 0) and
// byte offset.
func ReadWord2VecBinary(r io.Reader, name string) (*Vectors, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("%s:1: reading header: %w", name, unexpected(err))
	}
	n, dim, err := parseHeader(head, name)
	if err != nil {
		return nil, err
	}
	off := int64(len(head))
	v := &Vectors{Dim: dim, Data: make([]float32, 0, min(n*dim, maxPrealloc))}
	raw := make([]byte, 4*dim)
	var word []byte
	for i := 0; i < n; i++ {
		word = word[:0]
		for {
			c, err := br.ReadByte()
			if err != nil {
				return nil, fmt.Errorf("%s: record %d (byte %d): reading word: %w", name, i+1, off, unexpected(err))
			}
			off++
			if c == ' ' {
				break
			}
			if c == '\n' && len(word) == 0 {
				continue // newline ending the previous record
			}
			if len(word) > 1<<12 {
				return nil, fmt.Errorf("%s: record %d (byte %d): word longer than 4096 bytes", name, i+1, off)
			}
			word = append(word, c)
		}
		if len(word) == 0 {
			return nil, fmt.Errorf("%s: record %d (byte %d): empty word", name, i+1, off)
		}
		if _, err := io.ReadFull(br, raw); err != nil {
			return nil, fmt.Errorf("%s: record %d (byte %d): reading %d floats: %w", name, i+1, off, dim, unexpected(err))
		}
		off += int64(len(raw))
		for k := 0; k < dim; k++ {
			v.Data = append(v.Data, math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:])))
		}
		v.Words = append(v.Words, string(word))
	}
	return v, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
