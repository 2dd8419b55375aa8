/* Plain reference twins of the vectorised kernels of ops.h (libm calls,
 * double accumulation where upstream accumulates), kept for the tests that
 * compare the two (tests/test_ops_vec.c). Library internal. */
#ifndef FG_CORE_OPS_REF_H
#define FG_CORE_OPS_REF_H

#include <stdint.h>

void fg_ref_layernorm(float *y, const float *x, const float *g, const float *b, int64_t M, int64_t C, float eps);
void fg_ref_softmax_rows(float *x, int64_t M, int64_t N);
void fg_ref_gelu(float *x, int64_t n);
void fg_ref_sigmoid(float *x, int64_t n);
void fg_ref_silu(float *x, int64_t n);

#endif
