package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// maxHeader bounds the JSON header, as the reference implementation does
// (100 MB), so a corrupt length cannot make a reader allocate gigabytes.
const maxHeader = 100 << 20

// metadataKey is the reserved header key of the string metadata.
const metadataKey = "__metadata__"

// FormatError reports a malformed safetensors file: the file, the byte
// offset where the problem lies (-1 when it concerns the whole file) and
// what is wrong.
type FormatError struct {
	File   string
	Offset int64
	Msg    string
}

// Error formats the problem with the file and offset.
func (e *FormatError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("%s: safetensors: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s: safetensors: offset %d: %s", e.File, e.Offset, e.Msg)
}

// elemSize returns the byte size of a safetensors dtype whose entries this
// package can parse, or 0. Integer and boolean entries (position-id and
// mask buffers of older checkpoints) are parsed and listed, but Tensor
// reads only the float dtypes (see IsFloat).
func elemSize(dtype string) int {
	switch dtype {
	case "F32", "I32", "U32":
		return 4
	case "BF16", "F16", "I16", "U16":
		return 2
	case "F64", "I64", "U64":
		return 8
	case "I8", "U8", "BOOL":
		return 1
	}
	return 0
}

// IsFloat reports whether a safetensors dtype is one that File.Tensor
// reads: F32, BF16, F16 or F64.
func IsFloat(dtype string) bool {
	switch dtype {
	case "F32", "BF16", "F16", "F64":
		return true
	}
	return false
}

// dtypeName maps a tensor dtype to its safetensors name.
func dtypeName(d tensor.DType) string {
	if d == tensor.BF16 {
		return "BF16"
	}
	return "F32"
}

// Write encodes tensors and metadata (nil for none) as a safetensors file.
// F32 tensors are stored as F32 and BF16 tensors as BF16; convert with
// Tensor.To(tensor.BF16) beforehand to store bfloat16. Names must be
// non-empty and must not be "__metadata__".
func Write(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for n, t := range tensors {
		if n == "" || n == metadataKey {
			return fmt.Errorf("safetensors: invalid tensor name %q", n)
		}
		if t == nil {
			return fmt.Errorf("safetensors: tensor %q is nil", n)
		}
		names = append(names, n)
	}
	// Larger elements first, then by name: every tensor starts at a multiple
	// of its element size, as in the reference implementation.
	sort.Slice(names, func(i, j int) bool {
		si, sj := elemSize(dtypeName(tensors[names[i]].DType())), elemSize(dtypeName(tensors[names[j]].DType()))
		if si != sj {
			return si > sj
		}
		return names[i] < names[j]
	})
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // map keys come out sorted
		if err != nil {
			return err
		}
		hdr.WriteString(`"__metadata__":`)
		hdr.Write(m)
	}
	var off int64
	for i, n := range names {
		t := tensors[n]
		if i > 0 || len(metadata) > 0 {
			hdr.WriteByte(',')
		}
		key, _ := json.Marshal(n)
		shape := t.Shape()
		if shape == nil {
			shape = []int{}
		}
		sh, _ := json.Marshal(shape)
		size := int64(t.Numel()) * int64(elemSize(dtypeName(t.DType())))
		fmt.Fprintf(&hdr, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, key, dtypeName(t.DType()), sh, off, off+size)
		off += size
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(hdr.Len()))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	buf := make([]byte, 0, 64<<10)
	for _, n := range names {
		t := tensors[n]
		if t.DType() == tensor.BF16 {
			for _, v := range t.BF16Data() {
				buf = binary.LittleEndian.AppendUint16(buf, uint16(v))
				if len(buf) == cap(buf) {
					if _, err := w.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
		} else {
			for _, v := range t.Data() {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
				if len(buf) == cap(buf) {
					if _, err := w.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
		}
	}
	if len(buf) > 0 {
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// Save writes tensors and metadata to path atomically (WriteFileAtomic).
func Save(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return Write(w, tensors, metadata) })
}

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name  string
	DType string // "F32", "BF16", "F16", "F64", or an integer type ("I64", "U8", "BOOL", ...)
	Shape []int
	// Begin and End are the byte range within the data section.
	Begin, End int64
}

// String formats the entry as name BF16[3 4].
func (t TensorInfo) String() string { return fmt.Sprintf("%s %s%v", t.Name, t.DType, t.Shape) }

// File is an open safetensors file whose header has been parsed; tensors are
// read one at a time on demand.
type File struct {
	name      string
	r         io.ReaderAt
	closer    io.Closer
	dataStart int64
	infos     map[string]TensorInfo
	names     []string
	meta      map[string]string
}

// Open opens a safetensors file and parses its header.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	sf, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// NewReader parses the header of a safetensors file of size bytes read
// through r; name labels errors. Every entry is validated: known dtype,
// non-negative shape, byte size matching the shape, and byte ranges that
// tile the data section exactly.
func NewReader(r io.ReaderAt, size int64, name string) (*File, error) {
	bad := func(off int64, format string, args ...any) error {
		return &FormatError{File: name, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	if size < 8 {
		return nil, bad(-1, "file is %d bytes, shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeader {
		return nil, bad(0, "header length %d exceeds the %d-byte limit", n, maxHeader)
	}
	if int64(n) > size-8 {
		return nil, bad(0, "header length %d exceeds the file (%d bytes)", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, bad(8, "header does not start with '{'")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, bad(8, "header JSON: %v", err)
	}
	dataLen := size - 8 - int64(n)
	sf := &File{name: name, r: r, dataStart: 8 + int64(n), infos: make(map[string]TensorInfo, len(raw))}
	for key, msg := range raw {
		if key == metadataKey {
			if err := json.Unmarshal(msg, &sf.meta); err != nil {
				return nil, bad(8, "__metadata__ is not a map of strings: %v", err)
			}
			continue
		}
		var e struct {
			DType   string  `json:"dtype"`
			Shape   []int64 `json:"shape"`
			Offsets []int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, bad(8, "tensor %q: %v", key, err)
		}
		es := elemSize(e.DType)
		if es == 0 {
			return nil, bad(8, "tensor %q: unsupported dtype %q (want F32, BF16, F16, F64 or an integer type)", key, e.DType)
		}
		if e.Shape == nil {
			return nil, bad(8, "tensor %q: missing shape", key)
		}
		if len(e.Offsets) != 2 {
			return nil, bad(8, "tensor %q: data_offsets must hold 2 numbers, has %d", key, len(e.Offsets))
		}
		numel := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > dataLen {
				return nil, bad(8, "tensor %q: bad dimension %d in shape %v", key, d, e.Shape)
			}
			shape[i] = int(d)
			if d != 0 && numel > dataLen/d {
				numel = dataLen + 1 // larger than the file: reported below
			} else {
				numel *= d
			}
		}
		b, end := e.Offsets[0], e.Offsets[1]
		if b < 0 || end < b || end > dataLen {
			return nil, bad(8, "tensor %q: data_offsets [%d, %d] outside the %d-byte data section", key, b, end, dataLen)
		}
		if numel > dataLen || end-b != numel*int64(es) {
			return nil, bad(8, "tensor %q: %s%v needs %d bytes, data_offsets give %d", key, e.DType, e.Shape, numel*int64(es), end-b)
		}
		sf.infos[key] = TensorInfo{Name: key, DType: e.DType, Shape: shape, Begin: b, End: end}
		sf.names = append(sf.names, key)
	}
	// The ranges must tile the data section with no gap or overlap.
	byOff := append([]string(nil), sf.names...)
	sort.Slice(byOff, func(i, j int) bool {
		a, b := sf.infos[byOff[i]], sf.infos[byOff[j]]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var at int64
	for _, k := range byOff {
		ti := sf.infos[k]
		if ti.Begin != at {
			return nil, bad(8, "tensor %q starts at data offset %d, expected %d (gap or overlap)", k, ti.Begin, at)
		}
		at = ti.End
	}
	if at != dataLen {
		return nil, bad(sf.dataStart+at, "tensors cover %d bytes of a %d-byte data section", at, dataLen)
	}
	sort.Strings(sf.names)
	return sf, nil
}

// Names lists the tensor names, sorted.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Info describes a tensor; ok is false when the file has no such name.
func (f *File) Info(name string) (info TensorInfo, ok bool) {
	info, ok = f.infos[name]
	return
}

// Metadata returns the header's string metadata (nil when absent).
func (f *File) Metadata() map[string]string { return f.meta }

// String summarises the file.
func (f *File) String() string {
	parts := make([]string, 0, len(f.names))
	for _, n := range f.names {
		parts = append(parts, f.infos[n].String())
	}
	return fmt.Sprintf("safetensors(%s: %s)", f.name, strings.Join(parts, ", "))
}

// Close closes the underlying file when Open opened it.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// Tensor reads one tensor. BF16 entries come back as BF16 tensors; F32, F16
// and F64 entries as F32 tensors. An integer or boolean entry is an error
// (check Info(name).DType with IsFloat first to skip such buffers).
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	info, ok := f.infos[name]
	if !ok {
		return nil, fmt.Errorf("%s: no tensor %q", f.name, name)
	}
	if !IsFloat(info.DType) {
		return nil, fmt.Errorf("%s: tensor %q is %s%v, not a float tensor", f.name, name, info.DType, info.Shape)
	}
	numel := 1
	for _, d := range info.Shape {
		numel *= d
	}
	es := elemSize(info.DType)
	out := make([]float32, numel)
	var bf []tensor.BFloat16
	if info.DType == "BF16" {
		bf = make([]tensor.BFloat16, numel)
	}
	buf := make([]byte, min(int64(64<<10), info.End-info.Begin+1)/int64(es)*int64(es))
	for i := 0; i < numel; {
		k := min(numel-i, len(buf)/es)
		chunk := buf[:k*es]
		if _, err := f.r.ReadAt(chunk, f.dataStart+info.Begin+int64(i*es)); err != nil {
			return nil, fmt.Errorf("%s: tensor %q: %w", f.name, name, err)
		}
		for j := 0; j < k; j++ {
			switch info.DType {
			case "F32":
				out[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(chunk[4*j:]))
			case "BF16":
				bf[i+j] = tensor.BFloat16(binary.LittleEndian.Uint16(chunk[2*j:]))
			case "F16":
				out[i+j] = halfToFloat(binary.LittleEndian.Uint16(chunk[2*j:]))
			case "F64":
				out[i+j] = float32(math.Float64frombits(binary.LittleEndian.Uint64(chunk[8*j:])))
			}
		}
		i += k
	}
	shape := info.Shape
	if len(shape) == 0 {
		t := tensor.Scalar(0)
		if bf != nil {
			t = t.To(tensor.BF16)
			t.BF16Data()[0] = bf[0]
			return t, nil
		}
		t.Data()[0] = out[0]
		return t, nil
	}
	if bf != nil {
		t := tensor.FromFloat32s(out, shape...).To(tensor.BF16)
		copy(t.BF16Data(), bf)
		return t, nil
	}
	return tensor.FromFloat32s(out, shape...), nil
}

// All reads every tensor.
func (f *File) All() (map[string]*tensor.Tensor, error) {
	m := make(map[string]*tensor.Tensor, len(f.names))
	for _, n := range f.names {
		t, err := f.Tensor(n)
		if err != nil {
			return nil, err
		}
		m[n] = t
	}
	return m, nil
}

// Load reads every tensor and the metadata of a safetensors file.
func Load(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	m, err := f.All()
	if err != nil {
		return nil, nil, err
	}
	return m, f.Metadata(), nil
}

// halfToFloat widens an IEEE-754 half-precision value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant · 2^-24.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}
