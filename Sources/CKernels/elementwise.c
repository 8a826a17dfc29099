// Element-wise kernels of the training step; see Elementwise.h for each formula. Most are one
// plain loop (a `_body` function) compiled three times, for AVX-512, for AVX2 and for a baseline
// processor (PATHS below), and the caller's `kernel` picks one: the loops vectorise 16, 8 or 4
// floats wide. Contraction into FMA is off, so all three versions round identically; tanh,
// sigmoid, dropout masks and the softmax's e^x and ln x are written by hand per path.

#include "Elementwise.h"
#include "paths.h"

#include <math.h>

#pragma clang fp contract(off)

#ifdef SWEEP_X86
#include <immintrin.h>

// Defines name_avx512, name_avx2 and name_portable: `name##_body` (always inlined) compiled for
// each instruction set. PATH_CALL runs the one `kernel` names.
#define PATHS(name, params, args)                                   \
    TARGET_AVX512 static void name##_avx512 params { name##_body args; } \
    TARGET_AVX2 static void name##_avx2 params { name##_body args; }     \
    static void name##_portable params { name##_body args; }
#define PATH_CALL(kernel, name, args)                               \
    do {                                                            \
        switch (kernel) {                                           \
        case SWEEP_KERNEL_AVX512: name##_avx512 args; break;         \
        case SWEEP_KERNEL_AVX2: name##_avx2 args; break;             \
        default: name##_portable args; break;                       \
        }                                                           \
    } while (0)
#else
#define PATHS(name, params, args) \
    static void name##_portable params { name##_body args; }
#define PATH_CALL(kernel, name, args) name##_portable args
#endif

#define BODY static inline __attribute__((always_inline)) void

#ifdef SWEEP_X86
// tanh(x) = x·P(x²)/Q(x²) for |x| < 9.0109 (13·ln 2, from where tanh rounds to ±1 in float),
// ±1 beyond; P of degree 6 and Q of degree 3 in x², fitted by tools/fit_tanh.py to a relative
// error of 6.8e-9 on [0, 9.02]. Evaluated in float, the error over every float (checked by
// tools/check_tanh.c) is at most 5.2 ulp, 3.1e-7 relative; glibc's vector tanhf is within
// 1.03 ulp but takes nearly three times as long, and tanh is the costliest step of a small tanh
// network. NaN stays NaN. The AVX-512 version below performs the same operations 16 wide, so
// the two give the same values.
TARGET_AVX2 static inline __m256 tanh_rational(__m256 x) {
    const __m256 sign_bit = _mm256_set1_ps(-0.0f);
    __m256 t = _mm256_mul_ps(x, x);
    __m256 num = _mm256_set1_ps(-8.4356915691876654495e-14f);
    num = _mm256_fmadd_ps(num, t, _mm256_set1_ps(5.2577119587592518979e-11f));
    num = _mm256_fmadd_ps(num, t, _mm256_set1_ps(-2.0183993648625276615e-8f));
    num = _mm256_fmadd_ps(num, t, _mm256_set1_ps(0.000011144302483548539076f));
    num = _mm256_fmadd_ps(num, t, _mm256_set1_ps(0.0031030086271164690201f));
    num = _mm256_fmadd_ps(num, t, _mm256_set1_ps(0.13083164415449377831f));
    num = _mm256_fmadd_ps(num, t, _mm256_set1_ps(0.99999999333316720162f));
    __m256 den = _mm256_set1_ps(0.00025447599875304685796f);
    den = _mm256_fmadd_ps(den, t, _mm256_set1_ps(0.024491413135161391982f));
    den = _mm256_fmadd_ps(den, t, _mm256_set1_ps(0.46416491428234774016f));
    den = _mm256_fmadd_ps(den, t, _mm256_set1_ps(1.0f));
    __m256 y = _mm256_div_ps(_mm256_mul_ps(x, num), den);
    __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(sign_bit, x));
    __m256 saturated = _mm256_cmp_ps(_mm256_andnot_ps(sign_bit, x), _mm256_set1_ps(9.0109133f), _CMP_GE_OQ);
    return _mm256_blendv_ps(y, one, saturated);
}

TARGET_AVX512 static inline __m512 tanh_rational_avx512(__m512 x) {
    const __m512 sign_bit = _mm512_set1_ps(-0.0f);
    __m512 t = _mm512_mul_ps(x, x);
    __m512 num = _mm512_set1_ps(-8.4356915691876654495e-14f);
    num = _mm512_fmadd_ps(num, t, _mm512_set1_ps(5.2577119587592518979e-11f));
    num = _mm512_fmadd_ps(num, t, _mm512_set1_ps(-2.0183993648625276615e-8f));
    num = _mm512_fmadd_ps(num, t, _mm512_set1_ps(0.000011144302483548539076f));
    num = _mm512_fmadd_ps(num, t, _mm512_set1_ps(0.0031030086271164690201f));
    num = _mm512_fmadd_ps(num, t, _mm512_set1_ps(0.13083164415449377831f));
    num = _mm512_fmadd_ps(num, t, _mm512_set1_ps(0.99999999333316720162f));
    __m512 den = _mm512_set1_ps(0.00025447599875304685796f);
    den = _mm512_fmadd_ps(den, t, _mm512_set1_ps(0.024491413135161391982f));
    den = _mm512_fmadd_ps(den, t, _mm512_set1_ps(0.46416491428234774016f));
    den = _mm512_fmadd_ps(den, t, _mm512_set1_ps(1.0f));
    __m512 y = _mm512_div_ps(_mm512_mul_ps(x, num), den);
    __m512 one = _mm512_or_ps(_mm512_set1_ps(1.0f), _mm512_and_ps(sign_bit, x));
    __mmask16 saturated = _mm512_cmp_ps_mask(_mm512_andnot_ps(sign_bit, x), _mm512_set1_ps(9.0109133f), _CMP_GE_OQ);
    return _mm512_mask_blend_ps(saturated, y, one);
}

TARGET_AVX2 static void tanh_forward_avx2(const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, tanh_rational(_mm256_loadu_ps(x + i)));
    if (i < count) {
        // The last count mod 8 through a copy, so that the tail rounds like the rest.
        float in[8] = {0}, out[8];
        for (size_t j = i; j < count; j++) in[j - i] = x[j];
        _mm256_storeu_ps(out, tanh_rational(_mm256_loadu_ps(in)));
        for (size_t j = i; j < count; j++) y[j] = out[j - i];
    }
}

TARGET_AVX512 static void tanh_forward_avx512(const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, tanh_rational_avx512(_mm512_loadu_ps(x + i)));
    if (i < count) {
        __mmask16 tail = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(y + i, tail, tanh_rational_avx512(_mm512_maskz_loadu_ps(tail, x + i)));
    }
}
#endif

// glibc's vector math library (libmvec) has 8-wide AVX2 and 16-wide AVX-512 expf and logf from
// glibc 2.35 within a few ulp of the scalar functions, far inside the engine's 1e-5 tolerance.
#if defined(__x86_64__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define SWEEP_LIBMVEC 1
TARGET_AVX2 __m256 _ZGVdN8v_expf(__m256);
TARGET_AVX2 __m256 _ZGVdN8v_logf(__m256);
TARGET_AVX512 __m512 _ZGVeN16v_expf(__m512);
TARGET_AVX512 __m512 _ZGVeN16v_logf(__m512);

TARGET_AVX2 static void sigmoid_forward_avx2(const float *x, float *y, size_t count) {
    const __m256 one = _mm256_set1_ps(1), sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 exponential = _ZGVdN8v_expf(_mm256_xor_ps(_mm256_loadu_ps(x + i), sign));
        _mm256_storeu_ps(y + i, _mm256_div_ps(one, _mm256_add_ps(one, exponential)));
    }
    for (; i < count; i++) y[i] = 1 / (1 + expf(-x[i]));
}

TARGET_AVX512 static void sigmoid_forward_avx512(const float *x, float *y, size_t count) {
    const __m512 one = _mm512_set1_ps(1), sign = _mm512_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 exponential = _ZGVeN16v_expf(_mm512_xor_ps(_mm512_loadu_ps(x + i), sign));
        _mm512_storeu_ps(y + i, _mm512_div_ps(one, _mm512_add_ps(one, exponential)));
    }
    for (; i < count; i++) y[i] = 1 / (1 + expf(-x[i]));
}

TARGET_AVX2 static void map_avx2(float *x, size_t count, __m256 (*vector)(__m256), float (*scalar)(float)) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, vector(_mm256_loadu_ps(x + i)));
    for (; i < count; i++) x[i] = scalar(x[i]);
}

TARGET_AVX512 static void map_avx512(float *x, size_t count, __m512 (*vector)(__m512), float (*scalar)(float)) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, vector(_mm512_loadu_ps(x + i)));
    for (; i < count; i++) x[i] = scalar(x[i]);
}
#endif

// e^x and ln x in place, 8 or 16 at a time where the vector math library is there.
static void exp_in_place(sweep_kernel kernel, float *x, size_t count) {
#ifdef SWEEP_LIBMVEC
    if (kernel == SWEEP_KERNEL_AVX512) {
        map_avx512(x, count, _ZGVeN16v_expf, expf);
        return;
    }
    if (kernel == SWEEP_KERNEL_AVX2) {
        map_avx2(x, count, _ZGVdN8v_expf, expf);
        return;
    }
#endif
    (void)kernel;
    for (size_t i = 0; i < count; i++) x[i] = expf(x[i]);
}

static void log_in_place(sweep_kernel kernel, float *x, size_t count) {
#ifdef SWEEP_LIBMVEC
    if (kernel == SWEEP_KERNEL_AVX512) {
        map_avx512(x, count, _ZGVeN16v_logf, logf);
        return;
    }
    if (kernel == SWEEP_KERNEL_AVX2) {
        map_avx2(x, count, _ZGVdN8v_logf, logf);
        return;
    }
#endif
    (void)kernel;
    for (size_t i = 0; i < count; i++) x[i] = logf(x[i]);
}

BODY leaky_relu_forward_body(const float *restrict x, float *restrict y, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];
}
PATHS(leaky_relu_forward, (const float *restrict x, float *restrict y, size_t count, float slope), (x, y, count, slope))

void sweep_leaky_relu_forward(sweep_kernel kernel, const float *x, float *y, size_t count, float slope) {
    PATH_CALL(kernel, leaky_relu_forward, (x, y, count, slope));
}

BODY leaky_relu_forward_in_place_body(float *restrict x, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) x[i] = x[i] > 0 ? x[i] : slope * x[i];
}
PATHS(leaky_relu_forward_in_place, (float *restrict x, size_t count, float slope), (x, count, slope))

void sweep_leaky_relu_forward_in_place(sweep_kernel kernel, float *x, size_t count, float slope) {
    PATH_CALL(kernel, leaky_relu_forward_in_place, (x, count, slope));
}

BODY leaky_relu_backward_body(const float *restrict x, const float *restrict dy, float *restrict dx, size_t count,
                              float slope) {
    for (size_t i = 0; i < count; i++) dx[i] = x[i] > 0 ? dy[i] : slope * dy[i];
}
PATHS(leaky_relu_backward, (const float *restrict x, const float *restrict dy, float *restrict dx, size_t count, float slope),
      (x, dy, dx, count, slope))

void sweep_leaky_relu_backward(sweep_kernel kernel, const float *x, const float *dy, float *dx, size_t count,
                               float slope) {
    PATH_CALL(kernel, leaky_relu_backward, (x, dy, dx, count, slope));
}

BODY leaky_relu_backward_in_place_body(const float *restrict x, float *restrict d, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) d[i] = x[i] > 0 ? d[i] : slope * d[i];
}
PATHS(leaky_relu_backward_in_place, (const float *restrict x, float *restrict d, size_t count, float slope),
      (x, d, count, slope))

void sweep_leaky_relu_backward_in_place(sweep_kernel kernel, const float *x, float *d, size_t count, float slope) {
    PATH_CALL(kernel, leaky_relu_backward_in_place, (x, d, count, slope));
}

void sweep_tanh_forward(sweep_kernel kernel, const float *x, float *y, size_t count) {
#ifdef SWEEP_X86
    if (kernel == SWEEP_KERNEL_AVX512) {
        tanh_forward_avx512(x, y, count);
        return;
    }
    if (kernel == SWEEP_KERNEL_AVX2) {
        tanh_forward_avx2(x, y, count);
        return;
    }
#endif
    (void)kernel;
    for (size_t i = 0; i < count; i++) y[i] = tanhf(x[i]);
}

BODY tanh_backward_body(const float *restrict y, const float *restrict dy, float *restrict dx, size_t count) {
    for (size_t i = 0; i < count; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
}
PATHS(tanh_backward, (const float *restrict y, const float *restrict dy, float *restrict dx, size_t count),
      (y, dy, dx, count))

void sweep_tanh_backward(sweep_kernel kernel, const float *y, const float *dy, float *dx, size_t count) {
    PATH_CALL(kernel, tanh_backward, (y, dy, dx, count));
}

void sweep_sigmoid_forward(sweep_kernel kernel, const float *x, float *y, size_t count) {
#ifdef SWEEP_LIBMVEC
    if (kernel == SWEEP_KERNEL_AVX512) {
        sigmoid_forward_avx512(x, y, count);
        return;
    }
    if (kernel == SWEEP_KERNEL_AVX2) {
        sigmoid_forward_avx2(x, y, count);
        return;
    }
#endif
    (void)kernel;
    for (size_t i = 0; i < count; i++) y[i] = 1 / (1 + expf(-x[i]));
}

BODY sigmoid_backward_body(const float *restrict y, const float *restrict dy, float *restrict dx, size_t count) {
    for (size_t i = 0; i < count; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
}
PATHS(sigmoid_backward, (const float *restrict y, const float *restrict dy, float *restrict dx, size_t count),
      (y, dy, dx, count))

void sweep_sigmoid_backward(sweep_kernel kernel, const float *y, const float *dy, float *dx, size_t count) {
    PATH_CALL(kernel, sigmoid_backward, (y, dy, dx, count));
}

BODY multiply_body(const float *restrict x, const float *restrict mask, float *restrict y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = x[i] * mask[i];
}
PATHS(multiply, (const float *restrict x, const float *restrict mask, float *restrict y, size_t count),
      (x, mask, y, count))

void sweep_multiply(sweep_kernel kernel, const float *x, const float *mask, float *y, size_t count) {
    PATH_CALL(kernel, multiply, (x, mask, y, count));
}

double sweep_softmax_cross_entropy(sweep_kernel kernel, const float *z, const float *labels, size_t rows,
                                   size_t classes, float *gradient, float scale) {
    // A block of rows at a time through a stack buffer, so that e^x and ln x run 8 or 16 wide
    // over many rows however few classes there are, and no caller needs to provide scratch memory.
    enum { BLOCK = 256 };
    float shifted[BLOCK], sums[BLOCK];
    size_t block_rows = classes <= BLOCK ? BLOCK / classes : 0;
    if (block_rows == 0) {
        // More classes than the buffer holds: one row at a time, the classes in slices.
        double total = 0;
        for (size_t row = 0; row < rows; row++) {
            const float *zr = z + row * classes;
            float largest = -INFINITY;
            for (size_t j = 0; j < classes; j++) largest = zr[j] > largest ? zr[j] : largest;
            float sum = 0;
            for (size_t j = 0; j < classes; j++) sum += expf(zr[j] - largest);
            size_t label = (size_t)labels[row];
            total += (double)logf(sum) - (double)(zr[label] - largest);
            if (gradient)
                for (size_t j = 0; j < classes; j++)
                    gradient[row * classes + j] = (expf(zr[j] - largest) / sum - (j == label ? 1.0f : 0.0f)) * scale;
        }
        return total;
    }
    double total = 0;
    for (size_t first = 0; first < rows; first += block_rows) {
        size_t count = rows - first < block_rows ? rows - first : block_rows;
        const float *zb = z + first * classes;
        for (size_t r = 0; r < count; r++) {
            const float *zr = zb + r * classes;
            float largest = -INFINITY;
            for (size_t j = 0; j < classes; j++) largest = zr[j] > largest ? zr[j] : largest;
            for (size_t j = 0; j < classes; j++) shifted[r * classes + j] = zr[j] - largest;
        }
        // shifted[·] holds z − max until the loss has read the label's entry, then e^(z − max).
        float picked[BLOCK];
        for (size_t r = 0; r < count; r++) picked[r] = shifted[r * classes + (size_t)labels[first + r]];
        exp_in_place(kernel, shifted, count * classes);
        for (size_t r = 0; r < count; r++) {
            float sum = 0;
            for (size_t j = 0; j < classes; j++) sum += shifted[r * classes + j];
            sums[r] = sum;
        }
        if (gradient) {
            for (size_t r = 0; r < count; r++) {
                float inverse = 1 / sums[r];
                size_t label = (size_t)labels[first + r];
                float *gr = gradient + (first + r) * classes;
                for (size_t j = 0; j < classes; j++)
                    gr[j] = (shifted[r * classes + j] * inverse - (j == label ? 1.0f : 0.0f)) * scale;
            }
        }
        // −log softmax(z)[label] = ln Σ e^(z − max) − (z[label] − max)
        log_in_place(kernel, sums, count);
        for (size_t r = 0; r < count; r++) total += (double)sums[r] - (double)picked[r];
    }
    return total;
}

static const unsigned long long splitmix_gamma = 0x9E3779B97F4A7C15ULL;
static const unsigned long long splitmix_m1 = 0xBF58476D1CE4E5B9ULL, splitmix_m2 = 0x94D049BB133111EBULL;

static inline unsigned long long splitmix_mix(unsigned long long z) {
    z = (z ^ (z >> 30)) * splitmix_m1;
    z = (z ^ (z >> 27)) * splitmix_m2;
    return z ^ (z >> 31);
}

#ifdef SWEEP_X86
// The low 64 bits of a·b per lane, from 32-bit multiplies (AVX2 has no 64-bit one):
// a·b = a_lo·b_lo + ((a_hi·b_lo + a_lo·b_hi) << 32)  (mod 2⁶⁴).
TARGET_AVX2 static inline __m256i multiply_u64(__m256i a, __m256i b_lo, __m256i b_hi) {
    __m256i low = _mm256_mul_epu32(a, b_lo);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), b_lo), _mm256_mul_epu32(a, b_hi));
    return _mm256_add_epi64(low, _mm256_slli_epi64(cross, 32));
}

TARGET_AVX2 static size_t dropout_mask_avx2(unsigned long long *state, float *mask, size_t count,
                                            unsigned long long threshold, float scale) {
    const __m256i m1_lo = _mm256_set1_epi64x((long long)(splitmix_m1 & 0xFFFFFFFFULL));
    const __m256i m1_hi = _mm256_set1_epi64x((long long)(splitmix_m1 >> 32));
    const __m256i m2_lo = _mm256_set1_epi64x((long long)(splitmix_m2 & 0xFFFFFFFFULL));
    const __m256i m2_hi = _mm256_set1_epi64x((long long)(splitmix_m2 >> 32));
    const __m256i stride = _mm256_set1_epi64x((long long)(4 * splitmix_gamma));
    const __m256i limit = _mm256_set1_epi64x((long long)threshold);
    const __m256i low_dwords = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    const __m128 keep = _mm_set1_ps(scale);
    unsigned long long s = *state;
    // Lane k holds the state of draw k + 1 of each group of four.
    __m256i states = _mm256_setr_epi64x((long long)(s + splitmix_gamma), (long long)(s + 2 * splitmix_gamma),
                                        (long long)(s + 3 * splitmix_gamma), (long long)(s + 4 * splitmix_gamma));
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        __m256i z = states;
        z = multiply_u64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), m1_lo, m1_hi);
        z = multiply_u64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), m2_lo, m2_hi);
        z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
        // u < p with u = k·2⁻²⁴ and k = z >> 40 < 2²⁴ is k < threshold (see sweep_dropout_mask).
        __m256i dropped = _mm256_cmpgt_epi64(limit, _mm256_srli_epi64(z, 40));
        __m128 dropped4 = _mm_castsi128_ps(_mm256_castsi256_si128(_mm256_permutevar8x32_epi32(dropped, low_dwords)));
        _mm_storeu_ps(mask + i, _mm_andnot_ps(dropped4, keep));
        states = _mm256_add_epi64(states, stride);
    }
    *state = s + (unsigned long long)i * splitmix_gamma;
    return i;
}

// Eight draws at a time, with AVX-512DQ's 64-bit multiply.
TARGET_AVX512 static size_t dropout_mask_avx512(unsigned long long *state, float *mask, size_t count,
                                              unsigned long long threshold, float scale) {
    const __m512i m1 = _mm512_set1_epi64((long long)splitmix_m1), m2 = _mm512_set1_epi64((long long)splitmix_m2);
    const __m512i stride = _mm512_set1_epi64((long long)(8 * splitmix_gamma));
    const __m512i limit = _mm512_set1_epi64((long long)threshold);
    const __m256 keep = _mm256_set1_ps(scale);
    unsigned long long s = *state;
    // Lane k holds the state of draw k + 1 of each group of eight.
    __m512i states = _mm512_add_epi64(
        _mm512_set1_epi64((long long)s),
        _mm512_mullo_epi64(_mm512_set1_epi64((long long)splitmix_gamma), _mm512_setr_epi64(1, 2, 3, 4, 5, 6, 7, 8)));
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m512i z = states;
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), m1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
        __mmask8 dropped = _mm512_cmplt_epu64_mask(_mm512_srli_epi64(z, 40), limit);
        _mm256_storeu_ps(mask + i, _mm256_maskz_mov_ps((__mmask8)~dropped, keep));
        states = _mm512_add_epi64(states, stride);
    }
    *state = s + (unsigned long long)i * splitmix_gamma;
    return i;
}
#endif

void sweep_dropout_mask(sweep_kernel kernel, unsigned long long *state, float *mask, size_t count, float probability,
                        float scale) {
    // u = k·2⁻²⁴ < p  ⟺  k < p·2²⁴ (exact)  ⟺  k < ⌈p·2²⁴⌉ for whole k.
    unsigned long long threshold = (unsigned long long)ceilf(probability * 16777216.0f);
    size_t done = 0;
#ifdef SWEEP_X86
    if (kernel == SWEEP_KERNEL_AVX512) done = dropout_mask_avx512(state, mask, count, threshold, scale);
    else if (kernel == SWEEP_KERNEL_AVX2) done = dropout_mask_avx2(state, mask, count, threshold, scale);
#endif
    (void)kernel;
    for (size_t i = done; i < count; i++) {
        *state += splitmix_gamma;
        mask[i] = (splitmix_mix(*state) >> 40) < threshold ? 0 : scale;
    }
}

// Columns [first, first + width) of x summed over its rows into sums, in registers, stored once.
BODY column_block_sums(const float *restrict x, float *restrict sums, size_t rows, size_t columns, size_t first,
                       const size_t width) {
    float block[64] = {0};
    for (size_t row = 0; row < rows; row++) {
        const float *restrict source = x + row * columns + first;
        for (size_t j = 0; j < width; j++) block[j] += source[j];
    }
    for (size_t j = 0; j < width; j++) sums[first + j] = block[j];
}

BODY column_sums_body(const float *restrict x, float *restrict sums, size_t rows, size_t columns) {
    // Blocks of 64 columns (then 32, then 8) add up every row in registers and store once:
    // adding each row into `sums` in memory waited on the previous row's store (for 32×256,
    // 0.64 µs against 0.19). Rows are added in order either way, so the sums are the same.
    size_t first = 0;
    for (; first + 64 <= columns; first += 64) column_block_sums(x, sums, rows, columns, first, 64);
    for (; first + 32 <= columns; first += 32) column_block_sums(x, sums, rows, columns, first, 32);
    for (; first + 8 <= columns; first += 8) column_block_sums(x, sums, rows, columns, first, 8);
    if (first < columns) column_block_sums(x, sums, rows, columns, first, columns - first);
}
PATHS(column_sums, (const float *restrict x, float *restrict sums, size_t rows, size_t columns), (x, sums, rows, columns))

void sweep_column_sums(sweep_kernel kernel, const float *x, float *sums, size_t rows, size_t columns) {
    PATH_CALL(kernel, column_sums, (x, sums, rows, columns));
}

BODY adam_step_body(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, size_t count,
                    float beta1, float beta2, float step_size, float inverse_root_correction2, float epsilon,
                    float l2, float shrink) {
    const float keep1 = 1 - beta1, keep2 = 1 - beta2;
    for (size_t i = 0; i < count; i++) {
        float weight = w[i] * shrink;
        float gradient = g[i] + l2 * weight;
        float first = m[i] + keep1 * (gradient - m[i]);
        float second = beta2 * v[i] + keep2 * gradient * gradient;
        m[i] = first;
        v[i] = second;
        w[i] = weight - step_size * (first / (sqrtf(second) * inverse_root_correction2 + epsilon));
    }
}
PATHS(adam_step,
      (float *restrict w, const float *restrict g, float *restrict m, float *restrict v, size_t count, float beta1,
       float beta2, float step_size, float inverse_root_correction2, float epsilon, float l2, float shrink),
      (w, g, m, v, count, beta1, beta2, step_size, inverse_root_correction2, epsilon, l2, shrink))

void sweep_adam_step(sweep_kernel kernel, float *w, const float *g, float *m, float *v, size_t count, float beta1,
                     float beta2, float step_size, float inverse_root_correction2, float epsilon, float l2,
                     float shrink) {
    PATH_CALL(kernel, adam_step,
              (w, g, m, v, count, beta1, beta2, step_size, inverse_root_correction2, epsilon, l2, shrink));
}

BODY sgd_step_body(float *restrict w, const float *restrict g, float *restrict velocity, size_t count, float rate,
                   float decay, float momentum, float keep, int first, int nesterov) {
    if (velocity == 0) {
        for (size_t i = 0; i < count; i++) w[i] -= rate * (g[i] + decay * w[i]);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        float gradient = g[i] + decay * w[i];
        float b = first ? gradient : momentum * velocity[i] + keep * gradient;
        velocity[i] = b;
        w[i] -= rate * (nesterov ? gradient + momentum * b : b);
    }
}
PATHS(sgd_step,
      (float *restrict w, const float *restrict g, float *restrict velocity, size_t count, float rate, float decay,
       float momentum, float keep, int first, int nesterov),
      (w, g, velocity, count, rate, decay, momentum, keep, first, nesterov))

void sweep_sgd_step(sweep_kernel kernel, float *w, const float *g, float *velocity, size_t count, float rate,
                    float decay, float momentum, float keep, int first, int nesterov) {
    PATH_CALL(kernel, sgd_step, (w, g, velocity, count, rate, decay, momentum, keep, first, nesterov));
}

BODY adagrad_step_body(float *restrict w, const float *restrict g, float *restrict sums, size_t count, float rate,
                       float decay, float epsilon) {
    for (size_t i = 0; i < count; i++) {
        float gradient = g[i] + decay * w[i];
        float sum = sums[i] + gradient * gradient;
        sums[i] = sum;
        w[i] -= rate * (gradient / (sqrtf(sum) + epsilon));
    }
}
PATHS(adagrad_step,
      (float *restrict w, const float *restrict g, float *restrict sums, size_t count, float rate, float decay,
       float epsilon),
      (w, g, sums, count, rate, decay, epsilon))

void sweep_adagrad_step(sweep_kernel kernel, float *w, const float *g, float *sums, size_t count, float rate,
                        float decay, float epsilon) {
    PATH_CALL(kernel, adagrad_step, (w, g, sums, count, rate, decay, epsilon));
}

BODY rmsprop_step_body(float *restrict w, const float *restrict g, float *restrict square_average,
                       float *restrict velocity, size_t count, float rate, float decay, float alpha, float epsilon,
                       float momentum) {
    const float keep = 1 - alpha;
    for (size_t i = 0; i < count; i++) {
        float gradient = g[i] + decay * w[i];
        float average = alpha * square_average[i] + keep * gradient * gradient;
        square_average[i] = average;
        float scaled = gradient / (sqrtf(average) + epsilon);
        if (velocity) {
            float b = momentum * velocity[i] + scaled;
            velocity[i] = b;
            w[i] -= rate * b;
        } else {
            w[i] -= rate * scaled;
        }
    }
}
PATHS(rmsprop_step,
      (float *restrict w, const float *restrict g, float *restrict square_average, float *restrict velocity,
       size_t count, float rate, float decay, float alpha, float epsilon, float momentum),
      (w, g, square_average, velocity, count, rate, decay, alpha, epsilon, momentum))

void sweep_rmsprop_step(sweep_kernel kernel, float *w, const float *g, float *square_average, float *velocity,
                        size_t count, float rate, float decay, float alpha, float epsilon, float momentum) {
    PATH_CALL(kernel, rmsprop_step, (w, g, square_average, velocity, count, rate, decay, alpha, epsilon, momentum));
}

BODY batch_norm_statistics_body(const float *restrict x, size_t rows, size_t width, float epsilon, float momentum,
                                float *restrict mean, float *restrict variance, float *restrict inverse,
                                float *restrict running_mean, float *restrict running_variance) {
    // Two passes (mean, then squared deviations) keep the variance accurate.
    for (size_t j = 0; j < width; j++) mean[j] = 0, variance[j] = 0;
    for (size_t row = 0; row < rows; row++) {
        const float *restrict source = x + row * width;
        for (size_t j = 0; j < width; j++) mean[j] += source[j];
    }
    const float inverse_rows = 1 / (float)rows;
    for (size_t j = 0; j < width; j++) mean[j] *= inverse_rows;
    for (size_t row = 0; row < rows; row++) {
        const float *restrict source = x + row * width;
        for (size_t j = 0; j < width; j++) {
            float deviation = source[j] - mean[j];
            variance[j] += deviation * deviation;
        }
    }
    const float unbiasing = (float)rows / (float)(rows - 1);
    for (size_t j = 0; j < width; j++) {
        variance[j] *= inverse_rows;
        inverse[j] = 1 / sqrtf(variance[j] + epsilon);
        running_mean[j] = (1 - momentum) * running_mean[j] + momentum * mean[j];
        running_variance[j] = (1 - momentum) * running_variance[j] + momentum * variance[j] * unbiasing;
    }
}
PATHS(batch_norm_statistics,
      (const float *restrict x, size_t rows, size_t width, float epsilon, float momentum, float *restrict mean,
       float *restrict variance, float *restrict inverse, float *restrict running_mean,
       float *restrict running_variance),
      (x, rows, width, epsilon, momentum, mean, variance, inverse, running_mean, running_variance))

void sweep_batch_norm_statistics(sweep_kernel kernel, const float *x, size_t rows, size_t width, float epsilon,
                                 float momentum, float *mean, float *variance, float *inverse, float *running_mean,
                                 float *running_variance) {
    PATH_CALL(kernel, batch_norm_statistics,
              (x, rows, width, epsilon, momentum, mean, variance, inverse, running_mean, running_variance));
}

BODY batch_norm_normalize_body(const float *restrict x, size_t rows, size_t width, const float *restrict mean,
                               const float *restrict inverse, const float *restrict gamma,
                               const float *restrict beta, float *restrict normalized, float *restrict y) {
    for (size_t row = 0; row < rows; row++) {
        const size_t offset = row * width;
        for (size_t j = 0; j < width; j++) {
            float value = (x[offset + j] - mean[j]) * inverse[j];
            normalized[offset + j] = value;
            y[offset + j] = gamma[j] * value + beta[j];
        }
    }
}
PATHS(batch_norm_normalize,
      (const float *restrict x, size_t rows, size_t width, const float *restrict mean, const float *restrict inverse,
       const float *restrict gamma, const float *restrict beta, float *restrict normalized, float *restrict y),
      (x, rows, width, mean, inverse, gamma, beta, normalized, y))

void sweep_batch_norm_normalize(sweep_kernel kernel, const float *x, size_t rows, size_t width, const float *mean,
                                const float *inverse, const float *gamma, const float *beta, float *normalized,
                                float *y) {
    PATH_CALL(kernel, batch_norm_normalize, (x, rows, width, mean, inverse, gamma, beta, normalized, y));
}

BODY batch_norm_backward_body(const float *restrict dy, const float *restrict normalized, size_t rows, size_t width,
                              const float *restrict gamma, const float *restrict inverse, int training,
                              float *restrict d_gamma, float *restrict d_beta, float *restrict dx) {
    for (size_t j = 0; j < width; j++) d_gamma[j] = 0, d_beta[j] = 0;
    for (size_t row = 0; row < rows; row++) {
        const size_t offset = row * width;
        for (size_t j = 0; j < width; j++) {
            d_gamma[j] += dy[offset + j] * normalized[offset + j];
            d_beta[j] += dy[offset + j];
        }
    }
    const float n = (float)rows;
    for (size_t row = 0; row < rows; row++) {
        const size_t offset = row * width;
        if (training) {
            for (size_t j = 0; j < width; j++) {
                float factor = gamma[j] * inverse[j] / n;
                dx[offset + j] = factor * (n * dy[offset + j] - d_beta[j] - normalized[offset + j] * d_gamma[j]);
            }
        } else {
            for (size_t j = 0; j < width; j++) dx[offset + j] = dy[offset + j] * gamma[j] * inverse[j];
        }
    }
}
PATHS(batch_norm_backward,
      (const float *restrict dy, const float *restrict normalized, size_t rows, size_t width,
       const float *restrict gamma, const float *restrict inverse, int training, float *restrict d_gamma,
       float *restrict d_beta, float *restrict dx),
      (dy, normalized, rows, width, gamma, inverse, training, d_gamma, d_beta, dx))

void sweep_batch_norm_backward(sweep_kernel kernel, const float *dy, const float *normalized, size_t rows,
                               size_t width, const float *gamma, const float *inverse, int training, float *d_gamma,
                               float *d_beta, float *dx) {
    PATH_CALL(kernel, batch_norm_backward, (dy, normalized, rows, width, gamma, inverse, training, d_gamma, d_beta, dx));
}
