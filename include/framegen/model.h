/* The flow model (FlowModel of the reference): feature nets, optional ESM
 * combiner, optional pre-IPA trunk, IPA trunk with backbone updates and
 * torsions, confidence heads, optional sequence trunk and the amino-acid head,
 * with recycling. Created from a parsed configuration and a weight store
 * (whisper.cpp style: params with defaults, create, forward, destroy).
 * Translations are Angstrom at this boundary; the model works in nm inside. */
#ifndef FRAMEGEN_MODEL_H
#define FRAMEGEN_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "framegen/status.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_AA_TOKENS 21    /* AF2 order ARNDCQEGHILKMFPSTWYV + mask/unknown X */
#define FG_AA_MASK 20      /* index of the mask token */
#define FG_N_TORSIONS 7    /* omega, phi, psi, chi1..chi4 */

typedef struct fg_model fg_model;
typedef struct fg_model_config fg_model_config; /* framegen/model_config.h */

/* Run-time options that are not part of a checkpoint's architecture. */
typedef struct fg_model_params {
    fg_logger log;            /* warnings (e.g. unused tensors); NULL fn: silent */
    bool allow_unused;        /* unexpected tensors in the weights are not an error */
    int max_length;           /* largest N a forward may be asked for (0: no limit) */
    fg_weights *esm_weights;  /* ESM-2 (fair-esm or Hugging Face names) when the config enables the
                               * ESM combiner; the reference's state_dict does not hold them */
} fg_model_params;

fg_model_params fg_model_default_params(void);

/* One batch of B items of N (padded) residues: the reference's NoisyFeatures. */
typedef struct fg_model_batch {
    int B, N;
    const float *res_mask;            /* [B,N] 1 = residue present */
    const float *diffuse_mask;        /* [B,N] 1 = residue generated (frames may move) */
    const int64_t *chain_idx;         /* [B,N] chain id, 1-based (0 at padding) */
    const int64_t *res_idx;           /* [B,N] residue index, 1-based per chain */
    const float *so3_t;               /* [B] rotation time */
    const float *r3_t;                /* [B] translation time */
    const float *cat_t;               /* [B] sequence time */
    const float *trans_t;             /* [B,N,3] noisy translations, Angstrom */
    const float *rotmats_t;           /* [B,N,3,3] noisy rotations, columns = frame axes */
    const float *torsions_t;          /* [B,N,7,2] (sin, cos); NULL = all (0, 1) */
    const int64_t *aatypes_t;         /* [B,N] AF2 order, 20 = mask */
    const float *trans_sc;            /* [B,N,3] self-conditioning translations, Angstrom */
    const float *aatypes_sc;          /* [B,N,21] self-conditioning logits */
    const int64_t *structure_method;  /* [B] experimental-method index; NULL = 0 */
    const float *hot_spots;           /* [B,N] 0/1; NULL = 0 */
    const float *stochasticity;       /* [B,4] trans, rots, torsions, aatypes scales; NULL = 0 */
    const float *contact_conditioning;/* [B,N,N] Angstrom thresholds, 0 = none; NULL = 0 */
} fg_model_batch;

/* Outputs of one forward; owned by the model, valid until the next forward. */
typedef struct fg_model_output {
    int B, N;
    float *pred_trans;      /* [B,N,3] Angstrom */
    float *pred_rotmats;    /* [B,N,3,3] */
    float *pred_torsions;   /* [B,N,K,2] (sin, cos); NULL when the model predicts none */
    int n_torsions;         /* K: 0, 1 (psi) or 7 */
    float *pred_logits;     /* [B,N,21] */
    int64_t *pred_aatypes;  /* [B,N] argmax with the mask token excluded */
    float *node_embed;      /* [B,N,c_s] */
    float *edge_embed;      /* [B,N,N,c_z] */
    float *pred_bfactor;    /* [B,N,bins] or NULL */
    float *pred_lddt;       /* [B,N,bins] or NULL */
    float *pred_pae;        /* [B,N,N,bins] or NULL */
    float *pred_ptm;        /* [B] or NULL */
    float *pred_iptm;       /* [B] or NULL */
} fg_model_output;

/* Builds the model of cfg from w (tensor names as the reference's state_dict).
 * Every missing or misshapen tensor is an error naming it; tensors of w that the
 * model does not use are an error unless params->allow_unused. w must outlive
 * the model (weights are used in place). */
fg_status fg_model_create(const fg_model_config *cfg, fg_weights *w, const fg_model_params *params,
                          fg_model **out, fg_error *err);
void fg_model_destroy(fg_model *m);

fg_status fg_model_forward(fg_model *m, const fg_model_batch *in, fg_model_output *out, fg_error *err);

/* Widths and facts the sampler and writers need. */
int fg_model_c_s(const fg_model *m);
int fg_model_c_z(const fg_model *m);
int fg_model_n_torsions(const fg_model *m);
/* FLOPs of one forward for B items of N residues (benchmarks). */
double fg_model_flops(const fg_model *m, int B, int N);
/* Peak bytes of forward scratch seen so far. */
size_t fg_model_scratch_peak(const fg_model *m);

/* ---- the tensors of a config ------------------------------------------ */

/* Writes random weights for the model of cfg to a safetensors file: every
 * tensor the model looks up, under the reference's names, drawn from the
 * counter RNG keyed by (seed, name) with the fixtures' rule: >= 2-D weights
 * N(0, 1/fan_in), embeddings N(0, 1), LayerNorm gains 1 + N(0, 0.1^2), biases
 * N(0, 0.1^2), other 1-D parameters N(0, 0.5^2). The final IPA block has an
 * edge transition only when the config has a sequence trunk (as the reference). */
fg_status fg_model_init_weights(const fg_model_config *cfg, uint64_t seed, const char *path, fg_error *err);
/* The same for a model with the ESM combiner, whose sizes follow the given
 * ESM-2 weights (esm_weights may be NULL when the config has no ESM). */
fg_status fg_model_init_weights_esm(const fg_model_config *cfg, fg_weights *esm_weights, uint64_t seed,
                                    const char *path, fg_error *err);
/* Random ESM-2 weights (fair-esm names, rotary inv_freq exact, no LM head) of
 * n_layers layers of width d_model with n_heads heads: for tests and
 * benchmarks of ESM-enabled configs without a real checkpoint. */
fg_status fg_esm_init_weights(int n_layers, int d_model, int n_heads, uint64_t seed, const char *path,
                              fg_error *err);

/* Every tensor the model of cfg expects when built from w (optional parts as w
 * has them; ESM-2 weights when the config uses ESM): fn(name, ndim, shape,
 * user) in lookup order. */
typedef void (*fg_model_tensor_fn)(const char *name, int ndim, const int64_t *shape, void *user);
fg_status fg_model_expected_tensors(const fg_model_config *cfg, const fg_weights *w, fg_weights *esm_weights,
                                    fg_model_tensor_fn fn, void *user, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
