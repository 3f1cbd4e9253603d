// Package golden reads the PyTorch golden files that the parity tests of
// sdk/tensor, sdk/nn and sdk/optim compare against.
//
// The files are written by tools/torchgolden/gen.py (see its README for the
// format and the naming conventions) and committed; reading them needs no
// Python. A file holds one case: numeric attributes and named float32 tensors.
package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
)

// Tensor is one named tensor of a case: a row-major float32 array.
type Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

// String describes the tensor by shape and size, not by value.
func (t Tensor) String() string {
	return fmt.Sprintf("golden.Tensor%v(%d values)", t.Shape, len(t.Data))
}

// Case is one golden file: the case name, its attributes and its tensors.
type Case struct {
	// Name is the "case" field of the file, e.g. "linear".
	Name string
	// Path is the file the case was loaded from.
	Path string

	attrs   map[string]float64
	tensors map[string]Tensor
}

// file mirrors the JSON layout of a golden file.
type file struct {
	Case    string             `json:"case"`
	Attrs   map[string]float64 `json:"attrs"`
	Tensors map[string]Tensor  `json:"tensors"`
}

// Load reads and validates one golden file. Errors name the file and, for
// malformed JSON, the line and column.
func Load(path string) (*Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	return parse(path, b)
}

// parse decodes and validates the bytes of a golden file named path.
func parse(path string, b []byte) (*Case, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := position(b, se.Offset)
			return nil, fmt.Errorf("golden: %s:%d:%d: %v", path, line, col, err)
		case errors.As(err, &te):
			line, col := position(b, te.Offset)
			return nil, fmt.Errorf("golden: %s:%d:%d: %v", path, line, col, err)
		}
		return nil, fmt.Errorf("golden: %s: %v", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("golden: %s: trailing data after the JSON object", path)
	}
	if f.Case == "" {
		return nil, fmt.Errorf("golden: %s: missing \"case\" name", path)
	}
	if len(f.Tensors) == 0 {
		return nil, fmt.Errorf("golden: %s: case %q has no tensors", path, f.Case)
	}
	for name, t := range f.Tensors {
		if t.Shape == nil || t.Data == nil {
			return nil, fmt.Errorf("golden: %s: tensor %q needs both \"shape\" and \"data\"", path, name)
		}
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("golden: %s: tensor %q has negative dimension in shape %v", path, name, t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("golden: %s: tensor %q has shape %v (%d values) but %d data values",
				path, name, t.Shape, n, len(t.Data))
		}
	}
	if f.Attrs == nil {
		f.Attrs = map[string]float64{}
	}
	return &Case{Name: f.Case, Path: path, attrs: f.Attrs, tensors: f.Tensors}, nil
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	if off < 0 {
		off = 0
	}
	pre := b[:off]
	line = bytes.Count(pre, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(pre, '\n') + 1) + 1
	return line, col
}

// MissingError is the panic value of Tensor and Attr when the name is absent.
type MissingError struct {
	Path string // file of the case
	Kind string // "tensor" or "attr"
	Name string // the name asked for
	Have []string
}

// Error names the file, the missing entry and what the file does have.
func (e *MissingError) Error() string {
	return fmt.Sprintf("golden: %s: no %s %q (have %s)", e.Path, e.Kind, e.Name, strings.Join(e.Have, ", "))
}

// Tensor returns the shape and data of the named tensor. The slices are the
// case's own; copy them before changing them. It panics with a
// *MissingError when the case has no such tensor: a golden test cannot go on
// without it, and the message lists the names present.
func (c *Case) Tensor(name string) (shape []int, data []float32) {
	t, ok := c.tensors[name]
	if !ok {
		panic(&MissingError{Path: c.Path, Kind: "tensor", Name: name, Have: c.TensorNames()})
	}
	return t.Shape, t.Data
}

// Lookup is Tensor without the panic: ok is false when the name is absent.
func (c *Case) Lookup(name string) (t Tensor, ok bool) {
	t, ok = c.tensors[name]
	return t, ok
}

// Attr returns the named numeric attribute (eps, lr, flags as 0 or 1). It
// panics with a *MissingError when the case has no such attribute.
func (c *Case) Attr(name string) float64 {
	v, ok := c.attrs[name]
	if !ok {
		panic(&MissingError{Path: c.Path, Kind: "attr", Name: name, Have: c.AttrNames()})
	}
	return v
}

// HasAttr reports whether the case has the named attribute.
func (c *Case) HasAttr(name string) bool {
	_, ok := c.attrs[name]
	return ok
}

// TensorNames returns the tensor names of the case, sorted.
func (c *Case) TensorNames() []string {
	names := make([]string, 0, len(c.tensors))
	for n := range c.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AttrNames returns the attribute names of the case, sorted.
func (c *Case) AttrNames() []string {
	names := make([]string, 0, len(c.attrs))
	for n := range c.attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// String names the case and its file, with the counts of attrs and tensors.
func (c *Case) String() string {
	return fmt.Sprintf("golden.Case(%s from %s: %d attrs, %d tensors)", c.Name, c.Path, len(c.attrs), len(c.tensors))
}

// MaxScaledError returns max|got-want| / max(1, max|want|) and the index
// where |got-want| is largest. A NaN in got or want, or a length mismatch,
// gives +Inf (index -1 for a length mismatch, the NaN's index otherwise).
func MaxScaledError(got, want []float32) (err float64, worst int) {
	if len(got) != len(want) {
		return math.Inf(1), -1
	}
	scale := 1.0
	for _, w := range want {
		if a := math.Abs(float64(w)); a > scale {
			scale = a
		}
	}
	maxDiff, worst := 0.0, 0
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.IsNaN(w) {
			return math.Inf(1), i
		}
		d := math.Abs(g - w)
		if math.IsInf(g, 0) || math.IsInf(w, 0) {
			if g == w {
				continue
			}
			d = math.Inf(1)
		}
		if d > maxDiff {
			maxDiff, worst = d, i
		}
	}
	return maxDiff / scale, worst
}

// AssertClose checks max|got-want| ≤ tol·max(1, max|want|) and, when it
// fails, reports through t.Errorf the tensor name, the error found, the
// worst index and both values there. NaN anywhere and length mismatches fail.
func AssertClose(t testing.TB, name string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", name, len(got), len(want))
		return
	}
	err, i := MaxScaledError(got, want)
	if err <= tol {
		return
	}
	t.Errorf("%s: max scaled error %.3g > tol %.3g at index %d: got %v, want %v",
		name, err, tol, i, got[i], want[i])
}
