/* Optimal superposition of point sets (Kabsch) and the nearest rotation to a
 * 3x3 matrix, by SVD (LAPACK, double precision inside). Points are [n,3] in any
 * unit (Angstrom at the public boundary); RMSDs come out in the same unit.
 * Rotations act on column vectors as in rigid.h. */
#ifndef FRAMEGEN_SUPERPOSE_H
#define FRAMEGEN_SUPERPOSE_H

#include <stdint.h>

#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nearest rotation to m in the Frobenius norm: U diag(1, 1, det(U V^T)) V^T for
 * m = U S V^T, so det(r) = +1 even when m is a reflection. */
fg_status fg_rot_project(const float m[9], float r[9], fg_error *err);

/* Rigid motion (r, t) minimising sum_i w_i |r x_i + t - y_i|^2 over n points
 * (w [n] >= 0, NULL = all 1; 0 masks a point out). rmsd (may be NULL) gets
 * sqrt(sum w |r x + t - y|^2 / sum w). Errors: no positive weight, non-finite input. */
fg_status fg_kabsch(int64_t n, const float *x, const float *y, const float *w, float r[9],
                    float t[3], float *rmsd, fg_error *err);

/* Weighted RMSD of x and y as they stand (no superposition); w may be NULL;
 * 0 when all weights are 0. */
float fg_rmsd(int64_t n, const float *x, const float *y, const float *w);

/* x <- r x + t for n points ([n,3]), e.g. to apply a fg_kabsch result. */
void fg_points_transform(int64_t n, const float r[9], const float t[3], float *x);

#ifdef __cplusplus
}
#endif
#endif
