/* Architecture of the flow model: the config's "model" section. Its keys are
 * the reference's ModelConfig keys (so a checkpoint's own config.json model
 * section can be pasted in), read strictly:
 *
 *   hyper_params      node_embed_size (c_s), edge_embed_size (c_z); the other
 *                     upstream keys of this section are accepted and unused
 *   node_features, edge_features           framegen/features.h
 *   esm_combiner      {enabled, ...}       frozen ESM-2 + combiner
 *   attention         per-block-type settings ("pairformer", "pair_bias",
 *                     "double_attention_pair", "ipa") used by the trunks
 *   trunk, seq_trunk  the optional trunk before the IPA trunk and the one
 *                     before the sequence head, in the reference's form
 *                     {attn_type, num_layers, pre/post flags} (attn_type one
 *                     of pairformer, pairformer_noseq, pair_bias, double, ipa,
 *                     none; block settings from "attention") or framegen's
 *                     {pre/post flags, "stages": [{type, num_layers, ...}]}
 *   ipa               the IPA trunk: num_blocks + the "ipa" block's fields
 *   predict_psi_torsions, predict_all_torsions   torsion head (1 or 7 angles)
 *   num_recycles      extra passes through trunk + IPA trunk
 *   sequence_pred_type "aa_pred" (MLP head) or "noop" (echo aatypes_t)
 *   aa_pred, bfactor, plddt, pae          heads ({enabled, num_bins} ...) */
#ifndef FRAMEGEN_MODEL_CONFIG_H
#define FRAMEGEN_MODEL_CONFIG_H

#include <stdbool.h>

#include "framegen/block.h"
#include "framegen/features.h"
#include "framegen/model.h"
#include "framegen/status.h"
#include "framegen/trunk.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

enum { FG_SEQ_PRED_AA = 0, FG_SEQ_PRED_NOOP = 1 };

/* A confidence head: Linear(width, num_bins). */
typedef struct fg_head_config {
    bool enabled;
    int num_bins;
} fg_head_config;

/* model.esm_combiner: frozen ESM-2 (its weights come separately: the
 * reference's state_dict does not hold them) and the combiner. Widths come
 * from the weights; these keys are checked against them. */
typedef struct fg_esm_combiner_section {
    bool enabled;
    bool only_single;                     /* no pair branch (attention maps unused) */
    int node_embed_size, edge_embed_size; /* must equal the model widths */
    int esm_proj_single_dim, esm_proj_pair_dim, mlp_proj_hidden_dim;
    char esm_model_key[FG_FIELD_STR_MAX]; /* informational ("esm2_t6_8M_UR50D") */
    char precision[FG_FIELD_STR_MAX];     /* "32" only */
} fg_esm_combiner_section;

struct fg_model_config {
    int c_s, c_z;                          /* node / edge widths */
    fg_node_features_params node;
    fg_edge_features_params edge;
    fg_esm_combiner_section esm;
    fg_trunk_config trunk;                 /* pre-IPA trunk (no stages: none) */
    fg_trunk_config seq_trunk;             /* trunk before the sequence head (no stages: none) */
    const fg_block_type *ipa_type;         /* the "ipa" block type */
    void *ipa_params;                      /* its parameters (owned) */
    int ipa_num_blocks;
    int n_torsions;                        /* 0, 1 (psi) or 7 */
    int num_recycles;
    int sequence_pred_type;                /* FG_SEQ_PRED_* */
    int aa_num_tokens;                     /* 21 */
    fg_head_config bfactor, plddt, pae;
};

/* A trunk with at least one layer. */
bool fg_trunk_config_enabled(const fg_trunk_config *t);

/* Reads a "model" object (path = its key path for messages, e.g. "model"). */
fg_status fg_model_config_read(const struct cJSON *obj, const char *path, fg_model_config *cfg, fg_error *err);
void fg_model_config_free(fg_model_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
