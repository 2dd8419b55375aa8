/* The amino-acid masking CTMC of the reference sampler: one Euler step of the
 * discrete flow, as per-row categorical probabilities, and the draw from them. */
#include <math.h>

#include "sampler_steps.h"

/* probs[S] = softmax(logits / temp), in float as the reference. */
static void drift_probs(const float *logits, float temp, float *p)
{
    float mx = -INFINITY, sum = 0.0f;
    for (int s = 0; s < FG_AA_TOKENS; s++)
        mx = fmaxf(mx, logits[s] / temp);
    for (int s = 0; s < FG_AA_TOKENS; s++) {
        p[s] = expf(logits[s] / temp - mx);
        sum += p[s];
    }
    for (int s = 0; s < FG_AA_TOKENS; s++)
        p[s] /= sum;
}

static float clampf(float x, float lo, float hi) { return fminf(fmaxf(x, lo), hi); }

/* One row: off-diagonal step mass, capped, then the stay mass on `cur`. */
static void row_step(const fg_sampler_config *c, const float *logits, int cur, float scale, float *out)
{
    float p[FG_AA_TOKENS];
    drift_probs(logits, (float)c->aatypes_temp, p);
    float gate = 1.0f;
    if (c->aatypes_gating && cur != FG_AA_MASK)
        gate = powf(1.0f - clampf(p[cur], 0.0f, 1.0f), (float)c->aatypes_gating_gamma);
    float off = 0.0f;
    for (int s = 0; s < FG_AA_TOKENS; s++) {
        out[s] = s == cur ? 0.0f : scale * p[s] * gate;
        off += out[s];
    }
    float shrink = fminf((float)c->aatypes_leave_cap / fmaxf(off, 1e-12f), 1.0f);
    float rest = 0.0f;
    for (int s = 0; s < FG_AA_TOKENS; s++) {
        out[s] = s == cur ? 0.0f : clampf(out[s] * shrink, 0.0f, 1.0f);
        rest += out[s];
    }
    out[cur] = clampf(1.0f - rest, 0.0f, 1.0f);
}

void fg_ctmc_step_probs(const fg_sampler_config *c, int N, const float *logits, const int64_t *cur,
                        float t, float d_t, float *probs)
{
    float gain = clampf(1.0f / (1.0f - t + 0.01f), 1.0f, (float)c->aatypes_gain_max);
    float scale = d_t * gain;
    for (int i = 0; i < N; i++)
        row_step(c, logits + (int64_t)i * FG_AA_TOKENS, (int)cur[i], scale,
                 probs + (int64_t)i * FG_AA_TOKENS);
}

void fg_ctmc_draw(int N, const float *probs, const float *u, int64_t *next)
{
    for (int i = 0; i < N; i++) {
        const float *p = probs + (int64_t)i * FG_AA_TOKENS;
        double cs[FG_AA_TOKENS], acc = 0.0;
        for (int s = 0; s < FG_AA_TOKENS; s++)
            cs[s] = acc += (double)p[s];
        double target = (double)u[i] * acc;
        int k = 0;
        for (int s = 0; s < FG_AA_TOKENS; s++)
            k += cs[s] <= target;
        /* k lands on a token with mass; only u >= 1 (never drawn) could overflow */
        if (k >= FG_AA_TOKENS)
            for (k = FG_AA_TOKENS - 1; k > 0 && p[k] == 0.0f; k--)
                ;
        next[i] = k;
    }
}
