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

CLONES void sweep_batch_norm_statistics(const float *restrict x, size_t rows, size_t width, float epsilon,
                                        float momentum, float *restrict mean, float *restrict variance,
                                        float *restrict inverse, float *restrict running_mean,
                                        float *restrict running_variance) {
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

CLONES void sweep_batch_norm_normalize(const float *restrict x, size_t rows, size_t width,
                                       const float *restrict mean, const float *restrict inverse,
                                       const float *restrict gamma, const float *restrict beta,
                                       float *restrict normalized, float *restrict y) {
    for (size_t row = 0; row < rows; row++) {
        const size_t offset = row * width;
        for (size_t j = 0; j < width; j++) {
            float value = (x[offset + j] - mean[j]) * inverse[j];
            normalized[offset + j] = value;
            y[offset + j] = gamma[j] * value + beta[j];
        }
    }
}

CLONES void sweep_batch_norm_backward(const float *restrict dy, const float *restrict normalized, size_t rows,
                                      size_t width, const float *restrict gamma, const float *restrict inverse,
                                      int training, float *restrict d_gamma, float *restrict d_beta,
                                      float *restrict dx) {
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
