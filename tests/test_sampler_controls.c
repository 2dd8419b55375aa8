/* The sampler's prior and controls, with a stand-in model (fixed outputs):
 * prior centred at the configured scale with proper rotations, a function of
 * (seed, stream) only; progress reports; the cancel flag; a NaN in a call
 * stops the sample naming the step; bad lengths; a grid of one point. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/sampler.h"
#include "trunk/sampler_steps.h"

#define NMAX 64

typedef struct fake {
    float trans[NMAX * 3], rots[NMAX * 9], logits[NMAX * FG_AA_TOKENS];
    int64_t aat[NMAX];
    int calls;
    volatile sig_atomic_t *cancel_at_2;
} fake;

static fg_status fake_forward(void *ctx, const fg_model_batch *in, fg_model_output *out, fg_error *err)
{
    (void)err;
    fake *f = ctx;
    f->calls++;
    if (f->cancel_at_2 && f->calls == 2)
        *f->cancel_at_2 = 1;
    memset(f->trans, 0, sizeof f->trans); /* the NaN hook writes into the outputs */
    for (int i = 0; i < in->N; i++)
        for (int k = 0; k < 9; k++)
            f->rots[i * 9 + k] = k % 4 == 0;
    memset(out, 0, sizeof *out);
    out->B = 1, out->N = in->N;
    out->pred_trans = f->trans, out->pred_rotmats = f->rots, out->pred_logits = f->logits;
    out->pred_aatypes = f->aat;
    return FG_OK;
}

static void progress(int call, int n_calls, void *user)
{
    int *seen = user;
    seen[0]++;
    seen[1] = call + 1 == n_calls;
}

static void prior_checks(fx_suite *s)
{
    enum { N = 2000 };
    float *t = malloc(N * 3 * sizeof(float)), *r = malloc(N * 9 * sizeof(float));
    float *t2 = malloc(N * 3 * sizeof(float)), *r2 = malloc(N * 9 * sizeof(float));
    fg_prior_draw(5, fg_sampler_stream(N, 3), N, 10.0f, t, r);
    double mean[3] = {0, 0, 0}, var = 0, orth = 0, det_err = 0;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 3; k++)
            mean[k] += t[i * 3 + k] / N, var += (double)t[i * 3 + k] * t[i * 3 + k] / (3.0 * N);
    for (int i = 0; i < N; i++) {
        const float *m = r + i * 9;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                double dot = 0;
                for (int k = 0; k < 3; k++)
                    dot += (double)m[k * 3 + a] * m[k * 3 + b];
                orth = fmax(orth, fabs(dot - (a == b)));
            }
        double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6]);
        det_err = fmax(det_err, fabs(det - 1.0));
    }
    fx_ok(s, fabs(mean[0]) < 1e-3 && fabs(mean[1]) < 1e-3 && fabs(mean[2]) < 1e-3,
          "prior translations centred (mean %.1e %.1e %.1e)", mean[0], mean[1], mean[2]);
    fx_ok(s, fabs(sqrt(var) - 10.0) < 0.4, "prior scale 10 A per axis (sd %.2f)", sqrt(var));
    fx_ok(s, orth < 1e-5 && det_err < 1e-5, "prior rotations orthonormal, det 1 (%.1e, %.1e)", orth, det_err);
    fg_prior_draw(5, fg_sampler_stream(N, 3), N, 10.0f, t2, r2);
    fx_ok(s, !memcmp(t, t2, N * 3 * sizeof(float)) && !memcmp(r, r2, N * 9 * sizeof(float)),
          "same (seed, stream): same prior");
    fg_prior_draw(5, fg_sampler_stream(N, 4), N, 10.0f, t2, r2);
    fx_ok(s, memcmp(t, t2, N * 3 * sizeof(float)) != 0, "another sample index: another prior");
    fg_prior_draw(6, fg_sampler_stream(N, 3), N, 10.0f, t2, r2);
    fx_ok(s, memcmp(t, t2, N * 3 * sizeof(float)) != 0, "another seed: another prior");
    free(t), free(r), free(t2), free(r2);
}

static fg_status run(fake *f, int N, int T, fg_sampler_hooks *h, fg_sampler_params *p, fg_error *err)
{
    fg_sample smp;
    *p = fg_sampler_default_params();
    p->cfg.num_timesteps = T;
    h->forward = fake_forward;
    h->forward_ctx = f;
    p->hooks = h;
    return fg_sampler_run(NULL, N, p, &smp, err) == FG_OK ? (fg_sample_free(&smp), FG_OK) : err->status;
}

int main(void)
{
    fx_suite s = {"sampler_controls", 0, 0};
    prior_checks(&s);
    fake f = {0};
    fg_sampler_hooks h = {0};
    fg_sampler_params p;
    fg_error err;
    int seen[2] = {0, 0};
    fg_sample smp;
    p = fg_sampler_default_params();
    p.cfg.num_timesteps = 7;
    p.progress = progress;
    p.progress_user = seen;
    h.forward = fake_forward, h.forward_ctx = &f, p.hooks = &h;
    fg_status st = fg_sampler_run(NULL, 10, &p, &smp, &err);
    fx_ok(&s, st == FG_OK && smp.n_calls == 7 && f.calls == 7, "7 timesteps: 7 model calls (%d)", f.calls);
    fx_ok(&s, seen[0] == 7 && seen[1], "progress reported after every call, the last as n_calls");
    fg_sample_free(&smp);

    volatile sig_atomic_t stop = 0;
    f.calls = 0, f.cancel_at_2 = &stop;
    p.cancel = &stop;
    st = fg_sampler_run(NULL, 10, &p, &smp, &err);
    fx_ok(&s, st == FG_ERR_INTERRUPTED && f.calls == 2 && strstr(err.msg, "step 3"),
          "cancel flag seen before the next call: %s", err.msg);
    fx_ok(&s, smp.trans == NULL, "nothing handed out after an interruption");
    f.cancel_at_2 = NULL;

    f.calls = 0;
    h.nan_at_call = 3;
    st = run(&f, 10, 7, &h, &p, &err);
    fx_ok(&s, st == FG_ERR_NUMERIC && strstr(err.msg, "step 3 of 7") && strstr(err.msg, "pred_trans"),
          "NaN in call 3 stops the sample naming the step: %s", err.msg);
    h.nan_at_call = 0;

    fx_ok(&s, run(&f, 0, 7, &h, &p, &err) == FG_ERR_INVALID, "length 0 refused: %s", err.msg);
    fx_ok(&s, run(&f, 5000, 7, &h, &p, &err) == FG_ERR_INVALID, "length above max_length refused: %s", err.msg);
    f.calls = 0;
    st = run(&f, 5, 1, &h, &p, &err);
    fx_ok(&s, st == FG_OK && f.calls == 1, "a grid of one point: only the final call (%d calls) %s", f.calls,
          st == FG_OK ? "" : err.msg);
    fx_ok(&s, run(&f, 5, 0, &h, &p, &err) == FG_ERR_CONFIG, "0 timesteps refused: %s", err.msg);
    return fx_suite_finish(&s);
}
