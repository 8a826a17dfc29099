// A Linear layer's weight gradient and Adam's update of that weight, in one pass on the AVX-512
// path: ∂W = ∂zᵀ·x tile by tile, and while the FMAs of one tile run, Adam's step on the tile
// before it. Adam is bound by the divider (a square root and a division per weight: on Zen 4 its
// step on 32,768 weights takes 9.1 µs, 4.8 without them), the product by the FMA units, and out
// of order the two overlap. Measured on Zen 4 for the reference trial's 256 × 128 weight over a
// batch of 32 (hot caches, best of 300 runs of 20 calls): 25.9 µs against 28.2 for the product
// and then Adam's step; the reference trial, 0.153 s against 0.158.
//
// The values are those of sweep_sgemm followed by sweep_adam_step, bit for bit: each element of
// ∂W is one accumulator taking the batch's products in order from zero, as sgemm.c's tiles of 5
// or more rows do, and Adam performs sweep_adam_step's operations in its order (contraction off
// here as there). Other paths and shapes run the two calls.

#include "CKernels.h"
#include "paths.h"
#include "small_products.h"

#pragma clang fp contract(off)

#ifdef SWEEP_X86
#include <immintrin.h>

// The tile: 8 rows of ∂W × 32 columns, 16 accumulators. With Adam's operands beside them, 12
// rows (sgemm.c's tiles) ran out of registers and were slower than the two calls apart.
enum { FUSED_ROWS = 8, FUSED_COLUMNS = 32, FUSED_MAX_K = 256, FUSED_MAX_COLUMNS = 512, FUSED_MAX_WEIGHTS = 131072 };

typedef struct {
    float keep1, beta2, keep2, inverse_root_correction2, epsilon, step_size, l2, shrink;
} adam_constants;

// Adam's step on 16 weights at `offset`, sweep_adam_step's operations in its order. The
// constants are broadcast from memory at each use: held in registers beside the tile's 16
// accumulators they cost the reference trial 1% (0.156 s against 0.153).
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void adam_vector(float *w, const float *g, float *m, float *v, long offset, const adam_constants *c) {
    __m512 weight = _mm512_mul_ps(_mm512_loadu_ps(w + offset), _mm512_set1_ps(c->shrink));
    __m512 gradient = _mm512_add_ps(_mm512_loadu_ps(g + offset), _mm512_mul_ps(_mm512_set1_ps(c->l2), weight));
    __m512 old_first = _mm512_loadu_ps(m + offset);
    __m512 first = _mm512_add_ps(old_first, _mm512_mul_ps(_mm512_set1_ps(c->keep1), _mm512_sub_ps(gradient, old_first)));
    __m512 second = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(c->beta2), _mm512_loadu_ps(v + offset)),
                                  _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(c->keep2), gradient), gradient));
    __m512 denominator = _mm512_add_ps(
        _mm512_mul_ps(_mm512_sqrt_ps(second), _mm512_set1_ps(c->inverse_root_correction2)), _mm512_set1_ps(c->epsilon));
    _mm512_storeu_ps(m + offset, first);
    _mm512_storeu_ps(v + offset, second);
    _mm512_storeu_ps(w + offset, _mm512_sub_ps(weight, _mm512_mul_ps(_mm512_set1_ps(c->step_size),
                                                                      _mm512_div_ps(first, denominator))));
}

// One step of k of a tile: 8 rows of A (a broadcast each) times 32 columns of B.
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void product_step(__m512 *low, __m512 *high, const float *a, const float *b) {
    __m512 b0 = _mm512_loadu_ps(b);
    __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma unroll
    for (int i = 0; i < FUSED_ROWS; i++) {
        __m512 ai = _mm512_set1_ps(a[i]);
        low[i] = _mm512_fmadd_ps(ai, b0, low[i]);
        high[i] = _mm512_fmadd_ps(ai, b1, high[i]);
    }
}

// One tile of ∂W at c (stride ldc) over k steps of ∂z's rows (a_step apart; a transposed A read
// in place) and x's rows (b_step apart); meanwhile Adam's step on the `jobs` ≤ 16 vectors of the
// previous tile at `previous` (row stride ld, two vectors a row), one per step of k from the first.
TARGET_AVX512
static void tile_and_adam(int k, const float *a, long a_step, const float *b, long b_step, float *c, int ldc, float *w,
                          const float *g, float *m, float *v, long previous, long ld, int jobs,
                          const adam_constants *constants) {
    __m512 low[FUSED_ROWS], high[FUSED_ROWS];
#pragma unroll
    for (int i = 0; i < FUSED_ROWS; i++) low[i] = high[i] = _mm512_setzero_ps();
    // The steps of k that carry an update, then those that do not: no test in the loops.
    int p = 0;
    for (const int with = jobs < k ? jobs : k; p < with; p++) {
        product_step(low, high, a, b);
        adam_vector(w, g, m, v, previous + (long)(p >> 1) * ld + (p & 1) * 16, constants);
        a += a_step;
        b += b_step;
    }
    for (; p < k; p++) {
        product_step(low, high, a, b);
        a += a_step;
        b += b_step;
    }
    for (; p < jobs; p++) adam_vector(w, g, m, v, previous + (long)(p >> 1) * ld + (p & 1) * 16, constants);
#pragma unroll
    for (int i = 0; i < FUSED_ROWS; i++) {
        _mm512_storeu_ps(c + (size_t)i * ldc, low[i]);
        _mm512_storeu_ps(c + (size_t)i * ldc + 16, high[i]);
    }
}

// Whole tiles only, one block of k (sgemm.c adds blocks of KC = 256 steps one onto the other,
// which rounds differently), and not a shape that sgemm.c gives to small_products.c. Then only
// where it pays, measured on Zen 4 at a batch of 32 (fused / apart): rows of at most 2 KiB, for
// rows 4 KiB apart fall on the same L1 sets (64 × 1024: 1.15); and at most 131,072 weights, so
// that weights, gradient and moments stay near the core (256 × 512: 0.96, 512 × 256: 1.00,
// 512 × 512: 1.02, 1024 × 1024: 1.58; 128 × 128: 0.90, 64 × 64: 0.85).
static int fused_applies(int m, int n, int k) {
    return m >= FUSED_ROWS && m % FUSED_ROWS == 0 && n >= FUSED_COLUMNS && n % FUSED_COLUMNS == 0 &&
           n <= FUSED_MAX_COLUMNS && (long)m * n <= FUSED_MAX_WEIGHTS && k >= 1 && k <= FUSED_MAX_K &&
           !small_product_applies(1, 0, m, n, k);
}

TARGET_AVX512
static void weight_gradient_adam_avx512(int m, int n, int k, const float *dz, int lddz, const float *x, int ldx,
                                        float *gradient, float *w, float *first_moment, float *second_moment,
                                        const adam_constants *constants) {
    const int jobs = FUSED_ROWS * FUSED_COLUMNS / 16;
    long previous = -1;
    for (int i0 = 0; i0 < m; i0 += FUSED_ROWS)
        for (int j0 = 0; j0 < n; j0 += FUSED_COLUMNS) {
            long tile = (long)i0 * n + j0;
            tile_and_adam(k, dz + i0, lddz, x + j0, ldx, gradient + tile, n, w, gradient, first_moment, second_moment,
                          previous < 0 ? 0 : previous, n, previous < 0 ? 0 : jobs, constants);
            previous = tile;
        }
    for (int job = 0; job < jobs; job++)
        adam_vector(w, gradient, first_moment, second_moment, previous + (long)(job >> 1) * n + (job & 1) * 16,
                    constants);
}
#endif

void sweep_weight_gradient_adam(sweep_kernel kernel, int m, int n, int k, const float *dz, int lddz, const float *x,
                                int ldx, float *gradient, float *w, float *first_moment, float *second_moment,
                                float beta1, float beta2, float step_size, float inverse_root_correction2,
                                float epsilon, float l2, float shrink, float *workspace) {
#ifdef SWEEP_X86
    if (kernel == SWEEP_KERNEL_AVX512 && fused_applies(m, n, k)) {
        const adam_constants constants = {1 - beta1, beta2, 1 - beta2, inverse_root_correction2, epsilon, step_size,
                                          l2, shrink};
        weight_gradient_adam_avx512(m, n, k, dz, lddz, x, ldx, gradient, w, first_moment, second_moment, &constants);
        return;
    }
#endif
    sweep_sgemm(kernel, 1, 0, m, n, k, 1.0f, dz, lddz, x, ldx, 0.0f, gradient, n, NULL, workspace);
    sweep_adam_step(kernel, w, gradient, first_moment, second_moment, (size_t)m * n, beta1, beta2, step_size,
                    inverse_root_correction2, epsilon, l2, shrink);
}
