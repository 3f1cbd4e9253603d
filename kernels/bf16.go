package kernels

import "math"

// F32ToBF16 converts src to bfloat16 bit patterns in dst with
// round-to-nearest-even; NaNs stay (quiet) NaNs and infinities are kept.
func F32ToBF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = f32ToBF16(f)
	}
}

// BF16ToF32 widens bfloat16 bit patterns in src to float32 in dst (exact).
func BF16ToF32(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

func f32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 { // NaN: keep sign, force a quiet mantissa bit
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}
