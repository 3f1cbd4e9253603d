package kernels

import (
	"fmt"
	"testing"
)

// gemmShapes are the benchmark shapes, M×K×N.
var gemmShapes = [][3]int{{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512},
	{1024, 1024, 1024}, {2048, 2048, 2048}, {4096, 256, 1024}, {4096, 1024, 256}, {512, 768, 3072}}

func benchGemm(b *testing.B, bf16 bool) {
	for _, th := range []int{1, 2} {
		for _, s := range gemmShapes {
			m, k, n := s[0], s[1], s[2]
			b.Run(fmt.Sprintf("T%d/%dx%dx%d", th, m, k, n), func(b *testing.B) {
				SetThreads(th)
				defer SetThreads(0)
				a, bm, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
				for i := range a {
					a[i] = float32(i%7) - 3
				}
				for i := range bm {
					bm[i] = float32(i%5) - 2
				}
				var a16, b16 []uint16
				if bf16 {
					a16, b16 = make([]uint16, len(a)), make([]uint16, len(bm))
					F32ToBF16(a16, a)
					F32ToBF16(b16, bm)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if bf16 {
						SgemmBF16(false, false, m, n, k, 1, a16, k, b16, n, 0, c, n)
					} else {
						Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
					}
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemm reports GFLOP/s of the tier in use for the shapes
// with 1 and 2 threads.
func BenchmarkSgemm(b *testing.B) { benchGemm(b, false) }

// BenchmarkSgemmBF16 is BenchmarkSgemm for bf16 inputs.
func BenchmarkSgemmBF16(b *testing.B) { benchGemm(b, true) }
