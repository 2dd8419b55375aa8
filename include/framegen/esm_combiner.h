/* cogeneration's ESMCombinerNetwork: enriches node (and edge) features with
 * frozen-ESM representations.
 *   node = LN(0.5 (MLP_s(sum_k softmax(w)_k single[:, :, k]) + init_node)) * res_mask
 *   edge = LN(0.5 (MLP_p(pair) + init_edge)) * res_mask_i res_mask_j   (with pair)
 *        = init_edge * res_mask_i res_mask_j                            (only_single)
 * MLP = LayerNorm, Linear, exact GELU, Linear. Sizes come from the weights;
 * the pair branch exists when its weights do (pair_proj.*). */
#ifndef FRAMEGEN_ESM_COMBINER_H
#define FRAMEGEN_ESM_COMBINER_H

#include <stdbool.h>

#include "framegen/esm.h"
#include "framegen/esm_cache.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_esm_combiner_config {
    int n_reps;        /* ESM layers + 1 mixed (esm_single_combine) */
    int d_esm;         /* ESM width */
    int hidden;        /* mlp_proj_hidden_dim */
    int node_dim;      /* node_embed_size (= esm_proj_single_dim) */
    bool only_single;  /* no pair branch */
    int pair_channels; /* ESM layers * heads (0 when only_single) */
    int edge_dim;      /* edge_embed_size */
} fg_esm_combiner_config;

typedef struct fg_esm_combiner fg_esm_combiner;

/* prefix: e.g. "esm_combiner." inside a FlowModel state_dict, "" for the
 * module alone. edge_dim: the edge feature width (edge_embed_size), which
 * only_single weights do not carry; checked against the pair branch otherwise.
 * esm (may be NULL) is checked against the sizes. */
fg_status fg_esm_combiner_create(fg_weights *w, const char *prefix, int edge_dim, const fg_esm *esm,
                                 fg_esm_combiner **out, fg_error *err);
void fg_esm_combiner_destroy(fg_esm_combiner *c);
const fg_esm_combiner_config *fg_esm_combiner_get_config(const fg_esm_combiner *c);

/* single [B, N, n_reps, d_esm]; pair [B, N, N, pair_channels] (ignored when
 * only_single); init_node [B, N, node_dim], init_edge [B, N, N, edge_dim];
 * node_out, edge_out may be the init buffers (updated in place). */
fg_status fg_esm_combiner_forward(fg_esm_combiner *c, int B, int N, const float *single,
                                  const float *pair, const float *init_node, const float *init_edge,
                                  const float *res_mask, float *node_out, float *edge_out,
                                  fg_error *err);

/* Frozen ESM through the cache (recomputed only where the tokens changed),
 * then the combiner: what the model calls once per sampler step. */
fg_status fg_esm_combiner_enrich(fg_esm_combiner *c, fg_esm_cache *cache, int B, int N,
                                 const int64_t *aatypes, const int64_t *chain_idx,
                                 const float *res_mask, const float *init_node,
                                 const float *init_edge, float *node_out, float *edge_out,
                                 fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
