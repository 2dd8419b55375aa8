/* Sampler Euler steps on frames and the masked centre of mass. */
#include "framegen/euler.h"

#include <math.h>

#include "framegen/so3.h"

float fg_euler_rot_scaling(float t, float exp_rate)
{
    float denom = 1.0f - expf(-exp_rate * (1.0f - t));
    denom = fmaxf(denom, 1e-8f);
    return fmaxf(exp_rate / denom, 1e-4f);
}

float fg_euler_rot_scaling_linear(float t) { return fmaxf(1.0f / (1.0f - t), 1e-4f); }

void fg_euler_rot_step(int64_t n, float scaling, float d_t, const float *r_t, const float *r_1,
                       float *r_next)
{
    float gt = scaling * d_t; /* time along the geodesic from r_t to r_1 */
    for (int64_t i = 0; i < n; i++) {
        float vf[3];
        fg_so3_rot_vf(r_t + i * 9, r_1 + i * 9, vf);
        fg_so3_step(gt, vf, r_t + i * 9, r_next + i * 9);
    }
}

void fg_euler_trans_step(int64_t n, float t, float d_t, const float *x_t, const float *x_1,
                         float *x_next)
{
    float one_minus_t = 1.0f - t;
    for (int64_t i = 0; i < n * 3; i++) {
        float vf = (x_1[i] - x_t[i]) / one_minus_t;
        x_next[i] = x_t[i] + vf * d_t;
    }
}

void fg_center_of_mass(int64_t n, const float *x, const float *mask, float com[3])
{
    float s[3] = {0, 0, 0}, msum = 0;
    for (int64_t i = 0; i < n; i++) {
        float m = mask ? mask[i] : 1.0f;
        for (int k = 0; k < 3; k++)
            s[k] += x[i * 3 + k] * m;
        msum += m;
    }
    for (int k = 0; k < 3; k++)
        com[k] = s[k] / (msum + 1e-5f);
}

void fg_center_remove(int64_t n, float *x, const float *mask)
{
    float com[3];
    fg_center_of_mass(n, x, mask, com);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            x[i * 3 + k] -= com[k];
}
