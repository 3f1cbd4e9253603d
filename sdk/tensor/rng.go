package tensor

import (
	"fmt"
	"math"
	"math/bits"
)

// RNG is a small, fast, seeded random number generator (PCG-XSL-RR 128/64)
// that produces the same sequence on every platform. It is not safe for
// concurrent use.
type RNG struct {
	hi, lo uint64 // 128-bit state
	seed   uint64
}

const (
	pcgMulHi = 2549297995355413924
	pcgMulLo = 4865540595714422341
	pcgIncHi = 6364136223846793005
	pcgIncLo = 1442695040888963407
)

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	r := &RNG{seed: seed}
	r.hi, r.lo = splitmix(&seed), splitmix(&seed)
	r.Uint64()
	return r
}

func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Uint64 returns 64 random bits.
func (r *RNG) Uint64() uint64 {
	// state = state * mul + inc (128-bit arithmetic)
	hi, lo := mul128(r.hi, r.lo, pcgMulHi, pcgMulLo)
	lo2 := lo + pcgIncLo
	carry := uint64(0)
	if lo2 < lo {
		carry = 1
	}
	r.hi, r.lo = hi+pcgIncHi+carry, lo2
	// XSL-RR output
	rot := r.hi >> 58
	x := r.hi ^ r.lo
	return x>>rot | x<<((64-rot)&63)
}

func mul128(ahi, alo, bhi, blo uint64) (hi, lo uint64) {
	h, l := bits.Mul64(alo, blo)
	return h + ahi*blo + alo*bhi, l
}

// Float64 returns a uniform value in [0, 1).
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Float32 returns a uniform value in [0, 1).
func (r *RNG) Float32() float32 { return float32(r.Uint64()>>40) / (1 << 24) }

// Intn returns a uniform integer in [0, n). It panics if n <= 0.
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		panicValue("RNG.Intn", "n must be positive, got %d", n)
	}
	// Lemire's multiply-shift with rejection, for an unbiased result.
	un := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), un)
		}
	}
	return int(hi)
}

// NormFloat32 returns a standard normal sample (Box-Muller on float64).
func (r *RNG) NormFloat32() float32 {
	u1 := 1 - r.Float64() // (0, 1]
	u2 := r.Float64()
	return float32(math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2))
}

// Perm returns a random permutation of [0, n).
func (r *RNG) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// State returns the generator's full state, so that a checkpoint can save
// it and SetState can resume the exact same sequence.
func (r *RNG) State() [2]uint64 { return [2]uint64{r.hi, r.lo} }

// SetState restores a state returned by State.
func (r *RNG) SetState(s [2]uint64) { r.hi, r.lo = s[0], s[1] }

// String describes the generator by its seed.
func (r *RNG) String() string { return fmt.Sprintf("RNG(seed=%d)", r.seed) }
