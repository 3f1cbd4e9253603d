package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// guard is the number of sentinel elements on each side of every output.
const guard = 17

// sentinel is a NaN with a payload that no kernel produces.
var sentinel = math.Float32frombits(0x7fc0beef)

// guarded returns a slice of n elements whose backing array has sentinel
// bands on both sides; checkGuard verifies them.
func guarded(n int) (buf, s []float32) {
	buf = make([]float32, n+2*guard)
	for i := range buf {
		buf[i] = sentinel
	}
	return buf, buf[guard : guard+n : guard+n]
}

func checkGuard(t testing.TB, what string, buf []float32, n int) {
	t.Helper()
	for i := 0; i < guard; i++ {
		if math.Float32bits(buf[i]) != 0x7fc0beef || math.Float32bits(buf[guard+n+i]) != 0x7fc0beef {
			t.Fatalf("%s: write outside the output (guard band %d touched)", what, i)
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// close reports whether got is within tol·scale (plus a tiny absolute
// slack) of want; NaNs must match NaNs.
func closeTo(got float32, want, scale, tol float64) bool {
	if math.IsNaN(want) {
		return got != got
	}
	if math.IsInf(want, 0) {
		return float64(got) == want
	}
	return math.Abs(float64(got)-want) <= tol*scale+1e-30
}

// forEachTier runs f once per tier this machine can run, with that tier
// selected.
func forEachTier(t *testing.T, f func(t *testing.T)) {
	for _, name := range availableTiers() {
		t.Run(name, func(t *testing.T) {
			restore := forceTier(name)
			defer restore()
			f(t)
		})
	}
}
