package nn

import (
	"fmt"
	"sort"
	"strings"
)

// ShapeError reports an input whose shape does not fit a layer. It is
// raised with panic, like the tensor package's errors.
type ShapeError struct {
	Layer  string  // the layer, as its String() prints it
	Shapes [][]int // the shapes involved, the input's first
	Msg    string  // what is wrong
}

// Error names the layer, the shapes and what is wrong.
func (e *ShapeError) Error() string {
	parts := make([]string, len(e.Shapes))
	for i, s := range e.Shapes {
		parts[i] = shapeString(s)
	}
	msg := fmt.Sprintf("nn.%s: shape mismatch: %s", e.Layer, strings.Join(parts, " and "))
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	return msg
}

// ConfigError reports an impossible layer configuration, such as an
// embedding width that the number of heads does not divide. It is raised
// with panic by constructors.
type ConfigError struct {
	Layer string // the constructor, e.g. "NewMultiHeadAttention"
	Msg   string
}

// Error names the constructor and the problem.
func (e *ConfigError) Error() string { return "nn." + e.Layer + ": " + e.Msg }

// StateDictError lists why a state dict does not fit a module: keys the
// module needs that are missing, keys it does not have, and tensors whose
// shapes differ. LoadStateDict returns it as an error value.
type StateDictError struct {
	Missing    []string
	Unexpected []string
	Mismatched []ShapeMismatch
}

// ShapeMismatch is one key of a state dict whose tensor has the wrong
// shape.
type ShapeMismatch struct {
	Key  string
	Want []int // the module's parameter
	Got  []int // the state dict's tensor
}

// String prints the key and both shapes.
func (m ShapeMismatch) String() string {
	return fmt.Sprintf("%s: want %s, got %s", m.Key, shapeString(m.Want), shapeString(m.Got))
}

// Error lists the missing and unexpected keys and the shape mismatches.
func (e *StateDictError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing keys "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected keys "+strings.Join(e.Unexpected, ", "))
	}
	for _, m := range e.Mismatched {
		parts = append(parts, "shape of "+m.String())
	}
	return "nn.LoadStateDict: " + strings.Join(parts, "; ")
}

func (e *StateDictError) empty() bool {
	return len(e.Missing) == 0 && len(e.Unexpected) == 0 && len(e.Mismatched) == 0
}

func (e *StateDictError) sort() {
	sort.Strings(e.Missing)
	sort.Strings(e.Unexpected)
	sort.Slice(e.Mismatched, func(i, j int) bool { return e.Mismatched[i].Key < e.Mismatched[j].Key })
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func panicShape(layer, msg string, shapes ...[]int) {
	panic(&ShapeError{Layer: layer, Shapes: shapes, Msg: msg})
}

func panicConfig(layer, format string, args ...any) {
	panic(&ConfigError{Layer: layer, Msg: fmt.Sprintf(format, args...)})
}
