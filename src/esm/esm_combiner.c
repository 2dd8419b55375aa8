/* ESM combiner: learned softmax layer mix + MLP merged into node features,
 * attention maps + MLP merged into edge features. */
#include "framegen/esm_combiner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esm_math.h"
#include "framegen/arena.h"
#include "framegen/ops.h"

/* LayerNorm -> Linear -> GELU -> Linear (cogeneration's mlp()). */
typedef struct mlp {
    const float *ln_g, *ln_b, *w1, *b1, *w2, *b2;
    int in, hidden, out;
} mlp;

struct fg_esm_combiner {
    fg_esm_combiner_config cfg;
    const float *mix;            /* [n_reps] layer-mix logits */
    mlp seq, pair;
    const float *node_ln_g, *node_ln_b, *edge_ln_g, *edge_ln_b;
    fg_arena arena;
};

/* Pair rows are processed in chunks so the scratch stays small. */
#define PAIR_CHUNK 8192

static void load_mlp(fg_wload *l, mlp *m, const char *name, int in, int hidden, int out)
{
    char k[64];
#define W(field, suffix, ...)                                                                      \
    snprintf(k, sizeof k, "%s.%s", name, suffix);                                                  \
    m->field = __VA_ARGS__;
    W(ln_g, "0.weight", fg_wl_1d(l, k, in));
    W(ln_b, "0.bias", fg_wl_1d(l, k, in));
    W(w1, "1.weight", fg_wl_2d(l, k, hidden, in));
    W(b1, "1.bias", fg_wl_1d(l, k, hidden));
    W(w2, "3.weight", fg_wl_2d(l, k, out, hidden));
    W(b2, "3.bias", fg_wl_1d(l, k, out));
#undef W
    m->in = in, m->hidden = hidden, m->out = out;
}

/* Sizes from the shapes of the mix vector and both MLPs. */
static fg_status derive(fg_weights *w, const char *p, fg_esm_combiner_config *c, fg_error *err)
{
    char n[512];
    fg_tensor t;
    const char *keys[] = {"esm_single_combine", "seq_proj.1.weight", "seq_proj.3.weight"};
    int64_t dims[3][2];
    for (int i = 0; i < 3; i++) {
        snprintf(n, sizeof n, "%s%s", p, keys[i]);
        if (fg_weights_find(w, n, &t, err) != FG_OK)
            return err ? err->status : FG_ERR_SHAPE;
        dims[i][0] = t.shape[0];
        dims[i][1] = t.ndim > 1 ? t.shape[1] : 0;
    }
    c->n_reps = (int)dims[0][0];
    c->hidden = (int)dims[1][0];
    c->d_esm = (int)dims[1][1];
    c->node_dim = (int)dims[2][0];
    snprintf(n, sizeof n, "%spair_proj.1.weight", p);
    c->only_single = !fg_weights_has(w, n);
    if (!c->only_single) {
        if (fg_weights_find(w, n, &t, err) != FG_OK || t.ndim != 2)
            return fg_error_set(err, FG_ERR_SHAPE, "'%s' must be 2-D", n);
        c->pair_channels = (int)t.shape[1];
        snprintf(n, sizeof n, "%spair_proj.3.weight", p);
        if (fg_weights_find(w, n, &t, err) != FG_OK)
            return err ? err->status : FG_ERR_SHAPE;
        c->edge_dim = (int)t.shape[0];
    }
    return FG_OK;
}

static fg_status check_esm(const fg_esm_combiner_config *c, const fg_esm *esm, fg_error *err)
{
    const fg_esm_config *e = fg_esm_get_config(esm);
    if (c->n_reps != e->n_layers + 1 || c->d_esm != e->d_model ||
        (!c->only_single && c->pair_channels != e->n_layers * e->n_heads))
        return fg_error_set(err, FG_ERR_SHAPE,
                            "esm combiner expects %d layers of width %d (%d pair channels); the ESM "
                            "has %d layers of width %d, %d heads",
                            c->n_reps - 1, c->d_esm, c->pair_channels, e->n_layers, e->d_model, e->n_heads);
    return FG_OK;
}

fg_status fg_esm_combiner_create(fg_weights *w, const char *prefix, int edge_dim, const fg_esm *esm,
                                 fg_esm_combiner **out, fg_error *err)
{
    *out = NULL;
    const char *p = prefix ? prefix : "";
    fg_esm_combiner *c = calloc(1, sizeof *c);
    if (!c)
        return fg_error_set(err, FG_ERR_NOMEM, "esm combiner: out of memory");
    fg_esm_combiner_config *k = &c->cfg;
    fg_status st = derive(w, p, k, err);
    if (st == FG_OK && k->only_single)
        k->edge_dim = edge_dim;
    if (st == FG_OK && (edge_dim < 1 || k->edge_dim != edge_dim))
        st = fg_error_set(err, FG_ERR_SHAPE, "esm combiner: edge width %d given, the weights have %d",
                          edge_dim, k->edge_dim);
    if (st == FG_OK && esm)
        st = check_esm(k, esm, err);
    if (st == FG_OK) {
        fg_wload l;
        fg_wload_init(&l, w, err, "%s", p);
        c->mix = fg_wl_1d(&l, "esm_single_combine", k->n_reps);
        load_mlp(&l, &c->seq, "seq_proj", k->d_esm, k->hidden, k->node_dim);
        c->node_ln_g = fg_wl_1d(&l, "single_layer_norm.weight", k->node_dim);
        c->node_ln_b = fg_wl_1d(&l, "single_layer_norm.bias", k->node_dim);
        if (!k->only_single) {
            load_mlp(&l, &c->pair, "pair_proj", k->pair_channels, k->hidden, k->edge_dim);
            c->edge_ln_g = fg_wl_1d(&l, "pair_layer_norm.weight", k->edge_dim);
            c->edge_ln_b = fg_wl_1d(&l, "pair_layer_norm.bias", k->edge_dim);
        }
        st = l.st;
    }
    if (st != FG_OK) {
        free(c);
        return st;
    }
    fg_arena_init(&c->arena, (size_t)1 << 20);
    *out = c;
    return FG_OK;
}

void fg_esm_combiner_destroy(fg_esm_combiner *c)
{
    if (!c)
        return;
    fg_arena_free(&c->arena);
    free(c);
}

const fg_esm_combiner_config *fg_esm_combiner_get_config(const fg_esm_combiner *c) { return &c->cfg; }

/* y[M, out] = MLP(x[M, in]); t1 [M, in] and t2 [M, hidden] are scratch. */
static void mlp_forward(const mlp *m, const float *x, int64_t M, float *t1, float *t2, float *y)
{
    fg_layernorm(t1, x, m->ln_g, m->ln_b, M, m->in, 1e-5f);
    fg_linear(t2, t1, m->w1, m->b1, M, m->in, m->hidden);
    esm_gelu_inplace(t2, M * m->hidden);
    fg_linear(y, t2, m->w2, m->b2, M, m->hidden, m->out);
}

/* out = LN(0.5 (e + init)) * mask_row over rows of C values. */
static void merge(float *out, const float *e, const float *init, const float *g, const float *b,
                  const float *row_mask, int64_t M, int C)
{
#pragma omp parallel for schedule(static) if (M * C > 32768)
    for (int64_t r = 0; r < M; r++)
        for (int ch = 0; ch < C; ch++)
            out[r * C + ch] = 0.5f * (e[r * C + ch] + init[r * C + ch]);
    fg_layernorm(out, out, g, b, M, C, 1e-5f);
#pragma omp parallel for schedule(static) if (M * C > 32768)
    for (int64_t r = 0; r < M; r++)
        for (int ch = 0; ch < C; ch++)
            out[r * C + ch] *= row_mask[r];
}

static fg_status node_branch(fg_esm_combiner *c, int64_t M, const float *single,
                             const float *init_node, const float *res_mask, float *node_out,
                             fg_error *err)
{
    const fg_esm_combiner_config *k = &c->cfg;
    float *w = fg_arena_floats(&c->arena, (size_t)k->n_reps);      /* softmax(mix) */
    float *mixed = fg_arena_floats(&c->arena, (size_t)(M * k->d_esm)); /* [M, d_esm] */
    float *t1 = fg_arena_floats(&c->arena, (size_t)(M * k->d_esm));   /* [M, d_esm] LayerNorm out */
    float *t2 = fg_arena_floats(&c->arena, (size_t)(M * k->hidden));  /* [M, hidden] */
    float *e = fg_arena_floats(&c->arena, (size_t)(M * k->node_dim)); /* projected ESM */
    if (!w || !mixed || !t1 || !t2 || !e)
        return fg_error_set(err, FG_ERR_NOMEM, "esm combiner: out of memory");
    memcpy(w, c->mix, sizeof(float) * (size_t)k->n_reps);
    fg_softmax_rows(w, 1, k->n_reps);
#pragma omp parallel for schedule(static) if (M * k->d_esm > 32768)
    for (int64_t r = 0; r < M; r++) {
        float *o = mixed + r * k->d_esm;
        for (int ch = 0; ch < k->d_esm; ch++)
            o[ch] = 0.0f;
        for (int l = 0; l < k->n_reps; l++) {
            const float *s = single + (r * k->n_reps + l) * k->d_esm;
            for (int ch = 0; ch < k->d_esm; ch++)
                o[ch] += w[l] * s[ch];
        }
    }
    mlp_forward(&c->seq, mixed, M, t1, t2, e);
    merge(node_out, e, init_node, c->node_ln_g, c->node_ln_b, res_mask, M, k->node_dim);
    return FG_OK;
}

static fg_status edge_branch(fg_esm_combiner *c, int B, int N, const float *pair,
                             const float *init_edge, const float *res_mask, float *edge_out,
                             fg_error *err)
{
    const fg_esm_combiner_config *k = &c->cfg;
    int64_t M = (int64_t)B * N * N, ch = k->only_single ? 0 : k->pair_channels;
    float *edge_mask = fg_arena_floats(&c->arena, (size_t)M); /* [B, N, N] res_mask_i res_mask_j */
    int64_t rows = M < PAIR_CHUNK ? M : PAIR_CHUNK;
    float *t1 = ch ? fg_arena_floats(&c->arena, (size_t)(rows * ch)) : NULL;         /* [chunk, C] */
    float *t2 = ch ? fg_arena_floats(&c->arena, (size_t)(rows * k->hidden)) : NULL;  /* [chunk, hidden] */
    float *e = ch ? fg_arena_floats(&c->arena, (size_t)(rows * k->edge_dim)) : NULL; /* [chunk, edge] */
    if (!edge_mask || (ch && (!t1 || !t2 || !e)))
        return fg_error_set(err, FG_ERR_NOMEM, "esm combiner: out of memory");
    for (int64_t r = 0; r < M; r++) {
        int64_t b = r / ((int64_t)N * N), i = r / N % N, j = r % N;
        edge_mask[r] = res_mask[b * N + i] * res_mask[b * N + j];
    }
    if (k->only_single) {
        int64_t C = k->edge_dim;
#pragma omp parallel for schedule(static) if (M * C > 32768)
        for (int64_t r = 0; r < M; r++)
            for (int64_t q = 0; q < C; q++)
                edge_out[r * C + q] = init_edge[r * C + q] * edge_mask[r];
        return FG_OK;
    }
    for (int64_t r0 = 0; r0 < M; r0 += PAIR_CHUNK) {
        int64_t n = M - r0 < PAIR_CHUNK ? M - r0 : PAIR_CHUNK;
        mlp_forward(&c->pair, pair + r0 * ch, n, t1, t2, e);
        merge(edge_out + r0 * k->edge_dim, e, init_edge + r0 * k->edge_dim, c->edge_ln_g,
              c->edge_ln_b, edge_mask + r0, n, k->edge_dim);
    }
    return FG_OK;
}

fg_status fg_esm_combiner_forward(fg_esm_combiner *c, int B, int N, const float *single,
                                  const float *pair, const float *init_node, const float *init_edge,
                                  const float *res_mask, float *node_out, float *edge_out,
                                  fg_error *err)
{
    if (B <= 0 || N <= 0 || !single || (!c->cfg.only_single && !pair))
        return fg_error_set(err, FG_ERR_INVALID, "esm combiner: empty batch or missing ESM %s",
                            single ? "pair reps" : "single reps");
    fg_arena_reset(&c->arena);
    fg_status st = node_branch(c, (int64_t)B * N, single, init_node, res_mask, node_out, err);
    if (st == FG_OK)
        st = edge_branch(c, B, N, pair, init_edge, res_mask, edge_out, err);
    return st;
}

fg_status fg_esm_combiner_enrich(fg_esm_combiner *c, fg_esm_cache *cache, int B, int N,
                                 const int64_t *aatypes, const int64_t *chain_idx,
                                 const float *res_mask, const float *init_node,
                                 const float *init_edge, float *node_out, float *edge_out,
                                 fg_error *err)
{
    fg_esm_cache_request req = {true, !c->cfg.only_single, false};
    fg_esm_cache_view v;
    fg_status st = fg_esm_cache_forward(cache, B, N, aatypes, chain_idx, res_mask, &req, &v, err);
    if (st != FG_OK)
        return st;
    return fg_esm_combiner_forward(c, B, N, v.single, v.pair, init_node, init_edge, res_mask,
                                   node_out, edge_out, err);
}
