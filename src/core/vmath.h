/* Branch-free float math that the compiler can vectorise inside the caller's
 * loop (glibc's expf/erff are scalar calls and stop vectorisation). Library
 * internal; the scalar libm functions are the reference twins and
 * tests/test_ops_vec.c compares the two. */
#ifndef FG_CORE_VMATH_H
#define FG_CORE_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x with a relative error of ~2 ulp over the normal range. Arguments below
 * FG_VEXP_MIN give exactly 0 (masked logits such as -1e8 must vanish, as they
 * do in libm), arguments above FG_VEXP_MAX give +inf; NaN propagates. */
#define FG_VEXP_MIN (-87.33654f)
#define FG_VEXP_MAX (88.72283f)

static inline float fg_vbits_to_float(int32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline int32_t fg_vfloat_to_bits(float f)
{
    int32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static inline float fg_vexpf(float x)
{
    /* x = n ln2 + r with |r| <= ln2/2; e^r by its Taylor series to r^7
     * (truncation error < 1e-8 relative), 2^n assembled in the exponent bits.
     * n = round(x log2e) by adding 1.5 * 2^23, whose ulp is 1: floorf would
     * keep GCC from vectorising unless -fno-trapping-math. */
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;       /* exact in 16 bits */
    const float ln2_lo = 1.42860682030941723e-6f;  /* ln2 - ln2_hi */
    const float shifter = 12582912.0f;             /* 1.5 * 2^23, bits 0x4B400000 */
    /* Written so that NaN clamps to a finite value: the integer part must be one. */
    float xc = x >= FG_VEXP_MIN ? x : FG_VEXP_MIN;
    xc = xc <= FG_VEXP_MAX ? xc : FG_VEXP_MAX;
    float kf = xc * log2e + shifter;
    float n = kf - shifter;
    int32_t ni = fg_vfloat_to_bits(kf) - 0x4B400000;
    float r = xc - n * ln2_hi;
    r = r - n * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* n in [-126, 128]: 2^n as two factors so both ends stay normal floats. */
    int32_t n1 = ni / 2, n2 = ni - n1;
    float y = p * fg_vbits_to_float((n1 + 127) << 23) * fg_vbits_to_float((n2 + 127) << 23);
    y = x < FG_VEXP_MIN ? 0.0f : y;
    y = x > FG_VEXP_MAX ? INFINITY : y;
    return x != x ? x : y;
}

/* Standard normal CDF Phi(x) = 0.5 (1 + erf(x / sqrt 2)), for the exact GELU
 * x Phi(x). Through erfc(z), z = |x|/sqrt 2: erfc(z) = e^{-z^2} t P(t) with
 * t = 1/(1 + 0.4 z) and P a degree-10 polynomial fitted (weighted least
 * squares, for relative error) to erfc(z) e^{z^2} / t on z in [0, inf).
 * erfc is then accurate to ~2e-7 relative for z < 6, so the left tail of Phi
 * keeps its relative accuracy (unlike 1 + erf). */
static inline float fg_vnormcdff(float x)
{
    float z = fabsf(x) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.4f * z);
    float p = -2.951827390e-02f;
    p = p * t + 1.419866720e-01f;
    p = p * t - 2.388658729e-01f;
    p = p * t + 1.415917487e-01f;
    p = p * t - 4.985906573e-02f;
    p = p * t + 8.528122392e-02f;
    p = p * t + 1.186188658e-01f;
    p = p * t + 1.718049628e-01f;
    p = p * t + 2.076078089e-01f;
    p = p * t + 2.256760912e-01f;
    p = p * t + 2.256758326e-01f;
    float half_erfc = 0.5f * fg_vexpf(-z * z) * t * p;
    return x >= 0.0f ? 1.0f - half_erfc : half_erfc;
}

#endif
