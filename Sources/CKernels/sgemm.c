// Single-precision GEMM in the BLIS / GotoBLAS shape: pack a KC×NC slab of B and an MC×KC block
// of A into contiguous micro-panels, then run a 6×16 register-blocked micro-kernel over them.
// Packing absorbs both transposes, so one micro-kernel serves all four cases; operands that are
// already laid out as the kernel reads them (a transposed A, full panels of an untransposed B)
// are read in place. Products too small to pay for packing go to small_products.c, and a Linear
// layer's forward product for a batch of 16 to 64 rows to weight_rows.c, which reads the weights
// where they are. The AVX2+FMA kernels are chosen at run time, so the same binary runs (slower)
// on processors without them.
// Reference: Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", ACM TOMS 41(3), 2015.

#include "CKernels.h"
#include "small_products.h"

#include <string.h>

// Contraction into FMA is explicit in the AVX2 kernels (intrinsics); elsewhere it stays off, so
// the portable kernel rounds the same way on every processor.
#pragma clang fp contract(off)

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SWEEP_X86 1
#endif

enum { MR = 6, NR = 16, MC = 96, KC = 256, NC = 1024 };

// Floats between the packed A and packed B areas, for the overlapping stores of pack_a.
enum { PADDING = 8 };

size_t sweep_sgemm_workspace_count(void) {
    return (size_t)MC * KC + PADDING + (size_t)KC * NC;
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

// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of a row-major A into micro-panels of the row
// counts `split_rows` gives (at most MR each), each laid out column by column with MR floats per k
// (the unused slots of a shorter panel are zero). A stored transposed is never packed: the
// micro-kernel reads it in place.
static void pack_a_rows_panel(const float *x, int ld, int rows, int kc, float *packed);

// Row tiles of a block of mc rows: as few as MR allows, their heights differing by at most one.
// 32 rows become 6+6+5+5+5+5 rather than 6+6+6+6+6+2, whose two-row tile runs at a fraction of
// the FMA rate (too few independent accumulators to cover the FMA latency).
typedef struct {
    int count, base, extra;
} row_tiles;

static inline row_tiles split_rows(int mc) {
    row_tiles t;
    t.count = (mc + MR - 1) / MR;
    t.base = mc / t.count;
    t.extra = mc % t.count;
    return t;
}

static inline int tile_rows(row_tiles t, int index) { return t.base + (index < t.extra); }
static inline int tile_offset(row_tiles t, int index) { return index * t.base + (index < t.extra ? index : t.extra); }

static void pack_a(const float *a, int lda, int i0, int mc, int p0, int kc, float *packed) {
    row_tiles tiles = split_rows(mc);
    for (int t = 0; t < tiles.count; t++) {
        const float *rows = a + (size_t)(i0 + tile_offset(tiles, t)) * lda + p0;
        pack_a_rows_panel(rows, lda, tile_rows(tiles, t), kc, packed + (size_t)t * MR * kc);
    }
}

// One NR-column panel of op(B) = Xᵀ where X is stored row-major: packed[p·NR + j] = x[j·ld + p].
// A weight matrix in a Linear forward pass arrives this way, so this runs every step over every
// weight; the AVX2 version moves 8×8 blocks through registers instead of gathering scalars.
static void pack_b_transposed_panel_portable(const float *x, int ld, int kc, float *packed) {
    for (int p = 0; p < kc; p++)
        for (int j = 0; j < NR; j++) packed[(size_t)p * NR + j] = x[(size_t)j * ld + p];
}

#ifdef SWEEP_X86
__attribute__((target("avx2")))
static void pack_b_transposed_panel_avx2(const float *x, int ld, int kc, float *packed) {
    int p = 0;
    for (; p + 8 <= kc; p += 8) {
        for (int half = 0; half < 2; half++) {
            __m256 r[8];
            for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(x + (size_t)(half * 8 + j) * ld + p);
            transpose_8x8(r);
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(packed + (size_t)(p + q) * NR + half * 8, r[q]);
        }
    }
    for (; p < kc; p++)
        for (int j = 0; j < NR; j++) packed[(size_t)p * NR + j] = x[(size_t)j * ld + p];
}
#endif

// One micro-panel of `rows` ≤ MR rows of a row-major A: packed[p·MR + i] = x[i·ld + p], zero for
// i ≥ rows. The activations and gradients of a batch arrive this way in the forward pass and in
// ∂x; the AVX2 version moves 8×8 blocks through registers instead of gathering scalars.
static void pack_a_rows_panel_portable(const float *x, int ld, int rows, int kc, float *packed) {
    for (int p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++) packed[(size_t)p * MR + i] = i < rows ? x[(size_t)i * ld + p] : 0.0f;
}

#ifdef SWEEP_X86
__attribute__((target("avx2")))
static void pack_a_rows_panel_avx2(const float *x, int ld, int rows, int kc, float *packed) {
    int p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(x + (size_t)i * ld + p) : _mm256_setzero_ps();
        transpose_8x8(r);
        // Eight-wide stores of six values: each spills two floats into the next step's slots,
        // which that step then overwrites (the last spills into the next panel, packed after
        // this one, or the workspace's padding). Masked stores are far slower on some processors.
        for (int q = 0; q < 8; q++) _mm256_storeu_ps(packed + (size_t)(p + q) * MR, r[q]);
    }
    for (; p < kc; p++)
        for (int i = 0; i < MR; i++) packed[(size_t)p * MR + i] = i < rows ? x[(size_t)i * ld + p] : 0.0f;
}
#endif

static void pack_a_rows_panel(const float *x, int ld, int rows, int kc, float *packed) {
#ifdef SWEEP_X86
    if (has_avx2_fma()) {
        pack_a_rows_panel_avx2(x, ld, rows, kc, packed);
        return;
    }
#endif
    pack_a_rows_panel_portable(x, ld, rows, kc, packed);
}

void pack_transposed_panel(const float *x, int ld, int kc, float *packed) {
#ifdef SWEEP_X86
    if (has_avx2_fma()) {
        pack_b_transposed_panel_avx2(x, ld, kc, packed);
        return;
    }
#endif
    pack_b_transposed_panel_portable(x, ld, kc, packed);
}

// Whether full panels of B are read where they are rather than packed: only for a B stored
// untransposed with rows of at most 2 KiB. Further apart, the kc rows a panel spans fall on as
// many pages, and the kernel's loads miss the TLB and the prefetchers: at 1024 columns, reading
// in place ran 10-15% slower than packing.
static inline int reads_b_in_place(int transposed, int ldb) { return !transposed && ldb <= 512; }

// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NR-column micro-panels, each laid
// out row by row (NR floats per k), zero-padding the last panel. Panel jb sits at packed + jb·kc.
// Full panels that the micro-kernel reads in place (`reads_b_in_place`) are left out.
static void pack_b(const float *b, int ldb, int transposed, int p0, int kc, int j0, int nc,
                   float *packed) {
    for (int jb = 0; jb < nc; jb += NR, packed += (size_t)NR * kc) {
        int cols = nc - jb < NR ? nc - jb : NR;
        if (reads_b_in_place(transposed, ldb) && cols == NR) continue;
        if (transposed && cols == NR) {
            pack_transposed_panel(b + (size_t)(j0 + jb) * ldb + p0, ldb, kc, packed);
            continue;
        }
        if (cols == NR) {
            // Untransposed rows too far apart to read in place: NR floats of each row in turn.
            const float *row = b + (size_t)p0 * ldb + j0 + jb;
            for (int p = 0; p < kc; p++) memcpy(packed + (size_t)p * NR, row + (size_t)p * ldb, NR * sizeof(float));
            continue;
        }
        float *panel = packed;
        for (int p = 0; p < kc; p++) {
            for (int j = 0; j < NR; j++)
                panel[j] = j < cols ? element(b, ldb, transposed, p0 + p, j0 + jb + j) : 0.0f;
            panel += NR;
        }
    }
}

// The micro-kernels compute one tile C[rows×cols] (rows ≤ MR, cols ≤ NR) over kc steps: per
// step MR consecutive floats of A (`a_step` apart: a packed panel, or a transposed A in place)
// and NR consecutive floats of B (`b_step` apart: a packed panel, or an untransposed B in place).
// `overwrite` stores the result instead of adding it to C, which saves zeroing C first when beta
// is 0. `bias`, when not NULL, holds one value per column of the tile, added to every row (a
// Linear layer's bias, added in the same pass instead of broadcast into C beforehand).

static void micro_portable(int kc, float alpha, const float *ap, long a_step, const float *bp, long b_step, float *c,
                           int ldc, int rows, int cols, int overwrite, const float *bias) {
    float acc[MR][NR];
    memset(acc, 0, sizeof(acc));
    for (int p = 0; p < kc; p++) {
        for (int i = 0; i < rows; i++) {
            float ai = ap[i];
            for (int j = 0; j < NR; j++) acc[i][j] += ai * bp[j];
        }
        ap += a_step;
        bp += b_step;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float *target = c + (size_t)i * ldc + j;
            *target = add_to(overwrite, bias, target, j, alpha * acc[i][j]);
        }
}

#ifdef SWEEP_X86
// Writes R rows of accumulated results into C (all NR columns, or the first `cols` of them).
__attribute__((target("avx2,fma"), always_inline))
static inline void store_tile(const int R, const __m256 *low, const __m256 *high, float alpha, float *c,
                              int ldc, int cols, int overwrite, const float *bias) {
    __m256 va = _mm256_set1_ps(alpha);
    if (cols == NR) {
        __m256 bias_low = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
        __m256 bias_high = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
        for (int i = 0; i < R; i++) {
            float *row = c + (size_t)i * ldc;
            if (overwrite && bias) {
                _mm256_storeu_ps(row, _mm256_fmadd_ps(va, low[i], bias_low));
                _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, high[i], bias_high));
            } else if (overwrite) {
                _mm256_storeu_ps(row, _mm256_mul_ps(va, low[i]));
                _mm256_storeu_ps(row + 8, _mm256_mul_ps(va, high[i]));
            } else if (bias) {
                _mm256_storeu_ps(row, _mm256_fmadd_ps(va, low[i], _mm256_add_ps(_mm256_loadu_ps(row), bias_low)));
                _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, high[i], _mm256_add_ps(_mm256_loadu_ps(row + 8), bias_high)));
            } else {
                _mm256_storeu_ps(row, _mm256_fmadd_ps(va, low[i], _mm256_loadu_ps(row)));
                _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, high[i], _mm256_loadu_ps(row + 8)));
            }
        }
        return;
    }
    float tile[MR][NR];
    for (int i = 0; i < R; i++) {
        _mm256_storeu_ps(&tile[i][0], low[i]);
        _mm256_storeu_ps(&tile[i][8], high[i]);
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < cols; j++) {
            float *target = c + (size_t)i * ldc + j;
            *target = add_to(overwrite, bias, target, j, alpha * tile[i][j]);
        }
}

// The full 6×16 tile: 12 accumulators, two B vectors and one broadcast fill 15 of the 16 ymm
// registers, so it is written out by hand to keep the compiler from shuffling them.
__attribute__((target("avx2,fma"), always_inline))
static inline void full_tile(int kc, float alpha, const float *ap, long a_step, const float *bp, long b_step, float *c,
                             int ldc, int cols, int overwrite, const float *bias) {
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
        ap += a_step;
        bp += b_step;
    }
    const __m256 low[MR] = {c00, c10, c20, c30, c40, c50};
    const __m256 high[MR] = {c01, c11, c21, c31, c41, c51};
    store_tile(MR, low, high, alpha, c, ldc, cols, overwrite, bias);
}

__attribute__((target("avx2,fma")))
static void micro_avx2_full(int kc, float alpha, const float *ap, long a_step, const float *bp, long b_step, float *c,
                            int ldc, int cols, int overwrite, const float *bias) {
    full_tile(kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias);
}

// Full 6×16 tiles of one row of tiles across `panels` whole column panels of a B read in place
// (panel q starts NR floats after panel q−1, as does its part of C and of the bias), in one
// call. With k as short as a batch of 32 a call per tile costs a noticeable share: repeating the
// reference trial's 32×256 → 256×128 weight gradient, 22.1 µs against 25.6; inside the trial,
// where its operands come from cache less often, about 0.7% of the trial, and 5–13% of a step at
// widths 512 and 1024.
__attribute__((target("avx2,fma")))
static void micro_avx2_full_panels(int panels, int kc, float alpha, const float *ap, long a_step, const float *bp,
                                   long b_step, float *c, int ldc, int overwrite, const float *bias) {
    for (int q = 0; q < panels; q++)
        full_tile(kc, alpha, ap, a_step, bp + (size_t)q * NR, b_step, c + (size_t)q * NR, ldc, NR, overwrite,
                  bias ? bias + (size_t)q * NR : NULL);
}

// A tile of R < MR rows (a batch of fewer than five rows, or few outputs): only R rows of work,
// not MR. With R rows there are only 2R accumulators, and an FMA's result is ready 4 to 5 cycles
// after it issues, so a one-row tile would wait on each FMA most of the time; S interleaved
// partial sums over k (steps p, p+1, … into sums 0, 1, …) keep up to 12 FMAs in flight.
__attribute__((target("avx2,fma"), always_inline))
static inline void micro_avx2_partial(const int R, const int S, int kc, float alpha, const float *ap, long a_step,
                                      const float *bp, long b_step, float *c, int ldc, int cols, int overwrite,
                                      const float *bias) {
    __m256 low[4][MR], high[4][MR];
    for (int s = 0; s < S; s++)
        for (int i = 0; i < R; i++) low[s][i] = high[s][i] = _mm256_setzero_ps();
    int p = 0;
    for (; p + S <= kc; p += S) {
        for (int s = 0; s < S; s++) {
            __m256 b0 = _mm256_loadu_ps(bp);
            __m256 b1 = _mm256_loadu_ps(bp + 8);
            for (int i = 0; i < R; i++) {
                __m256 ai = _mm256_broadcast_ss(ap + i);
                low[s][i] = _mm256_fmadd_ps(ai, b0, low[s][i]);
                high[s][i] = _mm256_fmadd_ps(ai, b1, high[s][i]);
            }
            ap += a_step;
            bp += b_step;
        }
    }
    for (; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(bp);
        __m256 b1 = _mm256_loadu_ps(bp + 8);
        for (int i = 0; i < R; i++) {
            __m256 ai = _mm256_broadcast_ss(ap + i);
            low[0][i] = _mm256_fmadd_ps(ai, b0, low[0][i]);
            high[0][i] = _mm256_fmadd_ps(ai, b1, high[0][i]);
        }
        ap += a_step;
        bp += b_step;
    }
    for (int s = 1; s < S; s++)
        for (int i = 0; i < R; i++) {
            low[0][i] = _mm256_add_ps(low[0][i], low[s][i]);
            high[0][i] = _mm256_add_ps(high[0][i], high[s][i]);
        }
    store_tile(R, low[0], high[0], alpha, c, ldc, cols, overwrite, bias);
}

#define MICRO_AVX2_PARTIAL(R, S)                                                                       \
    __attribute__((target("avx2,fma"))) static void micro_avx2_##R(                                  \
        int kc, float alpha, const float *ap, long a_step, const float *bp, long b_step, float *c, int ldc, int cols, \
        int overwrite, const float *bias) {                                                            \
        micro_avx2_partial(R, S, kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias);    \
    }
MICRO_AVX2_PARTIAL(1, 4)
MICRO_AVX2_PARTIAL(2, 3)
MICRO_AVX2_PARTIAL(3, 2)
MICRO_AVX2_PARTIAL(4, 1)
MICRO_AVX2_PARTIAL(5, 1)

static void micro_avx2(int kc, float alpha, const float *ap, long a_step, const float *bp, long b_step, float *c,
                       int ldc, int rows, int cols, int overwrite, const float *bias) {
    switch (rows) {
    case 6: micro_avx2_full(kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias); break;
    case 5: micro_avx2_5(kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias); break;
    case 4: micro_avx2_4(kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias); break;
    case 3: micro_avx2_3(kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias); break;
    case 2: micro_avx2_2(kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias); break;
    default: micro_avx2_1(kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias); break;
    }
}
#endif

// Applies beta to C where the kernels will not: they overwrite C (beta 0) or add to it (beta 1).
// With no product to add, the bias is added here. Returns whether the kernels have work to do.
static int scale_result(int m, int n, int k, float alpha, float beta, float *c, int ldc, const float *bias) {
    if (m <= 0 || n <= 0) return 0;
    int nothing_to_add = k <= 0 || alpha == 0.0f;
    if (beta != 1.0f && (beta != 0.0f || nothing_to_add)) {
        for (int i = 0; i < m; i++) {
            float *row = c + (size_t)i * ldc;
            if (beta == 0.0f) memset(row, 0, (size_t)n * sizeof(float));
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }
    if (nothing_to_add && bias)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] += bias[j];
    return !nothing_to_add;
}

typedef void (*micro_kernel)(int, float, const float *, long, const float *, long, float *, int, int, int, int,
                             const float *);

// Full MR-row tiles across several whole panels of a B read in place (micro_avx2_full_panels).
typedef void (*panels_kernel)(int, int, float, const float *, long, const float *, long, float *, int, int,
                              const float *);

// Inlined into each caller, so that the kernel is a known function there: its call per tile
// (hundreds per training step, each over as few as 32 steps of k) is direct.
__attribute__((always_inline))
static inline void gemm_with(micro_kernel kernel, panels_kernel panels, int transpose_a, int transpose_b, int m,
                             int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                             float *c, int ldc, const float *bias, float *workspace) {
    if (!scale_result(m, n, k, alpha, beta, c, ldc, bias)) return;

    float *packed_a = workspace;
    float *packed_b = workspace + (size_t)MC * KC + PADDING;

    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = k - p0 < KC ? k - p0 : KC;
            int overwrite = beta == 0.0f && p0 == 0;
            pack_b(b, ldb, transpose_b, p0, kc, j0, nc, packed_b);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                row_tiles tiles = split_rows(mc);
                // A stored transposed already has each step's rows side by side, one row of the
                // stored matrix apart: the kernel reads it in place. Otherwise it is packed.
                if (!transpose_a) pack_a(a, lda, i0, mc, p0, kc, packed_a);
                // A transposed in place (a weight gradient, k its batch): each row of tiles goes
                // across every panel in turn, the whole panels of B in one call, while its strip of
                // A stays in cache. Faster at every shape measured (32 to 1024 wide, k from 8 to
                // 1280). Each tile adds up the same products in the same order.
                if (transpose_a && panels) {
                    int whole = reads_b_in_place(transpose_b, ldb) ? nc / NR : 0;
                    for (int t = 0; t < tiles.count; t++) {
                        int ib = tile_offset(tiles, t), rows = tile_rows(tiles, t);
                        const float *ap = a + (size_t)p0 * lda + i0 + ib;
                        float *row = c + (size_t)(i0 + ib) * ldc + j0;
                        const float *row_bias = bias && p0 == 0 ? bias + j0 : NULL;
                        int done = rows == MR ? whole : 0;
                        if (done > 0)
                            panels(done, kc, alpha, ap, lda, b + (size_t)p0 * ldb + j0, ldb, row, ldc, overwrite, row_bias);
                        for (int jb = done * NR; jb < nc; jb += NR) {
                            int cols = nc - jb < NR ? nc - jb : NR;
                            int b_in_place = reads_b_in_place(transpose_b, ldb) && cols == NR;
                            const float *bp = b_in_place ? b + (size_t)p0 * ldb + j0 + jb : packed_b + (size_t)jb * kc;
                            kernel(kc, alpha, ap, lda, bp, b_in_place ? ldb : NR, row + jb, ldc, rows, cols, overwrite,
                                   row_bias ? row_bias + jb : NULL);
                        }
                    }
                    continue;
                }
                for (int jb = 0; jb < nc; jb += NR) {
                    int cols = nc - jb < NR ? nc - jb : NR;
                    int b_in_place = reads_b_in_place(transpose_b, ldb) && cols == NR;
                    const float *bp = b_in_place ? b + (size_t)p0 * ldb + j0 + jb : packed_b + (size_t)jb * kc;
                    long b_step = b_in_place ? ldb : NR;
                    for (int t = 0; t < tiles.count; t++) {
                        int ib = tile_offset(tiles, t);
                        const float *ap = transpose_a ? a + (size_t)p0 * lda + i0 + ib : packed_a + (size_t)t * MR * kc;
                        long a_step = transpose_a ? lda : MR;
                        float *tile = c + (size_t)(i0 + ib) * ldc + j0 + jb;
                        // The bias goes in once, with the first block of k.
                        const float *tile_bias = bias && p0 == 0 ? bias + j0 + jb : NULL;
                        kernel(kc, alpha, ap, a_step, bp, b_step, tile, ldc, tile_rows(tiles, t), cols, overwrite,
                               tile_bias);
                    }
                }
            }
        }
    }
}

#ifdef SWEEP_X86
// ∂W of a first layer, Aᵀ·B with n its input features: 20 of them fill one NR-column panel and
// a quarter of the next, whose tiles do four times the work they keep. Computed as Bᵀ·A instead,
// the m outputs (whole panels) run across the tiles and the n features down them (4 tiles of 5
// rows for 20), into the workspace's packed-A area (a transposed A is never packed), then turned
// round into C. For 128×20 over 32 rows: 2.3 µs against 3.2.
static int transposed_result_pays(int transpose_a, int transpose_b, int m, int n, float beta, const float *bias) {
    return transpose_a && !transpose_b && beta == 0.0f && !bias && n % NR != 0 && n < 2 * NR && m % NR == 0 &&
           (size_t)m * n <= (size_t)MC * KC;
}

// dst[j·ldd + i] = src[i·lds + j] for i < rows, j < columns (a multiple of 8).
__attribute__((target("avx2")))
static void transpose_into(const float *src, int lds, int rows, int columns, float *dst, int ldd) {
    int i0 = 0;
    for (; i0 + 8 <= rows; i0 += 8)
        for (int j0 = 0; j0 < columns; j0 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (size_t)(i0 + i) * lds + j0);
            transpose_8x8(r);
            for (int j = 0; j < 8; j++) _mm256_storeu_ps(dst + (size_t)(j0 + j) * ldd + i0, r[j]);
        }
    for (int i = i0; i < rows; i++)
        for (int j = 0; j < columns; j++) dst[(size_t)j * ldd + i] = src[(size_t)i * lds + j];
}
#endif

void sweep_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc,
                 const float *bias, float *workspace) {
#ifdef SWEEP_X86
    if (has_avx2_fma()) {
        if (small_product_applies(transpose_a, transpose_b, m, n, k)) {
            if (scale_result(m, n, k, alpha, beta, c, ldc, bias))
                small_product_avx2(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, beta == 0.0f, bias);
            return;
        }
        if (weight_rows_applies(transpose_a, transpose_b, m, n, k)) {
            if (scale_result(m, n, k, alpha, beta, c, ldc, bias))
                weight_rows_avx2(m, n, k, alpha, a, lda, b, ldb, c, ldc, beta == 0.0f, bias, 0, 0.0f, workspace);
            return;
        }
        if (transposed_result_pays(transpose_a, transpose_b, m, n, beta, bias) && k > 0) {
            gemm_with(micro_avx2, micro_avx2_full_panels, 1, 0, n, m, k, alpha, b, ldb, a, lda, 0.0f, workspace, m, NULL,
                      workspace);
            transpose_into(workspace, m, n, m, c, ldc);
            return;
        }
        gemm_with(micro_avx2, micro_avx2_full_panels, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta,
                  c, ldc, bias, workspace);
        return;
    }
#endif
    gemm_with(micro_portable, NULL, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias,
              workspace);
}

void sweep_linear_leaky_relu_forward(int m, int n, int k, const float *x, int ldx, const float *w, int ldw,
                                     const float *bias, float *h, int ldh, float slope, float *workspace) {
#ifdef SWEEP_X86
    // weight_rows_applies asks for k ≥ 48 and n ≥ 6, not m > 0 (0 is a whole number of 16s).
    if (has_avx2_fma() && m > 0 && weight_rows_applies(0, 1, m, n, k)) {
        weight_rows_avx2(m, n, k, 1.0f, x, ldx, w, ldw, h, ldh, 1, bias, 1, slope, workspace);
        return;
    }
#endif
    sweep_sgemm(0, 1, m, n, k, 1.0f, x, ldx, w, ldw, 0.0f, h, ldh, bias, workspace);
    if (ldh == n) {
        sweep_leaky_relu_forward_in_place(h, (size_t)m * n, slope);
    } else {
        for (int i = 0; i < m; i++) sweep_leaky_relu_forward_in_place(h + (size_t)i * ldh, (size_t)n, slope);
    }
}

void sweep_sgemm_leaky_relu_backward(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                                     float *c, int ldc, const float *z, int ldz, float slope, float *workspace) {
#ifdef SWEEP_X86
    if (has_avx2_fma() && m > 0 && n > 0 && k > 0 && small_product_applies(0, 0, m, n, k)) {
        small_k_gated_avx2(m, n, k, a, lda, b, ldb, c, ldc, z, ldz, slope);
        return;
    }
#endif
    sweep_sgemm(0, 0, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, NULL, workspace);
    if (ldc == n && ldz == n) {
        sweep_leaky_relu_backward_in_place(z, c, (size_t)m * n, slope);
    } else {
        for (int i = 0; i < m; i++)
            sweep_leaky_relu_backward_in_place(z + (size_t)i * ldz, c + (size_t)i * ldc, (size_t)n, slope);
    }
}

void sweep_sgemm_portable(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                          const float *a, int lda, const float *b, int ldb, float beta, float *c,
                          int ldc, const float *bias, float *workspace) {
    gemm_with(micro_portable, NULL, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias,
              workspace);
}
