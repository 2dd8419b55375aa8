/* Rigid frames and rotations of single residues. Conventions (the reference's):
 * rotation matrices are 3x3 row-major and act on column vectors, their columns
 * are the frame axes, x_global = R x_local + t. Quaternions are (w, x, y, z),
 * real part first, unit length. Units are whatever the caller uses (the model
 * works in nm inside, Angstrom at its boundary). */
#ifndef FRAMEGEN_RIGID_H
#define FRAMEGEN_RIGID_H

#ifdef __cplusplus
extern "C" {
#endif

void fg_rot_mul(const float a[9], const float b[9], float out[9]);          /* a b */
void fg_rot_mul_tn(const float a[9], const float b[9], float out[9]);       /* a^T b */
void fg_rot_vec(const float r[9], const float v[3], float out[3]);          /* r v */
void fg_rot_tvec(const float r[9], const float v[3], float out[3]);         /* r^T v */
void fg_rot_transpose(const float r[9], float out[9]);                      /* r^T */

/* Rotation matrix of a unit quaternion (w, x, y, z). */
void fg_quat_to_rot(const float q[4], float r[9]);
/* Top eigenvector of the 4x4 symmetric K matrix (as the reference); the sign
 * is arbitrary, everything downstream is sign-invariant; framegen fixes it to
 * w >= 0. Outputs may alias inputs in every function of this header. */
void fg_rot_to_quat(const float r[9], float q[4]);

/* out = R p + t */
void fg_rigid_apply(const float r[9], const float t[3], const float p[3], float out[3]);
/* out = R^T (p - t) */
void fg_rigid_invert_apply(const float r[9], const float t[3], const float p[3], float out[3]);
/* (ra, ta) o (rb, tb) = (ra rb, ra tb + ta) */
void fg_rigid_compose(const float ra[9], const float ta[3], const float rb[9], const float tb[3],
                      float r_out[9], float t_out[3]);
/* (R, t)^-1 = (R^T, -R^T t) */
void fg_rigid_invert(const float r[9], const float t[3], float r_out[9], float t_out[3]);

/* The backbone update of the reference (Rigid.compose_q_update_vec), update =
 * (b, c, d, tx, ty, tz), m = update mask (0/1):
 *   q' = normalize(q + m (q (x) (0, b, c, d))),  t' = t + m r (tx, ty, tz),
 *   r_out = fg_quat_to_rot(q').
 * q is the frame's quaternion (carried from the previous update, or
 * fg_rot_to_quat(r) for a matrix-based frame); r is the frame's current matrix
 * (the stored one for a matrix-based frame, fg_quat_to_rot(q) otherwise). */
void fg_rigid_update_q(const float q[4], const float r[9], const float t[3], const float update[6],
                       float m, float q_out[4], float r_out[9], float t_out[3]);

/* Gram-Schmidt frame (Rigid.from_3_points): e0 = origin - p_neg_x_axis,
 * e1 = (p_xy_plane - origin) minus its e0 component, e2 = e0 x e1 (eps 1e-8). */
void fg_rigid_from_3_points(const float p_neg_x_axis[3], const float origin[3],
                            const float p_xy_plane[3], float r[9], float t[3]);

#ifdef __cplusplus
}
#endif
#endif
