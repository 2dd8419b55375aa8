/* Parity of the geometry layer against every output of the `geometry` fixture
 * case: rotations, quaternions, rigid frames, SO(3) maps, sampler Euler steps,
 * centre of mass and frames -> atoms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/backbone.h"
#include "framegen/euler.h"
#include "framegen/rigid.h"
#include "framegen/so3.h"

#define NG 24 /* residues of the per-frame inputs */

static void test_rot_quat(fx_case *c)
{
    float *q = fx_f32(c, "input.quat_to_rot.quats");     /* [24,4] */
    float *b = fx_f32(c, "input.rot_matmul.b");          /* [24,3,3] */
    float *v = fx_f32(c, "input.rot_vec_mul.v");         /* [24,3] */
    float *qref = fx_f32(c, "output.rot_to_quat.quats"); /* [24,4] */
    if (!q || !b || !v || !qref)
        goto done;
    float r[NG * 9], ab[NG * 9], rv[NG * 3], qq[NG * 4];
    for (int i = 0; i < NG; i++) {
        fg_quat_to_rot(q + i * 4, r + i * 9);
        fg_rot_mul(r + i * 9, b + i * 9, ab + i * 9);
        fg_rot_vec(r + i * 9, v + i * 3, rv + i * 3);
    }
    fx_check(c, "output.quat_to_rot.rotmats", r, NG * 9);
    fx_check(c, "output.rot_matmul.ab", ab, NG * 9);
    fx_check(c, "output.rot_vec_mul.rv", rv, NG * 3);
    /* rot_to_quat of the reference's matrices; the eigenvector sign is arbitrary */
    float *rref = fx_f32(c, "output.quat_to_rot.rotmats");
    if (rref) {
        for (int i = 0; i < NG; i++) {
            fg_rot_to_quat(rref + i * 9, qq + i * 4);
            float dot = 0;
            for (int k = 0; k < 4; k++)
                dot += qq[i * 4 + k] * qref[i * 4 + k];
            for (int k = 0; k < 4; k++)
                qq[i * 4 + k] *= dot < 0 ? -1.0f : 1.0f;
        }
        fx_check(c, "output.rot_to_quat.quats", qq, NG * 4);
    }
    free(rref);
done:
    free(q), free(b), free(v), free(qref);
}

static void test_update(fx_case *c)
{
    float *r = fx_f32(c, "input.rigid.rotmats");                    /* [24,3,3] */
    float *t = fx_f32(c, "input.rigid.trans");                      /* [24,3] */
    float *u = fx_f32(c, "input.compose_q_update_vec.update");      /* [24,6] */
    float *m = fx_f32(c, "input.compose_q_update_vec.update_mask"); /* [24,1] */
    float *u2 = fx_f32(c, "input.compose_q_update_vec_chain.update");
    if (!r || !t || !u || !m || !u2)
        goto done;
    float q1[NG * 4], r1[NG * 9], t1[NG * 3], q2[NG * 4], r2[NG * 9], t2[NG * 3];
    for (int i = 0; i < NG; i++) {
        float q0[4];
        fg_rot_to_quat(r + i * 9, q0); /* matrix-based rigid: quaternion from the matrix */
        fg_rigid_update_q(q0, r + i * 9, t + i * 3, u + i * 6, m[i], q1 + i * 4, r1 + i * 9,
                          t1 + i * 3);
        /* quaternion-based rigid: the stored quaternion, matrix re-derived */
        fg_rigid_update_q(q1 + i * 4, r1 + i * 9, t1 + i * 3, u2 + i * 6, 1.0f, q2 + i * 4,
                          r2 + i * 9, t2 + i * 3);
    }
    fx_check(c, "output.compose_q_update_vec.rotmats", r1, NG * 9);
    fx_check(c, "output.compose_q_update_vec.trans", t1, NG * 3);
    fx_check(c, "output.compose_q_update_vec_chain.rotmats", r2, NG * 9);
    fx_check(c, "output.compose_q_update_vec_chain.trans", t2, NG * 3);
done:
    free(r), free(t), free(u), free(m), free(u2);
}

static void test_rigid_ops(fx_case *c)
{
    float *r = fx_f32(c, "input.rigid.rotmats");          /* [24,3,3] */
    float *t = fx_f32(c, "input.rigid.trans");            /* [24,3] */
    float *p = fx_f32(c, "input.rigid_apply.points");     /* [24,7,3] */
    float *rb = fx_f32(c, "input.rot_matmul.b");          /* [24,3,3] */
    float *tb = fx_f32(c, "input.rigid_compose.trans_b"); /* [24,3] */
    float *pn = fx_f32(c, "input.from_3_points.N"), *pca = fx_f32(c, "input.from_3_points.CA"),
          *pc = fx_f32(c, "input.from_3_points.C"); /* [24,3] each, Angstrom */
    if (!r || !t || !p || !rb || !tb || !pn || !pca || !pc)
        goto done;
    float ap[NG * 21], ip[NG * 21], cr[NG * 9], ct[NG * 3], ir[NG * 9], it[NG * 3];
    float fr[NG * 9], ft[NG * 3];
    for (int i = 0; i < NG; i++) {
        for (int k = 0; k < 7; k++) {
            const float *pk = p + (i * 7 + k) * 3;
            fg_rigid_apply(r + i * 9, t + i * 3, pk, ap + (i * 7 + k) * 3);
            fg_rigid_invert_apply(r + i * 9, t + i * 3, pk, ip + (i * 7 + k) * 3);
        }
        fg_rigid_compose(r + i * 9, t + i * 3, rb + i * 9, tb + i * 3, cr + i * 9, ct + i * 3);
        fg_rigid_invert(r + i * 9, t + i * 3, ir + i * 9, it + i * 3);
        fg_rigid_from_3_points(pn + i * 3, pca + i * 3, pc + i * 3, fr + i * 9, ft + i * 3);
    }
    fx_check(c, "output.rigid_apply.points", ap, NG * 21);
    fx_check(c, "output.rigid_invert_apply.points", ip, NG * 21);
    fx_check(c, "output.rigid_compose.rotmats", cr, NG * 9);
    fx_check(c, "output.rigid_compose.trans", ct, NG * 3);
    fx_check(c, "output.rigid_invert.rotmats", ir, NG * 9);
    fx_check(c, "output.rigid_invert.trans", it, NG * 3);
    fx_check(c, "output.from_3_points.rotmats", fr, NG * 9);
    fx_check(c, "output.from_3_points.trans", ft, NG * 3);
done:
    free(r), free(t), free(p), free(rb), free(tb), free(pn), free(pca), free(pc);
}

static void test_so3(fx_case *c)
{
    float *v = fx_f32(c, "input.so3_exp.rotvec"); /* [24,3] radians */
    float *b = fx_f32(c, "input.rot_matmul.b");   /* [24,3,3] */
    float *rt = fx_f32(c, "input.rigid.rotmats"); /* [24,3,3] */
    float *gt = fx_f32(c, "input.geodesic_t.t");  /* [24] */
    float *eref = fx_f32(c, "output.so3_exp.rotmats");
    if (!v || !b || !rt || !gt || !eref)
        goto done;
    float e[NG * 9], le[NG * 3], lr[NG * 3], vf[NG * 3], g[NG * 9];
    for (int i = 0; i < NG; i++) {
        fg_so3_exp(v + i * 3, e + i * 9);
        fg_so3_log(eref + i * 9, le + i * 3); /* log of the reference's exp */
        fg_so3_log(b + i * 9, lr + i * 3);
        fg_so3_rot_vf(rt + i * 9, b + i * 9, vf + i * 3);
        fg_so3_geodesic(gt[i], b + i * 9, rt + i * 9, g + i * 9);
    }
    int near_pi = 0, near_zero = 0; /* the log branches the inputs exercise */
    for (int i = 0; i < NG; i++) {
        float a = fg_so3_angle(eref + i * 9);
        near_pi += fabsf(a - 3.14159265f) <= 1e-2f;
        near_zero += a <= 1e-8f;
    }
    fx_expect(c, near_pi > 0 && near_zero > 0, "log inputs cover the near-pi (%d) and zero (%d) branches",
              near_pi, near_zero);
    fx_check(c, "output.so3_exp.rotmats", e, NG * 9);
    fx_check(c, "output.so3_log.rotvec_of_exp", le, NG * 3);
    fx_check(c, "output.so3_log.rotvec_of_random", lr, NG * 3);
    fx_check(c, "output.calc_rot_vf.vf", vf, NG * 3);
    fx_check(c, "output.geodesic_t.rotmats", g, NG * 9);

    /* batched twins against the single-frame results */
    float eb[NG * 9], lb[NG * 3], vb[NG * 3], gb[NG * 9];
    fg_so3_exp_batch(NG, v, eb);
    fg_so3_log_batch(NG, b, lb);
    fg_so3_rot_vf_batch(NG, rt, b, vb);
    fg_so3_geodesic_batch(NG, gt, b, rt, gb);
    fx_expect(c, !memcmp(eb, e, sizeof e) && !memcmp(lb, lr, sizeof lb) &&
                     !memcmp(vb, vf, sizeof vb) && !memcmp(gb, g, sizeof g),
              "batched exp/log/rot_vf/geodesic equal the single-frame results");
done:
    free(v), free(b), free(rt), free(gt), free(eref);
}

static void test_euler(fx_case *c)
{
    enum { B = 3, N = 10 };
    float *t = fx_f32(c, "input.euler.t");            /* [3] */
    float *dt = fx_f32(c, "input.euler.d_t");         /* [] */
    float *r1 = fx_f32(c, "input.euler.rotmats_1");   /* [3,10,3,3] */
    float *rt = fx_f32(c, "input.euler.rotmats_t");   /* [3,10,3,3] */
    float *x1 = fx_f32(c, "input.euler.trans_1");     /* [3,10,3] Angstrom */
    float *xt = fx_f32(c, "input.euler.trans_t");     /* [3,10,3] Angstrom */
    float *m = fx_f32(c, "input.center_of_mass.mask"); /* [3,10] */
    double rate = fx_hp_num(c, "interpolant_rots.exp_rate", 0);
    if (!t || !dt || !r1 || !rt || !x1 || !xt || !m)
        goto done;
    float sc[B], rn[B * N * 9], xn[B * N * 3], com[B * 3];
    for (int b = 0; b < B; b++) {
        sc[b] = fg_euler_rot_scaling(t[b], (float)rate);
        fg_euler_rot_step(N, sc[b], dt[0], rt + b * N * 9, r1 + b * N * 9, rn + b * N * 9);
        fg_euler_trans_step(N, t[b], dt[0], xt + b * N * 3, x1 + b * N * 3, xn + b * N * 3);
        fg_center_of_mass(N, xt + b * N * 3, m + b * N, com + b * 3);
    }
    fx_check(c, "output.euler.rot_vf_scaling", sc, B);
    fx_check(c, "output.euler.rotmats_next", rn, B * N * 9);
    fx_check(c, "output.euler.trans_next", xn, B * N * 3);
    fx_check(c, "output.center_of_mass.com", com, B * 3);
done:
    free(t), free(dt), free(r1), free(rt), free(x1), free(xt), free(m);
}

static void test_atoms(fx_case *c)
{
    enum { B = 2, N = 12 };
    int64_t *aa = fx_i64(c, "input.atom37.aatype");    /* [2,12] */
    float *psi = fx_f32(c, "input.atom37.psi");        /* [2,12,1,2] (sin, cos) */
    float *m = fx_f32(c, "input.atom37.res_mask");     /* [2,12] */
    float *r = fx_f32(c, "input.atom37.rotmats");      /* [2,12,3,3] */
    float *t = fx_f32(c, "input.atom37.trans");        /* [2,12,3] Angstrom */
    float *a37 = malloc(B * N * 37 * 3 * sizeof(float));  /* [2,12,37,3] */
    float *b37 = malloc(B * N * 37 * 3 * sizeof(float));  /* [2,12,37,3] */
    float *r37 = malloc(B * N * 37 * 3 * sizeof(float));  /* [2,12,37,3] */
    float *a14 = malloc(B * N * 14 * 3 * sizeof(float));  /* [2,12,14,3] */
    uint8_t mask8[B * N * 37];
    int64_t mask[B * N * 37];
    fg_error err = {0};
    if (!aa || !psi || !m || !r || !t)
        goto done;
    int ok = 1;
    for (int b = 0; b < B && ok; b++) {
        size_t o = (size_t)b * N;
        ok &= fg_atom37_from_frames(N, r + o * 9, t + o * 3, psi + o * 2, 1, aa + o, m + o,
                                    a37 + o * 111, &err) == FG_OK;
        ok &= fg_atom37_from_frames(N, r + o * 9, t + o * 3, NULL, 0, aa + o, m + o, b37 + o * 111,
                                    &err) == FG_OK;
        ok &= fg_rigid_to_atom37(N, r + o * 9, t + o * 3, psi + o * 2, 1, aa + o, r37 + o * 111,
                                 mask8 + o * 37, a14 + o * 42, &err) == FG_OK;
    }
    if (!fx_expect(c, ok, "frames -> atoms calls succeed %s", err.msg))
        goto done;
    for (int i = 0; i < B * N * 37; i++)
        mask[i] = mask8[i];
    fx_check(c, "output.atom37.with_psi", a37, B * N * 111);
    fx_check(c, "output.atom37.no_torsions", b37, B * N * 111);
    fx_check(c, "output.rigid_to_atom37.atom37", r37, B * N * 111);
    fx_check_i64(c, "output.rigid_to_atom37.atom37_mask", mask, B * N * 37);
    fx_check(c, "output.rigid_to_atom37.atom14", a14, B * N * 42);
done:
    free(aa), free(psi), free(m), free(r), free(t), free(a37), free(b37), free(r37), free(a14);
}

int main(void)
{
    fx_case c;
    if (fx_open(&c, "geometry") != 0)
        return 1;
    test_rot_quat(&c);
    test_update(&c);
    test_rigid_ops(&c);
    test_so3(&c);
    test_euler(&c);
    test_atoms(&c);
    return fx_finish(&c);
}
