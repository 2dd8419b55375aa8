/* Kabsch superposition and SO(3) projection through LAPACK's SVD. Sums are in
 * double so the result does not depend on point order beyond rounding. */
#include "framegen/superpose.h"

#include <lapacke.h>
#include <math.h>

#include "framegen/rigid.h"

static double det3(const double a[9])
{
    return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
           a[2] * (a[3] * a[7] - a[4] * a[6]);
}

/* Rotation u diag(1, 1, d) vt with d = det(u vt), from the SVD of a (row-major 3x3). */
static fg_status svd_rotation(const double a_in[9], double r[9], const char *what, fg_error *err)
{
    double a[9], s[3], u[9], vt[9], superb[2];
    for (int i = 0; i < 9; i++) {
        if (!isfinite(a_in[i]))
            return fg_error_set(err, FG_ERR_NUMERIC, "%s: non-finite matrix entry", what);
        a[i] = a_in[i];
    }
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', 3, 3, a, 3, s, u, 3, vt, 3, superb);
    if (info != 0)
        return fg_error_set(err, FG_ERR_NUMERIC, "%s: SVD failed (LAPACK info %d)", what, (int)info);
    double uv[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            uv[i * 3 + j] = u[i * 3] * vt[j] + u[i * 3 + 1] * vt[3 + j] + u[i * 3 + 2] * vt[6 + j];
    double d = det3(uv) < 0 ? -1.0 : 1.0; /* flip the least significant direction */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i * 3 + j] = u[i * 3] * vt[j] + u[i * 3 + 1] * vt[3 + j] + d * u[i * 3 + 2] * vt[6 + j];
    return FG_OK;
}

fg_status fg_rot_project(const float m[9], float r[9], fg_error *err)
{
    double a[9], rd[9];
    for (int i = 0; i < 9; i++)
        a[i] = m[i];
    fg_status st = svd_rotation(a, rd, "rot_project", err);
    for (int i = 0; st == FG_OK && i < 9; i++)
        r[i] = (float)rd[i];
    return st;
}

static double weight(const float *w, int64_t i) { return w ? w[i] : 1.0; }

/* Weighted centroids of x and y; returns the weight sum. */
static double centroids(int64_t n, const float *x, const float *y, const float *w, double cx[3],
                        double cy[3])
{
    double ws = 0;
    cx[0] = cx[1] = cx[2] = cy[0] = cy[1] = cy[2] = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = weight(w, i);
        ws += wi;
        for (int k = 0; k < 3; k++)
            cx[k] += wi * x[i * 3 + k], cy[k] += wi * y[i * 3 + k];
    }
    for (int k = 0; ws > 0 && k < 3; k++)
        cx[k] /= ws, cy[k] /= ws;
    return ws;
}

fg_status fg_kabsch(int64_t n, const float *x, const float *y, const float *w, float r[9],
                    float t[3], float *rmsd, fg_error *err)
{
    double cx[3], cy[3];
    for (int64_t i = 0; w && i < n; i++)
        if (!(w[i] >= 0) || !isfinite(w[i]))
            return fg_error_set(err, FG_ERR_INVALID, "kabsch: weight %lld is %g (must be finite "
                                "and >= 0)", (long long)i, (double)w[i]);
    double ws = centroids(n, x, y, w, cx, cy);
    if (!(ws > 0))
        return fg_error_set(err, FG_ERR_INVALID, "kabsch: no point with positive weight (n = %lld)",
                            (long long)n);
    /* m = sum w (y - cy)(x - cx)^T; its nearest rotation maps x onto y */
    double m[9] = {0}, rd[9];
    for (int64_t i = 0; i < n; i++) {
        double wi = weight(w, i), dx[3], dy[3];
        for (int k = 0; k < 3; k++)
            dx[k] = x[i * 3 + k] - cx[k], dy[k] = y[i * 3 + k] - cy[k];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                m[a * 3 + b] += wi * dy[a] * dx[b];
    }
    fg_status st = svd_rotation(m, rd, "kabsch", err);
    if (st != FG_OK)
        return st;
    for (int a = 0; a < 3; a++) {
        double rc = rd[a * 3] * cx[0] + rd[a * 3 + 1] * cx[1] + rd[a * 3 + 2] * cx[2];
        t[a] = (float)(cy[a] - rc);
    }
    for (int i = 0; i < 9; i++)
        r[i] = (float)rd[i];
    if (rmsd) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) {
            float p[3];
            fg_rigid_apply(r, t, x + i * 3, p);
            for (int k = 0; k < 3; k++) {
                double d = (double)p[k] - y[i * 3 + k];
                s += weight(w, i) * d * d;
            }
        }
        *rmsd = (float)sqrt(s / ws);
    }
    return FG_OK;
}

float fg_rmsd(int64_t n, const float *x, const float *y, const float *w)
{
    double s = 0, ws = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = weight(w, i);
        ws += wi;
        for (int k = 0; k < 3; k++) {
            double d = (double)x[i * 3 + k] - y[i * 3 + k];
            s += wi * d * d;
        }
    }
    return ws > 0 ? (float)sqrt(s / ws) : 0.0f;
}

void fg_points_transform(int64_t n, const float r[9], const float t[3], float *x)
{
    for (int64_t i = 0; i < n; i++)
        fg_rigid_apply(r, t, x + i * 3, x + i * 3);
}
