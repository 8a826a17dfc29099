// A Linear layer's weight gradient and the optimizer's update of that weight, in one pass on the
// AVX-512 path: ∂W = ∂zᵀ·x tile by tile, and while the FMAs of one tile run, the update of the
// tile before it. Adam, RMSprop and Adagrad are bound by the divider (a square root and a
// division per weight: on Zen 4 Adam's step on 32,768 weights takes 9.1 µs, 4.8 without them),
// the product by the FMA units, and out of order the two overlap. Measured on Zen 4 for the
// reference trial's 256 × 128 weight over a batch of 32 (hot caches, best of 300 runs of 20
// calls): Adam 25.9 µs against 28.2 for the product and then the step (the reference trial,
// 0.153 s against 0.158); RMSprop 23.3 µs against 28.1 (with momentum 24.5), Adagrad 22.3.
//
// The values are those of sweep_sgemm followed by the optimizer's own step (sweep_adam_step,
// sweep_rmsprop_step, sweep_adagrad_step), bit for bit: each element of ∂W is one accumulator
// taking the batch's products in order from zero, as sgemm.c's tiles of 5 or more rows do, and
// each update performs its step's operations in their order (contraction off here as there).
// Other paths and shapes run the two calls.

#include "CKernels.h"
#include "paths.h"
#include "small_products.h"

#pragma clang fp contract(off)

#ifdef SWEEP_X86
#include <immintrin.h>

// The tile: 8 rows of ∂W × 32 columns, 16 accumulators. With Adam's operands beside them, 12
// rows (sgemm.c's tiles) ran out of registers and were slower than the two calls apart.
enum { FUSED_ROWS = 8, FUSED_COLUMNS = 32, FUSED_MAX_K = 256, FUSED_MAX_COLUMNS = 512, FUSED_MAX_WEIGHTS = 131072 };

// Which update a pass applies. RMSprop with momentum keeps a velocity besides its average.
enum { UPDATE_ADAM, UPDATE_RMSPROP, UPDATE_RMSPROP_MOMENTUM, UPDATE_ADAGRAD };

// An update's state (Adam: the moments; RMSprop: the square average and the velocity; Adagrad:
// the sums, in `first`) and its settings, as the optimizer's own step takes them.
typedef struct {
    float *first, *second;
    float keep1, beta2, keep2, inverse_root_correction2, step_size, l2, shrink; // Adam
    float rate, decay, alpha, keep, momentum;                                    // RMSprop, Adagrad
    float epsilon;
} update_settings;

#define BROADCAST(x) _mm512_set1_ps(x)

// The update of 16 weights at `offset`, the optimizer's step's operations in their order. `kind`
// is a constant where this is inlined. The settings are broadcast from memory at each use: held
// in registers beside the tile's 16 accumulators, Adam's cost the reference trial 1% (0.156 s
// against 0.153).
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void update_vector(const int kind, float *w, const float *g, long offset, const update_settings *u) {
    float *first = u->first + offset;
    if (kind == UPDATE_ADAM) {
        float *second = u->second + offset;
        __m512 weight = _mm512_mul_ps(_mm512_loadu_ps(w + offset), BROADCAST(u->shrink));
        __m512 gradient = _mm512_add_ps(_mm512_loadu_ps(g + offset), _mm512_mul_ps(BROADCAST(u->l2), weight));
        __m512 old_first = _mm512_loadu_ps(first);
        __m512 new_first = _mm512_add_ps(old_first, _mm512_mul_ps(BROADCAST(u->keep1), _mm512_sub_ps(gradient, old_first)));
        __m512 new_second = _mm512_add_ps(_mm512_mul_ps(BROADCAST(u->beta2), _mm512_loadu_ps(second)),
                                          _mm512_mul_ps(_mm512_mul_ps(BROADCAST(u->keep2), gradient), gradient));
        __m512 denominator = _mm512_add_ps(
            _mm512_mul_ps(_mm512_sqrt_ps(new_second), BROADCAST(u->inverse_root_correction2)), BROADCAST(u->epsilon));
        _mm512_storeu_ps(first, new_first);
        _mm512_storeu_ps(second, new_second);
        _mm512_storeu_ps(w + offset, _mm512_sub_ps(weight, _mm512_mul_ps(BROADCAST(u->step_size),
                                                                          _mm512_div_ps(new_first, denominator))));
        return;
    }
    __m512 weight = _mm512_loadu_ps(w + offset);
    __m512 gradient = _mm512_add_ps(_mm512_loadu_ps(g + offset), _mm512_mul_ps(BROADCAST(u->decay), weight));
    __m512 step;
    if (kind == UPDATE_ADAGRAD) {
        __m512 sum = _mm512_add_ps(_mm512_loadu_ps(first), _mm512_mul_ps(gradient, gradient));
        _mm512_storeu_ps(first, sum);
        step = _mm512_div_ps(gradient, _mm512_add_ps(_mm512_sqrt_ps(sum), BROADCAST(u->epsilon)));
    } else {
        __m512 average = _mm512_add_ps(_mm512_mul_ps(BROADCAST(u->alpha), _mm512_loadu_ps(first)),
                                       _mm512_mul_ps(_mm512_mul_ps(BROADCAST(u->keep), gradient), gradient));
        _mm512_storeu_ps(first, average);
        step = _mm512_div_ps(gradient, _mm512_add_ps(_mm512_sqrt_ps(average), BROADCAST(u->epsilon)));
        if (kind == UPDATE_RMSPROP_MOMENTUM) {
            float *velocity = u->second + offset;
            step = _mm512_add_ps(_mm512_mul_ps(BROADCAST(u->momentum), _mm512_loadu_ps(velocity)), step);
            _mm512_storeu_ps(velocity, step);
        }
    }
    _mm512_storeu_ps(w + offset, _mm512_sub_ps(weight, _mm512_mul_ps(BROADCAST(u->rate), step)));
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
// in place) and x's rows (b_step apart); meanwhile the update of the `jobs` ≤ 16 vectors of the
// previous tile at `previous` (row stride ld, two vectors a row), one per step of k from the first.
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void tile_and_update(const int kind, int k, const float *a, long a_step, const float *b, long b_step,
                                   float *c, int ldc, float *w, const float *g, long previous, long ld, int jobs,
                                   const update_settings *update) {
    __m512 low[FUSED_ROWS], high[FUSED_ROWS];
#pragma unroll
    for (int i = 0; i < FUSED_ROWS; i++) low[i] = high[i] = _mm512_setzero_ps();
    // The steps of k that carry an update, then those that do not: no test in the loops.
    int p = 0;
    for (const int with = jobs < k ? jobs : k; p < with; p++) {
        product_step(low, high, a, b);
        update_vector(kind, w, g, previous + (long)(p >> 1) * ld + (p & 1) * 16, update);
        a += a_step;
        b += b_step;
    }
    for (; p < k; p++) {
        product_step(low, high, a, b);
        a += a_step;
        b += b_step;
    }
    for (; p < jobs; p++) update_vector(kind, w, g, previous + (long)(p >> 1) * ld + (p & 1) * 16, update);
#pragma unroll
    for (int i = 0; i < FUSED_ROWS; i++) {
        _mm512_storeu_ps(c + (size_t)i * ldc, low[i]);
        _mm512_storeu_ps(c + (size_t)i * ldc + 16, high[i]);
    }
}

// Whether the fused pass runs for this call, else the product and then the optimizer's step: on
// the AVX-512 path, for whole tiles only, one block of k (sgemm.c adds blocks of KC = 256 steps one onto the other,
// which rounds differently), and not a shape that sgemm.c gives to small_products.c. Then only
// where it pays, measured on Zen 4 at a batch of 32 (fused / apart): rows of at most 2 KiB, for
// rows 4 KiB apart fall on the same L1 sets (64 × 1024: 1.15); and at most 131,072 weights, so
// that weights, gradient and moments stay near the core (256 × 512: 0.96, 512 × 256: 1.00,
// 512 × 512: 1.02, 1024 × 1024: 1.58; 128 × 128: 0.90, 64 × 64: 0.85).
static int fuses(sweep_kernel kernel, int m, int n, int k) {
    return kernel == SWEEP_KERNEL_AVX512 && m >= FUSED_ROWS && m % FUSED_ROWS == 0 && n >= FUSED_COLUMNS && n % FUSED_COLUMNS == 0 &&
           n <= FUSED_MAX_COLUMNS && (long)m * n <= FUSED_MAX_WEIGHTS && k >= 1 && k <= FUSED_MAX_K &&
           !small_product_applies(1, 0, m, n, k);
}

__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), always_inline))
static inline void weight_gradient_update_avx512(const int kind, int m, int n, int k, const float *dz, int lddz,
                                                 const float *x, int ldx, float *gradient, float *w,
                                                 const update_settings *update) {
    const int jobs = FUSED_ROWS * FUSED_COLUMNS / 16;
    long previous = -1;
    for (int i0 = 0; i0 < m; i0 += FUSED_ROWS)
        for (int j0 = 0; j0 < n; j0 += FUSED_COLUMNS) {
            long tile = (long)i0 * n + j0;
            tile_and_update(kind, k, dz + i0, lddz, x + j0, ldx, gradient + tile, n, w, gradient,
                            previous < 0 ? 0 : previous, n, previous < 0 ? 0 : jobs, update);
            previous = tile;
        }
    for (int job = 0; job < jobs; job++)
        update_vector(kind, w, gradient, previous + (long)(job >> 1) * n + (job & 1) * 16, update);
}

// The pass for each update, its kind a constant.
#define UPDATE_PASS(name, kind)                                                                                  \
    TARGET_AVX512 static void name(int m, int n, int k, const float *dz, int lddz, const float *x, int ldx,        \
                                   float *gradient, float *w, const update_settings *update) {                    \
        weight_gradient_update_avx512(kind, m, n, k, dz, lddz, x, ldx, gradient, w, update);                      \
    }
UPDATE_PASS(adam_pass, UPDATE_ADAM)
UPDATE_PASS(rmsprop_pass, UPDATE_RMSPROP)
UPDATE_PASS(rmsprop_momentum_pass, UPDATE_RMSPROP_MOMENTUM)
UPDATE_PASS(adagrad_pass, UPDATE_ADAGRAD)
#endif

void sweep_weight_gradient_adam(sweep_kernel kernel, int m, int n, int k, const float *dz, int lddz, const float *x,
                                int ldx, float *gradient, float *w, float *first_moment, float *second_moment,
                                float beta1, float beta2, float step_size, float inverse_root_correction2,
                                float epsilon, float l2, float shrink, float *workspace) {
#ifdef SWEEP_X86
    if (fuses(kernel, m, n, k)) {
        const update_settings update = {.first = first_moment, .second = second_moment, .keep1 = 1 - beta1,
                                        .beta2 = beta2, .keep2 = 1 - beta2,
                                        .inverse_root_correction2 = inverse_root_correction2,
                                        .step_size = step_size, .l2 = l2, .shrink = shrink, .epsilon = epsilon};
        adam_pass(m, n, k, dz, lddz, x, ldx, gradient, w, &update);
        return;
    }
#endif
    sweep_sgemm(kernel, 1, 0, m, n, k, 1.0f, dz, lddz, x, ldx, 0.0f, gradient, n, NULL, workspace);
    sweep_adam_step(kernel, w, gradient, first_moment, second_moment, (size_t)m * n, beta1, beta2, step_size,
                    inverse_root_correction2, epsilon, l2, shrink);
}

void sweep_weight_gradient_rmsprop(sweep_kernel kernel, int m, int n, int k, const float *dz, int lddz,
                                   const float *x, int ldx, float *gradient, float *w, float *square_average,
                                   float *velocity, float rate, float decay, float alpha, float epsilon,
                                   float momentum, float *workspace) {
#ifdef SWEEP_X86
    if (fuses(kernel, m, n, k)) {
        const update_settings update = {.first = square_average, .second = velocity, .rate = rate, .decay = decay,
                                        .alpha = alpha, .keep = 1 - alpha, .momentum = momentum,
                                        .epsilon = epsilon};
        if (velocity) rmsprop_momentum_pass(m, n, k, dz, lddz, x, ldx, gradient, w, &update);
        else rmsprop_pass(m, n, k, dz, lddz, x, ldx, gradient, w, &update);
        return;
    }
#endif
    sweep_sgemm(kernel, 1, 0, m, n, k, 1.0f, dz, lddz, x, ldx, 0.0f, gradient, n, NULL, workspace);
    sweep_rmsprop_step(kernel, w, gradient, square_average, velocity, (size_t)m * n, rate, decay, alpha, epsilon,
                       momentum);
}

void sweep_weight_gradient_adagrad(sweep_kernel kernel, int m, int n, int k, const float *dz, int lddz,
                                   const float *x, int ldx, float *gradient, float *w, float *sums, float rate,
                                   float decay, float epsilon, float *workspace) {
#ifdef SWEEP_X86
    if (fuses(kernel, m, n, k)) {
        const update_settings update = {.first = sums, .rate = rate, .decay = decay, .epsilon = epsilon};
        adagrad_pass(m, n, k, dz, lddz, x, ldx, gradient, w, &update);
        return;
    }
#endif
    sweep_sgemm(kernel, 1, 0, m, n, k, 1.0f, dz, lddz, x, ldx, 0.0f, gradient, n, NULL, workspace);
    sweep_adagrad_step(kernel, w, gradient, sums, (size_t)m * n, rate, decay, epsilon);
}
