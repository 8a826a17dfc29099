// Private to CKernels: what sgemm.c and small_products.c share.
#ifndef SWEEP_SMALL_PRODUCTS_H
#define SWEEP_SMALL_PRODUCTS_H

// One element of a tile's result: `product` (alpha·A·B) onto C's value or, overwriting, onto
// nothing; plus the column's bias if there is one.
static inline float add_to(int overwrite, const float *bias, const float *target, int column, float product) {
    float base = overwrite ? 0.0f : *target;
    return bias ? base + bias[column] + product : (overwrite ? product : base + product);
}

// Whether `small_product_avx2` takes this product rather than the packed GEMM: B transposed
// into at most 8 columns (a layer's class scores) or from at most 3 rows (a batch of one to
// three) with k ≥ 32, or B untransposed over k ≤ 4.
int small_product_applies(int transpose_a, int transpose_b, int m, int n, int k);

// C = alpha·op(A)·op(B) onto C (or overwriting it) plus `bias`, for the shapes
// `small_product_applies` accepts; beta has already been applied to C. Needs AVX2 and FMA.
void small_product_avx2(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float *c, int ldc, int overwrite, const float *bias);

#endif
