/* Kabsch superposition, RMSD, projection onto SO(3), and uniform random
 * rotations: properties that hold exactly in real arithmetic, checked to
 * float32 precision (tolerances a few hundred ulp of the magnitudes involved). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/rigid.h"
#include "framegen/rng.h"
#include "framegen/so3.h"
#include "framegen/superpose.h"

static double det3f(const float a[9])
{
    return (double)a[0] * (a[4] * a[8] - a[5] * a[7]) - (double)a[1] * (a[3] * a[8] - a[5] * a[6]) +
           (double)a[2] * (a[3] * a[7] - a[4] * a[6]);
}

/* max |R R^T - I| */
static double orth_err(const float r[9])
{
    float rrt[9];
    fg_rot_mul_tn(r, r, rrt); /* R^T R */
    double e = 0;
    for (int i = 0; i < 9; i++)
        e = fmax(e, fabs(rrt[i] - (i % 4 == 0 ? 1.0 : 0.0)));
    return e;
}

static double frob_dist(const float a[9], const float b[9])
{
    double s = 0;
    for (int i = 0; i < 9; i++)
        s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(s);
}

static void random_points(fg_rng *g, int64_t n, float *x, float scale)
{
    for (int64_t i = 0; i < n * 3; i++)
        x[i] = scale * (float)fg_rng_normal(g);
}

static void test_kabsch(fx_suite *s)
{
    enum { N = 50 };
    fg_rng g;
    fg_rng_init(&g, 11, 0);
    float x[N * 3], y[N * 3], r0[9], t0[3] = {3.0f, -7.5f, 12.25f}, r[9], t[3], rmsd;
    random_points(&g, N, x, 10.0f);
    fg_so3_random(&g, r0);
    memcpy(y, x, sizeof x);
    fg_points_transform(N, r0, t0, y);
    fg_error err = {0};
    fg_status st = fg_kabsch(N, x, y, NULL, r, t, &rmsd, &err);
    fx_ok(s, st == FG_OK, "kabsch runs: %s", err.msg);
    fx_ok(s, frob_dist(r, r0) < 1e-5 && fabs(t[0] - t0[0]) + fabs(t[1] - t0[1]) + fabs(t[2] - t0[2]) < 1e-4,
          "kabsch recovers a known rigid motion: |R - R0| = %.2e", frob_dist(r, r0));
    fx_ok(s, rmsd < 1e-4, "RMSD after superposing an exact copy ~ 0: %.2e A", rmsd);

    /* masked: corrupt points with weight 0; the motion is still recovered */
    float w[N], yc[N * 3];
    memcpy(yc, y, sizeof y);
    for (int i = 0; i < N; i++)
        w[i] = i % 5 == 0 ? 0.0f : 1.0f;
    for (int i = 0; i < N; i += 5)
        yc[i * 3] += 50.0f;
    st = fg_kabsch(N, x, yc, w, r, t, &rmsd, &err);
    fx_ok(s, st == FG_OK && frob_dist(r, r0) < 1e-5 && rmsd < 1e-4,
          "masked kabsch ignores weight-0 outliers: |R - R0| = %.2e, rmsd %.2e", frob_dist(r, r0), rmsd);

    /* noisy copy: superposed RMSD is invariant under a rigid motion of either set */
    float yn[N * 3], xm[N * 3], r1[9], t1[3] = {-4, 1, 9}, rmsd2;
    memcpy(yn, y, sizeof y);
    for (int i = 0; i < N * 3; i++)
        yn[i] += 0.5f * (float)fg_rng_normal(&g);
    fg_kabsch(N, x, yn, NULL, r, t, &rmsd, &err);
    memcpy(xm, x, sizeof x);
    fg_so3_random(&g, r1);
    fg_points_transform(N, r1, t1, xm);
    fg_kabsch(N, xm, yn, NULL, r, t, &rmsd2, &err);
    fx_ok(s, fabs(rmsd - rmsd2) < 1e-4 * rmsd, "superposed RMSD invariant under rigid motion: %.6f vs %.6f",
          rmsd, rmsd2);
    /* and equals the plain RMSD of the transformed points */
    fg_points_transform(N, r, t, xm);
    float plain = fg_rmsd(N, xm, yn, NULL);
    fx_ok(s, fabs(plain - rmsd2) < 1e-4 * rmsd2, "fg_rmsd of the superposed points = kabsch RMSD: %.6f vs %.6f",
          plain, rmsd2);
    /* optimality: perturbing the rotation only increases the RMSD */
    int worse = 1;
    for (int k = 0; k < 20; k++) {
        float v[3] = {0.01f * (float)fg_rng_normal(&g), 0.01f * (float)fg_rng_normal(&g),
                      0.01f * (float)fg_rng_normal(&g)}, e[9], rp[9], xp[N * 3];
        fg_so3_exp(v, e);
        fg_rot_mul(e, r, rp);
        memcpy(xp, x, sizeof x);
        fg_points_transform(N, r1, t1, xp);
        fg_points_transform(N, rp, t, xp);
        worse &= fg_rmsd(N, xp, yn, NULL) >= rmsd2 * (1 - 1e-6);
    }
    fx_ok(s, worse, "kabsch rotation is a minimum of the RMSD");

    st = fg_kabsch(N, x, y, (float[N]){0}, r, t, NULL, &err);
    fx_ok(s, st == FG_ERR_INVALID, "all-zero weights are an error: %s", err.msg);
    x[7] = NAN;
    st = fg_kabsch(N, x, y, NULL, r, t, NULL, &err);
    fx_ok(s, st == FG_ERR_NUMERIC, "NaN input is an error: %s", err.msg);
}

static void test_project(fx_suite *s)
{
    fg_rng g;
    fg_rng_init(&g, 12, 0);
    fg_error err = {0};
    float r0[9], m[9], r[9];
    fg_so3_random(&g, r0);
    fg_status st = fg_rot_project(r0, r, &err);
    double d = frob_dist(r, r0);
    fx_ok(s, st == FG_OK && d < 1e-6, "projection of a rotation is itself: %.2e", d);
    for (int i = 0; i < 9; i++)
        m[i] = r0[i] + 0.05f * (float)fg_rng_normal(&g);
    fg_rot_project(m, r, &err);
    fx_ok(s, fabs(det3f(r) - 1) < 1e-5 && orth_err(r) < 1e-6, "projection is a proper rotation: det %.7f",
          det3f(r));
    int nearest = 1;
    double d0 = frob_dist(m, r);
    for (int k = 0; k < 200; k++) { /* no nearby rotation is closer to m */
        float v[3] = {0.02f * (float)fg_rng_normal(&g), 0.02f * (float)fg_rng_normal(&g),
                      0.02f * (float)fg_rng_normal(&g)}, e[9], q[9];
        fg_so3_exp(v, e);
        fg_rot_mul(r, e, q);
        nearest &= frob_dist(m, q) >= d0 - 1e-6;
    }
    fx_ok(s, nearest, "projection is the nearest rotation (|M - R| = %.4f)", d0);
    /* a reflection projects to a rotation (determinant corrected) */
    float refl[9];
    memcpy(refl, r0, sizeof refl);
    for (int i = 0; i < 3; i++)
        refl[i * 3 + 2] = -refl[i * 3 + 2];
    fg_rot_project(refl, r, &err);
    fx_ok(s, fabs(det3f(r) - 1) < 1e-5 && orth_err(r) < 1e-6, "reflection projects to det +1: %.7f",
          det3f(r));
    float bad[9] = {1, 0, 0, 0, INFINITY, 0, 0, 0, 1};
    fx_ok(s, fg_rot_project(bad, r, &err) == FG_ERR_NUMERIC, "non-finite matrix is an error: %s", err.msg);
}

static void test_random(fx_suite *s)
{
    enum { N = 20000 };
    float *r = malloc(N * 9 * sizeof(float)), *r2 = malloc(N * 9 * sizeof(float)); /* [N,3,3] */
    fg_rng g;
    fg_rng_init(&g, 77, 3);
    fg_so3_random_n(&g, N, r);
    double worst_orth = 0, worst_det = 0, mean[9] = {0};
    for (int i = 0; i < N; i++) {
        worst_orth = fmax(worst_orth, orth_err(r + i * 9));
        worst_det = fmax(worst_det, fabs(det3f(r + i * 9) - 1));
        for (int k = 0; k < 9; k++)
            mean[k] += r[i * 9 + k] / N;
    }
    fx_ok(s, worst_orth < 1e-6 && worst_det < 1e-5, "random rotations orthonormal (%.1e), det 1 (%.1e)",
          worst_orth, worst_det);
    double mmax = 0; /* Haar measure: E[R] = 0; each entry's sample mean has sd 1/sqrt(3N) = 0.004 */
    for (int k = 0; k < 9; k++)
        mmax = fmax(mmax, fabs(mean[k]));
    fx_ok(s, mmax < 0.025, "random rotations have mean ~0 (max |entry mean| %.4f)", mmax);
    fg_rng_init(&g, 77, 3);
    fg_so3_random_n(&g, N, r2);
    fx_ok(s, !memcmp(r, r2, N * 9 * sizeof(float)), "same (seed, stream) -> same rotations");
    fg_rng_init(&g, 77, 4);
    fg_so3_random_n(&g, 1, r2);
    fx_ok(s, memcmp(r, r2, 9 * sizeof(float)) != 0, "another stream -> other rotations");
    /* the batch is the single-draw function applied in order */
    fg_rng_init(&g, 77, 3);
    int same = 1;
    for (int i = 0; i < 100; i++) {
        float one[9];
        fg_so3_random(&g, one);
        same &= !memcmp(one, r + i * 9, sizeof one);
    }
    fx_ok(s, same, "fg_so3_random_n equals repeated fg_so3_random");
    free(r), free(r2);
}

int main(void)
{
    fx_suite s = {"superpose", 0, 0};
    test_kabsch(&s);
    test_project(&s);
    test_random(&s);
    return fx_suite_finish(&s);
}
