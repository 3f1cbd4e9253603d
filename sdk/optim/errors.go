package optim

import (
	"fmt"
	"sort"
	"strings"
)

// ConfigError reports an impossible optimizer or schedule setting, such as
// a negative learning rate. Constructors raise it with panic.
type ConfigError struct {
	Op  string // the constructor, e.g. "NewSGD"
	Msg string
}

// Error names the constructor and the problem.
func (e *ConfigError) Error() string { return "optim." + e.Op + ": " + e.Msg }

// StateError lists why a saved optimizer state does not fit an optimizer:
// missing keys, unexpected keys and tensors of the wrong shape.
// LoadState returns it as an error value.
type StateError struct {
	Missing    []string
	Unexpected []string
	Mismatched []string // "key: want [3,4], got [4,3]"
}

// Error lists the missing and unexpected keys and the shape mismatches.
func (e *StateError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing keys "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected keys "+strings.Join(e.Unexpected, ", "))
	}
	for _, m := range e.Mismatched {
		parts = append(parts, "shape of "+m)
	}
	return "optim.LoadState: " + strings.Join(parts, "; ")
}

func (e *StateError) empty() bool {
	return len(e.Missing) == 0 && len(e.Unexpected) == 0 && len(e.Mismatched) == 0
}

func (e *StateError) sort() {
	sort.Strings(e.Missing)
	sort.Strings(e.Unexpected)
	sort.Strings(e.Mismatched)
}

func panicConfig(op, format string, args ...any) {
	panic(&ConfigError{Op: op, Msg: fmt.Sprintf(format, args...)})
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
