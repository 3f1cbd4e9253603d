package tensor

import (
	"fmt"
	"unsafe"
)

// Arena recycles the buffers of intermediate tensors between training
// steps. While an arena is active (WithArena or SetArena), the outputs of
// operations and the gradients of non-leaf tensors take their storage from
// it; Reset hands every buffer back for reuse, after which tensors created
// under the arena must not be used. Constructors (Zeros, FromFloat32s, ...)
// and leaf gradients never use the arena, so parameters are safe.
//
// A steady-state step asks for the same buffer sizes in the same order, so
// after the first step an arena allocates nothing. An Arena is not safe for
// concurrent use; one goroutine drives a training loop.
type Arena struct {
	free  map[int][][]float32
	used  [][]float32
	bytes int
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{free: map[int][][]float32{}} }

var current *Arena

// SetArena makes a the active arena (nil for none) and returns the previous
// one.
func SetArena(a *Arena) *Arena {
	prev := current
	current = a
	return prev
}

// WithArena runs fn with a as the active arena, restoring the previous one
// afterwards (also on panic). It does not Reset a.
func WithArena(a *Arena, fn func()) {
	prev := SetArena(a)
	defer SetArena(prev)
	fn()
}

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

// allocRaw returns a buffer of n float32s with unspecified contents.
func allocRaw(n int) []float32 {
	if current != nil && n > 0 {
		return current.get(n)
	}
	return make([]float32, n)
}

// allocBF16 returns a buffer of n bfloat16s with unspecified contents,
// carved from a float32 buffer so that it too comes from the arena.
func allocBF16(n int) []BFloat16 {
	f := allocRaw((n + 1) / 2)
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*BFloat16)(unsafe.Pointer(&f[0])), n)
}

// alloc returns a zeroed buffer of n float32s.
func alloc(n int) []float32 {
	if current != nil && n > 0 {
		b := current.get(n)
		clear(b)
		return b
	}
	return make([]float32, n)
}
