/* The tensors of a config, found by building the model on a synthesising
 * weight store: random weights for any config, and the expected state dict
 * that `framegen info --config` compares a file against. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char deny[256];   /* names starting with this are not claimed ("" = none) */
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
    return !c->deny[0] || strncmp(name, c->deny, strlen(c->deny)) != 0;
}

static void fill_zero(const char *name, int ndim, const int64_t *shape, float *data, void *user)
{
    (void)name, (void)ndim, (void)shape, (void)data, (void)user; /* the store hands out zeros */
}

static bool claim_present(const char *name, void *user) { return fg_weights_has((const fg_weights *)user, name); }

/* Builds the model on a synthesising store (every lookup succeeds). */
static fg_status build_on(const fg_model_config *cfg, fg_weights_fill_fn fill, fg_weights_claim_fn claims,
                          void *user, fg_weights **out, fg_error *err)
{
    fg_weights *w;
    fg_status st = fg_weights_create(&w, err);
    if (st != FG_OK)
        return st;
    fg_weights_set_synth(w, fill, claims, user);
    fg_model_params mp = fg_model_default_params();
    fg_model *m = NULL;
    st = fg_model_create(cfg, w, &mp, &m, err);
    fg_model_destroy(m);
    if (st != FG_OK) {
        fg_weights_free(w);
        return st;
    }
    fg_weights_set_synth(w, NULL, NULL, NULL);
    *out = w;
    return FG_OK;
}

fg_status fg_model_init_weights(const fg_model_config *cfg, uint64_t seed, const char *path, fg_error *err)
{
    init_ctx c = {seed, ""};
    if (!fg_trunk_config_enabled(&cfg->seq_trunk) && cfg->ipa_num_blocks > 0) /* the reference skips the final edge update */
        snprintf(c.deny, sizeof c.deny, "ipa_trunk.trunk.edge_transition_%d.", cfg->ipa_num_blocks - 1);
    fg_weights *w;
    fg_status st = build_on(cfg, fill_random, claim_all_but, &c, &w, err);
    if (st != FG_OK)
        return st;
    size_t n = fg_weights_count(w);
    fg_st_entry *e = calloc(n ? n : 1, sizeof *e);
    if (!e)
        st = fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
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
    fg_weights_free(w);
    return st;
}

fg_status fg_model_expected_tensors(const fg_model_config *cfg, const fg_weights *present, fg_model_tensor_fn fn,
                                    void *user, fg_error *err)
{
    fg_weights *w;
    fg_status st = build_on(cfg, fill_zero, claim_present, (void *)present, &w, err);
    if (st != FG_OK)
        return st;
    for (size_t i = 0; i < fg_weights_count(w); i++) {
        int ndim;
        int64_t shape[FG_MAX_DIMS];
        fg_weights_shape_at(w, i, &ndim, shape);
        fn(fg_weights_name_at(w, i), ndim, shape, user);
    }
    fg_weights_free(w);
    return FG_OK;
}
