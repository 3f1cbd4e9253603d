//go:build amd64 && !purego

package kernels

//go:generate go run ./internal/asmgen

// The micro-kernels compute C[0:MR,0:NR] = alpha·Â·B̂ + beta·C over kc packed
// steps (see microKernel); in Go, for the f32 ones:
//
//	for p := 0; p < kc; p++ {
//		for i := 0; i < MR; i++ {
//			for j := 0; j < NR; j++ {
//				acc[i][j] += a[p*MR+i] * b[p*NR+j]
//			}
//		}
//	}
//	c[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j] // C not read when beta == 0
//
// kernAVX512BF16 reads bf16 pairs (a 32-bit slot holds k and k+1) and adds
// both products of a pair per step with VDPBF16PS.

// kernAVX512F32 is the 6×64 AVX-512 micro-kernel.
//
//go:noescape
func kernAVX512F32(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// kernAVX512BF16 is the 6×64 AVX512_BF16 micro-kernel over bf16 pairs.
//
//go:noescape
func kernAVX512BF16(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// kernAVX2F32 is the 6×16 AVX2+FMA micro-kernel.
//
//go:noescape
func kernAVX2F32(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// cpuid executes CPUID with EAX=leaf, ECX=sub.
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// cacheSizes returns the L1 data and L2 cache sizes per core in bytes from
// CPUID (Intel leaf 4, AMD leaf 0x8000001D), or 32 KiB and 1 MiB when the
// CPU does not say.
func cacheSizes() (l1, l2 int) {
	l1, l2 = 32<<10, 1<<20
	maxLeaf, vb, vc, vd := cpuid(0, 0)
	leaf := uint32(4)
	if vb == 0x68747541 && vd == 0x69746e65 && vc == 0x444d4163 { // AuthenticAMD
		if maxExt, _, _, _ := cpuid(0x80000000, 0); maxExt < 0x8000001d {
			return
		}
		leaf = 0x8000001d
	} else if maxLeaf < 4 {
		return
	}
	for sub := uint32(0); sub < 16; sub++ {
		a, b, c, _ := cpuid(leaf, sub)
		typ, level := a&31, (a>>5)&7
		if typ == 0 {
			break
		}
		size := int((b>>22)+1) * int((b>>12)&0x3ff+1) * int(b&0xfff+1) * int(c+1)
		switch {
		case level == 1 && typ == 1:
			l1 = size
		case level == 2 && (typ == 3 || typ == 2):
			l2 = size
		}
	}
	return
}

// blocking sets KC to 384 (an MR×KC micro-panel of A is 9 KiB, well inside
// L1), NC so that the KC×NC block of B fills about half of L2, and MC so
// that an MC×KC block of A would too. These were measured best on a
// 48 KiB L1 / 2 MiB L2 core (BenchmarkLoopOrder, BenchmarkTuneKC).
func blocking(g *gemmImpl, l1, l2 int) {
	_ = l1
	g.kc = 384
	g.nc = max(g.nr, l2/2/(g.kc*4)/g.nr*g.nr)
	g.mc = max(g.mr, l2/2/(g.kc*4)/g.mr*g.mr)
}

// kernAVX512F32Row is kernAVX512F32 reading Â row by row, row i at a+i·lda
// (see gemmImpl).
//
//go:noescape
func kernAVX512F32Row(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

// kernAVX512F32Half and kernAVX512F32HalfRow compute a 6×32 tile from the
// first 32 columns of a 64-column B panel: a product whose last panel is
// 32 wide (attention heads of 32) then runs half the FMAs and writes C in
// place instead of through an edge buffer.
//
//go:noescape
func kernAVX512F32Half(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512F32HalfRow(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

// kernAVX512BF16Row is kernAVX512BF16 reading Â row by row.
//
//go:noescape
func kernAVX512BF16Row(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

// kernAVX2F32Row is kernAVX2F32 reading Â row by row.
//
//go:noescape
func kernAVX2F32Row(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)
