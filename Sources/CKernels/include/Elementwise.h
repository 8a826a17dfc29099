#ifndef SWEEP_ELEMENTWISE_H
#define SWEEP_ELEMENTWISE_H

#include <stddef.h>

#include "KernelPath.h"

#ifdef __cplusplus
extern "C" {
#endif

// Element-wise passes of the training step. Each is one loop over restrict pointers, compiled
// for each path (KernelPath.h: AVX-512, AVX2, a baseline processor) and run on the one `kernel`
// names, which must be one the processor supports. No FMA contraction: results are identical on
// every path, except where a function says otherwise (tanh, sigmoid, the softmax's e^x and ln x).

/// y[i] = x[i] > 0 ? x[i] : slope·x[i]  (slope 0 is ReLU).
void sweep_leaky_relu_forward(sweep_kernel kernel, const float *x, float *y, size_t count, float slope);
/// x[i] = x[i] > 0 ? x[i] : slope·x[i]: `sweep_leaky_relu_forward` with x and y the same.
void sweep_leaky_relu_forward_in_place(sweep_kernel kernel, float *x, size_t count, float slope);
/// dx[i] = x[i] > 0 ? dy[i] : slope·dy[i].
void sweep_leaky_relu_backward(sweep_kernel kernel, const float *x, const float *dy, float *dx, size_t count, float slope);
/// d[i] = x[i] > 0 ? d[i] : slope·d[i]: `sweep_leaky_relu_backward` with dy and dx the same.
void sweep_leaky_relu_backward_in_place(sweep_kernel kernel, const float *x, float *d, size_t count, float slope);

/// y[i] = tanh(x[i]); on the vector paths 8 or 16 at a time by a rational approximation within
/// 5.2 ulp (elementwise.c; the same values on both), on the portable path tanhf.
void sweep_tanh_forward(sweep_kernel kernel, const float *x, float *y, size_t count);
/// dx[i] = dy[i]·(1 − y[i]²), from the forward output y.
void sweep_tanh_backward(sweep_kernel kernel, const float *y, const float *dy, float *dx, size_t count);
/// y[i] = 1/(1 + e^{−x[i]}); on the vector paths with glibc's vector math library, 8 or 16 at a
/// time (its e^x may round differently from expf's, and by width).
void sweep_sigmoid_forward(sweep_kernel kernel, const float *x, float *y, size_t count);
/// dx[i] = dy[i]·y[i]·(1 − y[i]), from the forward output y.
void sweep_sigmoid_backward(sweep_kernel kernel, const float *y, const float *dy, float *dx, size_t count);

/// Dropout's mask from a SplitMix64 generator at `*state`, advanced by one draw per element:
/// mask[i] = u_i < probability ? 0 : scale, with u_i = (next() >> 40)·2⁻²⁴ as
/// `SplitMix64.nextUnitFloat`. The vector versions compute four (AVX2) or eight (AVX-512) draws
/// at a time (SplitMix64's states are a fixed stride apart) and give exactly the scalar sequence:
/// the same mask on every path.
void sweep_dropout_mask(sweep_kernel kernel, unsigned long long *state, float *mask, size_t count, float probability, float scale);

/// y[i] = x[i] · mask[i]; dropout's forward and backward alike.
void sweep_multiply(sweep_kernel kernel, const float *x, const float *mask, float *y, size_t count);

/// Softmax cross-entropy of logits z[rows × classes] against class indices (whole numbers in
/// [0, classes), checked by the caller). Returns Σ_rows −log softmax(z_row)[label] in double;
/// when `gradient` is not NULL it receives (softmax(z) − one_hot(label)) · scale. As PyTorch's
/// log_softmax: max subtracted, e^x summed in float, then ln; e^x and ln x 8 or 16 at a time with
/// glibc's vector math library on the vector paths.
double sweep_softmax_cross_entropy(sweep_kernel kernel, const float *z, const float *labels, size_t rows, size_t classes,
                                   float *gradient, float scale);

/// sums[j] = Σ_rows x[row, j].
void sweep_column_sums(sweep_kernel kernel, const float *x, float *sums, size_t rows, size_t columns);

/// Adam / AdamW for one parameter tensor (see Adam.swift for the formula).
/// w ← w·shrink; g' = g + l2·w; m += (1−β₁)(g' − m); v = β₂v + (1−β₂)g'²;
/// w ← w − stepSize · m / (√v · inverseRootCorrection2 + ε).
void sweep_adam_step(sweep_kernel kernel, float *w, const float *g, float *m, float *v, size_t count, float beta1,
                     float beta2, float step_size, float inverse_root_correction2, float epsilon,
                     float l2, float shrink);

/// SGD: g' = g + decay·w; with momentum b = first ? g' : μb + (1−τ)g'; w −= η·(nesterov ? g' + μb : b).
void sweep_sgd_step(sweep_kernel kernel, float *w, const float *g, float *velocity, size_t count, float rate, float decay,
                    float momentum, float keep, int first, int nesterov);

/// AdaGrad: g' = g + decay·w; s += g'²; w −= η·g'/(√s + ε).
void sweep_adagrad_step(sweep_kernel kernel, float *w, const float *g, float *sums, size_t count, float rate,
                        float decay, float epsilon);

/// RMSprop: g' = g + decay·w; v = αv + (1−α)g'²; with momentum b = μb + g'/(√v + ε), w −= ηb;
/// else w −= η·g'/(√v + ε).
void sweep_rmsprop_step(sweep_kernel kernel, float *w, const float *g, float *square_average, float *velocity,
                        size_t count, float rate, float decay, float alpha, float epsilon,
                        float momentum);

/// BatchNorm1d statistics of x[rows × width] in training: the batch mean and biased variance
/// per column, inverse[j] = 1/√(var + ε), and the running statistics moved by `momentum`
/// towards the mean and the unbiased variance var·rows/(rows−1). `mean` and `variance` are
/// scratch outputs of `width` floats.
void sweep_batch_norm_statistics(sweep_kernel kernel, const float *x, size_t rows, size_t width, float epsilon, float momentum,
                                 float *mean, float *variance, float *inverse, float *running_mean,
                                 float *running_variance);
/// x̂ = (x − mean)·inverse and y = γx̂ + β, row by row.
void sweep_batch_norm_normalize(sweep_kernel kernel, const float *x, size_t rows, size_t width, const float *mean,
                                const float *inverse, const float *gamma, const float *beta,
                                float *normalized, float *y);
/// ∂γ = Σ ∂y·x̂, ∂β = Σ ∂y; training: ∂x = γ·inverse/n · (n∂y − ∂β − x̂∂γ); evaluation
/// (`training` 0): ∂x = ∂y·γ·inverse.
void sweep_batch_norm_backward(sweep_kernel kernel, const float *dy, const float *normalized, size_t rows, size_t width,
                               const float *gamma, const float *inverse, int training, float *d_gamma,
                               float *d_beta, float *dx);

#ifdef __cplusplus
}
#endif

#endif
