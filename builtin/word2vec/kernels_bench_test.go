package word2vec

import (
	"testing"

	"github.com/pretrain-go/pretrain/kernels"
)

// The per-target work of negative sampling at dim 100: f = h·w, then
// e += g·w and w += g·h. These benchmarks compare the project's generic
// kernels package with this package's own kernels for that shape.

var sinkF float32

func benchRows() (h, w, e []float32) {
	h, w, e = make([]float32, 100), make([]float32, 100), make([]float32, 100)
	for i := range h {
		h[i], w[i] = float32(i%7)*0.01, float32(i%5)*0.01
	}
	return
}

func BenchmarkTarget100Kernels(b *testing.B) {
	h, w, e := benchRows()
	for i := 0; i < b.N; i++ {
		g := kernels.Dot(h, w) * 1e-9
		kernels.Axpy(g, w, e)
		kernels.Axpy(g, h, w)
	}
}

func BenchmarkTarget100GoLoops(b *testing.B) {
	h, w, e := benchRows()
	for i := 0; i < b.N; i++ {
		g := dotGo(h, w) * 1e-9
		dualGo(g, w, h, e)
	}
}

func BenchmarkTarget100Package(b *testing.B) {
	h, w, e := benchRows()
	for i := 0; i < b.N; i++ {
		g := dot(h, w) * 1e-9
		dual(g, w, h, e)
	}
}

// BenchmarkPair112Fused is one (context, word) pair with 6 targets through
// the kernel the trainer uses (rows padded to 112 floats), reported per
// target.
func BenchmarkPair112Fused(b *testing.B) {
	if !useAVX512 {
		b.Skip("no AVX-512")
	}
	m := &model{}
	syn1 := make([]float32, 64*112)
	h, e := make([]float32, 112), make([]float32, 112)
	targets := []int32{1, 9, 17, 33, 41, 60}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		negRes(7, &h[0], &e[0], &syn1[0], &targets[0], len(targets), 1e-9, &m.expTab[0], 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/6, "ns/target")
}
