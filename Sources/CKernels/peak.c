// The floating-point peak of one core for each kernel path, measured: independent chains of the
// path's multiply-add, enough of them to cover its latency, so that the rate is the units'
// throughput. For benchmark reports, which give the kernels' speed as a share of it.

#include "CKernels.h"
#include "paths.h"

#include <time.h>

#ifdef SWEEP_X86
#include <immintrin.h>
#endif

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// Each chain is x ← x·m + b, which settles at b/(1 − m) and never overflows. The empty asm with
// the accumulators as operands keeps every chain in a register and every step in the loop.
#define KEEP(x) __asm__ volatile("" : "+v"(x))

#ifdef SWEEP_X86
// 24 chains of zmm FMAs: 2 units × 4 cycles of latency need 8 in flight on Zen 4 and 5 and
// recent Intel cores; 24 leave room, and with m and b fill 26 of the 32 registers.
enum { CHAINS512 = 24, CHAINS256 = 12 };

TARGET_AVX512 static double peak_avx512(long iterations) {
    __m512 x[CHAINS512];
    const __m512 m = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-3f);
    for (int i = 0; i < CHAINS512; i++) x[i] = _mm512_set1_ps((float)i);
    double start = seconds_now();
    for (long r = 0; r < iterations; r++) {
#pragma unroll
        for (int i = 0; i < CHAINS512; i++) {
            x[i] = _mm512_fmadd_ps(x[i], m, b);
            KEEP(x[i]);
        }
    }
    double elapsed = seconds_now() - start;
    return 2.0 * 16 * CHAINS512 * (double)iterations / elapsed;
}

// 12 chains of ymm FMAs: with m and b, 14 of the 16 registers.
TARGET_AVX2 static double peak_avx2(long iterations) {
    __m256 x[CHAINS256];
    const __m256 m = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-3f);
    for (int i = 0; i < CHAINS256; i++) x[i] = _mm256_set1_ps((float)i);
    double start = seconds_now();
    for (long r = 0; r < iterations; r++) {
#pragma unroll
        for (int i = 0; i < CHAINS256; i++) {
            x[i] = _mm256_fmadd_ps(x[i], m, b);
            KEEP(x[i]);
        }
    }
    double elapsed = seconds_now() - start;
    return 2.0 * 8 * CHAINS256 * (double)iterations / elapsed;
}

// The portable kernel is compiled for a baseline x86-64, whose vectors are SSE2's 4 floats with a
// separate multiply and add: 12 chains of both.
static double peak_portable(long iterations) {
    __m128 x[CHAINS256];
    const __m128 m = _mm_set1_ps(0.999f), b = _mm_set1_ps(1e-3f);
    for (int i = 0; i < CHAINS256; i++) x[i] = _mm_set1_ps((float)i);
    double start = seconds_now();
    for (long r = 0; r < iterations; r++) {
#pragma unroll
        for (int i = 0; i < CHAINS256; i++) {
            x[i] = _mm_add_ps(_mm_mul_ps(x[i], m), b);
            KEEP(x[i]);
        }
    }
    double elapsed = seconds_now() - start;
    return 2.0 * 4 * CHAINS256 * (double)iterations / elapsed;
}
#else
static double peak_portable(long iterations) {
    float x[12];
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    double start = seconds_now();
    for (long r = 0; r < iterations; r++)
        for (int i = 0; i < 12; i++) {
            x[i] = x[i] * 0.999f + 1e-3f;
            __asm__ volatile("" : "+r"(x[i]));
        }
    double elapsed = seconds_now() - start;
    return 2.0 * 12 * (double)iterations / elapsed;
}
#endif

double sweep_peak_flops(sweep_kernel kernel, long iterations) {
    if (iterations <= 0) return 0;
    switch (kernel) {
#ifdef SWEEP_X86
    case SWEEP_KERNEL_AVX512: return peak_avx512(iterations);
    case SWEEP_KERNEL_AVX2: return peak_avx2(iterations);
#endif
    default: return peak_portable(iterations);
    }
}
