// Package kernels holds the numeric kernels behind the SDK: single-precision
// and bfloat16 GEMM, vector kernels, and the persistent worker pool that runs
// them in parallel.
//
// The API is deliberately small and slice-based so that assembly
// implementations can sit behind it. Matrices are row-major; a leading
// dimension is the distance, in elements, between the starts of two rows.
// bfloat16 values travel as raw uint16 bit patterns (the upper half of an
// IEEE-754 float32) so that this package imports nothing of the project.
//
// # Tiers
//
// At start-up the package picks the best instruction-set tier the CPU runs
// (Tier reports it), through function variables:
//
//	avx512+amx   bf16 GEMM on AMX tiles (TDPBF16PS); everything else as avx512+bf16
//	avx512+bf16  bf16 GEMM micro-kernel on VDPBF16PS
//	avx512       f32 GEMM 6×64 zmm micro-kernel; bf16 widened to f32 while packing
//	avx2         f32 GEMM 6×16 ymm micro-kernel (AVX2+FMA)
//	go           portable Go (4×4 micro-kernel, plain loops)
//
// The vector kernels (Dot, Axpy, Exp, SoftmaxRows, LayerNormRows, GELU,
// AdamStep, the bf16 conversions, ...) are AVX2+FMA assembly on the avx2
// tier and AVX-512 on the tiers above it where zmm measured faster
// (vec512_amd64.go: exp, GELU, reductions, LayerNorm rows; the streaming
// kernels only while their data fits in L1). Each tier needs the features of the tiers below it, so
// GODEBUG=cpu.amxbf16=off, cpu.avx512bf16=off, cpu.avx512f=off, cpu.avx2=off
// or cpu.fma=off (read by golang.org/x/sys/cpu) selects a lower one. The
// build tag purego compiles the Go tier only. The Go assembler knows neither
// VDPBF16PS nor the AMX instructions: they are emitted as bytes (see
// internal/asmgen and amx_amd64.s) and tested against widened float32
// references. AMX needs Linux's permission (arch_prctl
// ARCH_REQ_XCOMP_PERM), which the package requests at start-up.
//
// # GEMM
//
// Sgemm, SgemmBF16 and their batched forms follow the BLIS/Goto design:
// B is packed into KC×NR micro-panels shared by all threads, each thread
// packs an MC×KC block of A, and an MR×NR register-tile micro-kernel runs
// the inner loops. KC and MC come from the cache sizes that CPUID reports.
// Tiles that cross the edge of C are computed into a small buffer and
// merged, so no kernel reads or writes outside the matrices. Work is split
// over row blocks (and column panels when there are fewer blocks than
// threads); each element of C is accumulated in the same order whatever the
// split, so results do not depend on the thread count.
//
// # Threads
//
// One persistent pool of workers runs every parallel kernel (Parallel,
// Threads, SetThreads). A Parallel call made from inside a worker is safe:
// the caller claims chunks itself, so it never waits on a busy worker.
//
// BenchGEMM measures GEMM throughput the way the peer comparison script
// (bench/run_gemm.sh) does.
package kernels
