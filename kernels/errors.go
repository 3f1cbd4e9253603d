package kernels

import "fmt"

// ArgError is the panic value of a kernel called with inconsistent
// arguments: a slice too short for the stated shape, a leading dimension
// smaller than a row, a negative size. It names the kernel and the shapes.
type ArgError struct {
	Op     string // kernel name, e.g. "Sgemm"
	Detail string // what is wrong, with the sizes involved
}

func (e *ArgError) Error() string { return "kernels." + e.Op + ": " + e.Detail }

func argPanic(op, format string, args ...any) {
	panic(&ArgError{Op: op, Detail: fmt.Sprintf(format, args...)})
}

// needLen is the number of elements a rows×cols matrix with leading
// dimension ld spans.
func needLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// checkMat panics unless a rows×cols matrix with leading dimension ld fits in
// a slice of length n.
func checkMat(op, name string, rows, cols, ld, n int) {
	if rows == 0 || cols == 0 {
		return // nothing is read
	}
	if ld < cols {
		argPanic(op, "ld%s=%d < %d columns", name, ld, cols)
	}
	if need := needLen(rows, cols, ld); need > n {
		argPanic(op, "%s is %dx%d (ld %d) and needs %d elements, has %d", name, rows, cols, ld, need, n)
	}
}

// checkLen panics unless every slice in s has at least n elements.
func checkLen(op string, n int, s ...int) {
	for i, l := range s {
		if l < n {
			argPanic(op, "argument %d has %d elements, need %d", i+1, l, n)
		}
	}
}
