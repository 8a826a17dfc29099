// Matrix products too small to pay for packing (see sgemm.c): a Linear layer's few class
// scores, a batch of one to three rows, a sum over k ≤ 4. They are written for AVX2 and FMA, and
// again 16 wide for AVX-512; on the portable path sgemm.c's portable kernel takes every product.

#include "small_products.h"

// As in sgemm.c: FMAs only where the intrinsics ask for them.
#pragma clang fp contract(off)

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stddef.h>

// C = alpha·A·Bᵀ (+ C) for few columns (n ≤ SMALL_N), A and B both stored with k contiguous: a
// Linear layer's forward pass into a handful of outputs (class scores, a regression value).
// NR-wide panels would waste most of every FMA there, so each C element is a dot product
// instead: a tile of 3 rows × 4 columns keeps 12 accumulators of 8 partial sums along k, then
// reduces them. Missing rows or columns of a tile repeat row or column 0 and are not stored.
enum { SMALL_N = 8, DOT_ROWS = 3, DOT_COLS = 4 };
// With at most DOT_ROWS rows (a batch of three or fewer) and k ≥ DOT_MIN_K, dot products beat
// packing the whole of B for the one row tile that would use it (measured: 1×256·128 in 3.1 µs
// instead of 4.4, 3×256·128 in 3.4 instead of 5.3; from 4 rows on, packing wins).
enum { DOT_MIN_K = 32 };

__attribute__((target("avx2,fma")))
static inline __m128 sum_lanes4(__m256 c0, __m256 c1, __m256 c2, __m256 c3) {
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(c0, c1), _mm256_hadd_ps(c2, c3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

__attribute__((target("avx2,fma")))
static void dot_tile_avx2(int k, float alpha, const float *a, int lda, int rows, const float *b, int ldb,
                          int cols, float *c, int ldc, int overwrite, const float *bias) {
    const float *ar[DOT_ROWS], *br[DOT_COLS];
    for (int i = 0; i < DOT_ROWS; i++) ar[i] = a + (size_t)(i < rows ? i : 0) * lda;
    for (int j = 0; j < DOT_COLS; j++) br[j] = b + (size_t)(j < cols ? j : 0) * ldb;
    __m256 acc[DOT_ROWS][DOT_COLS];
    for (int i = 0; i < DOT_ROWS; i++)
        for (int j = 0; j < DOT_COLS; j++) acc[i][j] = _mm256_setzero_ps();
    int p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 a0 = _mm256_loadu_ps(ar[0] + p), a1 = _mm256_loadu_ps(ar[1] + p), a2 = _mm256_loadu_ps(ar[2] + p);
        for (int j = 0; j < DOT_COLS; j++) {
            __m256 bj = _mm256_loadu_ps(br[j] + p);
            acc[0][j] = _mm256_fmadd_ps(a0, bj, acc[0][j]);
            acc[1][j] = _mm256_fmadd_ps(a1, bj, acc[1][j]);
            acc[2][j] = _mm256_fmadd_ps(a2, bj, acc[2][j]);
        }
    }
    if (p < k) {
        // The last k mod 8 steps through masked loads, which read nothing past the rows' ends.
        __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(k - p), lane);
        __m256 a0 = _mm256_maskload_ps(ar[0] + p, mask), a1 = _mm256_maskload_ps(ar[1] + p, mask);
        __m256 a2 = _mm256_maskload_ps(ar[2] + p, mask);
        for (int j = 0; j < DOT_COLS; j++) {
            __m256 bj = _mm256_maskload_ps(br[j] + p, mask);
            acc[0][j] = _mm256_fmadd_ps(a0, bj, acc[0][j]);
            acc[1][j] = _mm256_fmadd_ps(a1, bj, acc[1][j]);
            acc[2][j] = _mm256_fmadd_ps(a2, bj, acc[2][j]);
        }
    }
    for (int i = 0; i < rows; i++) {
        float sums[DOT_COLS];
        _mm_storeu_ps(sums, sum_lanes4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
        float *row = c + (size_t)i * ldc;
        for (int j = 0; j < cols; j++) row[j] = add_to(overwrite, bias, row + j, j, alpha * sums[j]);
    }
}

// Products with k ≤ SMALL_K (a layer with a handful of outputs, in ∂x; one row per batch, in
// ∂W) and B untransposed: C's rows are a few scaled rows of B added up. Nothing is worth packing
// there and a 6×16 tile would do little besides load and store, so each row of C is written
// once, 8 columns at a time.
enum { SMALL_K = 4 };

// Written for a k known at compile time (see gemm_small_k_avx2), so that the scaled A values
// stay in registers and the sum over k is unrolled.
//
// `gate`, when not NULL, is a leaky ReLU's input z (m rows, `ldg` apart) that the result passes
// back through before it is stored: C = z > 0 ? C : slope·C (see sweep_sgemm_leaky_relu_backward).
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 through_gate(__m256 value, const float *gate_row, int j, __m256 slope, __m256i *mask) {
    __m256 z = mask ? _mm256_maskload_ps(gate_row + j, *mask) : _mm256_loadu_ps(gate_row + j);
    __m256 open = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(slope, value), value, open);
}

__attribute__((target("avx2,fma"), always_inline))
static inline void small_k_rows(const int k, int transpose_a, int m, int n, float alpha, const float *a, int lda,
                                const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias,
                                const float *gate, int ldg, float gate_slope) {
    __m256 slope = _mm256_set1_ps(gate_slope);
    for (int i = 0; i < m; i++) {
        __m256 scaled[SMALL_K];
        for (int p = 0; p < k; p++)
            scaled[p] = _mm256_set1_ps(alpha * (transpose_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p]));
        float *row = c + (size_t)i * ldc;
        int j = 0;
        for (; j + 8 <= n; j += 8) {
            __m256 sum = _mm256_mul_ps(scaled[0], _mm256_loadu_ps(b + j));
            for (int p = 1; p < k; p++) sum = _mm256_fmadd_ps(scaled[p], _mm256_loadu_ps(b + (size_t)p * ldb + j), sum);
            __m256 base = overwrite ? _mm256_setzero_ps() : _mm256_loadu_ps(row + j);
            if (bias) base = _mm256_add_ps(base, _mm256_loadu_ps(bias + j));
            __m256 value = _mm256_add_ps(base, sum);
            if (gate) value = through_gate(value, gate + (size_t)i * ldg, j, slope, NULL);
            _mm256_storeu_ps(row + j, value);
        }
        if (j < n) {
            // The last n mod 8 columns through masked loads and stores.
            __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - j), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            __m256 sum = _mm256_mul_ps(scaled[0], _mm256_maskload_ps(b + j, mask));
            for (int p = 1; p < k; p++)
                sum = _mm256_fmadd_ps(scaled[p], _mm256_maskload_ps(b + (size_t)p * ldb + j, mask), sum);
            __m256 base = overwrite ? _mm256_setzero_ps() : _mm256_maskload_ps(row + j, mask);
            if (bias) base = _mm256_add_ps(base, _mm256_maskload_ps(bias + j, mask));
            __m256 value = _mm256_add_ps(base, sum);
            if (gate) value = through_gate(value, gate + (size_t)i * ldg, j, slope, &mask);
            _mm256_maskstore_ps(row + j, mask, value);
        }
    }
}

__attribute__((target("avx2,fma")))
static void gemm_small_k_avx2(int transpose_a, int m, int n, int k, float alpha, const float *a, int lda,
                              const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias,
                              const float *gate, int ldg, float slope) {
    switch (k) {
    case 1: small_k_rows(1, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope); break;
    case 2: small_k_rows(2, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope); break;
    case 3: small_k_rows(3, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope); break;
    default: /* k == SMALL_K: small_product_applies allows 1 to 4 */
        small_k_rows(SMALL_K, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope);
        break;
    }
}

static void gemm_small_n_avx2(int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                              int ldb, float *c, int ldc, int overwrite, const float *bias) {
    for (int j0 = 0; j0 < n; j0 += DOT_COLS) {
        int cols = n - j0 < DOT_COLS ? n - j0 : DOT_COLS;
        for (int i0 = 0; i0 < m; i0 += DOT_ROWS) {
            int rows = m - i0 < DOT_ROWS ? m - i0 : DOT_ROWS;
            dot_tile_avx2(k, alpha, a + (size_t)i0 * lda, lda, rows, b + (size_t)j0 * ldb, ldb, cols,
                          c + (size_t)i0 * ldc + j0, ldc, overwrite, bias ? bias + j0 : NULL);
        }
    }
}

int small_product_applies(int transpose_a, int transpose_b, int m, int n, int k) {
    if (!transpose_a && transpose_b) return n <= SMALL_N || (m <= DOT_ROWS && k >= DOT_MIN_K);
    return !transpose_b && k <= SMALL_K;
}

void small_product_avx2(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias) {
    if (transpose_b) gemm_small_n_avx2(m, n, k, alpha, a, lda, b, ldb, c, ldc, overwrite, bias);
    else gemm_small_k_avx2(transpose_a, m, n, k, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, NULL, 0, 0);
}

void small_k_gated_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                        const float *gate, int ldg, float slope) {
    gemm_small_k_avx2(0, m, n, k, 1.0f, a, lda, b, ldb, c, ldc, 1, NULL, gate, ldg, slope);
}
// The AVX-512 versions: the same tiles and the same order of operations 16 floats wide, the
// tails through masked loads and stores.

TARGET_AVX512
static inline __m128 sum_lanes4_avx512(__m512 c0, __m512 c1, __m512 c2, __m512 c3) {
    __m256 h0 = _mm256_add_ps(_mm512_castps512_ps256(c0), _mm512_extractf32x8_ps(c0, 1));
    __m256 h1 = _mm256_add_ps(_mm512_castps512_ps256(c1), _mm512_extractf32x8_ps(c1, 1));
    __m256 h2 = _mm256_add_ps(_mm512_castps512_ps256(c2), _mm512_extractf32x8_ps(c2, 1));
    __m256 h3 = _mm256_add_ps(_mm512_castps512_ps256(c3), _mm512_extractf32x8_ps(c3, 1));
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(h0, h1), _mm256_hadd_ps(h2, h3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

TARGET_AVX512
static void dot_tile_avx512(int k, float alpha, const float *a, int lda, int rows, const float *b, int ldb,
                            int cols, float *c, int ldc, int overwrite, const float *bias) {
    const float *ar[DOT_ROWS], *br[DOT_COLS];
    for (int i = 0; i < DOT_ROWS; i++) ar[i] = a + (size_t)(i < rows ? i : 0) * lda;
    for (int j = 0; j < DOT_COLS; j++) br[j] = b + (size_t)(j < cols ? j : 0) * ldb;
    __m512 acc[DOT_ROWS][DOT_COLS];
    for (int i = 0; i < DOT_ROWS; i++)
        for (int j = 0; j < DOT_COLS; j++) acc[i][j] = _mm512_setzero_ps();
    int p = 0;
    for (; p + 16 <= k; p += 16) {
        __m512 a0 = _mm512_loadu_ps(ar[0] + p), a1 = _mm512_loadu_ps(ar[1] + p), a2 = _mm512_loadu_ps(ar[2] + p);
        for (int j = 0; j < DOT_COLS; j++) {
            __m512 bj = _mm512_loadu_ps(br[j] + p);
            acc[0][j] = _mm512_fmadd_ps(a0, bj, acc[0][j]);
            acc[1][j] = _mm512_fmadd_ps(a1, bj, acc[1][j]);
            acc[2][j] = _mm512_fmadd_ps(a2, bj, acc[2][j]);
        }
    }
    if (p < k) {
        __mmask16 mask = (__mmask16)((1u << (k - p)) - 1);
        __m512 a0 = _mm512_maskz_loadu_ps(mask, ar[0] + p), a1 = _mm512_maskz_loadu_ps(mask, ar[1] + p);
        __m512 a2 = _mm512_maskz_loadu_ps(mask, ar[2] + p);
        for (int j = 0; j < DOT_COLS; j++) {
            __m512 bj = _mm512_maskz_loadu_ps(mask, br[j] + p);
            acc[0][j] = _mm512_fmadd_ps(a0, bj, acc[0][j]);
            acc[1][j] = _mm512_fmadd_ps(a1, bj, acc[1][j]);
            acc[2][j] = _mm512_fmadd_ps(a2, bj, acc[2][j]);
        }
    }
    for (int i = 0; i < rows; i++) {
        float sums[DOT_COLS];
        _mm_storeu_ps(sums, sum_lanes4_avx512(acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
        float *row = c + (size_t)i * ldc;
        for (int j = 0; j < cols; j++) row[j] = add_to(overwrite, bias, row + j, j, alpha * sums[j]);
    }
}

__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void small_k_rows_avx512(const int k, int transpose_a, int m, int n, float alpha, const float *a,
                                       int lda, const float *b, int ldb, float *c, int ldc, int overwrite,
                                       const float *bias, const float *gate, int ldg, float gate_slope) {
    const __m512 slope = _mm512_set1_ps(gate_slope);
    for (int i = 0; i < m; i++) {
        __m512 scaled[SMALL_K];
        for (int p = 0; p < k; p++)
            scaled[p] = _mm512_set1_ps(alpha * (transpose_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p]));
        float *row = c + (size_t)i * ldc;
        for (int j = 0; j < n; j += 16) {
            // The last n mod 16 columns through masked loads and stores.
            __mmask16 mask = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
            __m512 sum = _mm512_mul_ps(scaled[0], _mm512_maskz_loadu_ps(mask, b + j));
            for (int p = 1; p < k; p++)
                sum = _mm512_fmadd_ps(scaled[p], _mm512_maskz_loadu_ps(mask, b + (size_t)p * ldb + j), sum);
            __m512 base = overwrite ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mask, row + j);
            if (bias) base = _mm512_add_ps(base, _mm512_maskz_loadu_ps(mask, bias + j));
            __m512 value = _mm512_add_ps(base, sum);
            if (gate) {
                // As through_gate: slope·value where the gate is not above 0 (NaN included).
                __m512 z = _mm512_maskz_loadu_ps(mask, gate + (size_t)i * ldg + j);
                __mmask16 closed = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_NGT_UQ);
                value = _mm512_mask_mul_ps(value, closed, slope, value);
            }
            _mm512_mask_storeu_ps(row + j, mask, value);
        }
    }
}

TARGET_AVX512
static void gemm_small_k_avx512(int transpose_a, int m, int n, int k, float alpha, const float *a, int lda,
                                const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias,
                                const float *gate, int ldg, float slope) {
    switch (k) {
    case 1: small_k_rows_avx512(1, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope); break;
    case 2: small_k_rows_avx512(2, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope); break;
    case 3: small_k_rows_avx512(3, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope); break;
    default: /* k == SMALL_K */
        small_k_rows_avx512(SMALL_K, transpose_a, m, n, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, gate, ldg, slope);
        break;
    }
}

void small_product_avx512(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a,
                          int lda, const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias) {
    if (!transpose_b) {
        gemm_small_k_avx512(transpose_a, m, n, k, alpha, a, lda, b, ldb, c, ldc, overwrite, bias, NULL, 0, 0);
        return;
    }
    for (int j0 = 0; j0 < n; j0 += DOT_COLS) {
        int cols = n - j0 < DOT_COLS ? n - j0 : DOT_COLS;
        for (int i0 = 0; i0 < m; i0 += DOT_ROWS) {
            int rows = m - i0 < DOT_ROWS ? m - i0 : DOT_ROWS;
            dot_tile_avx512(k, alpha, a + (size_t)i0 * lda, lda, rows, b + (size_t)j0 * ldb, ldb, cols,
                            c + (size_t)i0 * ldc + j0, ldc, overwrite, bias ? bias + j0 : NULL);
        }
    }
}

void small_k_gated_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                          const float *gate, int ldg, float slope) {
    gemm_small_k_avx512(0, m, n, k, 1.0f, a, lda, b, ldb, c, ldc, 1, NULL, gate, ldg, slope);
}
#endif
