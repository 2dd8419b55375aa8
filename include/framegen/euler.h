/* One Euler step of the flow on frames, as the reference sampler: rotations
 * along the SO(3) geodesic with the exponential schedule's vector-field scaling,
 * translations linearly in R^3, then re-centring on the masked centre of mass.
 * Times are in [0, 1); translations in any unit (the sampler uses Angstrom). */
#ifndef FRAMEGEN_EULER_H
#define FRAMEGEN_EULER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exp-schedule scaling of the rotation field at time t:
 * max(r / max(1 - exp(-r (1 - t)), 1e-8), 1e-4), r = exp_rate (1/time). */
float fg_euler_rot_scaling(float t, float exp_rate);
/* Linear-schedule scaling max(1/(1 - t), 1e-4). */
float fg_euler_rot_scaling_linear(float t);

/* n rotations ([n,3,3]): r_next = r_t exp(scaling d_t log(r_t^T r_1)); out may alias r_t. */
void fg_euler_rot_step(int64_t n, float scaling, float d_t, const float *r_t, const float *r_1,
                       float *r_next);
/* n translations ([n,3]): x_next = x_t + (x_1 - x_t)/(1 - t) d_t; out may alias x_t. */
void fg_euler_trans_step(int64_t n, float t, float d_t, const float *x_t, const float *x_1,
                         float *x_next);

/* Masked centre of mass of n points ([n,3], mask [n] float 0/1 or NULL = all):
 * sum(x m) / (sum(m) + 1e-5). */
void fg_center_of_mass(int64_t n, const float *x, const float *mask, float com[3]);
/* x -= centre of mass of the masked points (all n points are shifted). */
void fg_center_remove(int64_t n, float *x, const float *mask);

#ifdef __cplusplus
}
#endif
#endif
