/* ESM combiner parity, cases esm_combiner_single (only_single) and
 * esm_combiner_pair, with the frozen ESM of case esm; once with the frozen
 * outputs passed in, once through the cache (fg_esm_combiner_enrich) and in place. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/esm.h"
#include "framegen/esm_cache.h"
#include "framegen/esm_combiner.h"
#include "framegen/esm_frozen.h"

static int run_case(const char *name, fg_esm *esm)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    fg_error err;
    fg_esm_combiner *comb = NULL;
    fg_weights *w = fx_params(&c);
    int edge_dim = (int)fx_hp_num(&c, "edge_embed_size", 0);
    if (!w || !fx_expect(&c, fg_esm_combiner_create(w, "", edge_dim, esm, &comb, &err) == FG_OK, "create")) {
        printf("  %s\n", w ? err.msg : "");
        return fx_finish(&c);
    }
    fg_esm_combiner *bad = NULL;
    if (!fx_hp_bool(&c, "only_single", 1))
        fx_expect(&c, fg_esm_combiner_create(w, "", edge_dim + 1, esm, &bad, &err) == FG_ERR_SHAPE,
                  "wrong edge width rejected: %s", err.msg);
    fx_expect(&c, fg_esm_combiner_create(w, "esm_combiner.", edge_dim, esm, &bad, &err) == FG_ERR_SHAPE,
              "missing tensors named: %s", err.msg);
    const fg_esm_combiner_config *k = fg_esm_combiner_get_config(comb);
    fx_expect(&c, k->only_single == fx_hp_bool(&c, "only_single", 0) &&
                      k->node_dim == (int)fx_hp_num(&c, "node_embed_size", 0) &&
                      k->hidden == (int)fx_hp_num(&c, "mlp_proj_hidden_dim", 0),
              "config from weights: only_single %d, node %d, hidden %d, pair channels %d",
              k->only_single, k->node_dim, k->hidden, k->pair_channels);
    int64_t shape[4];
    fx_shape(&c, "input.aatypes_t", shape);
    int B = (int)shape[0], N = (int)shape[1];
    int64_t *aa = fx_i64(&c, "input.aatypes_t"), *ch = fx_i64(&c, "input.chain_index");
    float *mask = fx_f32(&c, "input.res_mask"), *node0 = fx_f32(&c, "input.init_node_embed");
    float *edge0 = fx_f32(&c, "input.init_edge_embed");
    int64_t nn = fx_numel(&c, "input.init_node_embed"), ne = fx_numel(&c, "input.init_edge_embed");
    fg_frozen_esm_out f = {malloc(sizeof(float) * (size_t)(B * fg_frozen_esm_single_size(esm, N))),
                           k->only_single ? NULL
                                          : malloc(sizeof(float) * (size_t)(B * fg_frozen_esm_pair_size(esm, N))),
                           NULL};
    float *node = malloc(sizeof(float) * (size_t)nn), *edge = malloc(sizeof(float) * (size_t)ne);
    if (fx_expect(&c, fg_frozen_esm_forward(esm, B, N, aa, ch, mask, &f, &err) == FG_OK, "frozen esm") &&
        fx_expect(&c, fg_esm_combiner_forward(comb, B, N, f.single, f.pair, node0, edge0, mask, node,
                                              edge, &err) == FG_OK, "combiner")) {
        fx_check(&c, "output.node_embed", node, nn);
        fx_check(&c, "output.edge_embed", edge, ne);
    }
    fg_esm_cache *cache = NULL;
    if (fx_expect(&c, fg_esm_cache_create(esm, &cache, &err) == FG_OK &&
                          fg_esm_combiner_enrich(comb, cache, B, N, aa, ch, mask, node0, edge0, node0,
                                                 edge0, &err) == FG_OK,
                  "through the cache, in place")) {
        fx_check(&c, "output.node_embed", node0, nn);
        fx_check(&c, "output.edge_embed", edge0, ne);
    }
    fg_esm_cache_destroy(cache);
    free(f.single), free(f.pair), free(node), free(edge);
    free(aa), free(ch), free(mask), free(node0), free(edge0);
    fg_esm_combiner_destroy(comb);
    return fx_finish(&c);
}

/* The FlowModel preset with the ESM combiner (flow_model_default_pairformer_esm):
 * its combiner loads under "esm_combiner." against the ESM of case esm and
 * enriches that case's inputs (no reference for this intermediate: the full
 * model's parity belongs to the model's tests). */
static int preset_loads(fg_esm *esm)
{
    fx_case c;
    if (fx_open(&c, "flow_model_default_pairformer_esm") != 0)
        return 1;
    fg_error err;
    fg_esm_combiner *comb = NULL;
    fg_esm_cache *cache = NULL;
    fg_weights *w = fx_params(&c);
    int edge_dim = (int)fx_hp_num(&c, "model.hyper_params.edge_embed_size", 0);
    int node_dim = (int)fx_hp_num(&c, "model.hyper_params.node_embed_size", 0);
    if (fx_expect(&c, w && fg_esm_combiner_create(w, "esm_combiner.", edge_dim, esm, &comb, &err) == FG_OK &&
                          fg_esm_cache_create(esm, &cache, &err) == FG_OK, "combiner of the preset loads") &&
        fx_expect(&c, fg_esm_combiner_get_config(comb)->only_single ==
                          fx_hp_bool(&c, "model.esm_combiner.only_single", 0) &&
                          fg_esm_combiner_get_config(comb)->node_dim == node_dim, "sizes as the preset's")) {
        int64_t shape[2];
        fx_shape(&c, "input.aatypes_t", shape);
        int B = (int)shape[0], N = (int)shape[1];
        int64_t *aa = fx_i64(&c, "input.aatypes_t"), *ch = fx_i64(&c, "input.chain_idx");
        float *mask = fx_f32(&c, "input.res_mask");
        float *node = calloc((size_t)(B * N * node_dim), sizeof(float));
        float *edge = calloc((size_t)(B * N * N * edge_dim), sizeof(float));
        int finite = fg_esm_combiner_enrich(comb, cache, B, N, aa, ch, mask, node, edge, node, edge, &err) == FG_OK;
        for (int64_t i = 0; finite && i < (int64_t)B * N * node_dim; i++)
            finite = isfinite(node[i]) && (mask[i / node_dim] != 0.0f || node[i] == 0.0f);
        fx_expect(&c, finite, "enrich on the case's inputs: finite, zero at padding");
        free(aa), free(ch), free(mask), free(node), free(edge);
    }
    fg_esm_cache_destroy(cache);
    fg_esm_combiner_destroy(comb);
    return fx_finish(&c);
}

int main(void)
{
    fx_case ce;
    if (fx_open(&ce, "esm") != 0)
        return 1;
    fg_esm *esm = NULL;
    fg_error err;
    if (!fx_params(&ce) || fg_esm_create(fx_params(&ce), NULL, &esm, &err) != FG_OK) {
        printf("FAIL esm weights\n");
        return 1;
    }
    int rc = run_case("esm_combiner_single", esm);
    rc |= run_case("esm_combiner_pair", esm);
    rc |= preset_loads(esm);
    fg_esm_destroy(esm);
    fx_close(&ce);
    return rc;
}
