/* Branch-free float math that the compiler can vectorise inside the caller's
 * loop (glibc's expf/erff are scalar calls and stop vectorisation). Library
 * internal; the scalar libm functions are the reference twins and
 * tests/test_vmath.c compares the two. */
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

static inline float fg_vexpf(float x)
{
    /* x = n ln2 + r with |r| <= ln2/2; e^r by its Taylor series to r^7
     * (truncation error < 1e-8 relative), 2^n assembled in the exponent bits. */
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;       /* exact in 16 bits */
    const float ln2_lo = 1.42860682030941723e-6f;  /* ln2 - ln2_hi */
    /* Written so that NaN clamps to a finite value: the int conversion below needs one. */
    float xc = x >= FG_VEXP_MIN ? x : FG_VEXP_MIN;
    xc = xc <= FG_VEXP_MAX ? xc : FG_VEXP_MAX;
    float n = floorf(xc * log2e + 0.5f);
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
    /* n in [-126, 128]: split 2^n in two factors so n = 128 and n = -126 stay normal. */
    int32_t ni = (int32_t)n;
    int32_t n1 = ni >> 1, n2 = ni - n1;
    int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    float y = p * s1 * s2;
    y = x < FG_VEXP_MIN ? 0.0f : y;
    y = x > FG_VEXP_MAX ? INFINITY : y;
    return x != x ? x : y;
}

#endif
