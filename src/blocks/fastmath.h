/* Single-threaded row kernels for the pair-track modules, fused where the
 * public ops of ops.h would take extra passes (gates, biased softmax, strided
 * LayerNorm, LayerNorm folded into a small projection), on core/vmath.h's
 * vectorisable exp: libm's expf is a scalar call, and at O(N^3) softmax
 * entries per triangle attention it would cost more than the matrix
 * products. They run inside OpenMP regions of their callers; each has a plain
 * twin (libm, double sums) in tests/test_pairformer_kernels.c. Internal to
 * src/blocks. */
#ifndef FG_BLOCKS_FASTMATH_H
#define FG_BLOCKS_FASTMATH_H

#include <stdint.h>

#include "core/vmath.h"

static inline float fg_fast_sigmoidf(float x) { return 1.0f / (1.0f + fg_vexpf(-x)); }

/* x[i] = sigmoid(x[i]). */
void fg_fast_sigmoid(float *x, int64_t n);
/* y[i] = a[i] * sigmoid(b[i]) (y may equal a). */
void fg_fast_mul_sigmoid(float *y, const float *a, const float *b, int64_t n);
/* y[i] = silu(a[i]) * b[i] (y may equal a). */
void fg_fast_silu_mul(float *y, const float *a, const float *b, int64_t n);
/* Attention row: r[j] = exp(((r[j] + b1[j]) + b2[j]) - max), unnormalised;
 * returns 1 / sum so the caller can scale the (much narrower) p.v product
 * instead of the n probabilities. b2 may be NULL. */
float fg_fast_softmax_biased_row(float *r, const float *b1, const float *b2, int64_t n);

/* LayerNorm of `rows` vectors of C floats; vector i starts at x + i * x_stride,
 * output rows are contiguous (y[i * C]). g, b: [C] affine (NULL: none). */
void fg_ln_rows(float *y, const float *x, int64_t rows, int64_t x_stride, int64_t C, const float *g,
                const float *b, float eps);

/* fg_ln_rows written transposed: y[c * ldy + i] for row i. tmp: [FG_LN_T_ROWS][C]. */
#define FG_LN_T_ROWS 32
void fg_ln_rows_t(float *y, int64_t ldy, const float *x, int64_t rows, int64_t x_stride, int64_t C, const float *g,
                  const float *b, float eps, float *tmp);

/* Linear(LN(x)) to a few outputs (attention biases) without writing LN(x):
 * y_h = inv * sum_c (x_c - mean) Wg[h][c] + t[h] with Wg = g * W and
 * t = W b folded once per forward by fg_ln_proj_fold (g, b may be NULL). Row
 * i is x + i * x_stride; y_h of row i goes to y[i * y_row + h * y_head].
 * readable >= rows: how many rows from x on exist, so that reading may ask for
 * rows past the last one it computes (the next call's) ahead of time. */
void fg_ln_proj_fold(float *Wg, float *t, const float *W, const float *g, const float *b, int H, int C);
void fg_ln_proj_rows(float *y, int64_t y_row, int64_t y_head, const float *x, int64_t rows, int64_t readable,
                     int64_t x_stride, int C, const float *Wg, const float *t, int H, float eps);

#endif
