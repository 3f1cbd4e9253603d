package data

import (
	"fmt"
	"math"
	"math/bits"
)

// RNG is a small deterministic random number generator (xoshiro256**,
// seeded through splitmix64). It is owned by this package so that shuffles
// and masks depend only on the seed, never on the Go release. An RNG is not
// safe for concurrent use; derive one per goroutine with Derive.
type RNG struct {
	s    [4]uint64
	seed uint64
}

// splitmix64 advances x and returns the next output of the splitmix64
// sequence; it is the recommended seeder for xoshiro.
func splitmix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	r := &RNG{seed: seed}
	x := seed
	for i := range r.s {
		r.s[i] = splitmix64(&x)
	}
	return r
}

// DeriveSeed mixes a seed with stream numbers (epoch, batch, worker, ...)
// into a new, well separated seed.
func DeriveSeed(seed uint64, streams ...uint64) uint64 {
	x := seed
	h := splitmix64(&x)
	for _, s := range streams {
		x = h ^ (s * 0xd1b54a32d192ed03)
		h = splitmix64(&x)
	}
	return h
}

// Derive returns an independent generator for the given stream numbers;
// the receiver's state is not advanced.
func (r *RNG) Derive(streams ...uint64) *RNG {
	return NewRNG(DeriveSeed(r.seed, streams...))
}

// Seed returns the seed the generator was created with.
func (r *RNG) Seed() uint64 { return r.seed }

// String describes the generator.
func (r *RNG) String() string { return fmt.Sprintf("RNG{xoshiro256** seed=%d}", r.seed) }

// Uint64 returns 64 uniformly distributed random bits.
func (r *RNG) Uint64() uint64 {
	s := &r.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// Intn returns a uniform integer in [0, n) without modulo bias (Lemire's
// method). It panics with a *ParamError if n <= 0.
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		panic(&ParamError{Op: "RNG.Intn", Msg: fmt.Sprintf("n must be positive, got %d", n)})
	}
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

// Float64 returns a uniform float in [0, 1) with 53 random bits.
func (r *RNG) Float64() float64 {
	return float64(r.Uint64()>>11) * (1.0 / (1 << 53))
}

// Shuffle permutes n items in place with the Fisher-Yates algorithm,
// calling swap to exchange items i and j.
func (r *RNG) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		swap(i, j)
	}
}

// Perm returns a random permutation of 0..n-1.
func (r *RNG) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	r.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// ShuffleInts permutes s in place.
func (r *RNG) ShuffleInts(s []int) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// Poisson returns a Poisson(lambda) variate (Knuth's multiplication
// method, fine for the small rates of span lengths). lambda <= 0 gives 0.
func (r *RNG) Poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l := math.Exp(-lambda)
	k := 0
	p := 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
