/* Uniform random rotations from the counter RNG. A quaternion of four i.i.d.
 * standard normals, normalised, is uniform on S^3, hence its rotation is
 * Haar-uniform on SO(3). */
#include "framegen/rigid.h"
#include "framegen/so3.h"

#include <math.h>

void fg_so3_random(fg_rng *rng, float r[9])
{
    double q[4], n2;
    do { /* a zero-length draw has probability ~0; redraw instead of dividing by it */
        n2 = 0;
        for (int k = 0; k < 4; k++) {
            q[k] = fg_rng_normal(rng);
            n2 += q[k] * q[k];
        }
    } while (n2 < 1e-20);
    double n = sqrt(n2);
    float qf[4] = {(float)(q[0] / n), (float)(q[1] / n), (float)(q[2] / n), (float)(q[3] / n)};
    fg_quat_to_rot(qf, r);
}

void fg_so3_random_n(fg_rng *rng, int64_t n, float *r)
{
    for (int64_t i = 0; i < n; i++)
        fg_so3_random(rng, r + i * 9);
}
