/* Sampler parity against case `sampler` (Interpolant.sample, 10 steps, public
 * preset). Three stages, each within the fixture's tolerances:
 *   1. teacher forcing of the Euler updates: the state of step k+1 computed from
 *      the recorded inputs and outputs of call k;
 *   2. the whole trajectory with the model replaced by the recorded outputs
 *      (sampler algorithm alone), from the recorded prior and uniforms;
 *   3. with our model built from the case's weights: teacher-forced calls (our
 *      model on the recorded inputs of call k), then the whole trajectory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/backbone.h"
#include "framegen/euler.h"
#include "framegen/model.h"
#include "framegen/model_config.h"
#include "framegen/sampler.h"
#include "trunk/sampler_steps.h"

#define T_MAX 64

typedef struct rec {
    int T, N;
    float *ts;                                      /* [T] */
    float *in_trans, *in_rots, *in_trans_sc, *in_aat_sc, *in_t; /* step.model_in.* */
    int64_t *in_aat;
    float *out_trans, *out_rots, *out_logits;       /* step.model_out.* */
    int64_t *out_aat;
    float *probs, *u;                               /* step.aatypes_draw.* */
    int64_t *sampled;
    float *trans_0, *rots_0;
} rec;

static int load_rec(fx_case *c, rec *r)
{
    int64_t sh[8];
    if (fx_shape(c, "step.model_in.trans_t", sh) != 4)
        return 0;
    r->T = (int)sh[0];
    r->N = (int)sh[2];
    r->ts = fx_f32(c, "input.ts");
    r->in_trans = fx_f32(c, "step.model_in.trans_t");
    r->in_rots = fx_f32(c, "step.model_in.rotmats_t");
    r->in_trans_sc = fx_f32(c, "step.model_in.trans_sc");
    r->in_aat_sc = fx_f32(c, "step.model_in.aatypes_sc");
    r->in_t = fx_f32(c, "step.model_in.so3_t");
    r->in_aat = fx_i64(c, "step.model_in.aatypes_t");
    r->out_trans = fx_f32(c, "step.model_out.pred_trans");
    r->out_rots = fx_f32(c, "step.model_out.pred_rotmats");
    r->out_logits = fx_f32(c, "step.model_out.pred_logits");
    r->out_aat = fx_i64(c, "step.model_out.pred_aatypes");
    r->probs = fx_f32(c, "step.aatypes_draw.step_probs");
    r->u = fx_f32(c, "step.aatypes_draw.u");
    r->sampled = fx_i64(c, "step.aatypes_draw.sampled");
    r->trans_0 = fx_f32(c, "input.trans_0");
    r->rots_0 = fx_f32(c, "input.rotmats_0");
    return r->ts && r->in_trans && r->in_rots && r->in_trans_sc && r->in_aat_sc && r->in_t && r->in_aat &&
           r->out_trans && r->out_rots && r->out_logits && r->out_aat && r->probs && r->u && r->sampled &&
           r->trans_0 && r->rots_0 && r->T <= T_MAX;
}

static void free_rec(rec *r)
{
    free(r->ts), free(r->in_trans), free(r->in_rots), free(r->in_trans_sc), free(r->in_aat_sc);
    free(r->in_t), free(r->in_aat), free(r->out_trans), free(r->out_rots), free(r->out_logits);
    free(r->out_aat), free(r->probs), free(r->u), free(r->sampled), free(r->trans_0), free(r->rots_0);
}

static fg_sampler_config fixture_config(fx_case *c, int T)
{
    fg_sampler_config s = fg_sampler_default_config();
    s.num_timesteps = T;
    s.min_t = fx_hp_num(c, "interpolant.min_t", 0);
    s.rots_schedule = strcmp(fx_hp_str(c, "interpolant.rots.sample_schedule", ""), "exp") == 0
                          ? FG_ROTS_SCHEDULE_EXP : FG_ROTS_SCHEDULE_LINEAR;
    s.rots_exp_rate = fx_hp_num(c, "interpolant.rots.exp_rate", 0);
    s.self_condition = fx_hp_bool(c, "interpolant.self_condition", 0);
    s.aatypes_temp = fx_hp_num(c, "interpolant.aatypes.drift_temp", 0);
    s.aatypes_gain_max = fx_hp_num(c, "interpolant.aatypes.drift_gain_max", 0);
    s.aatypes_gating = fx_hp_bool(c, "interpolant.aatypes.uncertainty_gating", 0);
    s.aatypes_gating_gamma = fx_hp_num(c, "interpolant.aatypes.uncertainty_gating_sharpness", 0);
    return s;
}

/* Checks a slice [k0, k1) of leading-dim records of key against got. */
static void check_slice(fx_case *c, const char *key, const char *label, const float *got, int k0, int k1,
                        int64_t per)
{
    double atol, rtol;
    float *ref = fx_f32(c, key);
    if (ref && fx_tolerance(c, key, &atol, &rtol))
        fx_check_with(c, label, got, ref + k0 * per, (k1 - k0) * per, atol, rtol);
    free(ref);
}

static void check_slice_i64(fx_case *c, const char *key, const char *label, const int64_t *got, int k0,
                            int k1, int64_t per)
{
    int64_t *ref = fx_i64(c, key);
    int64_t bad = 0, n = (k1 - k0) * per;
    for (int64_t i = 0; ref && i < n; i++)
        bad += got[i] != ref[k0 * per + i];
    fx_expect(c, ref && bad == 0, "%-44s n=%lld mismatches=%lld (exact)", label, (long long)n, (long long)bad);
    free(ref);
}

/* 1. Each Euler update from the recorded call k. */
static void teacher_forced_updates(fx_case *c, const rec *r, const fg_sampler_config *cfg)
{
    int T = r->T, N = r->N, S = FG_AA_TOKENS;
    float ts[T_MAX];
    fg_time_grid(T, (float)cfg->min_t, ts);
    int same = 1;
    for (int k = 0; k < T; k++)
        same &= ts[k] == r->ts[k];
    fx_expect(c, same, "time grid linspace(min_t, 1, T) equals input.ts bit for bit");
    size_t n3 = (size_t)N * 3, n9 = (size_t)N * 9, nS = (size_t)N * S;
    float *trans = malloc((T - 1) * n3 * sizeof(float)), *rots = malloc((T - 1) * n9 * sizeof(float));
    float *probs = malloc((T - 1) * nS * sizeof(float));
    int64_t *aat = malloc((T - 1) * (size_t)N * sizeof(int64_t));
    for (int k = 0; k < T - 1; k++) {
        float t = ts[k], d_t = ts[k + 1] - ts[k];
        fg_euler_trans_step(N, t, d_t, r->in_trans + k * n3, r->out_trans + k * n3, trans + k * n3);
        fg_center_remove(N, trans + k * n3, NULL);
        float sc = fg_euler_rot_scaling(t, (float)cfg->rots_exp_rate);
        fg_euler_rot_step(N, sc, d_t, r->in_rots + k * n9, r->out_rots + k * n9, rots + k * n9);
        fg_ctmc_step_probs(cfg, N, r->out_logits + k * nS, r->in_aat + (size_t)k * N, t, d_t, probs + k * nS);
        /* the draw from the recorded probabilities, so that only the draw is tested here */
        fg_ctmc_draw(N, r->probs + k * nS, r->u + (size_t)k * N, aat + (size_t)k * N);
    }
    printf(" teacher-forced Euler updates (inputs of step k+1 from call k):\n");
    check_slice(c, "step.model_in.trans_t", "trans_t[k+1] from call k", trans, 1, T, n3);
    check_slice(c, "step.model_in.rotmats_t", "rotmats_t[k+1] from call k", rots, 1, T, n9);
    check_slice(c, "step.aatypes_draw.step_probs", "step_probs[k] from call k", probs, 0, T - 1, nS);
    check_slice_i64(c, "step.aatypes_draw.sampled", "sampled[k] from recorded probs and u", aat, 0, T - 1, N);
    check_slice_i64(c, "step.model_in.aatypes_t", "aatypes_t[k+1] = sampled[k]", aat, 1, T, N);
    free(trans), free(rots), free(probs), free(aat);
}

/* 2./3. Whole trajectories: record every call's inputs; compare at the end. */
typedef struct replay {
    const rec *r;
    int calls;
    float *trans, *rots, *trans_sc, *aat_sc, *t, *r3_t, *cat_t; /* [T, ...] recorded inputs */
    int64_t *aat;
    float *o_trans, *o_rots, *o_logits;          /* [T, ...] outputs seen */
    int64_t *o_aat;
    int64_t o_aat_one[256];
    fg_model_output one;
} replay;

static fg_status replay_forward(void *ctx, const fg_model_batch *in, fg_model_output *out, fg_error *err)
{
    replay *p = ctx;
    const rec *r = p->r;
    int k = p->calls;
    if (k >= r->T || in->N != r->N || in->B != 1)
        return fg_error_set(err, FG_ERR_INVALID, "replay: call %d of %d, N %d", k, r->T, in->N);
    size_t N = (size_t)r->N;
    memset(out, 0, sizeof *out);
    out->B = 1;
    out->N = r->N;
    out->pred_trans = p->one.pred_trans;
    out->pred_rotmats = p->one.pred_rotmats;
    out->pred_logits = p->one.pred_logits;
    out->pred_aatypes = p->o_aat_one;
    memcpy(out->pred_trans, r->out_trans + k * N * 3, N * 3 * sizeof(float));
    memcpy(out->pred_rotmats, r->out_rots + k * N * 9, N * 9 * sizeof(float));
    memcpy(out->pred_logits, r->out_logits + k * N * FG_AA_TOKENS, N * FG_AA_TOKENS * sizeof(float));
    memcpy(out->pred_aatypes, r->out_aat + k * N, N * sizeof(int64_t));
    return FG_OK;
}

static void observe(void *ctx, int call, const fg_model_batch *in, const fg_model_output *out)
{
    replay *p = ctx;
    size_t N = (size_t)in->N, k = (size_t)call;
    p->calls = call + 1;
    memcpy(p->trans + k * N * 3, in->trans_t, N * 3 * sizeof(float));
    memcpy(p->rots + k * N * 9, in->rotmats_t, N * 9 * sizeof(float));
    memcpy(p->trans_sc + k * N * 3, in->trans_sc, N * 3 * sizeof(float));
    memcpy(p->aat_sc + k * N * FG_AA_TOKENS, in->aatypes_sc, N * FG_AA_TOKENS * sizeof(float));
    memcpy(p->aat + k * N, in->aatypes_t, N * sizeof(int64_t));
    p->t[k] = in->so3_t[0];
    p->r3_t[k] = in->r3_t[0];
    p->cat_t[k] = in->cat_t[0];
    memcpy(p->o_trans + k * N * 3, out->pred_trans, N * 3 * sizeof(float));
    memcpy(p->o_rots + k * N * 9, out->pred_rotmats, N * 9 * sizeof(float));
    memcpy(p->o_logits + k * N * FG_AA_TOKENS, out->pred_logits, N * FG_AA_TOKENS * sizeof(float));
    memcpy(p->o_aat + k * N, out->pred_aatypes, N * sizeof(int64_t));
}

static void replay_init(replay *p, const rec *r)
{
    memset(p, 0, sizeof *p);
    p->r = r;
    size_t T = (size_t)r->T, N = (size_t)r->N;
    p->trans = malloc(T * N * 3 * sizeof(float));
    p->rots = malloc(T * N * 9 * sizeof(float));
    p->trans_sc = malloc(T * N * 3 * sizeof(float));
    p->aat_sc = malloc(T * N * FG_AA_TOKENS * sizeof(float));
    p->t = malloc(T * sizeof(float));
    p->r3_t = malloc(T * sizeof(float));
    p->cat_t = malloc(T * sizeof(float));
    p->aat = malloc(T * N * sizeof(int64_t));
    p->o_trans = malloc(T * N * 3 * sizeof(float));
    p->o_rots = malloc(T * N * 9 * sizeof(float));
    p->o_logits = malloc(T * N * FG_AA_TOKENS * sizeof(float));
    p->o_aat = malloc(T * N * sizeof(int64_t));
    p->one.pred_trans = malloc(N * 3 * sizeof(float));
    p->one.pred_rotmats = malloc(N * 9 * sizeof(float));
    p->one.pred_logits = malloc(N * FG_AA_TOKENS * sizeof(float));
}

static void replay_free(replay *p)
{
    free(p->trans), free(p->rots), free(p->trans_sc), free(p->aat_sc), free(p->t), free(p->aat);
    free(p->r3_t), free(p->cat_t);
    free(p->o_trans), free(p->o_rots), free(p->o_logits), free(p->o_aat);
    free(p->one.pred_trans), free(p->one.pred_rotmats), free(p->one.pred_logits);
}

static void check_run(fx_case *c, const rec *r, const replay *p, const fg_sample *s, int with_model)
{
    int64_t T = r->T, N = r->N;
    fx_expect(c, p->calls == r->T, "model calls: %d (want %d)", p->calls, r->T);
    if (p->calls != r->T)
        return;
    fx_check(c, "step.model_in.trans_t", p->trans, T * N * 3);
    fx_check(c, "step.model_in.rotmats_t", p->rots, T * N * 9);
    fx_check_i64(c, "step.model_in.aatypes_t", p->aat, T * N);
    fx_check(c, "step.model_in.trans_sc", p->trans_sc, T * N * 3);
    fx_check(c, "step.model_in.aatypes_sc", p->aat_sc, T * N * FG_AA_TOKENS);
    fx_check(c, "step.model_in.so3_t", p->t, T);
    fx_check(c, "step.model_in.r3_t", p->r3_t, T);
    fx_check(c, "step.model_in.cat_t", p->cat_t, T);
    if (with_model) {
        fx_check(c, "step.model_out.pred_trans", p->o_trans, T * N * 3);
        fx_check(c, "step.model_out.pred_rotmats", p->o_rots, T * N * 9);
        fx_check(c, "step.model_out.pred_logits", p->o_logits, T * N * FG_AA_TOKENS);
        fx_check_i64(c, "step.model_out.pred_aatypes", p->o_aat, T * N);
    }
    fx_expect(c, s->n_frames == T + 1, "trajectory frames: %d (want %lld)", s->n_frames, (long long)T + 1);
    if (s->n_frames == T + 1) {
        fx_check(c, "traj.sample.trans", s->traj_trans, (T + 1) * N * 3);
        fx_check(c, "traj.sample.rotmats", s->traj_rots, (T + 1) * N * 9);
        fx_check_i64(c, "traj.sample.aatypes", s->traj_aatypes, (T + 1) * N);
    }
    fx_check(c, "output.final.trans", s->trans, N * 3);
    fx_check(c, "output.final.rotmats", s->rots, N * 9);
    fx_check_i64(c, "output.final.aatypes", s->aatypes, N);
    float *atoms = malloc((size_t)N * 37 * 3 * sizeof(float));
    fg_error err;
    if (fx_expect(c, fg_atom37_from_frames(N, s->rots, s->trans, s->torsions, s->n_torsions, s->aatypes, NULL,
                                           atoms, &err) == FG_OK, "atom37 of the final sample"))
        fx_check(c, "output.final.atom37", atoms, N * 37 * 3);
    free(atoms);
}

static void whole_trajectory(fx_case *c, const rec *r, const fg_sampler_config *cfg, fg_model *m)
{
    replay p;
    replay_init(&p, r);
    fg_sampler_hooks h = {0};
    h.trans_0 = r->trans_0;
    h.rots_0 = r->rots_0;
    h.uniforms = r->u;
    if (!m) {
        h.forward = replay_forward;
        h.forward_ctx = &p;
    }
    h.observe = observe;
    h.observe_ctx = &p;
    fg_sampler_params sp = fg_sampler_default_params();
    sp.cfg = *cfg;
    sp.save_trajectory = true;
    sp.hooks = &h;
    fg_sample s;
    fg_error err;
    printf(" whole trajectory (%s):\n", m ? "our model" : "recorded model outputs");
    fg_status st = fg_sampler_run(m, r->N, &sp, &s, &err);
    if (fx_expect(c, st == FG_OK, "fg_sampler_run: %s", st == FG_OK ? "ok" : err.msg))
        check_run(c, r, &p, &s, m != NULL);
    fg_sample_free(&s);
    replay_free(&p);
}

/* 3a. Our model on the recorded inputs of every call. */
static void teacher_forced_calls(fx_case *c, const rec *r, fg_model *m)
{
    int T = r->T, N = r->N;
    size_t n3 = (size_t)N * 3, n9 = (size_t)N * 9, nS = (size_t)N * FG_AA_TOKENS;
    float *trans = malloc(T * n3 * sizeof(float)), *rots = malloc(T * n9 * sizeof(float));
    float *logits = malloc(T * nS * sizeof(float));
    int64_t *aat = malloc((size_t)T * N * sizeof(int64_t)), *chain = malloc(N * sizeof(int64_t));
    int64_t *resi = malloc(N * sizeof(int64_t));
    float *ones = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++)
        ones[i] = 1.0f, chain[i] = 1, resi[i] = i + 1;
    int ok = 1;
    for (int k = 0; k < T && ok; k++) {
        fg_model_batch b = {.B = 1, .N = N, .res_mask = ones, .diffuse_mask = ones, .chain_idx = chain,
                            .res_idx = resi, .so3_t = &r->in_t[k], .r3_t = &r->in_t[k], .cat_t = &r->in_t[k],
                            .trans_t = r->in_trans + k * n3, .rotmats_t = r->in_rots + k * n9,
                            .aatypes_t = r->in_aat + (size_t)k * N, .trans_sc = r->in_trans_sc + k * n3,
                            .aatypes_sc = r->in_aat_sc + k * nS};
        fg_model_output o;
        fg_error err;
        ok = fx_expect(c, fg_model_forward(m, &b, &o, &err) == FG_OK, "forward of call %d", k) || 0;
        if (!ok)
            printf("       %s\n", err.msg);
        if (ok) {
            memcpy(trans + k * n3, o.pred_trans, n3 * sizeof(float));
            memcpy(rots + k * n9, o.pred_rotmats, n9 * sizeof(float));
            memcpy(logits + k * nS, o.pred_logits, nS * sizeof(float));
            memcpy(aat + (size_t)k * N, o.pred_aatypes, (size_t)N * sizeof(int64_t));
        }
    }
    printf(" teacher-forced model calls (our model on the recorded inputs of call k):\n");
    if (ok) {
        fx_check(c, "step.model_out.pred_trans", trans, T * n3);
        fx_check(c, "step.model_out.pred_rotmats", rots, T * n9);
        fx_check(c, "step.model_out.pred_logits", logits, T * nS);
        fx_check_i64(c, "step.model_out.pred_aatypes", aat, (int64_t)T * N);
    }
    free(trans), free(rots), free(logits), free(aat), free(chain), free(resi), free(ones);
}

static fg_model *fixture_model(fx_case *c)
{
    fg_model_config mc;
    fg_error err;
    fg_model *m = NULL;
    fg_weights *w = fx_params(c);
    if (!w)
        return NULL;
    if (!fx_expect(c, fg_model_config_read(cJSON_GetObjectItemCaseSensitive(fx_hparams(c), "model"), "model",
                                           &mc, &err) == FG_OK,
                   "model config from the case's hyperparameters%s%s", err.msg[0] ? ": " : "", err.msg))
        return NULL;
    fg_model_params mp = fg_model_default_params();
    if (!fx_expect(c, fg_model_create(&mc, w, &mp, &m, &err) == FG_OK, "fg_model_create%s%s",
                   m ? "" : ": ", m ? "" : err.msg))
        m = NULL;
    fg_model_config_free(&mc);
    return m;
}

int main(void)
{
    fx_case c;
    if (fx_open(&c, "sampler") != 0)
        return 1;
    rec r = {0};
    int loaded = load_rec(&c, &r);
    if (!fx_expect(&c, loaded, "recorded trajectory loaded (T=%d, N=%d)", r.T, r.N)) {
        free_rec(&r);
        return fx_finish(&c);
    }
    fg_sampler_config cfg = fixture_config(&c, r.T);
    teacher_forced_updates(&c, &r, &cfg);
    whole_trajectory(&c, &r, &cfg, NULL);
    fg_model *m = fixture_model(&c);
    if (m) {
        teacher_forced_calls(&c, &r, m);
        whole_trajectory(&c, &r, &cfg, m);
        fg_model_destroy(m);
    }
    free_rec(&r);
    return fx_finish(&c);
}
