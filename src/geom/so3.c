/* SO(3) exp / log maps and geodesics, following the reference's so3_utils
 * operation by operation in float32 (branch thresholds and the near-pi
 * outer-product branch included), so sampler trajectories take the same branch. */
#include "framegen/so3.h"

#include <math.h>

#include "framegen/rigid.h"

#define PI_F 3.14159265358979f

/* The reference's isclose(a, b, rtol=1e-5, atol): |a - b| <= atol + |rtol b|, in float. */
static int isclose_f(float a, float b, float atol) { return fabsf(a - b) <= atol + fabsf(1e-5f * b); }

/* vee(R - R^T) = (R21 - R12, R02 - R20, R10 - R01) */
static void skew_vee(const float r[9], float w[3])
{
    w[0] = r[7] - r[5];
    w[1] = r[2] - r[6];
    w[2] = r[3] - r[1];
}

static float norm3(const float v[3]) { return sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

void fg_so3_exp(const float v[3], float r[9])
{
    float a = norm3(v), a2 = a * a;
    float sc, cc; /* sin(a)/a and (1-cos(a))/a^2 */
    if (fabsf(a) < FG_SO3_EXP_TAYLOR_TOL) {
        sc = 1.0f - a2 / 6.0f;
        cc = 0.5f - a2 / 24.0f;
    } else {
        sc = sinf(a) / a;
        cc = (1.0f - cosf(a)) / a2;
    }
    /* K = [v]x, exp = I + sc K + cc K^2 */
    const float k[9] = {0, -v[2], v[1], v[2], 0, -v[0], -v[1], v[0], 0};
    float k2[9];
    fg_rot_mul(k, k, k2);
    for (int i = 0; i < 9; i++)
        r[i] = (i % 4 == 0 ? 1.0f : 0.0f) + sc * k[i] + cc * k2[i];
}

float fg_so3_angle(const float r[9])
{
    float w[3];
    skew_vee(r, w);
    float s = norm3(w) / 2.0f, c = (r[0] + r[4] + r[8] - 1.0f) / 2.0f;
    return atan2f(s, c);
}

/* Near-pi branch: (I + R)/2 = w w^T for the unit axis w; magnitudes from the
 * clamped diagonal, signs from the row of largest norm (global sign arbitrary). */
static void log_near_pi(const float r[9], float angle, float v[3])
{
    float o[9]; /* (I + R)/2 with the diagonal clamped at 0 */
    for (int i = 0; i < 9; i++)
        o[i] = ((i % 4 == 0 ? 1.0f : 0.0f) + r[i]) / 2.0f;
    for (int i = 0; i < 3; i++)
        o[i * 4] = fmaxf(o[i * 4], 0.0f);
    int row = 0;
    float best = norm3(o);
    for (int i = 1; i < 3; i++) {
        float n = norm3(o + i * 3);
        if (n > best) /* first maximum wins, as argmax */
            best = n, row = i;
    }
    for (int i = 0; i < 3; i++) {
        float e = o[row * 3 + i];
        float sgn = e > 0 ? 1.0f : (e < 0 ? -1.0f : 0.0f);
        v[i] = sqrtf(fmaxf(o[i * 4], 1e-8f)) * angle * sgn;
    }
}

void fg_so3_log(const float r[9], float v[3])
{
    float w[3];
    skew_vee(r, w);
    float s = norm3(w) / 2.0f, c = (r[0] + r[4] + r[8] - 1.0f) / 2.0f;
    float angle = atan2f(s, c);
    if (isclose_f(angle, 0.0f, 1e-8f)) {
        float f = 0.5f / (1.0f - angle * angle / 6.0f);
        v[0] = w[0] * f, v[1] = w[1] * f, v[2] = w[2] * f;
    } else if (isclose_f(angle, PI_F, 1e-2f)) {
        log_near_pi(r, angle, v);
    } else {
        float f = angle / (2.0f * s);
        v[0] = w[0] * f, v[1] = w[1] * f, v[2] = w[2] * f;
    }
}

void fg_so3_rot_vf(const float r_t[9], const float r_1[9], float vf[3])
{
    float rel[9];
    fg_rot_mul_tn(r_t, r_1, rel);
    fg_so3_log(rel, vf);
}

void fg_so3_step(float t, const float vf[3], const float base[9], float out[9])
{
    float tv[3] = {t * vf[0], t * vf[1], t * vf[2]}, e[9];
    fg_so3_exp(tv, e);
    fg_rot_mul(base, e, out);
}

void fg_so3_geodesic(float t, const float mat[9], const float base[9], float out[9])
{
    float vf[3];
    fg_so3_rot_vf(base, mat, vf);
    fg_so3_step(t, vf, base, out);
}

void fg_so3_exp_batch(int64_t n, const float *v, float *r)
{
    for (int64_t i = n - 1; i >= 0; i--) /* backwards: r ([n,9]) may overlay v ([n,3]) */
        fg_so3_exp(v + i * 3, r + i * 9);
}

void fg_so3_log_batch(int64_t n, const float *r, float *v)
{
    for (int64_t i = 0; i < n; i++)
        fg_so3_log(r + i * 9, v + i * 3);
}

void fg_so3_rot_vf_batch(int64_t n, const float *r_t, const float *r_1, float *vf)
{
    for (int64_t i = 0; i < n; i++)
        fg_so3_rot_vf(r_t + i * 9, r_1 + i * 9, vf + i * 3);
}

void fg_so3_geodesic_batch(int64_t n, const float *t, const float *mat, const float *base,
                           float *out)
{
    for (int64_t i = 0; i < n; i++)
        fg_so3_geodesic(t[i], mat + i * 9, base + i * 9, out + i * 9);
}
