package tensor

import (
	"fmt"
	"strings"
)

// ShapeError reports operands whose shapes do not fit an operation.
type ShapeError struct {
	Op     string  // the operation, e.g. "MatMul"
	Shapes [][]int // the shapes of the operands involved
	Msg    string  // what is wrong, e.g. "inner dimensions differ (3 vs 4)"
}

func (e *ShapeError) Error() string {
	parts := make([]string, len(e.Shapes))
	for i, s := range e.Shapes {
		parts[i] = shapeString(s)
	}
	msg := fmt.Sprintf("tensor.%s: shape mismatch: %s", e.Op, strings.Join(parts, " and "))
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	return msg
}

// AxisError reports an axis outside a tensor's dimensions.
type AxisError struct {
	Op    string
	Axis  int
	Shape []int
}

func (e *AxisError) Error() string {
	return fmt.Sprintf("tensor.%s: axis %d out of range for shape %s (valid: %d..%d)",
		e.Op, e.Axis, shapeString(e.Shape), -len(e.Shape), len(e.Shape)-1)
}

// DTypeError reports an operand of the wrong dtype.
type DTypeError struct {
	Op   string
	Got  DType
	Want DType
}

func (e *DTypeError) Error() string {
	return fmt.Sprintf("tensor.%s: dtype %s, want %s", e.Op, e.Got, e.Want)
}

// IndexError reports an index outside its range, such as a token id larger
// than an embedding table.
type IndexError struct {
	Op    string
	Index int
	Size  int
	Shape []int // shape of the indexed tensor, if any
}

func (e *IndexError) Error() string {
	s := fmt.Sprintf("tensor.%s: index %d out of range [0, %d)", e.Op, e.Index, e.Size)
	if e.Shape != nil {
		s += " for shape " + shapeString(e.Shape)
	}
	return s
}

// ValueError reports an argument whose value is invalid, such as a negative
// dropout probability or a non-scalar passed to Backward.
type ValueError struct {
	Op  string
	Msg string
}

func (e *ValueError) Error() string { return fmt.Sprintf("tensor.%s: %s", e.Op, e.Msg) }

func shapeString(s []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}

func panicShape(op, msg string, shapes ...[]int) {
	cp := make([][]int, len(shapes))
	for i, s := range shapes {
		cp[i] = append([]int(nil), s...)
	}
	panic(&ShapeError{Op: op, Shapes: cp, Msg: msg})
}

func panicValue(op, format string, args ...any) {
	panic(&ValueError{Op: op, Msg: fmt.Sprintf(format, args...)})
}

// Catch runs fn and returns the error it panicked with: the SDK reports
// misuse (a *ShapeError, *DTypeError, ...) by panicking with an error
// value, and a boundary such as a trainer, a command or a host program's
// handler turns it back into an error with Catch. A panic with a value
// that is not an error (a bug, not misuse) is re-raised.
func Catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}
