// Package kernels holds the numeric kernels behind the SDK: single-precision
// and bfloat16 GEMM, vector kernels, and the persistent worker pool that runs
// them in parallel.
//
// The API is deliberately small and slice-based so that assembly
// implementations can sit behind it. Matrices are row-major; a leading
// dimension is the distance, in elements, between the starts of two rows.
// bfloat16 values travel as raw uint16 bit patterns (the upper half of an
// IEEE-754 float32) so that this package imports nothing of the project.
package kernels
