/* Vectorisable float exp and exact-form GELU for the ESM hot loops.
 * Written as straight-line arithmetic (no calls, no branches) so that GCC
 * turns loops over them into SIMD code without -ffast-math. Accuracy: exp
 * within 2 ulp of expf; erfc (and so GELU) within a few ulp relative, i.e.
 * float noise. The plain twins are expf and fg_gelu (libm erff); the test
 * esm_math compares them on dense sweeps. Polynomials were fitted for this
 * project (least squares on Chebyshev nodes against mpmath). */
#ifndef FG_ESM_MATH_H
#define FG_ESM_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x for x in float range; exactly 0 below -87.3 (where expf is denormal or 0). */
static inline float esm_expf(float x)
{
    const float log2e = 1.44269504089f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float xc = x < -87.3f ? -87.3f : x;
    xc = xc > 88.7f ? 88.7f : xc;
    float n = (xc * log2e + shifter) - shifter;
    float r = fmaf(-n, ln2_hi, xc);
    r = fmaf(-n, ln2_lo, r);
    /* e^r = 1 + r + r^2 P(r) on |r| <= ln2/2 */
    float p = 1.945323747e-4f;
    p = fmaf(p, r, 1.392975915e-3f);
    p = fmaf(p, r, 8.333904669e-3f);
    p = fmaf(p, r, 4.166650400e-2f);
    p = fmaf(p, r, 1.666666567e-1f);
    p = fmaf(p, r, 0.5f);
    float er = fmaf(p, r * r, r) + 1.0f;
    /* 2^n through the exponent bits; n in [-126, 128] after the clamp, so split
     * the scale in two halves to stay finite for n = 128. */
    int32_t ni = (int32_t)n;
    int32_t h = ni >> 1;
    int32_t b1 = (h + 127) << 23, b2 = (ni - h + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    float y = er * s1 * s2;
    return x < -87.3f ? 0.0f : y;
}

/* 1 + erf(x / sqrt 2), accurate also where it is tiny (x very negative):
 * |z| < 1: 1 + z P(z^2); else erfc(|z|) = exp(-z^2) erfcx(|z|), erfcx from a
 * polynomial in t = 1/|z| (|z| clamped to 10, beyond which erfc underflows). */
static inline float esm_one_plus_erf_scaled(float x)
{
    const float inv_sqrt2 = 0.70710678118654752f;
    float z = x * inv_sqrt2;
    float u = z * z;
    float p = -9.395786037e-06f;
    p = fmaf(p, u, 1.116747080e-04f);
    p = fmaf(p, u, -8.469881723e-04f);
    p = fmaf(p, u, 5.220000632e-03f);
    p = fmaf(p, u, -2.686503716e-02f);
    p = fmaf(p, u, 1.128377467e-01f);
    p = fmaf(p, u, -3.761263788e-01f);
    p = fmaf(p, u, 1.128379226e+00f);
    float small = fmaf(z, p, 1.0f);

    float az = fabsf(z);
    az = az < 1.0f ? 1.0f : az;
    az = az > 10.0f ? 10.0f : az;
    float t = 1.0f / az;
    float s = (2.0f * t - 1.1f) * (1.0f / 0.9f); /* t in [0.1, 1] -> s in [-1, 1] */
    float g = -1.525600874e-05f;
    g = fmaf(g, s, -2.240829235e-05f);
    g = fmaf(g, s, 1.748763461e-04f);
    g = fmaf(g, s, -2.759314957e-04f);
    g = fmaf(g, s, 8.263781638e-05f);
    g = fmaf(g, s, 9.417852852e-04f);
    g = fmaf(g, s, -3.975001629e-03f);
    g = fmaf(g, s, 8.958970197e-03f);
    g = fmaf(g, s, -4.123923369e-03f);
    g = fmaf(g, s, -7.651560754e-02f);
    g = fmaf(g, s, 5.023534298e-01f);
    /* exp(-az^2) with the rounding error of az^2 folded back in. */
    float hi = az * az;
    float lo = fmaf(az, az, -hi);
    float e = esm_expf(-hi) * (1.0f - lo);
    float erfc = e * g * t;
    float large = x >= 0.0f ? 2.0f - erfc : erfc;
    return fabsf(z) < 1.0f ? small : large;
}

/* Exact-form GELU: 0.5 x (1 + erf(x / sqrt 2)). */
static inline float esm_gelu(float x) { return 0.5f * x * esm_one_plus_erf_scaled(x); }

/* In place over n values, OpenMP-parallel over independent elements. */
void esm_gelu_inplace(float *x, int64_t n);
/* y[r * ldy + c] = gelu(y[r * ldy + c]) for r < rows, c < cols (an fg_mm_block_fn). */
void esm_gelu_block(float *y, int64_t ldy, int rows, int cols);

#endif
