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
 *   trunk, seq_trunk  {attn_type, num_layers, pre/post flags}: the optional
 *                     trunk before the IPA trunk and the one before the
 *                     sequence head; attn_type names a block type
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

struct fg_model_config {
    int c_s, c_z;                          /* node / edge widths */
    fg_node_features_params node;
    fg_edge_features_params edge;
    bool esm_enabled;                      /* esm_combiner.enabled (pending the combiner) */
    bool trunk_enabled;                    /* pre-IPA trunk (pending the trunk wrapper) */
    bool seq_trunk_enabled;                /* trunk before the sequence head (pending) */
    const fg_block_type *ipa_type;         /* the "ipa" block type */
    void *ipa_params;                      /* its parameters (owned) */
    int ipa_num_blocks;
    int n_torsions;                        /* 0, 1 (psi) or 7 */
    int num_recycles;
    int sequence_pred_type;                /* FG_SEQ_PRED_* */
    int aa_num_tokens;                     /* 21 */
    fg_head_config bfactor, plddt, pae;
};

/* Reads a "model" object (path = its key path for messages, e.g. "model"). */
fg_status fg_model_config_read(const struct cJSON *obj, const char *path, fg_model_config *cfg, fg_error *err);
void fg_model_config_free(fg_model_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
