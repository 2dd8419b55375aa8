/* Dense float32 kernels the reference models need. Row-major throughout;
 * weights use PyTorch's nn.Linear layout W[out, in]. Matrix products go
 * through single-threaded OpenBLAS calls over a fixed grid of output tiles
 * run in parallel; element-wise loops are OpenMP-parallel over independent
 * rows only. Results never depend on the thread count. */
#ifndef FRAMEGEN_OPS_H
#define FRAMEGEN_OPS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* y[M,N] = x[M,K] W[N,K]^T + b[N] (b may be NULL). y must not alias x. */
void fg_linear(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N);
/* y[M,N] += x[M,K] W[N,K]^T (+ b). */
void fg_linear_acc(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N);

/* C = alpha op(A) op(B) + beta C, row-major, leading dimensions in elements. */
void fg_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/* The same over `batch` independent products at the given element strides. */
void fg_gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                     float alpha, const float *A, int64_t lda, int64_t stride_a, const float *B,
                     int64_t ldb, int64_t stride_b, float beta, float *C, int64_t ldc, int64_t stride_c);

/* LayerNorm over the last dim C of x[M,C]; g, b may be NULL (no affine). y may equal x. */
void fg_layernorm(float *y, const float *x, const float *g, const float *b, int64_t M, int64_t C, float eps);

/* In-place softmax of each row of x[M,N]. */
void fg_softmax_rows(float *x, int64_t M, int64_t N);

/* In-place element-wise activations over n values. */
void fg_relu(float *x, int64_t n);
void fg_gelu(float *x, int64_t n);     /* exact: 0.5 x (1 + erf(x / sqrt 2)) */
void fg_sigmoid(float *x, int64_t n);
void fg_silu(float *x, int64_t n);     /* x * sigmoid(x) */

/* Scalar forms, for fused loops elsewhere. */
static inline float fg_sigmoidf(float x) { return 1.0f / (1.0f + __builtin_expf(-x)); }

/* y[i] += x[i]; y[i] *= s; y[i] = a[i] * b[i]. */
void fg_add(float *y, const float *x, int64_t n);
void fg_scale(float *y, float s, int64_t n);
void fg_mul(float *y, const float *a, const float *b, int64_t n);

/* Threads for OpenMP loops and OpenBLAS (one pool). n <= 0 leaves the default. */
void fg_set_threads(int n);
int fg_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
