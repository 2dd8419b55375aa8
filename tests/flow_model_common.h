/* Shared body of the flow_model_* parity tests: the case's model config from
 * its hyperparameters, the model from its parameters (every tensor must be
 * used), one forward on the recorded batch, every output compared. */
#ifndef FG_TEST_FLOW_MODEL_COMMON_H
#define FG_TEST_FLOW_MODEL_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/model.h"
#include "framegen/model_config.h"

typedef struct fm_inputs {
    float *res_mask, *diffuse_mask, *so3_t, *r3_t, *cat_t, *trans_t, *rotmats_t, *torsions_t, *trans_sc;
    float *aatypes_sc, *hot_spots, *stoch, *contact;
    int64_t *chain_idx, *res_idx, *aatypes_t, *structure_method;
} fm_inputs;

static int fm_has(fx_case *c, const char *key) { return fg_st_find(c->st, key) != NULL; }

static fg_model_batch fm_batch(fx_case *c, fm_inputs *x)
{
    int64_t sh[8];
    fx_shape(c, "input.trans_t", sh);
    const int B = (int)sh[0], N = (int)sh[1];
    x->res_mask = fx_f32(c, "input.res_mask");
    x->diffuse_mask = fx_f32(c, "input.diffuse_mask");
    x->so3_t = fx_f32(c, "input.so3_t");
    x->r3_t = fx_f32(c, "input.r3_t");
    x->cat_t = fx_f32(c, "input.cat_t");
    x->trans_t = fx_f32(c, "input.trans_t");
    x->rotmats_t = fx_f32(c, "input.rotmats_t");
    x->torsions_t = fx_f32(c, "input.torsions_t");
    x->trans_sc = fx_f32(c, "input.trans_sc");
    x->aatypes_sc = fx_f32(c, "input.aatypes_sc");
    x->hot_spots = fx_f32(c, "input.hot_spots");
    x->chain_idx = fx_i64(c, "input.chain_idx");
    x->res_idx = fx_i64(c, "input.res_idx");
    x->aatypes_t = fx_i64(c, "input.aatypes_t");
    x->structure_method = fx_i64(c, "input.structure_method");
    x->contact = fm_has(c, "input.contact_conditioning") ? fx_f32(c, "input.contact_conditioning") : NULL;
    /* the four (B,) scales interleaved as [B,4]: trans, rots, torsions, aatypes */
    static const char *const kinds[4] = {"input.trans_stochasticity", "input.rotmats_stochasticity",
                                         "input.torsions_stochasticity", "input.aatypes_stochasticity"};
    x->stoch = malloc((size_t)B * 4 * sizeof(float));
    for (int q = 0; q < 4; q++) {
        float *v = fx_f32(c, kinds[q]);
        for (int k = 0; v && k < B; k++)
            x->stoch[k * 4 + q] = v[k];
        free(v);
    }
    fg_model_batch b = {.B = B, .N = N, .res_mask = x->res_mask, .diffuse_mask = x->diffuse_mask,
                        .chain_idx = x->chain_idx, .res_idx = x->res_idx, .so3_t = x->so3_t, .r3_t = x->r3_t,
                        .cat_t = x->cat_t, .trans_t = x->trans_t, .rotmats_t = x->rotmats_t,
                        .torsions_t = x->torsions_t, .aatypes_t = x->aatypes_t, .trans_sc = x->trans_sc,
                        .aatypes_sc = x->aatypes_sc, .structure_method = x->structure_method,
                        .hot_spots = x->hot_spots, .stochasticity = x->stoch, .contact_conditioning = x->contact};
    return b;
}

static void fm_free(fm_inputs *x)
{
    float *f[] = {x->res_mask, x->diffuse_mask, x->so3_t, x->r3_t, x->cat_t, x->trans_t, x->rotmats_t,
                  x->torsions_t, x->trans_sc, x->aatypes_sc, x->hot_spots, x->stoch, x->contact};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(f[i]);
    free(x->chain_idx), free(x->res_idx), free(x->aatypes_t), free(x->structure_method);
}

/* Compares every output the case records; absent heads must be absent here too. */
static void fm_check_outputs(fx_case *c, const fg_model_output *o)
{
    const int64_t BN = (int64_t)o->B * o->N, NN = BN * o->N;
    fx_check(c, "output.pred_trans", o->pred_trans, BN * 3);
    fx_check(c, "output.pred_rotmats", o->pred_rotmats, BN * 9);
    fx_check(c, "output.pred_logits", o->pred_logits, BN * 21);
    fx_check_i64(c, "output.pred_aatypes", o->pred_aatypes, BN);
    fx_check(c, "output.node_embed", o->node_embed, fx_numel(c, "output.node_embed"));
    fx_check(c, "output.edge_embed", o->edge_embed, fx_numel(c, "output.edge_embed"));
    struct { const char *key; const float *got; int64_t rows; } opt[] = {
        {"output.pred_torsions", o->pred_torsions, BN},
        {"output.pred_bfactor", o->pred_bfactor, BN},
        {"output.pred_lddt", o->pred_lddt, BN},
        {"output.pred_pae", o->pred_pae, NN},
        {"output.pred_ptm", o->pred_ptm, o->B},
        {"output.pred_iptm", o->pred_iptm, o->B},
    };
    for (size_t k = 0; k < sizeof opt / sizeof opt[0]; k++) {
        int want = fm_has(c, opt[k].key);
        if (!fx_expect(c, want == (opt[k].got != NULL), "%s %s", opt[k].key, want ? "produced" : "absent"))
            continue;
        if (want)
            fx_check(c, opt[k].key, opt[k].got, fx_numel(c, opt[k].key));
    }
}

/* esm_case: the case whose parameters are the ESM-2 weights, or NULL. */
static int fm_run(const char *case_name, const char *esm_case)
{
    fx_case c, e;
    if (fx_open(&c, case_name) != 0)
        return 1;
    fg_model_config mc;
    fg_error err = {0};
    const cJSON *mj = cJSON_GetObjectItemCaseSensitive(fx_hparams(&c), "model");
    fg_weights *w = fx_params(&c), *esm_w = NULL;
    if (esm_case) {
        if (fx_open(&e, esm_case) != 0)
            return 1;
        esm_w = fx_params(&e);
        fx_expect(&c, esm_w != NULL, "ESM-2 weights from case %s", esm_case);
    }
    if (!w || (esm_case && !esm_w) ||
        !fx_expect(&c, fg_model_config_read(mj, "model", &mc, &err) == FG_OK,
                   "model config from the case's hyperparameters %s", err.msg)) {
        if (esm_case)
            fx_close(&e);
        return fx_finish(&c);
    }
    fg_model_params mp = fg_model_default_params();
    mp.esm_weights = esm_w;
    fg_model *m = NULL;
    if (fx_expect(&c, fg_model_create(&mc, w, &mp, &m, &err) == FG_OK,
                  "model built; every checkpoint tensor used %s", m ? "" : err.msg)) {
        fm_inputs x;
        fg_model_batch b = fm_batch(&c, &x);
        fg_model_output o;
        if (fx_expect(&c, fg_model_forward(m, &b, &o, &err) == FG_OK, "forward %s", err.msg))
            fm_check_outputs(&c, &o);
        fm_free(&x);
    }
    fg_model_destroy(m);
    fg_model_config_free(&mc);
    if (esm_case)
        fx_close(&e);
    return fx_finish(&c);
}

#endif
