/* Quaternions (w, x, y, z) <-> rotation matrices and the quaternion backbone
 * update of the structure module. */
#include "framegen/rigid.h"

#include <math.h>

void fg_quat_to_rot(const float q[4], float r[9])
{
    float w = q[0], x = q[1], y = q[2], z = q[3];
    float ww = w * w, xx = x * x, yy = y * y, zz = z * z;
    float wx = w * x, wy = w * y, wz = w * z, xy = x * y, xz = x * z, yz = y * z;
    r[0] = ww + xx - yy - zz, r[1] = 2 * (xy - wz), r[2] = 2 * (xz + wy);
    r[3] = 2 * (xy + wz), r[4] = ww - xx + yy - zz, r[5] = 2 * (yz - wx);
    r[6] = 2 * (xz - wy), r[7] = 2 * (yz + wx), r[8] = ww - xx - yy + zz;
}

/* One Jacobi rotation zeroing a[p][q] of the symmetric 4x4 a; v accumulates the
 * eigenvectors as columns. */
static void jacobi_rotate(double a[4][4], double v[4][4], int p, int q)
{
    if (a[p][q] == 0.0)
        return;
    double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
    double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
    double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
    for (int k = 0; k < 4; k++) { /* columns p, q of a */
        double akp = a[k][p], akq = a[k][q];
        a[k][p] = c * akp - s * akq;
        a[k][q] = s * akp + c * akq;
    }
    for (int k = 0; k < 4; k++) { /* rows p, q */
        double apk = a[p][k], aqk = a[q][k];
        a[p][k] = c * apk - s * aqk;
        a[q][k] = s * apk + c * aqk;
    }
    for (int k = 0; k < 4; k++) {
        double vkp = v[k][p], vkq = v[k][q];
        v[k][p] = c * vkp - s * vkq;
        v[k][q] = s * vkp + c * vkq;
    }
}

/* Eigenvector of the largest eigenvalue of a symmetric 4x4 matrix (cyclic
 * Jacobi in double: a handful of sweeps converge to machine precision). */
static void top_eigenvector4(double a[4][4], double out[4])
{
    double v[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    for (int sweep = 0; sweep < 32; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < 4; i++) {
            diag += a[i][i] * a[i][i];
            for (int j = i + 1; j < 4; j++)
                off += a[i][j] * a[i][j];
        }
        if (off <= 1e-30 * diag || off == 0.0)
            break;
        for (int p = 0; p < 3; p++)
            for (int q = p + 1; q < 4; q++)
                jacobi_rotate(a, v, p, q);
    }
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (a[i][i] > a[best][best])
            best = i;
    for (int k = 0; k < 4; k++)
        out[k] = v[k][best];
}

void fg_rot_to_quat(const float r[9], float q[4])
{
    double xx = r[0], xy = r[1], xz = r[2], yx = r[3], yy = r[4], yz = r[5], zx = r[6], zy = r[7],
           zz = r[8];
    double k[4][4] = {
        {xx + yy + zz, zy - yz, xz - zx, yx - xy},
        {zy - yz, xx - yy - zz, xy + yx, xz + zx},
        {xz - zx, xy + yx, yy - xx - zz, yz + zy},
        {yx - xy, xz + zx, yz + zy, zz - xx - yy},
    };
    double e[4];
    top_eigenvector4(k, e); /* the reference's 1/3 scale does not change eigenvectors */
    /* Fix the arbitrary sign (w >= 0, else first non-zero component > 0) so
     * results are reproducible; every consumer is sign-invariant. */
    int lead = 0;
    while (lead < 3 && e[lead] == 0.0)
        lead++;
    double sgn = e[lead] < 0 ? -1.0 : 1.0;
    double n = sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2] + e[3] * e[3]);
    for (int i = 0; i < 4; i++)
        q[i] = (float)(sgn * e[i] / n);
}

void fg_rigid_update_q(const float q[4], const float r[9], const float t[3], const float update[6],
                       float m, float q_out[4], float r_out[9], float t_out[3])
{
    float w = q[0], x = q[1], y = q[2], z = q[3];
    float b = update[0], c = update[1], d = update[2];
    /* q (x) (0, b, c, d): Hamilton product with a pure quaternion */
    float dq[4] = {
        -x * b - y * c - z * d,
        w * b + y * d - z * c,
        w * c - x * d + z * b,
        w * d + x * c - y * b,
    };
    float nq[4];
    for (int i = 0; i < 4; i++)
        nq[i] = q[i] + dq[i] * m;
    float n = sqrtf(nq[0] * nq[0] + nq[1] * nq[1] + nq[2] * nq[2] + nq[3] * nq[3]);
    float tu[3];
    fg_rot_vec(r, update + 3, tu); /* old rotation: r may alias r_out */
    for (int k = 0; k < 3; k++)
        t_out[k] = t[k] + tu[k] * m;
    for (int i = 0; i < 4; i++)
        q_out[i] = nq[i] / n;
    fg_quat_to_rot(q_out, r_out);
}
