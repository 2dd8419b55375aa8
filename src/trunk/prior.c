/* The sampler's noise: the time grid, the prior of a chain and the sub-streams
 * of the counter RNG that keep each kind of draw independent of the others. */
#include <math.h>

#include "framegen/euler.h"
#include "framegen/rng.h"
#include "framegen/so3.h"
#include "sampler_steps.h"

void fg_time_grid(int T, float min_t, float *ts)
{
    /* torch.linspace on float: step in float, each point rounded once (fma), the
     * second half counted back from the end so that ts[T-1] == 1 exactly. */
    float start = min_t, end = 1.0f;
    if (T == 1) { /* torch.linspace(a, b, 1) == [a] */
        ts[0] = start;
        return;
    }
    float step = (end - start) / (float)(T - 1);
    int half = T / 2;
    for (int i = 0; i < T; i++)
        ts[i] = i < half ? fmaf(step, (float)i, start) : fmaf(-step, (float)(T - 1 - i), end);
}

uint64_t fg_sampler_substream(uint64_t stream, int purpose)
{
    /* fg_sampler_stream uses the low 62 bits (length < 2^30 by the config's range) */
    return stream | ((uint64_t)purpose << 62);
}

void fg_prior_draw(uint64_t seed, uint64_t stream, int N, float scale, float *trans, float *rots)
{
    fg_rng r;
    fg_rng_init(&r, seed, fg_sampler_substream(stream, FG_RNG_PRIOR_TRANS));
    fg_rng_normals(&r, trans, (int64_t)N * 3);
    /* centred on the exact mean (no mask epsilon), then scaled, as the reference */
    double mean[3] = {0, 0, 0};
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 3; k++)
            mean[k] += trans[i * 3 + k];
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 3; k++)
            trans[i * 3 + k] = (float)((trans[i * 3 + k] - mean[k] / N) * scale);
    fg_rng_init(&r, seed, fg_sampler_substream(stream, FG_RNG_PRIOR_ROTS));
    fg_so3_random_n(&r, N, rots);
}

void fg_torsions_step(int N, float t, float d_t, const float *pred, int K, float *tors)
{
    const int first = K == FG_N_TORSIONS ? 0 : 2; /* a psi-only prediction fills slot 2 */
    for (int i = 0; i < N; i++)
        for (int a = 0; a < FG_N_TORSIONS; a++) {
            float *x = tors + ((int64_t)i * FG_N_TORSIONS + a) * 2;
            float target = 0.0f;
            if (a >= first && a < first + K) {
                const float *p = pred + ((int64_t)i * K + (a - first)) * 2;
                target = atan2f(p[0], p[1]);
            }
            float ang = atan2f(x[0], x[1]);
            ang += (target - ang) / (1.0f - t) * d_t;
            ang = fmodf(ang + (float)M_PI, 2.0f * (float)M_PI);
            ang = (ang < 0.0f ? ang + 2.0f * (float)M_PI : ang) - (float)M_PI;
            x[0] = sinf(ang);
            x[1] = cosf(ang);
        }
}
