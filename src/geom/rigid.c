/* Rigid frames of single residues: matrix products, apply / compose / invert and
 * the Gram-Schmidt frame from three points. Float arithmetic in the reference's
 * order of terms, so results agree with it to the last bits where possible. */
#include "framegen/rigid.h"

#include <math.h>

void fg_rot_mul(const float a[9], const float b[9], float out[9])
{
    float t[9]; /* out may alias a or b */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    for (int k = 0; k < 9; k++)
        out[k] = t[k];
}

void fg_rot_mul_tn(const float a[9], const float b[9], float out[9])
{
    float t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t[i * 3 + j] = a[i] * b[j] + a[3 + i] * b[3 + j] + a[6 + i] * b[6 + j];
    for (int k = 0; k < 9; k++)
        out[k] = t[k];
}

void fg_rot_vec(const float r[9], const float v[3], float out[3])
{
    float x = v[0], y = v[1], z = v[2];
    out[0] = r[0] * x + r[1] * y + r[2] * z;
    out[1] = r[3] * x + r[4] * y + r[5] * z;
    out[2] = r[6] * x + r[7] * y + r[8] * z;
}

void fg_rot_tvec(const float r[9], const float v[3], float out[3])
{
    float x = v[0], y = v[1], z = v[2];
    out[0] = r[0] * x + r[3] * y + r[6] * z;
    out[1] = r[1] * x + r[4] * y + r[7] * z;
    out[2] = r[2] * x + r[5] * y + r[8] * z;
}

void fg_rot_transpose(const float r[9], float out[9])
{
    float t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t[j * 3 + i] = r[i * 3 + j];
    for (int k = 0; k < 9; k++)
        out[k] = t[k];
}

void fg_rigid_apply(const float r[9], const float t[3], const float p[3], float out[3])
{
    float q[3];
    fg_rot_vec(r, p, q);
    out[0] = q[0] + t[0], out[1] = q[1] + t[1], out[2] = q[2] + t[2];
}

void fg_rigid_invert_apply(const float r[9], const float t[3], const float p[3], float out[3])
{
    float d[3] = {p[0] - t[0], p[1] - t[1], p[2] - t[2]};
    fg_rot_tvec(r, d, out);
}

void fg_rigid_compose(const float ra[9], const float ta[3], const float rb[9], const float tb[3],
                      float r_out[9], float t_out[3])
{
    float t[3];
    fg_rigid_apply(ra, ta, tb, t); /* before r_out is written: it may alias ra */
    fg_rot_mul(ra, rb, r_out);
    t_out[0] = t[0], t_out[1] = t[1], t_out[2] = t[2];
}

void fg_rigid_invert(const float r[9], const float t[3], float r_out[9], float t_out[3])
{
    float rt[9], u[3];
    fg_rot_transpose(r, rt);
    fg_rot_vec(rt, t, u);
    for (int k = 0; k < 9; k++)
        r_out[k] = rt[k];
    t_out[0] = -u[0], t_out[1] = -u[1], t_out[2] = -u[2];
}

void fg_rigid_from_3_points(const float p_neg_x_axis[3], const float origin[3],
                            const float p_xy_plane[3], float r[9], float t[3])
{
    const float eps = 1e-8f;
    float e0[3], e1[3], e2[3];
    for (int k = 0; k < 3; k++) {
        e0[k] = origin[k] - p_neg_x_axis[k];
        e1[k] = p_xy_plane[k] - origin[k];
    }
    float n0 = sqrtf(e0[0] * e0[0] + e0[1] * e0[1] + e0[2] * e0[2] + eps);
    for (int k = 0; k < 3; k++)
        e0[k] /= n0;
    float dot = e0[0] * e1[0] + e0[1] * e1[1] + e0[2] * e1[2];
    for (int k = 0; k < 3; k++)
        e1[k] -= e0[k] * dot;
    float n1 = sqrtf(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2] + eps);
    for (int k = 0; k < 3; k++)
        e1[k] /= n1;
    e2[0] = e0[1] * e1[2] - e0[2] * e1[1];
    e2[1] = e0[2] * e1[0] - e0[0] * e1[2];
    e2[2] = e0[0] * e1[1] - e0[1] * e1[0];
    for (int k = 0; k < 3; k++) {
        r[k * 3 + 0] = e0[k], r[k * 3 + 1] = e1[k], r[k * 3 + 2] = e2[k];
        t[k] = origin[k];
    }
}
