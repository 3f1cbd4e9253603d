package tensor

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/pretrain-go/pretrain/kernels"
)

// DType is the element type of a tensor's storage.
type DType int

const (
	// F32 is IEEE-754 single precision.
	F32 DType = iota
	// BF16 is bfloat16: the upper 16 bits of a float32. BF16 tensors are
	// stored in 16 bits and computed on in float32.
	BF16
)

// String returns "f32" or "bf16".
func (d DType) String() string {
	switch d {
	case F32:
		return "f32"
	case BF16:
		return "bf16"
	}
	return "dtype(" + itoa(int(d)) + ")"
}

// ParseDType reads a dtype name: "f32" or "float32", "bf16" or
// "bfloat16" (any case).
func ParseDType(name string) (DType, error) {
	switch strings.ToLower(name) {
	case "f32", "float32":
		return F32, nil
	case "bf16", "bfloat16":
		return BF16, nil
	}
	return F32, fmt.Errorf("unknown dtype %q (want f32 or bf16)", name)
}

// BFloat16 is a bfloat16 value: the sign, exponent and top 7 mantissa bits
// of a float32.
type BFloat16 uint16

// ToBFloat16 rounds f to the nearest bfloat16, ties to even. NaN stays NaN
// and infinities are kept.
func ToBFloat16(f float32) BFloat16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return BFloat16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return BFloat16(u >> 16)
}

// Float32 widens b to float32 exactly.
func (b BFloat16) Float32() float32 { return math.Float32frombits(uint32(b) << 16) }

// String formats the value as a float32 would be.
func (b BFloat16) String() string { return formatFloat(b.Float32()) }

// bfBits views bfloat16 values as their raw bit patterns for the kernels.
func bfBits(s []BFloat16) []uint16 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&s[0])), len(s))
}

// widen converts bfloat16 values to float32 into dst.
func widen(dst []float32, src []BFloat16) { kernels.BF16ToF32(dst, bfBits(src)) }

// narrow rounds float32 values to bfloat16 into dst.
func narrow(dst []BFloat16, src []float32) { kernels.F32ToBF16(bfBits(dst), src) }
