/* ESM-2 construction: size from the tensors, tensors bound by name. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esm_internal.h"

/* Looks up a tensor of the given shape (d1 = 0 for 1-D); NULL and err set on failure. */
static const float *get(fg_weights *w, const esm_naming *nm, esm_tensor t, int layer, int64_t d0,
                        int64_t d1, fg_error *err)
{
    char name[512];
    esm_tensor_name(nm, t, layer, name, sizeof name);
    int64_t shape[2] = {d0, d1};
    return fg_weights_get(w, name, d1 ? 2 : 1, shape, err);
}

static fg_status bind_layer(fg_esm *m, fg_weights *w, const esm_naming *nm, int l, fg_error *err)
{
    const fg_esm_config *c = &m->cfg;
    int64_t d = c->d_model, f = c->d_ffn;
    esm_layer *ly = &m->layers[l];
    if (!(ly->ln1_g = get(w, nm, ESM_LN1_G, l, d, 0, err)) ||
        !(ly->ln1_b = get(w, nm, ESM_LN1_B, l, d, 0, err)) ||
        !(ly->wq = get(w, nm, ESM_WQ, l, d, d, err)) || !(ly->bq = get(w, nm, ESM_BQ, l, d, 0, err)) ||
        !(ly->wk = get(w, nm, ESM_WK, l, d, d, err)) || !(ly->bk = get(w, nm, ESM_BK, l, d, 0, err)) ||
        !(ly->wv = get(w, nm, ESM_WV, l, d, d, err)) || !(ly->bv = get(w, nm, ESM_BV, l, d, 0, err)) ||
        !(ly->wo = get(w, nm, ESM_WO, l, d, d, err)) || !(ly->bo = get(w, nm, ESM_BO, l, d, 0, err)) ||
        !(ly->ln2_g = get(w, nm, ESM_LN2_G, l, d, 0, err)) ||
        !(ly->ln2_b = get(w, nm, ESM_LN2_B, l, d, 0, err)) ||
        !(ly->w1 = get(w, nm, ESM_W1, l, f, d, err)) || !(ly->b1 = get(w, nm, ESM_B1, l, f, 0, err)) ||
        !(ly->w2 = get(w, nm, ESM_W2, l, d, f, err)) || !(ly->b2 = get(w, nm, ESM_B2, l, d, 0, err)))
        return err ? err->status : FG_ERR_SHAPE;
    char name[512];
    esm_tensor_name(nm, ESM_INV_FREQ, l, name, sizeof name);
    if (fg_weights_has(w, name)) {
        if (!(ly->inv_freq = get(w, nm, ESM_INV_FREQ, l, c->head_dim / 2, 0, err)))
            return err ? err->status : FG_ERR_SHAPE;
    } else {
        ly->inv_freq = m->inv_freq_own;
    }
    return FG_OK;
}

static fg_status bind_head(fg_esm *m, fg_weights *w, const esm_naming *nm, fg_error *err)
{
    const fg_esm_config *c = &m->cfg;
    int64_t d = c->d_model;
    if (!(m->embed = get(w, nm, ESM_EMBED, 0, c->vocab, d, err)) ||
        !(m->lnf_g = get(w, nm, ESM_LNF_G, 0, d, 0, err)) || !(m->lnf_b = get(w, nm, ESM_LNF_B, 0, d, 0, err)))
        return err ? err->status : FG_ERR_SHAPE;
    if (!c->has_lm_head)
        return FG_OK;
    if (!(m->lm_dense_w = get(w, nm, ESM_LM_DENSE_W, 0, d, d, err)) ||
        !(m->lm_dense_b = get(w, nm, ESM_LM_DENSE_B, 0, d, 0, err)) ||
        !(m->lm_ln_g = get(w, nm, ESM_LM_LN_G, 0, d, 0, err)) ||
        !(m->lm_ln_b = get(w, nm, ESM_LM_LN_B, 0, d, 0, err)) ||
        !(m->lm_b = get(w, nm, ESM_LM_B, 0, c->vocab, 0, err)))
        return err ? err->status : FG_ERR_SHAPE;
    /* The decoder is tied to the embedding; saved files often drop the copy. */
    char name[512];
    esm_tensor_name(nm, ESM_LM_W, 0, name, sizeof name);
    m->lm_w = fg_weights_has(w, name) ? get(w, nm, ESM_LM_W, 0, c->vocab, d, err) : m->embed;
    return m->lm_w ? FG_OK : (err ? err->status : FG_ERR_SHAPE);
}

/* inv_freq = 1 / 10000^(2i / head_dim) in float, as the rotary module computes it. */
static void default_inv_freq(float *f, int head_dim)
{
    for (int i = 0; i < head_dim / 2; i++)
        f[i] = 1.0f / powf(10000.0f, (float)(2 * i) / (float)head_dim);
}

fg_status fg_esm_create(fg_weights *w, const fg_esm_options *opt, fg_esm **out, fg_error *err)
{
    *out = NULL;
    fg_esm *m = calloc(1, sizeof *m);
    if (!m)
        return fg_error_set(err, FG_ERR_NOMEM, "esm: out of memory");
    esm_naming nm;
    fg_status st = esm_config_derive(esm_weights_shape, w, opt, &m->cfg, &nm, err);
    if (st == FG_OK) {
        m->layers = calloc((size_t)m->cfg.n_layers + 1, sizeof *m->layers);
        m->inv_freq_own = malloc((size_t)m->cfg.head_dim / 2 * sizeof(float));
        if (!m->layers || !m->inv_freq_own)
            st = fg_error_set(err, FG_ERR_NOMEM, "esm: out of memory");
    }
    if (st == FG_OK) {
        default_inv_freq(m->inv_freq_own, m->cfg.head_dim);
        st = bind_head(m, w, &nm, err);
    }
    for (int l = 0; st == FG_OK && l < m->cfg.n_layers; l++)
        st = bind_layer(m, w, &nm, l, err);
    if (st != FG_OK) {
        fg_esm_destroy(m);
        return st;
    }
    fg_arena_init(&m->arena, (size_t)1 << 22);
    *out = m;
    return FG_OK;
}

void fg_esm_destroy(fg_esm *m)
{
    if (!m)
        return;
    free(m->layers);
    free(m->inv_freq_own);
    fg_arena_free(&m->arena);
    free(m);
}

const fg_esm_config *fg_esm_get_config(const fg_esm *m) { return &m->cfg; }
