/* The sampling loop: prior, T-1 Euler steps with self-conditioning, the final
 * call at t = 1. One chain (B = 1) per run, so that a sample is a function of
 * (seed, stream) only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/euler.h"
#include "framegen/rng.h"
#include "sampler_steps.h"

typedef struct run {
    const fg_sampler_params *p;
    int N, T;
    float *ts;            /* [T] time grid */
    float *trans_t;       /* [N,3] Angstrom */
    float *rots_t;        /* [N,3,3] */
    int64_t *aat_t;       /* [N] */
    float *trans_sc;      /* [N,3] Angstrom */
    float *aat_sc;        /* [N,21] logits */
    float *ones;          /* [N] res_mask = diffuse_mask */
    int64_t *chain;       /* [N] all 1 */
    int64_t *resi;        /* [N] 1..N */
    float *tors;          /* [N,7,2] torsions fed to the model (identity prior) */
    float *probs;         /* [N,21] */
    float *u;             /* [N] CTMC uniforms of one step */
    float t3[3];          /* so3_t, r3_t, cat_t of the current call */
    fg_rng ctmc;
    float *traj_trans;    /* [T+1,N,3] when saving the trajectory */
    float *traj_rots;     /* [T+1,N,3,3] */
    int64_t *traj_aat;    /* [T+1,N] */
} run;

static void run_free(run *r)
{
    free(r->ts), free(r->trans_t), free(r->rots_t), free(r->aat_t), free(r->trans_sc);
    free(r->aat_sc), free(r->ones), free(r->chain), free(r->resi), free(r->probs), free(r->u), free(r->tors);
    free(r->traj_trans), free(r->traj_rots), free(r->traj_aat);
}

static fg_status run_init(run *r, int N, const fg_sampler_params *p, fg_error *err)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->N = N;
    r->T = p->cfg.num_timesteps;
    size_t n = (size_t)N;
    r->ts = malloc((size_t)r->T * sizeof(float));
    r->trans_t = malloc(n * 3 * sizeof(float));
    r->rots_t = malloc(n * 9 * sizeof(float));
    r->aat_t = malloc(n * sizeof(int64_t));
    r->trans_sc = calloc(n * 3, sizeof(float));
    r->aat_sc = calloc(n * FG_AA_TOKENS, sizeof(float));
    r->ones = malloc(n * sizeof(float));
    r->chain = malloc(n * sizeof(int64_t));
    r->resi = malloc(n * sizeof(int64_t));
    r->probs = malloc(n * FG_AA_TOKENS * sizeof(float));
    r->tors = malloc(n * FG_N_TORSIONS * 2 * sizeof(float));
    r->u = malloc(n * sizeof(float));
    size_t frames = p->save_trajectory ? (size_t)r->T + 1 : 0;
    if (frames) {
        r->traj_trans = malloc(frames * n * 3 * sizeof(float));
        r->traj_rots = malloc(frames * n * 9 * sizeof(float));
        r->traj_aat = malloc(frames * n * sizeof(int64_t));
    }
    if (!r->ts || !r->trans_t || !r->rots_t || !r->aat_t || !r->trans_sc || !r->aat_sc || !r->ones ||
        !r->chain || !r->resi || !r->probs || !r->u || !r->tors ||
        (frames && (!r->traj_trans || !r->traj_rots || !r->traj_aat))) {
        run_free(r);
        return fg_error_set(err, FG_ERR_NOMEM, "sampler: out of memory for %d residues", N);
    }
    fg_time_grid(r->T, (float)p->cfg.min_t, r->ts);
    for (int i = 0; i < N; i++) {
        r->ones[i] = 1.0f;
        r->chain[i] = 1;
        r->resi[i] = i + 1;
        r->aat_t[i] = FG_AA_MASK;
        for (int a = 0; a < FG_N_TORSIONS; a++) /* angle 0: (sin, cos) = (0, 1) */
            r->tors[(i * FG_N_TORSIONS + a) * 2] = 0.0f, r->tors[(i * FG_N_TORSIONS + a) * 2 + 1] = 1.0f;
    }
    const fg_sampler_hooks *h = p->hooks;
    fg_prior_draw(p->seed, p->stream, N, (float)p->cfg.trans_prior_scale, r->trans_t, r->rots_t);
    if (h && h->trans_0)
        memcpy(r->trans_t, h->trans_0, n * 3 * sizeof(float));
    if (h && h->rots_0)
        memcpy(r->rots_t, h->rots_0, n * 9 * sizeof(float));
    fg_rng_init(&r->ctmc, p->seed, fg_sampler_substream(p->stream, FG_RNG_CTMC));
    return FG_OK;
}

static fg_model_batch make_batch(run *r, float t)
{
    r->t3[0] = r->t3[1] = r->t3[2] = t;
    fg_model_batch b = {0};
    b.B = 1;
    b.N = r->N;
    b.res_mask = r->ones;
    b.diffuse_mask = r->ones;
    b.chain_idx = r->chain;
    b.res_idx = r->resi;
    b.so3_t = &r->t3[0];
    b.r3_t = &r->t3[1];
    b.cat_t = &r->t3[2];
    b.trans_t = r->trans_t;
    b.rotmats_t = r->rots_t;
    b.torsions_t = r->tors;
    b.aatypes_t = r->aat_t;
    b.trans_sc = r->trans_sc;
    b.aatypes_sc = r->aat_sc;
    return b;
}

static const char *first_nonfinite(const fg_model_output *o, int N)
{
    struct { const char *name; const float *x; int64_t n; } outs[] = {
        {"pred_trans", o->pred_trans, (int64_t)N * 3},
        {"pred_rotmats", o->pred_rotmats, (int64_t)N * 9},
        {"pred_logits", o->pred_logits, (int64_t)N * FG_AA_TOKENS},
        {"pred_torsions", o->pred_torsions, (int64_t)N * o->n_torsions * 2},
    };
    for (size_t k = 0; k < sizeof outs / sizeof outs[0]; k++)
        for (int64_t i = 0; outs[k].x && i < outs[k].n; i++)
            if (!isfinite(outs[k].x[i]))
                return outs[k].name;
    return NULL;
}

/* Model call `call` (0-based) at time t, with the cancel, NaN and hook handling. */
static fg_status call_model(run *r, fg_model *m, int call, float t, fg_model_output *out, fg_error *err)
{
    const fg_sampler_params *p = r->p;
    const fg_sampler_hooks *h = p->hooks;
    if (p->cancel && *p->cancel)
        return fg_error_set(err, FG_ERR_INTERRUPTED, "interrupted before step %d of %d", call + 1, r->T);
    fg_model_batch b = make_batch(r, t);
    fg_status st = h && h->forward ? h->forward(h->forward_ctx, &b, out, err) : fg_model_forward(m, &b, out, err);
    if (st != FG_OK) {
        fg_error_prefix(err, "step %d of %d (t = %.4f)", call + 1, r->T, t);
        return st;
    }
    if (h && h->nan_at_call == call + 1)
        out->pred_trans[0] = NAN;
    const char *bad = first_nonfinite(out, r->N);
    if (bad)
        return fg_error_set(err, FG_ERR_NUMERIC, "step %d of %d (t = %.4f): NaN or infinity in %s", call + 1,
                            r->T, t, bad);
    if (h && h->observe)
        h->observe(h->observe_ctx, call, &b, out);
    if (p->progress)
        p->progress(call, r->T, p->progress_user);
    return FG_OK;
}

/* Euler update of the state from the prediction of call k. */
static void euler_update(run *r, int k, const fg_model_output *o)
{
    const fg_sampler_config *c = &r->p->cfg;
    int N = r->N;
    float t = r->ts[k], d_t = r->ts[k + 1] - r->ts[k];
    if (c->self_condition) {
        memcpy(r->trans_sc, o->pred_trans, (size_t)N * 3 * sizeof(float));
        memcpy(r->aat_sc, o->pred_logits, (size_t)N * FG_AA_TOKENS * sizeof(float));
    }
    fg_euler_trans_step(N, t, d_t, r->trans_t, o->pred_trans, r->trans_t);
    float scaling = c->rots_schedule == FG_ROTS_SCHEDULE_EXP ? fg_euler_rot_scaling(t, (float)c->rots_exp_rate)
                                                             : fg_euler_rot_scaling_linear(t);
    fg_euler_rot_step(N, scaling, d_t, r->rots_t, o->pred_rotmats, r->rots_t);
    if (o->n_torsions)
        fg_torsions_step(N, t, d_t, o->pred_torsions, o->n_torsions, r->tors);
    fg_ctmc_step_probs(c, N, o->pred_logits, r->aat_t, t, d_t, r->probs);
    const fg_sampler_hooks *h = r->p->hooks;
    if (h && h->uniforms)
        memcpy(r->u, h->uniforms + (size_t)k * N, (size_t)N * sizeof(float));
    else
        fg_rng_uniforms(&r->ctmc, r->u, N);
    fg_ctmc_draw(N, r->probs, r->u, r->aat_t);
    fg_center_remove(N, r->trans_t, r->ones);
}

static void keep_frame(run *r, int f)
{
    if (!r->traj_trans)
        return;
    size_t N = (size_t)r->N;
    memcpy(r->traj_trans + f * N * 3, r->trans_t, N * 3 * sizeof(float));
    memcpy(r->traj_rots + f * N * 9, r->rots_t, N * 9 * sizeof(float));
    memcpy(r->traj_aat + f * N, r->aat_t, N * sizeof(int64_t));
}

static fg_status sample_alloc(fg_sample *s, int N, int K, fg_error *err)
{
    size_t n = (size_t)N;
    s->N = N;
    s->n_torsions = K;
    s->trans = malloc(n * 3 * sizeof(float));
    s->rots = malloc(n * 9 * sizeof(float));
    s->aatypes = malloc(n * sizeof(int64_t));
    s->torsions = K ? malloc(n * (size_t)K * 2 * sizeof(float)) : NULL;
    bool ok = s->trans && s->rots && s->aatypes && (!K || s->torsions);
    return ok ? FG_OK : fg_error_set(err, FG_ERR_NOMEM, "sampler: out of memory for the sample");
}

/* The final call's prediction is the sample (translations re-centred). */
static fg_status finish(run *r, const fg_model_output *o, fg_sample *s, fg_error *err)
{
    int N = r->N;
    fg_status st = sample_alloc(s, N, o->n_torsions, err);
    if (st != FG_OK)
        return st;
    memcpy(r->trans_t, o->pred_trans, (size_t)N * 3 * sizeof(float));
    fg_center_remove(N, r->trans_t, r->ones);
    memcpy(r->rots_t, o->pred_rotmats, (size_t)N * 9 * sizeof(float));
    memcpy(r->aat_t, o->pred_aatypes, (size_t)N * sizeof(int64_t));
    memcpy(s->trans, r->trans_t, (size_t)N * 3 * sizeof(float));
    memcpy(s->rots, r->rots_t, (size_t)N * 9 * sizeof(float));
    memcpy(s->aatypes, r->aat_t, (size_t)N * sizeof(int64_t));
    if (o->n_torsions)
        memcpy(s->torsions, o->pred_torsions, (size_t)N * o->n_torsions * 2 * sizeof(float));
    keep_frame(r, r->T);
    if (r->traj_trans) { /* hand the trajectory over */
        s->n_frames = r->T + 1;
        s->traj_trans = r->traj_trans, r->traj_trans = NULL;
        s->traj_rots = r->traj_rots, r->traj_rots = NULL;
        s->traj_aatypes = r->traj_aat, r->traj_aat = NULL;
    }
    s->n_calls = r->T;
    return FG_OK;
}

fg_status fg_sampler_run(fg_model *m, int N, const fg_sampler_params *p, fg_sample *out, fg_error *err)
{
    memset(out, 0, sizeof *out);
    if (N < 1 || N > p->cfg.max_length)
        return fg_error_set(err, FG_ERR_INVALID, "length %d is out of range [1, %d]", N, p->cfg.max_length);
    fg_status st = fg_sampler_config_check(&p->cfg, err);
    if (st != FG_OK)
        return st;
    run r;
    if ((st = run_init(&r, N, p, err)) != FG_OK)
        return st;
    keep_frame(&r, 0);
    fg_model_output o;
    for (int k = 0; st == FG_OK && k < r.T - 1; k++) {
        st = call_model(&r, m, k, r.ts[k], &o, err);
        if (st == FG_OK) {
            euler_update(&r, k, &o);
            keep_frame(&r, k + 1);
        }
    }
    if (st == FG_OK)
        st = call_model(&r, m, r.T - 1, r.ts[r.T - 1], &o, err);
    if (st == FG_OK)
        st = finish(&r, &o, out, err);
    run_free(&r);
    if (st != FG_OK)
        fg_sample_free(out);
    return st;
}

void fg_sample_free(fg_sample *s)
{
    if (!s)
        return;
    free(s->trans), free(s->rots), free(s->torsions), free(s->aatypes);
    free(s->traj_trans), free(s->traj_rots), free(s->traj_aatypes);
    memset(s, 0, sizeof *s);
}
