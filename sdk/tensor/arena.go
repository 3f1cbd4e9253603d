package tensor

import "fmt"

// Arena recycles the buffers of intermediate tensors between training
// steps. Operations under a Scope that names an arena (Scope.WithArena) take
// their output buffers and the gradients of non-leaf tensors from it; Reset
// hands every buffer back for reuse, after which tensors computed under the
// arena must not be used. Constructors (Zeros, FromFloat32s, ...) and leaf
// gradients never use an arena, so parameters are safe.
//
// A steady-state step asks for the same buffer sizes in the same order, so
// after the first step an arena allocates nothing. An Arena is not safe for
// concurrent use: give each goroutine that computes its own arena (and its
// own scope naming it).
type Arena struct {
	free  map[int][][]float32
	used  [][]float32
	bytes int
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{free: map[int][][]float32{}} }

// Reset makes every buffer handed out since the last Reset available again.
func (a *Arena) Reset() {
	for _, b := range a.used {
		a.free[len(b)] = append(a.free[len(b)], b)
	}
	clear(a.used)
	a.used = a.used[:0]
}

// Bytes reports the total size of the buffers the arena owns.
func (a *Arena) Bytes() int { return a.bytes }

// String summarises the arena.
func (a *Arena) String() string {
	return fmt.Sprintf("Arena(%d buffers in use, %.1f MB owned)", len(a.used), float64(a.bytes)/1e6)
}

func (a *Arena) get(n int) []float32 {
	if l := a.free[n]; len(l) > 0 {
		b := l[len(l)-1]
		a.free[n] = l[:len(l)-1]
		a.used = append(a.used, b)
		return b
	}
	b := make([]float32, n)
	a.bytes += 4 * n
	a.used = append(a.used, b)
	return b
}
