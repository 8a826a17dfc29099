#ifndef SWEEP_CKERNELS_H
#define SWEEP_CKERNELS_H

#include <stddef.h>

#include "KernelPath.h"
#include "Elementwise.h"
#include "ThreadPlacement.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Floats of workspace that `sweep_sgemm` needs for its packed panels.
size_t sweep_sgemm_workspace_count(void);

/// C = alpha · op(A) · op(B) + beta · C (+ bias) for row-major matrices.
///
/// op(A) is m×k and op(B) is k×n; `transpose_a` / `transpose_b` non-zero means A (B) is stored
/// as its transpose, k×m (n×k). `lda`, `ldb`, `ldc` are row strides in floats. When beta is 0,
/// C is overwritten and never read, so it may hold NaN. `bias`, when not NULL, holds n floats
/// added to every row of C in the same pass (a Linear layer's x·Wᵀ + b). `workspace` must hold
/// `sweep_sgemm_workspace_count()` floats, 32-byte aligned; it is the only memory used, so a
/// call allocates nothing and calls on different workspaces may run concurrently. `kernel`
/// must be one the processor supports (`sweep_kernel_supported`).
void sweep_sgemm(sweep_kernel kernel, int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc,
                 const float *bias, float *workspace);

/// A Linear layer's forward pass straight through the leaky ReLU after it (slope 0: ReLU):
/// h = leaky(x·Wᵀ + bias), x m×k, W n×k, h m×n (stride `ldh`), with the values of `sweep_sgemm`
/// followed by `sweep_leaky_relu_forward`. For a batch of 16 to 64 rows (weight_rows.c) each
/// result goes through the activation as it is stored, saving a pass over h.
void sweep_linear_leaky_relu_forward(sweep_kernel kernel, int m, int n, int k, const float *x, int ldx, const float *w, int ldw,
                                     const float *bias, float *h, int ldh, float slope, float *workspace);

/// ∂x of a Linear layer passed straight back through the leaky ReLU before it (slope 0: ReLU):
/// C = A·B (A m×k, B k×n, both untransposed: ∂z·W), then C[i][j] = z[i][j] > 0 ? C[i][j] :
/// slope·C[i][j], where z (m×n, stride `ldz`) is the activation's input, or its output when
/// slope ≥ 0 (positive in the same places). The same values as
/// `sweep_sgemm` followed by `sweep_leaky_relu_backward`; with few outputs (k ≤ 4, a classifier's
/// last hidden layer) each row goes through the activation before it is stored, saving a pass.
void sweep_sgemm_leaky_relu_backward(sweep_kernel kernel, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                                     float *c, int ldc, const float *z, int ldz, float slope, float *workspace);

/// A Linear layer's weight gradient and an optimizer's step on that weight: gradient = ∂zᵀ·x (∂z
/// k×m with row stride `lddz`, x k×n with stride `ldx`, the gradient m×n contiguous), then the
/// update of w and the optimizer's state (m×n contiguous) as its own step makes it:
/// `sweep_adam_step`, `sweep_rmsprop_step` (velocity NULL without momentum), `sweep_adagrad_step`.
/// The same values as `sweep_sgemm` followed by that step; on the AVX-512 path, for whole tiles
/// of 8 × 32, the update of each tile runs during the product of the next
/// (weight_gradient_update.c).
void sweep_weight_gradient_adam(sweep_kernel kernel, int m, int n, int k, const float *dz, int lddz, const float *x,
                                int ldx, float *gradient, float *w, float *first_moment, float *second_moment,
                                float beta1, float beta2, float step_size, float inverse_root_correction2,
                                float epsilon, float l2, float shrink, float *workspace);
void sweep_weight_gradient_rmsprop(sweep_kernel kernel, int m, int n, int k, const float *dz, int lddz,
                                   const float *x, int ldx, float *gradient, float *w, float *square_average,
                                   float *velocity, float rate, float decay, float alpha, float epsilon,
                                   float momentum, float *workspace);
void sweep_weight_gradient_adagrad(sweep_kernel kernel, int m, int n, int k, const float *dz, int lddz,
                                   const float *x, int ldx, float *gradient, float *w, float *sums, float rate,
                                   float decay, float epsilon, float *workspace);

/// Floating-point operations per second one core reaches with `kernel`'s multiply-add: `iterations`
/// rounds of independent chains, enough to cover the instruction's latency (AVX-512: 24 chains of
/// 16-float FMAs; AVX2: 12 of 8-float FMAs; portable: 12 of SSE2's 4-float multiply then add, as
/// the portable kernel is compiled). Timed by the clock: a run that shares its core measures less.
double sweep_peak_flops(sweep_kernel kernel, long iterations);

/// The name of the kernels the process runs by default (`sweep_kernel_selected`): "avx512",
/// "avx2-fma" or "portable".
const char *sweep_sgemm_kernel_name(void);

#ifdef __cplusplus
}
#endif

#endif
