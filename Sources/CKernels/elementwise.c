// Element-wise kernels of the training step; see Elementwise.h for each formula. `target_clones`
// builds an AVX2 and a baseline version of every function and the loader picks one, so the
// loops vectorise 8 floats wide on this machine and still run anywhere. Contraction into FMA is
// off so that both versions round identically.

#include "Elementwise.h"

#include <math.h>

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

CLONES void sweep_leaky_relu_forward(const float *restrict x, float *restrict y, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];
}

CLONES void sweep_leaky_relu_backward(const float *restrict x, const float *restrict dy, float *restrict dx,
                                      size_t count, float slope) {
    for (size_t i = 0; i < count; i++) dx[i] = x[i] > 0 ? dy[i] : slope * dy[i];
}

CLONES void sweep_multiply(const float *restrict x, const float *restrict mask, float *restrict y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = x[i] * mask[i];
}

CLONES void sweep_broadcast_rows(const float *restrict bias, float *restrict out, size_t rows, size_t columns) {
    for (size_t row = 0; row < rows; row++) {
        float *restrict target = out + row * columns;
        for (size_t j = 0; j < columns; j++) target[j] = bias[j];
    }
}

CLONES void sweep_column_sums(const float *restrict x, float *restrict sums, size_t rows, size_t columns) {
    for (size_t j = 0; j < columns; j++) sums[j] = 0;
    for (size_t row = 0; row < rows; row++) {
        const float *restrict source = x + row * columns;
        for (size_t j = 0; j < columns; j++) sums[j] += source[j];
    }
}

CLONES void sweep_adam_step(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                            size_t count, float beta1, float beta2, float step_size,
                            float inverse_root_correction2, float epsilon, float l2, float shrink) {
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

CLONES void sweep_sgd_step(float *restrict w, const float *restrict g, float *restrict velocity, size_t count,
                           float rate, float decay, float momentum, float keep, int first, int nesterov) {
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

CLONES void sweep_adagrad_step(float *restrict w, const float *restrict g, float *restrict sums, size_t count,
                               float rate, float decay, float epsilon) {
    for (size_t i = 0; i < count; i++) {
        float gradient = g[i] + decay * w[i];
        float sum = sums[i] + gradient * gradient;
        sums[i] = sum;
        w[i] -= rate * (gradient / (sqrtf(sum) + epsilon));
    }
}

CLONES void sweep_rmsprop_step(float *restrict w, const float *restrict g, float *restrict square_average,
                               float *restrict velocity, size_t count, float rate, float decay, float alpha,
                               float epsilon, float momentum) {
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
