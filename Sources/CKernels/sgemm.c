// Single-precision GEMM in the BLIS / GotoBLAS shape: pack a KC×NC slab of B and an MC×KC block
// of A into contiguous micro-panels, then run a register-blocked micro-kernel over them: 6×16
// tiles in ymm registers for the portable and AVX2 paths, MR512×32 tiles in zmm registers for
// AVX-512. Packing absorbs both transposes, so one micro-kernel serves all four cases; operands
// that are already laid out as the kernel reads them (a transposed A, full panels of an
// untransposed B) are read in place. Products too small to pay for packing go to
// small_products.c, and a Linear layer's forward product for a batch of 16 to 64 rows to
// weight_rows.c, which reads the weights where they are. Every entry point takes the path to run
// (KernelPath.h), so the same binary runs on any x86-64 processor, and tests run each path.
// Reference: Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", ACM TOMS 41(3), 2015.

#include "CKernels.h"
#include "small_products.h"

#include <string.h>

// Contraction into FMA is explicit in the vector kernels (intrinsics); elsewhere it stays off, so
// the portable kernel rounds the same way on every processor.
#pragma clang fp contract(off)

#ifdef SWEEP_X86
#include <immintrin.h>
#endif

// The portable and AVX2 tile (MR×NR), the AVX-512 tile, and the blocks of the packed operands.
// The AVX-512 tile is 12 rows of two zmm vectors: 24 accumulators, two B vectors and a
// broadcast use 27 of the 32 registers. Measured on Zen 5 (hot caches, best of 300 runs): for
// the reference layer's ∂W and ∂x, 8, 12 and 14 rows are within 2% of one another and 6 rows up
// to 7% slower; at width 1024, 12 rows beat 8 by 12% in ∂W (305 µs against 346) and 14 rows
// gained nothing.
enum { MR = 6, NR = 16, MR512 = 12, NR512 = 32, MC = 96, KC = 256, NC = 1024 };

// Floats after the packed A area, for the overlapping stores of the A packers (16-wide stores of
// MR512 values, 8-wide of MR).
enum { PADDING = 16 };

// The packed A area: a block of MC rows in panels of at most `mr` rows, each padded to `mr`.
#define PACKED_A_FLOATS(mr) ((size_t)(((MC) + (mr)-1) / (mr)) * (mr) * (KC))

size_t sweep_sgemm_workspace_count(void) {
    size_t packed_a = PACKED_A_FLOATS(MR) > PACKED_A_FLOATS(MR512) ? PACKED_A_FLOATS(MR) : PACKED_A_FLOATS(MR512);
    return packed_a + PADDING + (size_t)KC * NC;
}

static inline float *packed_b_area(float *workspace) {
    size_t packed_a = PACKED_A_FLOATS(MR) > PACKED_A_FLOATS(MR512) ? PACKED_A_FLOATS(MR) : PACKED_A_FLOATS(MR512);
    return workspace + packed_a + PADDING;
}

const char *sweep_sgemm_kernel_name(void) { return sweep_kernel_name(sweep_kernel_selected()); }

// Element (row, col) of op(X) where X is stored row-major with stride ld.
static inline float element(const float *x, int ld, int transposed, int row, int col) {
    return transposed ? x[(size_t)col * ld + row] : x[(size_t)row * ld + col];
}

// Row tiles of a block of mc rows: as few as the tile height `mr` allows, their heights
// differing by at most one. 32 rows in 6s become 6+6+5+5+5+5 rather than 6+6+6+6+6+2, whose
// two-row tile runs at a fraction of the FMA rate (too few independent accumulators to cover the
// FMA latency); in 12s, 11+11+10.
typedef struct {
    int count, base, extra;
} row_tiles;

static inline row_tiles split_rows(int mc, int mr) {
    row_tiles t;
    t.count = (mc + mr - 1) / mr;
    t.base = mc / t.count;
    t.extra = mc % t.count;
    return t;
}

static inline int tile_rows(row_tiles t, int index) { return t.base + (index < t.extra); }
static inline int tile_offset(row_tiles t, int index) { return index * t.base + (index < t.extra ? index : t.extra); }

// How a path packs: one micro-panel of `rows` ≤ mr rows of a row-major A (packed[p·mr + i] =
// x[i·ld + p], zero for i ≥ rows), and one nr-column panel of op(B) = Xᵀ for X stored row-major
// (packed[p·nr + j] = x[j·ld + p]).
typedef void (*pack_a_panel)(const float *x, int ld, int rows, int kc, float *packed);
typedef void (*pack_b_panel)(const float *x, int ld, int kc, float *packed);

// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of a row-major A into micro-panels of the row
// counts `split_rows` gives. A stored transposed is never packed: the micro-kernel reads it in
// place.
__attribute__((always_inline))
static inline void pack_a(const int mr, pack_a_panel panel, const float *a, int lda, int i0, int mc, int p0, int kc,
                          float *packed) {
    row_tiles tiles = split_rows(mc, mr);
    for (int t = 0; t < tiles.count; t++) {
        const float *rows = a + (size_t)(i0 + tile_offset(tiles, t)) * lda + p0;
        panel(rows, lda, tile_rows(tiles, t), kc, packed + (size_t)t * mr * kc);
    }
}

// A weight matrix in a Linear forward pass arrives as a transposed B, so this runs every step
// over every weight; the vector versions move square blocks through registers instead of
// gathering scalars.
static void pack_b_transposed_panel_portable(const float *x, int ld, int kc, float *packed) {
    for (int p = 0; p < kc; p++)
        for (int j = 0; j < NR; j++) packed[(size_t)p * NR + j] = x[(size_t)j * ld + p];
}

// The activations and gradients of a batch arrive as a row-major A in the forward pass and in ∂x.
static void pack_a_rows_panel_portable(const float *x, int ld, int rows, int kc, float *packed) {
    for (int p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++) packed[(size_t)p * MR + i] = i < rows ? x[(size_t)i * ld + p] : 0.0f;
}

#ifdef SWEEP_X86
TARGET_AVX2
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

TARGET_AVX2
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

void pack_transposed_panel_avx2(const float *x, int ld, int kc, float *packed) {
    pack_b_transposed_panel_avx2(x, ld, kc, packed);
}

TARGET_AVX512
static void pack_b_transposed_panel_avx512(const float *x, int ld, int kc, float *packed) {
    int p = 0;
    for (; p + 16 <= kc; p += 16) {
        for (int half = 0; half < 2; half++) {
            __m512 r[16];
            for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(x + (size_t)(half * 16 + j) * ld + p);
            transpose_16x16(r);
            for (int q = 0; q < 16; q++) _mm512_storeu_ps(packed + (size_t)(p + q) * NR512 + half * 16, r[q]);
        }
    }
    for (; p < kc; p++)
        for (int j = 0; j < NR512; j++) packed[(size_t)p * NR512 + j] = x[(size_t)j * ld + p];
}

TARGET_AVX512
static void pack_a_rows_panel_avx512(const float *x, int ld, int rows, int kc, float *packed) {
    int p = 0;
    for (; p + 16 <= kc; p += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_loadu_ps(x + (size_t)i * ld + p) : _mm512_setzero_ps();
        transpose_16x16(r);
        // Sixteen-wide stores of MR512 values, spilling into the next step's slots as the AVX2
        // packer does (a masked store per step was slower on Zen 5).
        for (int q = 0; q < 16; q++) _mm512_storeu_ps(packed + (size_t)(p + q) * MR512, r[q]);
    }
    for (; p < kc; p++)
        for (int i = 0; i < MR512; i++) packed[(size_t)p * MR512 + i] = i < rows ? x[(size_t)i * ld + p] : 0.0f;
}

void pack_transposed_panel_avx512(const float *x, int ld, int kc, float *packed) {
    pack_b_transposed_panel_avx512(x, ld, kc, packed);
}
#endif

// Whether full panels of B are read where they are rather than packed: only for a B stored
// untransposed, with rows of at most 2 KiB or, on the AVX-512 path (nr = 32), with at most 64
// rows of A. Further apart, the kc rows a panel spans fall on as many pages and L1 sets, and the
// kernel's loads miss: at 1024 columns, ∂W (1024 rows, each panel of B read by 86 row tiles)
// took 347 µs in place against 318 packed on the AVX-512 path. But packing reads and writes the
// whole of B, which a few row tiles cannot repay: ∂x of a batch of 32 at width 1024 took 305 µs
// in place against 395 packed. The AVX2 path, whose panels are half as wide, gained nothing.
static inline int reads_b_in_place(const int nr, int transposed, int ldb, int m) {
    return !transposed && (ldb <= 512 || (nr == NR512 && m <= 64));
}

// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into nr-column micro-panels, each laid
// out row by row (nr floats per k), zero-padding the last panel. Panel jb sits at packed + jb·kc.
// Full panels that the micro-kernel reads in place (`reads_b_in_place` for A's `m` rows) are left
// out.
__attribute__((always_inline))
static inline void pack_b(const int nr, pack_b_panel transposed_panel, const float *b, int ldb, int transposed,
                          int m, int p0, int kc, int j0, int nc, float *packed) {
    for (int jb = 0; jb < nc; jb += nr, packed += (size_t)nr * kc) {
        int cols = nc - jb < nr ? nc - jb : nr;
        if (reads_b_in_place(nr, transposed, ldb, m) && cols == nr) continue;
        if (transposed && cols == nr) {
            transposed_panel(b + (size_t)(j0 + jb) * ldb + p0, ldb, kc, packed);
            continue;
        }
        if (cols == nr) {
            // Untransposed rows too far apart to read in place: nr floats of each row in turn.
            const float *row = b + (size_t)p0 * ldb + j0 + jb;
            for (int p = 0; p < kc; p++) memcpy(packed + (size_t)p * nr, row + (size_t)p * ldb, nr * sizeof(float));
            continue;
        }
        float *panel = packed;
        for (int p = 0; p < kc; p++) {
            for (int j = 0; j < nr; j++)
                panel[j] = j < cols ? element(b, ldb, transposed, p0 + p, j0 + jb + j) : 0.0f;
            panel += nr;
        }
    }
}

// The micro-kernels compute one tile C[rows×cols] (rows ≤ MR, cols ≤ NR, or MR512 and NR512)
// over kc steps: per step MR consecutive floats of A (`a_step` apart: a packed panel, or a
// transposed A in place) and NR consecutive floats of B (`b_step` apart: a packed panel, or an
// untransposed B in place). `overwrite` stores the result instead of adding it to C, which saves
// zeroing C first when beta is 0. `bias`, when not NULL, holds one value per column of the tile,
// added to every row (a Linear layer's bias, added in the same pass instead of broadcast into C
// beforehand).

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

// Writes R rows of accumulated results into C: all NR512 columns, or the first `cols` through
// masked loads and stores (which touch nothing past them). Rounds as store_tile: one FMA of
// alpha·sum onto the bias, C's value, or both added first.
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void store_tile_avx512(const int R, const __m512 *low, const __m512 *high, float alpha, float *c, int ldc,
                                     int cols, int overwrite, const float *bias) {
    const __m512 va = _mm512_set1_ps(alpha);
    const __mmask16 all = 0xFFFF;
    __mmask16 mask_low = cols >= 16 ? all : (__mmask16)((1u << cols) - 1);
    __mmask16 mask_high = cols >= 32 ? all : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
    __m512 bias_low = bias ? _mm512_maskz_loadu_ps(mask_low, bias) : _mm512_setzero_ps();
    __m512 bias_high = bias ? _mm512_maskz_loadu_ps(mask_high, bias + 16) : _mm512_setzero_ps();
    // Unrolled (as every loop over R below), so that the accumulators stay in registers.
#pragma unroll
    for (int i = 0; i < R; i++) {
        float *row = c + (size_t)i * ldc;
        __m512 result_low, result_high;
        if (overwrite) {
            result_low = bias ? _mm512_fmadd_ps(va, low[i], bias_low) : _mm512_mul_ps(va, low[i]);
            result_high = bias ? _mm512_fmadd_ps(va, high[i], bias_high) : _mm512_mul_ps(va, high[i]);
        } else {
            __m512 base_low = cols == NR512 ? _mm512_loadu_ps(row) : _mm512_maskz_loadu_ps(mask_low, row);
            __m512 base_high = cols == NR512 ? _mm512_loadu_ps(row + 16) : _mm512_maskz_loadu_ps(mask_high, row + 16);
            if (bias) {
                base_low = _mm512_add_ps(base_low, bias_low);
                base_high = _mm512_add_ps(base_high, bias_high);
            }
            result_low = _mm512_fmadd_ps(va, low[i], base_low);
            result_high = _mm512_fmadd_ps(va, high[i], base_high);
        }
        if (cols == NR512) {
            _mm512_storeu_ps(row, result_low);
            _mm512_storeu_ps(row + 16, result_high);
        } else {
            _mm512_mask_storeu_ps(row, mask_low, result_low);
            _mm512_mask_storeu_ps(row + 16, mask_high, result_high);
        }
    }
}

// R ≤ MR512 rows × 32 columns: 2R accumulators, two B vectors and a broadcast.
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void tile_avx512(const int R, int kc, float alpha, const float *ap, long a_step, const float *bp,
                               long b_step, float *c, int ldc, int cols, int overwrite, const float *bias) {
    __m512 low[MR512], high[MR512];
#pragma unroll
    for (int i = 0; i < R; i++) low[i] = high[i] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(bp);
        __m512 b1 = _mm512_loadu_ps(bp + 16);
#pragma unroll
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(ap[i]);
            low[i] = _mm512_fmadd_ps(ai, b0, low[i]);
            high[i] = _mm512_fmadd_ps(ai, b1, high[i]);
        }
        ap += a_step;
        bp += b_step;
    }
    store_tile_avx512(R, low, high, alpha, c, ldc, cols, overwrite, bias);
}

// A tile of R < 5 rows, with S interleaved partial sums over k as micro_avx2_partial: an FMA's
// result is ready 4 cycles after it issues and two issue per cycle, so at least 8 must be in
// flight, and 2R accumulators are fewer.
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void partial_tile_avx512(const int R, const int S, int kc, float alpha, const float *ap, long a_step,
                                       const float *bp, long b_step, float *c, int ldc, int cols, int overwrite,
                                       const float *bias) {
    __m512 low[6][4], high[6][4];
    for (int s = 0; s < S; s++)
        for (int i = 0; i < R; i++) low[s][i] = high[s][i] = _mm512_setzero_ps();
    int p = 0;
    for (; p + S <= kc; p += S) {
        for (int s = 0; s < S; s++) {
            __m512 b0 = _mm512_loadu_ps(bp);
            __m512 b1 = _mm512_loadu_ps(bp + 16);
#pragma unroll
            for (int i = 0; i < R; i++) {
                __m512 ai = _mm512_set1_ps(ap[i]);
                low[s][i] = _mm512_fmadd_ps(ai, b0, low[s][i]);
                high[s][i] = _mm512_fmadd_ps(ai, b1, high[s][i]);
            }
            ap += a_step;
            bp += b_step;
        }
    }
    for (; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(bp);
        __m512 b1 = _mm512_loadu_ps(bp + 16);
#pragma unroll
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(ap[i]);
            low[0][i] = _mm512_fmadd_ps(ai, b0, low[0][i]);
            high[0][i] = _mm512_fmadd_ps(ai, b1, high[0][i]);
        }
        ap += a_step;
        bp += b_step;
    }
    for (int s = 1; s < S; s++)
        for (int i = 0; i < R; i++) {
            low[0][i] = _mm512_add_ps(low[0][i], low[s][i]);
            high[0][i] = _mm512_add_ps(high[0][i], high[s][i]);
        }
    store_tile_avx512(R, low[0], high[0], alpha, c, ldc, cols, overwrite, bias);
}

#define MICRO_AVX512_PARTIAL(R, S)                                                                                \
    TARGET_AVX512 static void micro_avx512_##R(int kc, float alpha, const float *ap, long a_step, const float *bp, \
                                               long b_step, float *c, int ldc, int cols, int overwrite,           \
                                               const float *bias) {                                               \
        partial_tile_avx512(R, S, kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias);            \
    }
#define MICRO_AVX512(R)                                                                                           \
    TARGET_AVX512 static void micro_avx512_##R(int kc, float alpha, const float *ap, long a_step, const float *bp, \
                                               long b_step, float *c, int ldc, int cols, int overwrite,           \
                                               const float *bias) {                                               \
        tile_avx512(R, kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias);                       \
    }
MICRO_AVX512_PARTIAL(1, 6)
MICRO_AVX512_PARTIAL(2, 3)
MICRO_AVX512_PARTIAL(3, 2)
MICRO_AVX512_PARTIAL(4, 2)
MICRO_AVX512(5)
MICRO_AVX512(6)
MICRO_AVX512(7)
MICRO_AVX512(8)
MICRO_AVX512(9)
MICRO_AVX512(10)
MICRO_AVX512(11)
MICRO_AVX512(12)

static void micro_avx512(int kc, float alpha, const float *ap, long a_step, const float *bp, long b_step, float *c,
                         int ldc, int rows, int cols, int overwrite, const float *bias) {
    typedef void (*tile_kernel)(int, float, const float *, long, const float *, long, float *, int, int, int,
                                const float *);
    static const tile_kernel tiles[MR512 + 1] = {
        NULL, micro_avx512_1, micro_avx512_2, micro_avx512_3, micro_avx512_4, micro_avx512_5, micro_avx512_6,
        micro_avx512_7, micro_avx512_8, micro_avx512_9, micro_avx512_10, micro_avx512_11, micro_avx512_12,
    };
    tiles[rows](kc, alpha, ap, a_step, bp, b_step, c, ldc, cols, overwrite, bias);
}

// Full MR512-row tiles across whole panels of a B read in place, as micro_avx2_full_panels.
TARGET_AVX512
static void micro_avx512_full_panels(int panels, int kc, float alpha, const float *ap, long a_step, const float *bp,
                                     long b_step, float *c, int ldc, int overwrite, const float *bias) {
    for (int q = 0; q < panels; q++)
        tile_avx512(MR512, kc, alpha, ap, a_step, bp + (size_t)q * NR512, b_step, c + (size_t)q * NR512, ldc,
                    NR512, overwrite, bias ? bias + (size_t)q * NR512 : NULL);
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

// The driver, for a tile of mr × nr and the path's kernels and packers. Inlined into each caller
// with constant arguments, so that the kernels are known functions there: their call per tile
// (hundreds per training step, each over as few as 32 steps of k) is direct.
__attribute__((always_inline))
static inline void gemm_with(const int mr, const int nr, micro_kernel kernel, panels_kernel panels,
                             pack_a_panel a_panel, pack_b_panel b_panel, int transpose_a, int transpose_b, int m,
                             int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                             float *c, int ldc, const float *bias, float *workspace) {
    if (!scale_result(m, n, k, alpha, beta, c, ldc, bias)) return;

    float *packed_a = workspace;
    float *packed_b = packed_b_area(workspace);

    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = k - p0 < KC ? k - p0 : KC;
            int overwrite = beta == 0.0f && p0 == 0;
            pack_b(nr, b_panel, b, ldb, transpose_b, m, p0, kc, j0, nc, packed_b);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                row_tiles tiles = split_rows(mc, mr);
                // A stored transposed already has each step's rows side by side, one row of the
                // stored matrix apart: the kernel reads it in place. Otherwise it is packed.
                if (!transpose_a) pack_a(mr, a_panel, a, lda, i0, mc, p0, kc, packed_a);
                // A transposed in place (a weight gradient, k its batch): each row of tiles goes
                // across every panel in turn, the whole panels of B in one call, while its strip of
                // A stays in cache. Faster at every shape measured (32 to 1024 wide, k from 8 to
                // 1280). Each tile adds up the same products in the same order.
                if (transpose_a && panels) {
                    int whole = reads_b_in_place(nr, transpose_b, ldb, m) ? nc / nr : 0;
                    for (int t = 0; t < tiles.count; t++) {
                        int ib = tile_offset(tiles, t), rows = tile_rows(tiles, t);
                        const float *ap = a + (size_t)p0 * lda + i0 + ib;
                        float *row = c + (size_t)(i0 + ib) * ldc + j0;
                        const float *row_bias = bias && p0 == 0 ? bias + j0 : NULL;
                        int done = rows == mr ? whole : 0;
                        if (done > 0)
                            panels(done, kc, alpha, ap, lda, b + (size_t)p0 * ldb + j0, ldb, row, ldc, overwrite, row_bias);
                        for (int jb = done * nr; jb < nc; jb += nr) {
                            int cols = nc - jb < nr ? nc - jb : nr;
                            int b_in_place = reads_b_in_place(nr, transpose_b, ldb, m) && cols == nr;
                            const float *bp = b_in_place ? b + (size_t)p0 * ldb + j0 + jb : packed_b + (size_t)jb * kc;
                            kernel(kc, alpha, ap, lda, bp, b_in_place ? ldb : nr, row + jb, ldc, rows, cols, overwrite,
                                   row_bias ? row_bias + jb : NULL);
                        }
                    }
                    continue;
                }
                for (int jb = 0; jb < nc; jb += nr) {
                    int cols = nc - jb < nr ? nc - jb : nr;
                    int b_in_place = reads_b_in_place(nr, transpose_b, ldb, m) && cols == nr;
                    const float *bp = b_in_place ? b + (size_t)p0 * ldb + j0 + jb : packed_b + (size_t)jb * kc;
                    long b_step = b_in_place ? ldb : nr;
                    for (int t = 0; t < tiles.count; t++) {
                        int ib = tile_offset(tiles, t);
                        const float *ap = transpose_a ? a + (size_t)p0 * lda + i0 + ib : packed_a + (size_t)t * mr * kc;
                        long a_step = transpose_a ? lda : mr;
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

static void sgemm_portable(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a,
                           int lda, const float *b, int ldb, float beta, float *c, int ldc, const float *bias,
                           float *workspace) {
    gemm_with(MR, NR, micro_portable, NULL, pack_a_rows_panel_portable, pack_b_transposed_panel_portable,
              transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, workspace);
}

#ifdef SWEEP_X86
// ∂W of a first layer, Aᵀ·B with n its input features: 20 of them fill one nr-column panel and
// a quarter (or, 32 wide, five eighths) of the next, whose tiles do four times the work they
// keep. Computed as Bᵀ·A instead, the m outputs (whole panels) run across the tiles and the n
// features down them (4 tiles of 5 rows for 20), into the workspace's packed-A area (a transposed
// A is never packed), then turned round into C. For 128×20 over 32 rows: 2.3 µs against 3.2.
static int transposed_result_pays(const int nr, int transpose_a, int transpose_b, int m, int n, float beta,
                                  const float *bias) {
    return transpose_a && !transpose_b && beta == 0.0f && !bias && n % nr != 0 && n < 2 * nr && m % nr == 0 &&
           (size_t)m * n <= (size_t)MC * KC;
}

// dst[j·ldd + i] = src[i·lds + j] for i < rows, j < columns (a multiple of 8).
TARGET_AVX2
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

static void sgemm_avx2(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc, const float *bias, float *workspace) {
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
    if (transposed_result_pays(NR, transpose_a, transpose_b, m, n, beta, bias) && k > 0) {
        gemm_with(MR, NR, micro_avx2, micro_avx2_full_panels, pack_a_rows_panel_avx2, pack_b_transposed_panel_avx2, 1,
                  0, n, m, k, alpha, b, ldb, a, lda, 0.0f, workspace, m, NULL, workspace);
        transpose_into(workspace, m, n, m, c, ldc);
        return;
    }
    gemm_with(MR, NR, micro_avx2, micro_avx2_full_panels, pack_a_rows_panel_avx2, pack_b_transposed_panel_avx2,
              transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, workspace);
}

static void sgemm_avx512(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc, const float *bias,
                         float *workspace) {
    if (small_product_applies(transpose_a, transpose_b, m, n, k)) {
        if (scale_result(m, n, k, alpha, beta, c, ldc, bias))
            small_product_avx512(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, beta == 0.0f, bias);
        return;
    }
    if (weight_rows_avx512_applies(transpose_a, transpose_b, m, n, k)) {
        if (scale_result(m, n, k, alpha, beta, c, ldc, bias))
            weight_rows_avx512(m, n, k, alpha, a, lda, b, ldb, c, ldc, beta == 0.0f, bias, 0, 0.0f, workspace);
        return;
    }
    if (weight_rows_applies(transpose_a, transpose_b, m, n, k)) {
        // 16 or 48 rows, which the 32-row tiles of the AVX-512 version do not divide.
        if (scale_result(m, n, k, alpha, beta, c, ldc, bias))
            weight_rows_avx2(m, n, k, alpha, a, lda, b, ldb, c, ldc, beta == 0.0f, bias, 0, 0.0f, workspace);
        return;
    }
    if (transposed_result_pays(NR512, transpose_a, transpose_b, m, n, beta, bias) && k > 0) {
        gemm_with(MR512, NR512, micro_avx512, micro_avx512_full_panels, pack_a_rows_panel_avx512,
                  pack_b_transposed_panel_avx512, 1, 0, n, m, k, alpha, b, ldb, a, lda, 0.0f, workspace, m, NULL,
                  workspace);
        transpose_into(workspace, m, n, m, c, ldc);
        return;
    }
    gemm_with(MR512, NR512, micro_avx512, micro_avx512_full_panels, pack_a_rows_panel_avx512,
              pack_b_transposed_panel_avx512, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
              bias, workspace);
}
#endif

void sweep_sgemm(sweep_kernel kernel, int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc,
                 const float *bias, float *workspace) {
    switch (kernel) {
#ifdef SWEEP_X86
    case SWEEP_KERNEL_AVX512:
        sgemm_avx512(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, workspace);
        return;
    case SWEEP_KERNEL_AVX2:
        sgemm_avx2(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, workspace);
        return;
#endif
    default:
        sgemm_portable(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, workspace);
    }
}

void sweep_linear_leaky_relu_forward(sweep_kernel kernel, int m, int n, int k, const float *x, int ldx,
                                     const float *w, int ldw, const float *bias, float *h, int ldh, float slope,
                                     float *workspace) {
#ifdef SWEEP_X86
    // The weight-row kernels ask for k ≥ 48 and n ≥ 6, not m > 0 (0 is a whole number of 16s).
    if (kernel == SWEEP_KERNEL_AVX512 && m > 0 && weight_rows_avx512_applies(0, 1, m, n, k)) {
        weight_rows_avx512(m, n, k, 1.0f, x, ldx, w, ldw, h, ldh, 1, bias, 1, slope, workspace);
        return;
    }
    if (kernel >= SWEEP_KERNEL_AVX2 && m > 0 && weight_rows_applies(0, 1, m, n, k)) {
        weight_rows_avx2(m, n, k, 1.0f, x, ldx, w, ldw, h, ldh, 1, bias, 1, slope, workspace);
        return;
    }
#endif
    sweep_sgemm(kernel, 0, 1, m, n, k, 1.0f, x, ldx, w, ldw, 0.0f, h, ldh, bias, workspace);
    if (ldh == n) {
        sweep_leaky_relu_forward_in_place(kernel, h, (size_t)m * n, slope);
    } else {
        for (int i = 0; i < m; i++) sweep_leaky_relu_forward_in_place(kernel, h + (size_t)i * ldh, (size_t)n, slope);
    }
}

void sweep_sgemm_leaky_relu_backward(sweep_kernel kernel, int m, int n, int k, const float *a, int lda,
                                     const float *b, int ldb, float *c, int ldc, const float *z, int ldz, float slope,
                                     float *workspace) {
#ifdef SWEEP_X86
    if (kernel >= SWEEP_KERNEL_AVX2 && m > 0 && n > 0 && k > 0 && small_product_applies(0, 0, m, n, k)) {
        if (kernel == SWEEP_KERNEL_AVX512) small_k_gated_avx512(m, n, k, a, lda, b, ldb, c, ldc, z, ldz, slope);
        else small_k_gated_avx2(m, n, k, a, lda, b, ldb, c, ldc, z, ldz, slope);
        return;
    }
#endif
    sweep_sgemm(kernel, 0, 0, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, NULL, workspace);
    if (ldc == n && ldz == n) {
        sweep_leaky_relu_backward_in_place(kernel, z, c, (size_t)m * n, slope);
    } else {
        for (int i = 0; i < m; i++)
            sweep_leaky_relu_backward_in_place(kernel, z + (size_t)i * ldz, c + (size_t)i * ldc, (size_t)n, slope);
    }
}
