// Private to CKernels: what sgemm.c, small_products.c and weight_rows.c share.
#ifndef SWEEP_SMALL_PRODUCTS_H
#define SWEEP_SMALL_PRODUCTS_H

#include "paths.h"

// One element of a tile's result: `product` (alpha·A·B) onto C's value or, overwriting, onto
// nothing; plus the column's bias if there is one.
static inline float add_to(int overwrite, const float *bias, const float *target, int column, float product) {
    float base = overwrite ? 0.0f : *target;
    return bias ? base + bias[column] + product : (overwrite ? product : base + product);
}

// Whether the small-product kernels take this product rather than the packed GEMM: B transposed
// into at most 8 columns (a layer's class scores) or from at most 3 rows (a batch of one to
// three) with k ≥ 32, or B untransposed over k ≤ 4.
int small_product_applies(int transpose_a, int transpose_b, int m, int n, int k);

// C = alpha·op(A)·op(B) onto C (or overwriting it) plus `bias`, for the shapes
// `small_product_applies` accepts; beta has already been applied to C. The AVX2 version needs
// AVX2 and FMA, the AVX-512 one the AVX-512 path's instruction sets.
void small_product_avx2(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias);
void small_product_avx512(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a,
                          int lda, const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias);

// C = A·B for A m×k and B k×n untransposed with k ≤ 4 (as small_product_avx2), each result then
// passed back through a leaky ReLU whose input `gate` holds: C = gate > 0 ? C : slope·C. For
// sweep_sgemm_leaky_relu_backward.
void small_k_gated_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                        const float *gate, int ldg, float slope);
void small_k_gated_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                          const float *gate, int ldg, float slope);

// One panel of Xᵀ where X is stored row-major with stride ld (16 rows of X for the AVX2 version,
// 32 for the AVX-512 one; kc columns): packed[p·width + j] = x[j·ld + p]. Defined in sgemm.c,
// which packs a transposed B this way.
void pack_transposed_panel_avx2(const float *x, int ld, int kc, float *packed);
void pack_transposed_panel_avx512(const float *x, int ld, int kc, float *packed);

// Whether `weight_rows_avx2` takes this product (weight_rows.c): x·Wᵀ for a batch of 16 to 64
// rows in whole 16s, k ≥ 48 and at least 6 outputs; `weight_rows_avx512`: the same in whole 32s.
int weight_rows_applies(int transpose_a, int transpose_b, int m, int n, int k);
int weight_rows_avx512_applies(int transpose_a, int transpose_b, int m, int n, int k);

// C = alpha·A·Wᵀ onto C (or overwriting it) plus `bias`, A m×k and W n×k row-major, for the
// shapes the `_applies` function above accepts; beta has already been applied to C. With
// `rectify`, the results then pass through a leaky ReLU of `slope` as they are stored. Need the
// sgemm workspace.
void weight_rows_avx2(int m, int n, int k, float alpha, const float *a, int lda, const float *w, int ldw, float *c,
                      int ldc, int overwrite, const float *bias, int rectify, float slope, float *workspace);
void weight_rows_avx512(int m, int n, int k, float alpha, const float *a, int lda, const float *w, int ldw, float *c,
                        int ldc, int overwrite, const float *bias, int rectify, float slope, float *workspace);

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// Transposes the 8×8 block of floats held in r[0..7] (row i in r[i]) in place.
__attribute__((target("avx2"), always_inline))
static inline void transpose_8x8(__m256 *r) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Transposes the 16×16 block of floats held in r[0..15] (row i in r[i]) in place: 4×4 blocks
// within each 128-bit lane as transpose_8x8 does, then the 128-bit lanes of each group of four
// rows across the groups.
__attribute__((target("avx512f"), always_inline))
static inline void transpose_16x16(__m512 *r) {
    __m512 t[16], s[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // Group g of rows 4g..4g+3: s[4g + c] holds, in 128-bit lane L, column 4L + c of those rows.
    for (int g = 0; g < 4; g++) {
        __m512 *u = t + 4 * g;
        s[4 * g + 0] = _mm512_shuffle_ps(u[0], u[2], 0x44);
        s[4 * g + 1] = _mm512_shuffle_ps(u[0], u[2], 0xEE);
        s[4 * g + 2] = _mm512_shuffle_ps(u[1], u[3], 0x44);
        s[4 * g + 3] = _mm512_shuffle_ps(u[1], u[3], 0xEE);
    }
    // Column 4L + c gathers lane L of s[c], s[4 + c], s[8 + c], s[12 + c].
    for (int c = 0; c < 4; c++) {
        __m512 u0 = _mm512_shuffle_f32x4(s[c], s[4 + c], 0x44), u1 = _mm512_shuffle_f32x4(s[c], s[4 + c], 0xEE);
        __m512 u2 = _mm512_shuffle_f32x4(s[8 + c], s[12 + c], 0x44), u3 = _mm512_shuffle_f32x4(s[8 + c], s[12 + c], 0xEE);
        r[0 + c] = _mm512_shuffle_f32x4(u0, u2, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
        r[8 + c] = _mm512_shuffle_f32x4(u1, u3, 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
    }
}
#endif

#endif
