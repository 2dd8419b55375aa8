/* The SE(3) flow-matching sampler of the reference (Interpolant.sample,
 * unconditional): a prior of centred Gaussian translations, uniform rotations
 * and all-mask amino acids; T-1 Euler steps on the time grid
 * linspace(min_t, 1, T) with self-conditioning (translations linear, rotations
 * along the geodesic with the exponential schedule, amino acids by the masking
 * CTMC, and torsions (fed to models that embed them; prior angle 0) linearly in
 * angle space towards the model's prediction); a final model call at t = 1
 * gives the sample.
 *
 * Randomness: the prior and the CTMC draws of sample (seed, stream) come from
 * the counter RNG keyed by exactly that pair, so a sample never depends on the
 * thread count or on which other samples a run makes. */
#ifndef FRAMEGEN_SAMPLER_H
#define FRAMEGEN_SAMPLER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framegen/fields.h"
#include "framegen/model.h"
#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { FG_ROTS_SCHEDULE_EXP = 0, FG_ROTS_SCHEDULE_LINEAR = 1 };

/* Sampling settings: the config file's "sampling" section (fields table below). */
typedef struct fg_sampler_config {
    int num_timesteps;         /* T: grid points of linspace(min_t, 1, T) */
    double min_t;              /* first time of the grid */
    bool self_condition;       /* feed pred_trans / pred_logits back */
    int rots_schedule;         /* FG_ROTS_SCHEDULE_* */
    double rots_exp_rate;      /* rate of the exponential schedule (1/time) */
    double trans_prior_scale;  /* Angstrom per unit normal of the prior (10: nm -> A) */
    double aatypes_temp;       /* softmax temperature of the CTMC drift */
    double aatypes_gain_max;   /* cap of the drift gain 1/(1 - t + 0.01) */
    double aatypes_leave_cap;  /* largest probability of leaving the current token per step */
    bool aatypes_gating;       /* uncertainty gate 1 - p(current) for unmasked rows */
    double aatypes_gating_gamma; /* exponent of the gate */
    int max_length;            /* longest chain a run may ask for */
} fg_sampler_config;

extern const fg_field fg_sampler_fields[];
extern const size_t fg_sampler_n_fields;
fg_sampler_config fg_sampler_default_config(void);
/* Range checks that span fields; err names the key. */
fg_status fg_sampler_config_check(const fg_sampler_config *c, fg_error *err);

/* Progress: called after each model call k (0-based) of n_calls. */
typedef void (*fg_sampler_progress_fn)(int call, int n_calls, void *user);

/* Test hooks: replay a recorded trajectory. */
typedef struct fg_sampler_hooks {
    const float *trans_0;      /* [N,3] prior translations (Angstrom) instead of drawn ones */
    const float *rots_0;       /* [N,3,3] prior rotations instead of drawn ones */
    const float *uniforms;     /* [T-1,N] CTMC uniforms instead of drawn ones */
    /* Replaces fg_model_forward (e.g. replaying recorded outputs); ctx is its own. */
    fg_status (*forward)(void *ctx, const fg_model_batch *in, fg_model_output *out, fg_error *err);
    void *forward_ctx;
    /* Observes every model call (its inputs and outputs), e.g. to record them. */
    void (*observe)(void *ctx, int call, const fg_model_batch *in, const fg_model_output *out);
    void *observe_ctx;
    int nan_at_call;           /* > 0: poison the outputs of this call (1-based) with NaN */
} fg_sampler_hooks;

/* Run-time options of one sample. */
typedef struct fg_sampler_params {
    fg_sampler_config cfg;
    uint64_t seed;             /* run seed */
    uint64_t stream;           /* sample id within the run (see fg_sampler_stream) */
    bool save_trajectory;      /* keep the state after every step */
    fg_sampler_progress_fn progress;
    void *progress_user;
    const volatile sig_atomic_t *cancel; /* nonzero: stop with FG_ERR_INTERRUPTED */
    const fg_sampler_hooks *hooks;       /* NULL in normal use */
} fg_sampler_params;

fg_sampler_params fg_sampler_default_params(void);

/* Stream id of sample `index` of length `length`: distinct per (length, index),
 * so a sample does not change when other lengths are added to a run. */
uint64_t fg_sampler_stream(int length, int index);

/* One generated chain. Frames are Angstrom; torsions as the model predicted
 * them at the final call (NULL when it predicts none). */
typedef struct fg_sample {
    int N;
    float *trans;         /* [N,3] CA positions, centred */
    float *rots;          /* [N,3,3] */
    float *torsions;      /* [N,K,2] (sin, cos) or NULL */
    int n_torsions;       /* K */
    int64_t *aatypes;     /* [N] */
    int n_frames;         /* states kept when save_trajectory: prior + every step */
    float *traj_trans;    /* [n_frames,N,3] */
    float *traj_rots;     /* [n_frames,N,3,3] */
    int64_t *traj_aatypes;/* [n_frames,N] */
    int n_calls;          /* model calls made */
} fg_sample;

/* Runs the sampler for one chain of N residues. On FG_ERR_NUMERIC (a NaN or
 * infinity in the model's outputs) the message names the step; on
 * FG_ERR_INTERRUPTED the cancel flag was seen between calls. out is complete
 * only on FG_OK; fg_sample_free is safe after any return. */
fg_status fg_sampler_run(fg_model *m, int N, const fg_sampler_params *p, fg_sample *out, fg_error *err);
void fg_sample_free(fg_sample *s);

#ifdef __cplusplus
}
#endif
#endif
