//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

var (
	tierAVX512 = gemmImpl{name: "avx512", mr: 6, nr: 64, kern: kernAVX512F32, kernRow: kernAVX512F32Row,
		kernHalf: kernAVX512F32Half, kernHalfRow: kernAVX512F32HalfRow}
	tierAVX512BF = gemmImpl{name: "avx512+bf16", mr: 6, nr: 64, kern: kernAVX512F32, kernRow: kernAVX512F32Row,
		kernHalf: kernAVX512F32Half, kernHalfRow: kernAVX512F32HalfRow,
		bf16Kern: kernAVX512BF16, bf16KernRow: kernAVX512BF16Row}
	tierAMX = gemmImpl{name: "avx512+amx", mr: 6, nr: 64, kern: kernAVX512F32, kernRow: kernAVX512F32Row,
		kernHalf: kernAVX512F32Half, kernHalfRow: kernAVX512F32HalfRow,
		bf16Kern: kernAVX512BF16, bf16KernRow: kernAVX512BF16Row, amx: true}
	tierAVX2 = gemmImpl{name: "avx2", mr: 6, nr: 16, kern: kernAVX2F32, kernRow: kernAVX2F32Row}
)

// Each tier needs the features of the tiers below it, so that turning one
// feature off through GODEBUG (cpu.avx2=off, cpu.fma=off, cpu.avx512f=off,
// cpu.avx512bf16=off) always lands on a lower tier.
func hasAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }
func hasAVX512() bool {
	return hasAVX2() && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL
}
func hasBF16() bool { return hasAVX512() && cpu.X86.HasAVX512BF16 }

func init() {
	l1, l2 := cacheSizes()
	for _, g := range []*gemmImpl{&tierAVX512, &tierAVX512BF, &tierAMX, &tierAVX2} {
		blocking(g, l1, l2)
	}
	tierTable = append([]tierEntry{
		{name: "avx512+amx", ok: hasAMX, install: func() { installAVX512(); curGemm = &tierAMX }},
		{name: "avx512+bf16", ok: hasBF16, install: func() { installAVX512(); curGemm = &tierAVX512BF }},
		{name: "avx512", ok: hasAVX512, install: installAVX512},
		{name: "avx2", ok: hasAVX2, install: installAVX2},
	}, tierTable...)
	selectTier()
}

func installAVX512() {
	installVecAVX2()
	toBF16K, fromBF16 = toBF16Asm512, fromBF16Asm512
	installVecAVX512()
	curGemm = &tierAVX512
}

func installAVX2() {
	installVecAVX2()
	curGemm = &tierAVX2
}
