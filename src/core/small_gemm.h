/* Register-blocked products for the skinny shapes of per-tile block kernels
 * (a few hundred rows times a c_z x D weight that sits in L1): no packing,
 * arbitrary strides on the left operand, an optional initial value (bias,
 * the destination itself), single-threaded (callers parallelise over tiles).
 * BLAS packs both operands on every call, which costs as much as the
 * arithmetic at these sizes. Library internal; the reference twin is fg_gemm
 * (tests/test_small_gemm.c). */
#ifndef FG_CORE_SMALL_GEMM_H
#define FG_CORE_SMALL_GEMM_H

#include <stdbool.h>
#include <stdint.h>

/* y[i, j] = (accumulate ? y[i, j] : 0) + (bias ? bias[j] : 0)
 *           + sum_k x[i*xs_i + k*xs_k] w[k*ldw + j]      for i < M, j < J.
 * y has row stride ldy and must not overlap x or w. */
void fg_small_gemm(float *y, int64_t ldy, const float *x, int64_t xs_i, int64_t xs_k, const float *w, int64_t ldw,
                   const float *bias, bool accumulate, int64_t M, int64_t K, int64_t J);

#endif
