// A Linear layer's forward product, x·Wᵀ, for a batch of 16, 32, 48 or 64 rows, reading the
// weight W where it is. The packed GEMM (sgemm.c) needs op(B) = Wᵀ laid out as NR-column panels,
// so it transposes the whole of W every training step (for 128 → 256, 32K floats: about 3 µs
// of a 25 µs product). Here the roles swap: the batch is transposed instead (32 rows × k floats),
// each tile holds 16 batch rows × up to 6 outputs in 12 accumulators, and the six weights of a
// step are broadcast from six rows of W in place. The tile is the transpose of what C holds, so
// it is turned round in registers as it is stored. Measured on the reference trial's 32×256·128:
// 23.6 µs against 25.3 µs packed, and the whole trial went from 0.215 s to 0.205 (W no longer
// passes through the cache twice a step); from 96 rows on, or with k below 48, the packed GEMM is
// faster (its stores need no transposing), and with a partial panel of 16 rows this loses.
// The AVX-512 version holds 32 batch rows (two zmm vectors) × up to 12 outputs in 24
// accumulators and turns its tile round in 16×16 blocks.

#include "small_products.h"

#pragma clang fp contract(off)

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stddef.h>

// Batch rows per tile (two vectors; the panel width of pack_transposed_panel_avx2), outputs per tile
// (at most), k per block, and the most batch rows (their packed copy fits the sgemm workspace).
enum { ROWS = 16, OUTPUTS = 6, BLOCK_K = 256, MAX_ROWS = 64, MIN_K = 48 };

int weight_rows_applies(int transpose_a, int transpose_b, int m, int n, int k) {
    return !transpose_a && transpose_b && m % ROWS == 0 && m <= MAX_ROWS && k >= MIN_K && n >= OUTPUTS;
}

// The first F floats at x, into the low lanes (the rest zero); F is a compile-time constant.
__attribute__((target("avx2"), always_inline))
static inline __m256 load_first(const int F, const float *x) {
    switch (F) {
    case 1: return _mm256_zextps128_ps256(_mm_load_ss(x));
    case 2: return _mm256_zextps128_ps256(_mm_castpd_ps(_mm_load_sd((const double *)x)));
    case 3: return _mm256_zextps128_ps256(_mm_insert_ps(_mm_castpd_ps(_mm_load_sd((const double *)x)), _mm_load_ss(x + 2), 0x20));
    case 4: return _mm256_zextps128_ps256(_mm_loadu_ps(x));
    case 5: return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(x)), _mm_load_ss(x + 4), 1);
    default: return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(x)), _mm_castpd_ps(_mm_load_sd((const double *)(x + 4))), 1);
    }
}

// The low F lanes of v to x.
__attribute__((target("avx2"), always_inline))
static inline void store_first(const int F, float *x, __m256 v) {
    __m128 low = _mm256_castps256_ps128(v);
    switch (F) {
    case 1: _mm_store_ss(x, low); break;
    case 2: _mm_store_sd((double *)x, _mm_castps_pd(low)); break;
    case 3: _mm_store_sd((double *)x, _mm_castps_pd(low)); _mm_store_ss(x + 2, _mm_movehl_ps(low, low)); break;
    case 4: _mm_storeu_ps(x, low); break;
    case 5: _mm_storeu_ps(x, low); _mm_store_ss(x + 4, _mm256_extractf128_ps(v, 1)); break;
    default: _mm_storeu_ps(x, low); _mm_store_sd((double *)(x + 4), _mm_castps_pd(_mm256_extractf128_ps(v, 1))); break;
    }
}

// One tile: C[16 × F] (+)= alpha · A[16 × kc] · W[F × kc]ᵀ, A packed k by k (16 floats per step),
// W's F rows `ldw` apart. Rounds as store_tile in sgemm.c: one FMA of alpha·sum onto the bias,
// C's value, or both added first. With `rectify`, each result then goes through a leaky ReLU
// (c > 0 ? c : slope·c, as sweep_leaky_relu_forward) before it is stored.
__attribute__((target("avx2,fma"), always_inline))
static inline void tile(const int F, int kc, float alpha, const float *packed, const float *w, long ldw, float *c,
                        int ldc, int overwrite, const float *bias, int rectify, float slope) {
    __m256 low[OUTPUTS], high[OUTPUTS];
    const float *rows[OUTPUTS];
    for (int f = 0; f < F; f++) {
        low[f] = high[f] = _mm256_setzero_ps();
        rows[f] = w + f * ldw;
    }
    for (int p = 0; p < kc; p++) {
        __m256 a0 = _mm256_loadu_ps(packed), a1 = _mm256_loadu_ps(packed + 8);
        for (int f = 0; f < F; f++) {
            __m256 weight = _mm256_broadcast_ss(rows[f] + p);
            low[f] = _mm256_fmadd_ps(a0, weight, low[f]);
            high[f] = _mm256_fmadd_ps(a1, weight, high[f]);
        }
        packed += ROWS;
    }
    __m256 va = _mm256_set1_ps(alpha);
    __m256 row_bias = bias ? load_first(F, bias) : _mm256_setzero_ps();
    for (int half = 0; half < 2; half++) {
        // Lane i of accumulator f is C[i][f]: transposed, lane f of r[i] is.
        __m256 r[8];
        for (int f = 0; f < 8; f++) r[f] = f < F ? (half ? high[f] : low[f]) : _mm256_setzero_ps();
        transpose_8x8(r);
        for (int i = 0; i < 8; i++) {
            float *target = c + (size_t)(half * 8 + i) * ldc;
            __m256 result;
            if (overwrite) {
                result = bias ? _mm256_fmadd_ps(va, r[i], row_bias) : _mm256_mul_ps(va, r[i]);
            } else {
                __m256 base = load_first(F, target);
                if (bias) base = _mm256_add_ps(base, row_bias);
                result = _mm256_fmadd_ps(va, r[i], base);
            }
            if (rectify) {
                __m256 positive = _mm256_cmp_ps(_mm256_setzero_ps(), result, _CMP_LT_OQ);
                result = _mm256_blendv_ps(_mm256_mul_ps(_mm256_set1_ps(slope), result), result, positive);
            }
            store_first(F, target, result);
        }
    }
}

#define WEIGHT_ROWS_TILE(F)                                                                                   \
    __attribute__((target("avx2,fma"))) static void tile_##F(int kc, float alpha, const float *packed,         \
                                                             const float *w, long ldw, float *c, int ldc,       \
                                                             int overwrite, const float *bias, int rectify,     \
                                                             float slope) {                                     \
        tile(F, kc, alpha, packed, w, ldw, c, ldc, overwrite, bias, rectify, slope);                          \
    }
WEIGHT_ROWS_TILE(1)
WEIGHT_ROWS_TILE(2)
WEIGHT_ROWS_TILE(3)
WEIGHT_ROWS_TILE(4)
WEIGHT_ROWS_TILE(5)
WEIGHT_ROWS_TILE(6)

typedef void (*tile_kernel)(int, float, const float *, const float *, long, float *, int, int, const float *, int,
                            float);
static const tile_kernel tiles[OUTPUTS + 1] = {NULL, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

void weight_rows_avx2(int m, int n, int k, float alpha, const float *a, int lda, const float *w, int ldw, float *c,
                      int ldc, int overwrite, const float *bias, int rectify, float slope, float *workspace) {
    // Output tiles as few as OUTPUTS allows, their widths differing by at most one (256 outputs:
    // 41 of 6 and 2 of 5), as sgemm.c splits rows.
    int count = (n + OUTPUTS - 1) / OUTPUTS, base = n / count, extra = n % count;
    for (int p0 = 0; p0 < k; p0 += BLOCK_K) {
        int kc = k - p0 < BLOCK_K ? k - p0 : BLOCK_K;
        int first_block = p0 == 0;
        for (int i0 = 0; i0 < m; i0 += ROWS)
            pack_transposed_panel_avx2(a + (size_t)i0 * lda + p0, lda, kc, workspace + (size_t)i0 * kc);
        int j0 = 0;
        for (int t = 0; t < count; t++) {
            int width = base + (t < extra);
            for (int i0 = 0; i0 < m; i0 += ROWS)
                tiles[width](kc, alpha, workspace + (size_t)i0 * kc, w + (size_t)j0 * ldw + p0, ldw,
                             c + (size_t)i0 * ldc + j0, ldc, overwrite && first_block,
                             bias && first_block ? bias + j0 : NULL, rectify && p0 + kc == k, slope);
            j0 += width;
        }
    }
}
// The AVX-512 version: batch rows per tile (two zmm vectors; the panel width of
// pack_transposed_panel_avx512) and outputs per tile (at most).
enum { ROWS512 = 32, OUTPUTS512 = 12 };

int weight_rows_avx512_applies(int transpose_a, int transpose_b, int m, int n, int k) {
    return !transpose_a && transpose_b && m % ROWS512 == 0 && m <= MAX_ROWS && k >= MIN_K && n >= OUTPUTS;
}

// One tile: C[32 × F] (+)= alpha · A[32 × kc] · W[F × kc]ᵀ, as `tile` above: lane i of
// accumulator f is C[i][f] (low: rows 0-15, high: 16-31), turned round in two 16×16 blocks as it
// is stored, F lanes of each row through masked loads and stores.
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void tile512(const int F, int kc, float alpha, const float *packed, const float *w, long ldw, float *c,
                           int ldc, int overwrite, const float *bias, int rectify, float slope) {
    __m512 low[OUTPUTS512], high[OUTPUTS512];
    const float *rows[OUTPUTS512];
    for (int f = 0; f < F; f++) {
        low[f] = high[f] = _mm512_setzero_ps();
        rows[f] = w + f * ldw;
    }
    for (int p = 0; p < kc; p++) {
        __m512 a0 = _mm512_loadu_ps(packed), a1 = _mm512_loadu_ps(packed + 16);
        for (int f = 0; f < F; f++) {
            __m512 weight = _mm512_set1_ps(rows[f][p]);
            low[f] = _mm512_fmadd_ps(a0, weight, low[f]);
            high[f] = _mm512_fmadd_ps(a1, weight, high[f]);
        }
        packed += ROWS512;
    }
    const __mmask16 lanes = (__mmask16)((1u << F) - 1);
    const __m512 va = _mm512_set1_ps(alpha), vslope = _mm512_set1_ps(slope);
    __m512 row_bias = bias ? _mm512_maskz_loadu_ps(lanes, bias) : _mm512_setzero_ps();
    for (int half = 0; half < 2; half++) {
        __m512 r[16];
        for (int f = 0; f < 16; f++) r[f] = f < F ? (half ? high[f] : low[f]) : _mm512_setzero_ps();
        transpose_16x16(r);
        for (int i = 0; i < 16; i++) {
            float *target = c + (size_t)(half * 16 + i) * ldc;
            __m512 result;
            if (overwrite) {
                result = bias ? _mm512_fmadd_ps(va, r[i], row_bias) : _mm512_mul_ps(va, r[i]);
            } else {
                __m512 base = _mm512_maskz_loadu_ps(lanes, target);
                if (bias) base = _mm512_add_ps(base, row_bias);
                result = _mm512_fmadd_ps(va, r[i], base);
            }
            if (rectify) {
                // slope·c where c is not above 0 (NaN included), as the AVX2 blend.
                __mmask16 closed = _mm512_cmp_ps_mask(result, _mm512_setzero_ps(), _CMP_NGT_UQ);
                result = _mm512_mask_mul_ps(result, closed, vslope, result);
            }
            _mm512_mask_storeu_ps(target, lanes, result);
        }
    }
}

#define WEIGHT_ROWS_TILE512(F)                                                                                 \
    TARGET_AVX512 static void tile512_##F(int kc, float alpha, const float *packed, const float *w, long ldw,   \
                                          float *c, int ldc, int overwrite, const float *bias, int rectify,     \
                                          float slope) {                                                        \
        tile512(F, kc, alpha, packed, w, ldw, c, ldc, overwrite, bias, rectify, slope);                        \
    }
WEIGHT_ROWS_TILE512(6)
WEIGHT_ROWS_TILE512(7)
WEIGHT_ROWS_TILE512(8)
WEIGHT_ROWS_TILE512(9)
WEIGHT_ROWS_TILE512(10)
WEIGHT_ROWS_TILE512(11)
WEIGHT_ROWS_TILE512(12)

// With n ≥ OUTPUTS (6) outputs split into tiles of at most 12 as evenly as they go, no tile has
// fewer than 6.
static const tile_kernel tiles512[OUTPUTS512 + 1] = {
    NULL, NULL, NULL, NULL, NULL, NULL, tile512_6, tile512_7, tile512_8, tile512_9, tile512_10, tile512_11, tile512_12,
};

void weight_rows_avx512(int m, int n, int k, float alpha, const float *a, int lda, const float *w, int ldw, float *c,
                        int ldc, int overwrite, const float *bias, int rectify, float slope, float *workspace) {
    // 256 outputs: 14 tiles of 12 and 8 of 11.
    int count = (n + OUTPUTS512 - 1) / OUTPUTS512, base = n / count, extra = n % count;
    for (int p0 = 0; p0 < k; p0 += BLOCK_K) {
        int kc = k - p0 < BLOCK_K ? k - p0 : BLOCK_K;
        int first_block = p0 == 0;
        for (int i0 = 0; i0 < m; i0 += ROWS512)
            pack_transposed_panel_avx512(a + (size_t)i0 * lda + p0, lda, kc, workspace + (size_t)i0 * kc);
        int j0 = 0;
        for (int t = 0; t < count; t++) {
            int width = base + (t < extra);
            for (int i0 = 0; i0 < m; i0 += ROWS512)
                tiles512[width](kc, alpha, workspace + (size_t)i0 * kc, w + (size_t)j0 * ldw + p0, ldw,
                                c + (size_t)i0 * ldc + j0, ldc, overwrite && first_block,
                                bias && first_block ? bias + j0 : NULL, rectify && p0 + kc == k, slope);
            j0 += width;
        }
    }
}
#endif
