package glove

import "math"

func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// updateGo is one AdaGrad step on a word row wi and a context row wj with
// squared-gradient sums gi, gj, for the scaled error f, as the reference
// glove.c does it: both gradients use the old rows.
func updateGo(f float32, wi, wj, gi, gj []float32) {
	wj, gi, gj = wj[:len(wi)], gi[:len(wi)], gj[:len(wi)]
	for m := range wi {
		t1 := f * wj[m]
		t2 := f * wi[m]
		wi[m] -= t1 / sqrt32(gi[m])
		wj[m] -= t2 / sqrt32(gj[m])
		gi[m] += t1 * t1
		gj[m] += t2 * t2
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
