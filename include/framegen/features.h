/* The node and edge feature nets of the flow model (upstream NodeFeatureNet,
 * EdgeFeatureNet): they turn times, masks, indices, sequence, translations and
 * optional conditioning into the initial node [B,N,c_s] and edge [B,N,N,c_p]
 * representations. Hyperparameters use the upstream config keys
 * (model.node_features, model.edge_features); weights the upstream names under
 * a prefix such as "node_feature_net." / "edge_feature_net.". */
#ifndef FRAMEGEN_FEATURES_H
#define FRAMEGEN_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framegen/arena.h"
#include "framegen/fields.h"
#include "framegen/status.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

#define FG_FEAT_NUM_AATYPES 21          /* aatype_embedding rows: 20 amino acids + mask token 20 */
#define FG_FEAT_NUM_STRUCTURE_METHODS 14 /* rows of structural_method_embedding */
#define FG_FEAT_NUM_TORSIONS 7          /* omega, phi, psi, chi1..chi4 as (sin, cos) */

/* ---- configuration ---------------------------------------------------- */

/* model.node_features */
typedef struct fg_node_features_params {
    int c_s;                         /* output width = model node_embed_size */
    int c_pos_emb;                   /* width of index/chain/torsion/method/stochasticity embeddings (even) */
    int c_timestep_emb;              /* width of each time embedding (>= 4) */
    int aatype_pred_num_tokens;      /* width of the aatypes_sc input */
    int pos_embed_method;            /* fg_pos_embed (embed.h) */
    int pos_embed_max_len;           /* L of the index embedding */
    bool embed_chain;                /* + index embedding of chain_idx (L = 100) */
    bool embed_aatype;               /* + aatype embedding, cat_t embedding, aatypes_sc */
    bool embed_torsions;             /* + Linear(14, c_pos_emb) of the torsions */
    bool embed_structural_method;    /* + embedding of the structure's experimental method */
    bool embed_stochasticity_scales; /* + Linear(4, c_pos_emb) of the four stochasticity scales */
    bool embed_hotspots;             /* + hot-spot indicator column */
    bool use_mlp;                    /* 3-layer MLP + LayerNorm, else one Linear */
} fg_node_features_params;

/* model.edge_features.contact_conditioning */
typedef struct fg_contact_conditioning_params {
    bool enabled;     /* add LN(Linear(cos(2 pi (w c + b)))) of the contact map to every pair */
    int pair_dim;     /* = c_p */
    int fourier_dim;  /* Fourier features per pair */
    double dist_min;  /* Angstrom; c = clamp((d - dist_min)/(dist_max - dist_min), 0, 1) */
    double dist_max;  /* Angstrom */
} fg_contact_conditioning_params;

/* model.edge_features */
typedef struct fg_edge_features_params {
    int c_s;                   /* input node width = model node_embed_size */
    int c_p;                   /* output width = model edge_embed_size */
    int feat_dim;              /* width of the node projection and relpos features (even) */
    int num_bins;              /* distogram bins over 1e-4..20 Angstrom */
    int pos_embed_method;      /* fg_pos_embed of the relative position i - j */
    int pos_embed_max_len;
    bool embed_self_condition; /* sampler switch; the net always has the trans_sc distogram */
    bool embed_chain;          /* + same-chain indicator */
    bool embed_diffuse_mask;   /* + (diffuse_i, diffuse_j) */
    fg_contact_conditioning_params contact_conditioning;
} fg_edge_features_params;

/* Field tables (upstream key names and defaults = the upstream default preset). */
extern const fg_field fg_node_features_fields[];
extern const size_t fg_node_features_n_fields;
extern const fg_field fg_edge_features_fields[];   /* without contact_conditioning */
extern const size_t fg_edge_features_n_fields;
extern const fg_field fg_contact_conditioning_fields[];
extern const size_t fg_contact_conditioning_n_fields;

void fg_node_features_defaults(fg_node_features_params *p);
void fg_edge_features_defaults(fg_edge_features_params *p);

/* Read a JSON object (path = its key path for messages, e.g.
 * "model.node_features"); unknown keys and invalid values are errors. */
fg_status fg_node_features_read(const struct cJSON *obj, const char *path,
                                fg_node_features_params *p, fg_error *err);
fg_status fg_edge_features_read(const struct cJSON *obj, const char *path,
                                fg_edge_features_params *p, fg_error *err);

/* Value checks beyond the field ranges (even widths, pair_dim = c_p, ...). */
fg_status fg_node_features_validate(const fg_node_features_params *p, const char *path, fg_error *err);
fg_status fg_edge_features_validate(const fg_edge_features_params *p, const char *path, fg_error *err);

/* The duplicated widths agree with the model's: node c_s = edge c_s = c_s,
 * edge c_p = c_z. path is the config object holding both sections ("model"). */
fg_status fg_features_check_dims(const fg_node_features_params *node, const fg_edge_features_params *edge,
                                 int c_s, int c_z, const char *path, fg_error *err);

/* Input width of the first layer (the concatenated features). */
int fg_node_features_in_dim(const fg_node_features_params *p);
int fg_edge_features_in_dim(const fg_edge_features_params *p);

/* ---- node feature net -------------------------------------------------- */

typedef struct fg_node_features fg_node_features;

/* Inputs for B items of N (padded) residues. Pointers marked "opt" may be NULL
 * (read as zeros); the others are required when the config uses them. */
typedef struct fg_node_features_in {
    int B, N;
    const float *so3_t;              /* [B] rotation time */
    const float *r3_t;               /* [B] translation time */
    const float *cat_t;              /* [B] sequence time (embed_aatype) */
    const float *res_mask;           /* [B,N] 1 = residue present */
    const float *diffuse_mask;       /* [B,N] 1 = residue generated */
    const int64_t *chain_idx;        /* [B,N] chain id (embed_chain) */
    const int64_t *res_idx;          /* [B,N] residue index */
    const int64_t *aatypes;          /* [B,N] 0..19 AF2 order, 20 = mask (embed_aatype) */
    const float *aatypes_sc;         /* [B,N,aatype_pred_num_tokens] self-conditioning logits, opt */
    const float *torsions;           /* [B,N,7,2] (sin, cos) (embed_torsions) */
    const int64_t *structure_method; /* [B] method index 0..13 (embed_structural_method) */
    const float *hot_spots;          /* [B,N] 0/1, opt */
    const float *trans_stoch;        /* [B] stochasticity scales, opt */
    const float *rotmats_stoch;      /* [B] opt */
    const float *torsions_stoch;     /* [B] opt */
    const float *aatypes_stoch;      /* [B] opt */
} fg_node_features_in;

fg_status fg_node_features_create(const fg_node_features_params *p, fg_weights *w, const char *prefix,
                                  fg_node_features **out, fg_error *err);
/* node_embed[B,N,c_s]; scratch is restored before returning. */
fg_status fg_node_features_forward(const fg_node_features *nf, const fg_node_features_in *in,
                                   float *node_embed, fg_arena *scratch, fg_error *err);
void fg_node_features_destroy(fg_node_features *nf);
double fg_node_features_flops(const fg_node_features *nf, int B, int N);

/* ---- edge feature net -------------------------------------------------- */

typedef struct fg_edge_features fg_edge_features;

typedef struct fg_edge_features_in {
    int B, N;
    const float *node_embed;   /* [B,N,c_s] output of the node net */
    const float *trans;        /* [B,N,3] CA translations, Angstrom */
    const float *trans_sc;     /* [B,N,3] self-conditioned translations, Angstrom; opt (zeros) */
    const float *edge_mask;    /* [B,N,N] res_mask_i * res_mask_j */
    const float *diffuse_mask; /* [B,N] (embed_diffuse_mask) */
    const int64_t *chain_idx;  /* [B,N] (embed_chain) */
    const float *contact;      /* [B,N,N] contact distances, Angstrom, 0 = none; opt: NULL adds
                                * no conditioning term (upstream None), while a map of zeros
                                * adds the c = 0 term to every pair (upstream FlowModel). */
} fg_edge_features_in;

fg_status fg_edge_features_create(const fg_edge_features_params *p, fg_weights *w, const char *prefix,
                                  fg_edge_features **out, fg_error *err);
/* edge_embed[B,N,N,c_p]; scratch is restored before returning. */
fg_status fg_edge_features_forward(const fg_edge_features *ef, const fg_edge_features_in *in,
                                   float *edge_embed, fg_arena *scratch, fg_error *err);
void fg_edge_features_destroy(fg_edge_features *ef);
double fg_edge_features_flops(const fg_edge_features *ef, int B, int N);

#ifdef __cplusplus
}
#endif
#endif
