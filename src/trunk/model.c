/* Building the flow model from its config and weights; buffers; accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

fg_model_params fg_model_default_params(void)
{
    fg_model_params p;
    memset(&p, 0, sizeof p);
    p.max_length = 2048;
    return p;
}

void fg_model_bufs_free(fg_model_bufs *b)
{
    float *f[] = {b->s, b->z, b->init_s, b->init_z, b->edge_mask, b->update_mask, b->contact_zero, b->rots,
                  b->trans, b->quats, b->pred_trans, b->torsions, b->logits, b->bfactor, b->lddt, b->pae,
                  b->ptm, b->iptm};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(f[i]);
    free(b->aatypes);
    memset(b, 0, sizeof *b);
}

fg_status fg_model_bufs_reserve(fg_model *m, int B, int N, fg_error *err)
{
    fg_model_bufs *b = &m->buf;
    if (B <= b->B && N <= b->N && b->s)
        return FG_OK;
    fg_model_bufs_free(b);
    const fg_model_config *c = &m->cfg;
    size_t bn = (size_t)B * N, bnn = bn * (size_t)N;
    b->s = malloc(bn * c->c_s * sizeof(float));
    b->z = malloc(bnn * c->c_z * sizeof(float));
    if (m->keep_init) {
        b->init_s = malloc(bn * c->c_s * sizeof(float));
        b->init_z = malloc(bnn * c->c_z * sizeof(float));
    }
    b->edge_mask = malloc(bnn * sizeof(float));
    b->update_mask = malloc(bn * sizeof(float));
    if (c->edge.contact_conditioning.enabled)
        b->contact_zero = calloc(bnn, sizeof(float));
    b->rots = malloc(bn * 9 * sizeof(float));
    b->trans = malloc(bn * 3 * sizeof(float));
    b->quats = malloc(bn * 4 * sizeof(float));
    b->pred_trans = malloc(bn * 3 * sizeof(float));
    if (c->n_torsions)
        b->torsions = malloc(bn * c->n_torsions * 2 * sizeof(float));
    b->logits = malloc(bn * FG_AA_TOKENS * sizeof(float));
    b->aatypes = malloc(bn * sizeof(int64_t));
    if (c->bfactor.enabled)
        b->bfactor = malloc(bn * c->bfactor.num_bins * sizeof(float));
    if (c->plddt.enabled)
        b->lddt = malloc(bn * c->plddt.num_bins * sizeof(float));
    if (c->pae.enabled) {
        b->pae = malloc(bnn * c->pae.num_bins * sizeof(float));
        b->ptm = malloc((size_t)B * sizeof(float));
        b->iptm = malloc((size_t)B * sizeof(float));
    }
    bool ok = b->s && b->z && (!m->keep_init || (b->init_s && b->init_z)) && b->edge_mask && b->update_mask &&
              (!c->edge.contact_conditioning.enabled || b->contact_zero) && b->rots && b->trans && b->quats &&
              b->pred_trans && (!c->n_torsions || b->torsions) && b->logits && b->aatypes &&
              (!c->bfactor.enabled || b->bfactor) && (!c->plddt.enabled || b->lddt) &&
              (!c->pae.enabled || (b->pae && b->ptm && b->iptm));
    if (!ok) {
        fg_model_bufs_free(b);
        return fg_error_set(err, FG_ERR_NOMEM, "model: out of memory for B=%d N=%d", B, N);
    }
    b->B = B, b->N = N;
    return FG_OK;
}

static fg_status check_supported(const fg_model_config *c, const fg_model_params *p, fg_error *err)
{
    if (c->aa_num_tokens != FG_AA_TOKENS)
        return fg_error_set(err, FG_ERR_UNSUPPORTED, "model.aa_pred.aatype_pred_num_tokens: only %d is supported",
                            FG_AA_TOKENS);
    if (c->esm.enabled && !p->esm_weights)
        return fg_error_set(err, FG_ERR_CONFIG, "model.esm_combiner is enabled but no ESM-2 weights were given "
                                                "(config key esm_weights, or --esm-weights)");
    return FG_OK;
}

static bool averages_init(const fg_trunk_config *t)
{
    return fg_trunk_config_enabled(t) && (t->pre_add_init_embed || t->post_add_init_embed);
}

/* Every tensor of the file must belong to the model unless the caller allows extras. */
static fg_status check_unused(const fg_model *m, const fg_weights *w, fg_error *err)
{
    size_t n = 0, first = 0;
    for (size_t i = 0; i < fg_weights_count(w); i++)
        if (!fg_weights_used_at(w, i) && n++ == 0)
            first = i;
    if (!n)
        return FG_OK;
    if (m->params.allow_unused) {
        fg_log(&m->params.log, FG_LOG_WARN, "%s: %zu tensors not used by the model (first: %s)",
               fg_weights_source(w), n, fg_weights_name_at(w, first));
        return FG_OK;
    }
    return fg_error_set(err, FG_ERR_SHAPE, "%s: unexpected tensor '%s'%s (not part of this model's config)",
                        fg_weights_source(w), fg_weights_name_at(w, first),
                        n > 1 ? " and more; run framegen info --config to list them" : "");
}

static fg_status copy_config(fg_model *m, const fg_model_config *cfg, fg_error *err)
{
    m->cfg = *cfg;
    m->cfg.ipa_params = NULL;
    memset(&m->cfg.trunk, 0, sizeof m->cfg.trunk); /* the trunks keep what they need */
    memset(&m->cfg.seq_trunk, 0, sizeof m->cfg.seq_trunk);
    m->keep_init = averages_init(&cfg->trunk) || averages_init(&cfg->seq_trunk);
    if (!cfg->ipa_type || !cfg->ipa_params)
        return fg_error_set(err, FG_ERR_CONFIG, "model: the config has no IPA trunk");
    m->cfg.ipa_params = malloc(cfg->ipa_type->params_size);
    if (!m->cfg.ipa_params)
        return fg_error_set(err, FG_ERR_NOMEM, "model: out of memory");
    memcpy(m->cfg.ipa_params, cfg->ipa_params, cfg->ipa_type->params_size);
    return FG_OK;
}

/* Frozen ESM-2, its token cache and the combiner; the combiner's branches must match the config. */
static fg_status build_esm(fg_model *m, fg_weights *w, fg_error *err)
{
    fg_status st = fg_esm_create(m->params.esm_weights, NULL, &m->esm, err);
    if (st == FG_OK)
        st = fg_esm_cache_create(m->esm, &m->esm_cache, err);
    if (st == FG_OK)
        st = fg_esm_combiner_create(w, "esm_combiner.", m->cfg.c_z, m->esm, &m->combiner, err);
    if (st != FG_OK) {
        fg_error_prefix(err, "model.esm_combiner");
        return st;
    }
    const fg_esm_combiner_config *cc = fg_esm_combiner_get_config(m->combiner);
    if (cc->only_single != m->cfg.esm.only_single)
        return fg_error_set(err, FG_ERR_SHAPE, "model.esm_combiner.only_single is %s but the weights %s a pair branch",
                            m->cfg.esm.only_single ? "true" : "false", cc->only_single ? "lack" : "have");
    if (m->cfg.esm.mlp_proj_hidden_dim && cc->hidden != m->cfg.esm.mlp_proj_hidden_dim)
        return fg_error_set(err, FG_ERR_SHAPE, "model.esm_combiner.mlp_proj_hidden_dim is %d but the weights have %d",
                            m->cfg.esm.mlp_proj_hidden_dim, cc->hidden);
    return FG_OK;
}

static fg_status build(fg_model *m, const fg_model_config *cfg, fg_weights *w, fg_error *err)
{
    const fg_model_config *c = &m->cfg;
    fg_block_dims dims = {c->c_s, c->c_z};
    fg_status st = fg_node_features_create(&c->node, w, "node_feature_net.", &m->node, err);
    if (st == FG_OK)
        st = fg_edge_features_create(&c->edge, w, "edge_feature_net.", &m->edge, err);
    if (st == FG_OK && c->esm.enabled)
        st = build_esm(m, w, err);
    if (st == FG_OK && fg_trunk_config_enabled(&cfg->trunk))
        st = fg_trunk_create(&cfg->trunk, &dims, w, "trunk.", &m->trunk, err);
    if (st == FG_OK)
        st = fg_ipa_trunk_create(c->ipa_params, &dims, w, "ipa_trunk.", c->ipa_num_blocks, c->n_torsions, &m->ipa,
                                 err);
    if (st == FG_OK && fg_trunk_config_enabled(&cfg->seq_trunk))
        st = fg_trunk_create(&cfg->seq_trunk, &dims, w, "seq_trunk.", &m->seq_trunk, err);
    if (st == FG_OK)
        st = fg_heads_init(&m->heads, c, w, err);
    return st;
}

fg_status fg_model_create(const fg_model_config *cfg, fg_weights *w, const fg_model_params *params,
                          fg_model **out, fg_error *err)
{
    *out = NULL;
    fg_model_params p = params ? *params : fg_model_default_params();
    fg_status st = check_supported(cfg, &p, err);
    if (st != FG_OK)
        return st;
    fg_model *m = calloc(1, sizeof *m);
    if (!m)
        return fg_error_set(err, FG_ERR_NOMEM, "model: out of memory");
    m->params = p;
    fg_arena_init(&m->scratch, 8u << 20);
    fg_weights_clear_used(w);
    st = copy_config(m, cfg, err);
    if (st == FG_OK)
        st = build(m, cfg, w, err);
    if (st == FG_OK)
        st = check_unused(m, w, err);
    if (st != FG_OK) {
        fg_model_destroy(m);
        return st;
    }
    *out = m;
    return FG_OK;
}

void fg_model_destroy(fg_model *m)
{
    if (!m)
        return;
    fg_node_features_destroy(m->node);
    fg_edge_features_destroy(m->edge);
    fg_esm_combiner_destroy(m->combiner);
    fg_esm_cache_destroy(m->esm_cache);
    fg_esm_destroy(m->esm);
    fg_trunk_destroy(m->trunk);
    fg_ipa_trunk_destroy(m->ipa);
    fg_trunk_destroy(m->seq_trunk);
    fg_model_bufs_free(&m->buf);
    fg_arena_free(&m->scratch);
    free(m->cfg.ipa_params);
    free(m);
}

int fg_model_c_s(const fg_model *m) { return m->cfg.c_s; }
int fg_model_c_z(const fg_model *m) { return m->cfg.c_z; }
int fg_model_n_torsions(const fg_model *m) { return m->cfg.n_torsions; }
size_t fg_model_scratch_peak(const fg_model *m) { return m->scratch.peak; }

double fg_model_flops(const fg_model *m, int B, int N)
{
    double f = fg_node_features_flops(m->node, B, N) + fg_edge_features_flops(m->edge, B, N);
    double pass = fg_ipa_trunk_flops(m->ipa, B, N) + (m->trunk ? fg_trunk_flops(m->trunk, B, N) : 0.0);
    f += (m->cfg.num_recycles + 1) * pass + (m->seq_trunk ? fg_trunk_flops(m->seq_trunk, B, N) : 0.0);
    return f + fg_heads_flops(&m->heads, B, N);
}
