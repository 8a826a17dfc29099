// Contraction into FMA is explicit in the micro-kernel; elsewhere it stays off.
// Single-precision GEMM in the BLIS / GotoBLAS shape: pack a KC×NC slab of B and an MC×KC block
// of A into contiguous micro-panels, then run a 6×16 register-blocked micro-kernel over them.
// Packing absorbs both transposes, so one micro-kernel serves all four cases. The AVX2+FMA
// kernel is chosen at run time, so the same binary runs (slower) on processors without it.
// Reference: Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", ACM TOMS 41(3), 2015.

#include "CKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SWEEP_X86 1
#endif

enum { MR = 6, NR = 16, MC = 96, KC = 256, NC = 1024 };

size_t sweep_sgemm_workspace_count(void) {
    return (size_t)MC * KC + (size_t)KC * NC;
}

static int has_avx2_fma(void) {
#ifdef SWEEP_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

const char *sweep_sgemm_kernel_name(void) { return has_avx2_fma() ? "avx2-fma" : "portable"; }

// Element (row, col) of op(X) where X is stored row-major with stride ld.
static inline float element(const float *x, int ld, int transposed, int row, int col) {
    return transposed ? x[(size_t)col * ld + row] : x[(size_t)row * ld + col];
}

// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) into MR-row micro-panels, each laid out
// column by column (MR floats per k), zero-padding the last panel.
static void pack_a(const float *a, int lda, int transposed, int i0, int mc, int p0, int kc,
                   float *packed) {
    for (int ib = 0; ib < mc; ib += MR) {
        int rows = mc - ib < MR ? mc - ib : MR;
        if (!transposed && rows == MR) {
            const float *base = a + (size_t)(i0 + ib) * lda + p0;
            for (int p = 0; p < kc; p++) {
                for (int i = 0; i < MR; i++) packed[i] = base[(size_t)i * lda + p];
                packed += MR;
            }
        } else if (transposed && rows == MR) {
            const float *base = a + (size_t)p0 * lda + i0 + ib;
            for (int p = 0; p < kc; p++) {
                memcpy(packed, base + (size_t)p * lda, MR * sizeof(float));
                packed += MR;
            }
        } else {
            for (int p = 0; p < kc; p++) {
                for (int i = 0; i < MR; i++)
                    packed[i] = i < rows ? element(a, lda, transposed, i0 + ib + i, p0 + p) : 0.0f;
                packed += MR;
            }
        }
    }
}

// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NR-column micro-panels, each laid
// out row by row (NR floats per k), zero-padding the last panel.
static void pack_b(const float *b, int ldb, int transposed, int p0, int kc, int j0, int nc,
                   float *packed) {
    for (int jb = 0; jb < nc; jb += NR) {
        int cols = nc - jb < NR ? nc - jb : NR;
        if (!transposed && cols == NR) {
            const float *base = b + (size_t)p0 * ldb + j0 + jb;
            for (int p = 0; p < kc; p++) {
                memcpy(packed, base + (size_t)p * ldb, NR * sizeof(float));
                packed += NR;
            }
        } else if (transposed && cols == NR) {
            const float *base = b + (size_t)(j0 + jb) * ldb + p0;
            for (int p = 0; p < kc; p++) {
                for (int j = 0; j < NR; j++) packed[j] = base[(size_t)j * ldb + p];
                packed += NR;
            }
        } else {
            for (int p = 0; p < kc; p++) {
                for (int j = 0; j < NR; j++)
                    packed[j] = j < cols ? element(b, ldb, transposed, p0 + p, j0 + jb + j) : 0.0f;
                packed += NR;
            }
        }
    }
}

// C[rows×cols] += alpha · Ap · Bp over kc, for one MR×NR tile (rows ≤ MR, cols ≤ NR).
static void micro_portable(int kc, float alpha, const float *ap, const float *bp, float *c,
                           int ldc, int rows, int cols) {
    float acc[MR][NR];
    memset(acc, 0, sizeof(acc));
    for (int p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) {
            float ai = ap[i];
            for (int j = 0; j < NR; j++) acc[i][j] += ai * bp[j];
        }
        ap += MR;
        bp += NR;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) c[(size_t)i * ldc + j] += alpha * acc[i][j];
}

#ifdef SWEEP_X86
__attribute__((target("avx2,fma")))
static void micro_avx2(int kc, float alpha, const float *ap, const float *bp, float *c, int ldc,
                       int rows, int cols) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(bp);
        __m256 b1 = _mm256_loadu_ps(bp + 8);
        __m256 a;
        a = _mm256_broadcast_ss(ap + 0); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
        a = _mm256_broadcast_ss(ap + 1); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
        a = _mm256_broadcast_ss(ap + 2); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
        a = _mm256_broadcast_ss(ap + 3); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
        a = _mm256_broadcast_ss(ap + 4); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
        a = _mm256_broadcast_ss(ap + 5); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
        ap += MR;
        bp += NR;
    }
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    __m256 va = _mm256_set1_ps(alpha);
    if (rows == MR && cols == NR) {
        for (int i = 0; i < MR; i++) {
            float *row = c + (size_t)i * ldc;
            _mm256_storeu_ps(row, _mm256_fmadd_ps(va, acc[i][0], _mm256_loadu_ps(row)));
            _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, acc[i][1], _mm256_loadu_ps(row + 8)));
        }
        return;
    }
    float tile[MR][NR];
    for (int i = 0; i < MR; i++) {
        _mm256_storeu_ps(&tile[i][0], acc[i][0]);
        _mm256_storeu_ps(&tile[i][8], acc[i][1]);
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) c[(size_t)i * ldc + j] += alpha * tile[i][j];
}
#endif

typedef void (*micro_kernel)(int, float, const float *, const float *, float *, int, int, int);

static void gemm_with(micro_kernel kernel, int transpose_a, int transpose_b, int m, int n, int k,
                      float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                      float *c, int ldc, float *workspace) {
    if (m <= 0 || n <= 0) return;
    for (int i = 0; i < m; i++) {
        float *row = c + (size_t)i * ldc;
        if (beta == 0.0f) {
            memset(row, 0, (size_t)n * sizeof(float));
        } else if (beta != 1.0f) {
            for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }
    if (k <= 0 || alpha == 0.0f) return;

    float *packed_a = workspace;
    float *packed_b = workspace + (size_t)MC * KC;

    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = k - p0 < KC ? k - p0 : KC;
            pack_b(b, ldb, transpose_b, p0, kc, j0, nc, packed_b);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                pack_a(a, lda, transpose_a, i0, mc, p0, kc, packed_a);
                for (int jb = 0; jb < nc; jb += NR) {
                    int cols = nc - jb < NR ? nc - jb : NR;
                    const float *bp = packed_b + (size_t)jb * kc;
                    for (int ib = 0; ib < mc; ib += MR) {
                        int rows = mc - ib < MR ? mc - ib : MR;
                        const float *ap = packed_a + (size_t)ib * kc;
                        float *tile = c + (size_t)(i0 + ib) * ldc + j0 + jb;
                        kernel(kc, alpha, ap, bp, tile, ldc, rows, cols);
                    }
                }
            }
        }
    }
}

void sweep_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc,
                 float *workspace) {
    micro_kernel kernel = micro_portable;
#ifdef SWEEP_X86
    if (has_avx2_fma()) kernel = micro_avx2;
#endif
    gemm_with(kernel, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
              workspace);
}

void sweep_sgemm_portable(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                          const float *a, int lda, const float *b, int ldb, float beta, float *c,
                          int ldc, float *workspace) {
    gemm_with(micro_portable, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc, workspace);
}
