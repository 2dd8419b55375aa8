/* The rotation group SO(3): exponential and logarithm maps, geodesics and
 * uniform random rotations, exactly as the reference's so3_utils (branch
 * thresholds included). Matrices are 3x3 row-major acting on column vectors;
 * rotation vectors are axis * angle in radians. Batched forms take n
 * consecutive [3,3] matrices / [3] vectors; outputs may alias inputs. */
#ifndef FRAMEGEN_SO3_H
#define FRAMEGEN_SO3_H

#include <stdint.h>

#include "framegen/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Below this angle (radians) the exp map uses the 2nd-order Taylor coefficients. */
#define FG_SO3_EXP_TAYLOR_TOL 1e-7f

/* Rotation vector (radians) -> rotation matrix (Rodrigues, Taylor branch for |v| < 1e-7). */
void fg_so3_exp(const float v[3], float r[9]);
/* Rotation matrix -> rotation vector (radians) as rotmat_to_rotvec: 0-branch for
 * |angle| <= 1e-8, outer-product branch for |angle - pi| <= 1e-2 (signs from the
 * row of (I+R)/2 of largest norm, R - R^T ignored: may be minus the true log). */
void fg_so3_log(const float r[9], float v[3]);
/* Rotation angle (radians, [0, pi]) of r, atan2(|vee(R - R^T)|/2, (tr R - 1)/2). */
float fg_so3_angle(const float r[9]);
/* Vector field at r_t towards r_1: log(r_t^T r_1), body frame (radians). */
void fg_so3_rot_vf(const float r_t[9], const float r_1[9], float vf[3]);
/* Point at time t on the geodesic from base (t=0) to mat (t=1): base exp(t log(base^T mat)). */
void fg_so3_geodesic(float t, const float mat[9], const float base[9], float out[9]);
/* base exp(t vf): the geodesic step along a given body-frame vector field (radians). */
void fg_so3_step(float t, const float vf[3], const float base[9], float out[9]);

/* Batched twins of the above over n rotations ([n,3] vectors, [n,3,3] matrices). */
void fg_so3_exp_batch(int64_t n, const float *v, float *r);
void fg_so3_log_batch(int64_t n, const float *r, float *v);
void fg_so3_rot_vf_batch(int64_t n, const float *r_t, const float *r_1, float *vf);
/* t is one time per rotation ([n]). */
void fg_so3_geodesic_batch(int64_t n, const float *t, const float *mat, const float *base,
                           float *out);

/* A uniformly distributed rotation (Haar measure) from rng: the normalised
 * 4-vector of standard normals as a quaternion. Draws 4 normals. */
void fg_so3_random(fg_rng *rng, float r[9]);
/* n uniform rotations ([n,3,3]) drawn in order from rng: a pure function of
 * (seed, stream, position in the stream), as every draw of fg_rng. */
void fg_so3_random_n(fg_rng *rng, int64_t n, float *r);

#ifdef __cplusplus
}
#endif
#endif
