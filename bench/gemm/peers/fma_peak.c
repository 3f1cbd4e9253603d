// Empirical single-core FP32 FMA (and BF16 dot-product) throughput peak.
// Build: gcc -O2 -march=native -o fma_peak fma_peak.c   (bench/run_gemm.sh does it)
// Runs many independent FMA chains so the loop is throughput-bound, not
// latency-bound. Prints GFLOP/s (1 FMA lane = 2 flop; 1 VDPBF16PS lane = 4 flop).
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define CH 12
__attribute__((noinline)) static float run_ymm(long iters) {
    __m256 a[CH]; __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CH; i++) a[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < CH; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
    }
    __m256 s = a[0];
    for (int i = 1; i < CH; i++) s = _mm256_add_ps(s, a[i]);
    float o[8]; _mm256_storeu_ps(o, s); return o[0];
}
__attribute__((noinline)) static float run_zmm(long iters) {
    __m512 a[CH]; __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CH; i++) a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < CH; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
    }
    __m512 s = a[0];
    for (int i = 1; i < CH; i++) s = _mm512_add_ps(s, a[i]);
    return _mm512_reduce_add_ps(s);
}
#ifdef __AVX512BF16__
__attribute__((noinline)) static float run_bf16(long iters) {
    __m512 a[CH];
    __m512bh x = (__m512bh)_mm512_set1_epi16(0x3f80), y = (__m512bh)_mm512_set1_epi16(0x3380);
    for (int i = 0; i < CH; i++) a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < CH; i++) a[i] = _mm512_dpbf16_ps(a[i], x, y);
    }
    __m512 s = a[0];
    for (int i = 1; i < CH; i++) s = _mm512_add_ps(s, a[i]);
    return _mm512_reduce_add_ps(s);
}
#endif

int main(int argc, char **argv) {
    long iters = 200000000L / CH;   // ~200M vector instrs per test
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now(); float r1 = run_ymm(iters); double t1 = now();
        float r2 = run_zmm(iters); double t2 = now();
        double n = (double)iters * CH;
        printf("rep %d: ymm_fma %.1f GFLOP/s  zmm_fma %.1f GFLOP/s", rep,
               n * 8 * 2 / (t1 - t0) / 1e9, n * 16 * 2 / (t2 - t1) / 1e9);
#ifdef __AVX512BF16__
        double t3 = now(); float r3 = run_bf16(iters); double t4 = now();
        printf("  zmm_dpbf16ps %.1f GFLOP/s", n * 32 * 2 / (t4 - t3) / 1e9);
        r1 += r3;
#endif
        printf("   (chk %g)\n", (double)(r1 + r2));
    }
    return 0;
}
