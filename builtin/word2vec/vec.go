package word2vec

// Pure-Go vector kernels: the reference for the assembly ones and the
// fallback where they are unavailable. Dimension-100 rows are too short for
// a kernel call per operation to pay off through a generic BLAS; these stay
// in this package so the hot loop can inline or call them directly.

func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func dualGo(g float32, w, h, e []float32) {
	h = h[:len(w)]
	e = e[:len(w)]
	for i, wi := range w {
		e[i] += g * wi
		w[i] = wi + g*h[i]
	}
}
