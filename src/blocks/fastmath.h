/* Single-threaded row kernels for the pair-track modules: an exp that the
 * compiler vectorises, and the LayerNorm / softmax / sigmoid loops built on it.
 * libm's expf is a scalar call, and at O(N^3) softmax entries per triangle
 * attention it would cost more than the matrix products. These run inside
 * OpenMP regions of their callers; each has a plain twin (expf, double sums)
 * in tests/test_pairformer_kernels.c. Internal to src/blocks. */
#ifndef FG_BLOCKS_FASTMATH_H
#define FG_BLOCKS_FASTMATH_H

#include <stdint.h>
#include <string.h>

/* exp(x) to about 2 ulp: x = n ln2 + r with |r| <= ln2/2, exp(r) by its degree-7
 * Taylor polynomial, 2^n put into the exponent bits. Branch-free so that
 * loops calling it vectorise; below -87.33 it returns 0 (expf returns
 * subnormals there), above 88.72 +inf, NaN stays NaN. */
static inline float fg_fast_expf(float x)
{
    const float lo = -87.33f, hi = 88.0f;
    float xc = x < hi ? x : hi;     /* NaN takes hi: the cast below stays defined */
    xc = xc > lo ? xc : lo;
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = xc - n * 0.693145751953125f;                             /* ln2 split in two */
    r = r - n * 1.4286068202862268e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    y = x < lo ? 0.0f : y;
    y = x > 88.72f ? __builtin_inff() : y;
    return x == x ? y : x;
}

static inline float fg_fast_sigmoidf(float x) { return 1.0f / (1.0f + fg_fast_expf(-x)); }

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

/* Linear(LN(x)) to a few outputs (attention biases) without writing LN(x):
 * y_h = inv * sum_c (x_c - mean) Wg[h][c] + t[h] with Wg = g * W and
 * t = W b folded once per forward by fg_ln_proj_fold (g, b may be NULL). Row
 * i is x + i * x_stride; y_h of row i goes to y[i * y_row + h * y_head]. */
void fg_ln_proj_fold(float *Wg, float *t, const float *W, const float *g, const float *b, int H, int C);
void fg_ln_proj_rows(float *y, int64_t y_row, int64_t y_head, const float *x, int64_t rows, int64_t x_stride,
                     int C, const float *Wg, const float *t, int H, float eps);

#endif
