/* The tensors of a config, found by building the model on a synthesising
 * weight store: random weights for any config, and the expected state dict
 * that `framegen info --config` compares a file against. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/esm.h"
#include "framegen/model.h"
#include "framegen/model_config.h"
#include "framegen/rng.h"
#include "framegen/safetensors.h"

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598037103934665ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

typedef struct init_ctx {
    uint64_t seed;
    char deny[2][128]; /* names starting with these are not claimed ("" = none) */
    const char *only; /* if set, only names starting with it (or "emb_layer_norm_after.") are claimed */
} init_ctx;

static void fill_random(const char *name, int ndim, const int64_t *shape, float *data, void *user)
{
    const init_ctx *c = user;
    fg_rng r;
    fg_rng_init(&r, c->seed, name_hash(name));
    int64_t n = fg_shape_numel(ndim, shape);
    double mean = 0.0, sd;
    if (ndim >= 2) {
        int64_t fan_in = fg_shape_numel(ndim - 1, shape + 1);
        sd = strstr(name, "embedding") ? 1.0 : 1.0 / sqrt((double)(fan_in ? fan_in : 1));
    } else if (ends_with(name, "bias")) {
        sd = 0.1;
    } else if (ends_with(name, "weight")) { /* LayerNorm gains */
        mean = 1.0, sd = 0.1;
    } else {
        sd = 0.5;
    }
    for (int64_t i = 0; i < n; i++)
        data[i] = (float)(mean + sd * fg_rng_normal(&r));
}

static bool claim_all_but(const char *name, void *user)
{
    const init_ctx *c = user;
    if (c->only)
        return !strncmp(name, c->only, strlen(c->only)) || !strncmp(name, "emb_layer_norm_after.", 21);
    for (int k = 0; k < 2; k++)
        if (c->deny[k][0] && !strncmp(name, c->deny[k], strlen(c->deny[k])))
            return false;
    return true;
}

/* Adds a random tensor to a store before it is built on (sizes a part derives from its weights). */
static fg_status seed_tensor(fg_weights *w, const init_ctx *c, const char *name, int ndim, const int64_t *shape,
                             fg_error *err)
{
    size_t n = (size_t)fg_shape_numel(ndim, shape);
    float *data = malloc((n ? n : 1) * sizeof *data);
    if (!data)
        return fg_error_set(err, FG_ERR_NOMEM, "out of memory for '%s'", name);
    fill_random(name, ndim, shape, data, (void *)c);
    fg_status st = fg_weights_add(w, name, ndim, shape, data, err);
    free(data);
    return st;
}

/* The tensors of w (all of them) into a safetensors file. */
static fg_status write_store(fg_weights *w, uint64_t seed, const char *path, fg_error *err)
{
    size_t n = fg_weights_count(w);
    fg_st_entry *e = calloc(n ? n : 1, sizeof *e);
    fg_status st = e ? FG_OK : fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; st == FG_OK && i < n; i++) {
        fg_tensor t;
        st = fg_weights_find(w, fg_weights_name_at(w, i), &t, err);
        e[i].name = fg_weights_name_at(w, i);
        e[i].dtype = FG_F32;
        e[i].ndim = t.ndim;
        memcpy(e[i].shape, t.shape, sizeof e[i].shape);
        e[i].data = t.data;
    }
    char seed_s[32];
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    const char *meta[] = {"generator", "framegen init-weights", "seed", seed_s};
    if (st == FG_OK)
        st = fg_st_write(path, e, n, meta, 2, err);
    free(e);
    return st;
}

static void fill_zero(const char *name, int ndim, const int64_t *shape, float *data, void *user)
{
    (void)name, (void)ndim, (void)shape, (void)data, (void)user; /* the store hands out zeros */
}

static bool claim_present(const char *name, void *user) { return fg_weights_has((const fg_weights *)user, name); }

/* Builds the model on a synthesising store w (every lookup succeeds). */
static fg_status build_on(const fg_model_config *cfg, fg_weights *esm, fg_weights *w, fg_weights_fill_fn fill,
                          fg_weights_claim_fn claims, void *user, fg_error *err)
{
    fg_weights_set_synth(w, fill, claims, user);
    fg_model_params mp = fg_model_default_params();
    mp.esm_weights = esm;
    fg_model *m = NULL;
    fg_status st = fg_model_create(cfg, w, &mp, &m, err);
    fg_model_destroy(m);
    fg_weights_set_synth(w, NULL, NULL, NULL);
    return st;
}

/* The combiner sizes itself from three tensors: give them the config's / the ESM's sizes. */
static fg_status seed_combiner(fg_weights *w, const init_ctx *c, const fg_model_config *cfg, fg_weights *esm_w,
                               fg_error *err)
{
    fg_esm *esm;
    fg_status st = fg_esm_create(esm_w, NULL, &esm, err);
    if (st != FG_OK)
        return st;
    const fg_esm_config *ec = fg_esm_get_config(esm);
    int64_t hidden = cfg->esm.mlp_proj_hidden_dim ? cfg->esm.mlp_proj_hidden_dim : cfg->c_s;
    int64_t reps[1] = {ec->n_layers + 1}, p1[2] = {hidden, ec->d_model}, p3[2] = {cfg->c_s, hidden};
    int64_t q1[2] = {hidden, (int64_t)ec->n_layers * ec->n_heads}, q3[2] = {cfg->c_z, hidden};
    fg_esm_destroy(esm);
    st = seed_tensor(w, c, "esm_combiner.esm_single_combine", 1, reps, err);
    if (st == FG_OK)
        st = seed_tensor(w, c, "esm_combiner.seq_proj.1.weight", 2, p1, err);
    if (st == FG_OK)
        st = seed_tensor(w, c, "esm_combiner.seq_proj.3.weight", 2, p3, err);
    if (st == FG_OK && !cfg->esm.only_single)
        st = seed_tensor(w, c, "esm_combiner.pair_proj.1.weight", 2, q1, err);
    if (st == FG_OK && !cfg->esm.only_single)
        st = seed_tensor(w, c, "esm_combiner.pair_proj.3.weight", 2, q3, err);
    return st;
}

fg_status fg_model_init_weights_esm(const fg_model_config *cfg, fg_weights *esm_weights, uint64_t seed,
                                    const char *path, fg_error *err)
{
    init_ctx c = {seed, {"", ""}, NULL};
    if (!fg_trunk_config_enabled(&cfg->seq_trunk) && cfg->ipa_num_blocks > 0) /* the reference skips the final edge update */
        snprintf(c.deny[0], sizeof c.deny[0], "ipa_trunk.trunk.edge_transition_%d.", cfg->ipa_num_blocks - 1);
    if (cfg->esm.only_single) /* no attention-map branch */
        snprintf(c.deny[1], sizeof c.deny[1], "esm_combiner.pair_");
    if (cfg->esm.enabled && !esm_weights)
        return fg_error_set(err, FG_ERR_CONFIG, "model.esm_combiner is enabled: random weights need the ESM-2 "
                                                "weights it will run with (their sizes set the combiner's)");
    fg_weights *w;
    fg_status st = fg_weights_create(&w, err);
    if (st == FG_OK && cfg->esm.enabled)
        st = seed_combiner(w, &c, cfg, esm_weights, err);
    if (st == FG_OK)
        st = build_on(cfg, esm_weights, w, fill_random, claim_all_but, &c, err);
    if (st == FG_OK)
        st = write_store(w, seed, path, err);
    fg_weights_free(w);
    return st;
}

fg_status fg_model_init_weights(const fg_model_config *cfg, uint64_t seed, const char *path, fg_error *err)
{
    return fg_model_init_weights_esm(cfg, NULL, seed, path, err);
}

fg_status fg_esm_init_weights(int n_layers, int d_model, int n_heads, uint64_t seed, const char *path,
                              fg_error *err)
{
    if (n_layers < 1 || d_model < 2 || n_heads < 1 || d_model % n_heads || (d_model / n_heads) % 2)
        return fg_error_set(err, FG_ERR_INVALID, "random ESM-2: %d layers, width %d, %d heads is not a valid shape",
                            n_layers, d_model, n_heads);
    init_ctx c = {seed, {"", ""}, "layers."};
    fg_weights *w;
    fg_status st = fg_weights_create(&w, err);
    const int hd = d_model / n_heads;
    float *inv = malloc((size_t)hd / 2 * sizeof *inv); /* rotary frequencies 1 / 10000^(2i/hd) */
    for (int i = 0; inv && i < hd / 2; i++)
        inv[i] = (float)(1.0 / pow(10000.0, 2.0 * i / hd));
    if (st == FG_OK && !inv)
        st = fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    /* what ESM-2's loader derives its sizes from: vocabulary x width, layer count, FFN width, heads */
    char name[128];
    if (st == FG_OK)
        st = seed_tensor(w, &c, "embed_tokens.weight", 2, (int64_t[]){33, d_model}, err);
    for (int l = 0; st == FG_OK && l < n_layers; l++) {
        snprintf(name, sizeof name, "layers.%d.self_attn.q_proj.weight", l);
        st = seed_tensor(w, &c, name, 2, (int64_t[]){d_model, d_model}, err);
        snprintf(name, sizeof name, "layers.%d.self_attn.rot_emb.inv_freq", l);
        if (st == FG_OK)
            st = fg_weights_add(w, name, 1, (int64_t[]){hd / 2}, inv, err);
    }
    if (st == FG_OK)
        st = seed_tensor(w, &c, "layers.0.fc1.weight", 2, (int64_t[]){4 * (int64_t)d_model, d_model}, err);
    free(inv);
    fg_esm *esm = NULL;
    fg_weights_set_synth(w, fill_random, claim_all_but, &c);
    if (st == FG_OK)
        st = fg_esm_create(w, NULL, &esm, err);
    fg_esm_destroy(esm);
    fg_weights_set_synth(w, NULL, NULL, NULL);
    if (st == FG_OK)
        st = write_store(w, seed, path, err);
    fg_weights_free(w);
    return st;
}

fg_status fg_model_expected_tensors(const fg_model_config *cfg, const fg_weights *present, fg_weights *esm,
                                    fg_model_tensor_fn fn, void *user, fg_error *err)
{
    fg_weights *w;
    fg_status st = fg_weights_create(&w, err);
    init_ctx c = {0, {"", ""}, NULL};
    if (st == FG_OK && cfg->esm.enabled && esm) /* the sizes the combiner's weights should have */
        st = seed_combiner(w, &c, cfg, esm, err);
    if (st == FG_OK)
        st = build_on(cfg, esm, w, fill_zero, claim_present, (void *)present, err);
    if (st != FG_OK) {
        fg_weights_free(w);
        return st;
    }
    for (size_t i = 0; i < fg_weights_count(w); i++) {
        int ndim;
        int64_t shape[FG_MAX_DIMS];
        fg_weights_shape_at(w, i, &ndim, shape);
        fn(fg_weights_name_at(w, i), ndim, shape, user);
    }
    fg_weights_free(w);
    return FG_OK;
}
