/* The attention-trunk wrapper around a list of block stages: optional masked
 * averaging with the initial embeddings and LayerNorms before and after the
 * blocks, in the reference's order:
 *   [avg] -> [node LN] [edge LN] -> blocks -> [avg] -> [node LN] [edge LN]
 * where avg is s = 0.5 (s + s_init) m_i and z = 0.5 (z + z_init) m_i m_j. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/ops.h"
#include "framegen/trunk.h"

#define LN_EPS 1e-5f

typedef struct trunk_layer {
    const fg_block_type *type;
    void *self;
    void *params; /* the stage's hyperparameters, own copy (first layer of a stage owns it) */
    bool owns_params;
} trunk_layer;

typedef struct ln_pair {
    const float *g, *b; /* [width] weight, bias; NULL when the norm is off */
} ln_pair;

struct fg_trunk {
    bool pre_avg, post_avg;
    ln_pair pre_node, pre_edge, post_node, post_edge;
    int c_s, c_z;
    int n_layers;
    trunk_layer *layers; /* in execution order */
};

void fg_trunk_destroy(fg_trunk *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_layers; i++) {
        t->layers[i].type->destroy(t->layers[i].self);
        if (t->layers[i].owns_params)
            free(t->layers[i].params);
    }
    free(t->layers);
    free(t);
}

static void load_ln(fg_wload *l, bool on, const char *name, int width, ln_pair *out)
{
    char key[64];
    if (!on)
        return;
    snprintf(key, sizeof key, "%s.weight", name);
    out->g = fg_wl_1d(l, key, width);
    snprintf(key, sizeof key, "%s.bias", name);
    out->b = fg_wl_1d(l, key, width);
}

static fg_status create_stage(fg_trunk *t, const fg_trunk_stage *s, int index, const fg_block_dims *dims,
                              fg_weights *w, const char *prefix, fg_error *err)
{
    char sp[512];
    if (s->has_weights_prefix)
        snprintf(sp, sizeof sp, "%s%s", prefix, s->weights_prefix);
    else if (index == 0)
        snprintf(sp, sizeof sp, "%strunk.", prefix);
    else
        snprintf(sp, sizeof sp, "%sstages.%d.", prefix, index);
    /* The blocks may keep the params pointer: the trunk outlives the config. */
    void *params = NULL;
    if (s->num_layers > 0) {
        params = malloc(s->type->params_size ? s->type->params_size : 1);
        if (!params)
            return fg_error_set(err, FG_ERR_NOMEM, "trunk: out of memory");
        memcpy(params, s->params, s->type->params_size);
    }
    for (int l = 0; l < s->num_layers; l++) {
        trunk_layer *tl = &t->layers[t->n_layers];
        tl->type = s->type;
        tl->params = params;
        tl->owns_params = l == 0;
        fg_status st = s->type->create(params, dims, w, sp, l, &tl->self, err);
        if (st != FG_OK) {
            if (l == 0)
                free(params);
            fg_error_prefix(err, "trunk stage %d (%s) layer %d", index, s->type->name, l);
            return st;
        }
        t->n_layers++;
    }
    return FG_OK;
}

fg_status fg_trunk_create(const fg_trunk_config *cfg, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                          fg_trunk **out, fg_error *err)
{
    *out = NULL;
    if (!prefix)
        prefix = "";
    int total = 0;
    for (int i = 0; i < cfg->n_stages; i++) {
        if (cfg->stages[i].num_layers < 0)
            return fg_error_set(err, FG_ERR_CONFIG, "trunk stage %d: num_layers %d is negative", i,
                                cfg->stages[i].num_layers);
        total += cfg->stages[i].num_layers;
    }
    fg_trunk *t = calloc(1, sizeof *t);
    if (t)
        t->layers = calloc((size_t)(total > 0 ? total : 1), sizeof *t->layers);
    if (!t || !t->layers) {
        fg_trunk_destroy(t);
        return fg_error_set(err, FG_ERR_NOMEM, "trunk: out of memory");
    }
    t->c_s = dims->c_s;
    t->c_z = dims->c_z;
    t->pre_avg = cfg->pre_add_init_embed;
    t->post_avg = cfg->post_add_init_embed;

    fg_wload l;
    fg_wload_init(&l, w, err, "%s", prefix);
    load_ln(&l, cfg->pre_node_layer_norm, "pre_node_ln", dims->c_s, &t->pre_node);
    load_ln(&l, cfg->pre_edge_layer_norm, "pre_edge_ln", dims->c_z, &t->pre_edge);
    load_ln(&l, cfg->post_node_layer_norm, "post_node_ln", dims->c_s, &t->post_node);
    load_ln(&l, cfg->post_edge_layer_norm, "post_edge_ln", dims->c_z, &t->post_edge);
    fg_status st = l.st;
    for (int i = 0; i < cfg->n_stages && st == FG_OK; i++)
        st = create_stage(t, &cfg->stages[i], i, dims, w, prefix, err);
    if (st != FG_OK) {
        fg_trunk_destroy(t);
        return st;
    }
    *out = t;
    return FG_OK;
}

/* x = 0.5 (x + x0) m over rows of `width` values; m NULL counts as all ones. */
static void average_masked(float *x, const float *x0, const float *m, int64_t rows, int width)
{
#pragma omp parallel for schedule(static) if (rows * width > 65536)
    for (int64_t r = 0; r < rows; r++) {
        float mr = m ? m[r] : 1.0f;
        float *xr = x + r * width;
        const float *x0r = x0 + r * width;
#pragma omp simd
        for (int c = 0; c < width; c++)
            xr[c] = 0.5f * (xr[c] + x0r[c]) * mr;
    }
}

/* One side of the wrapper (before or after the blocks). */
static fg_status wrap(const fg_trunk *t, fg_block_io *io, bool avg, const ln_pair *node, const ln_pair *edge,
                      const float *init_s, const float *init_z, const char *when, fg_error *err)
{
    int64_t BN = (int64_t)io->B * io->N, BNN = BN * io->N;
    bool want_s = avg || node->g, want_z = avg || edge->g;
    if ((want_s && !io->s) || (want_z && !io->z))
        return fg_error_set(err, FG_ERR_INVALID, "trunk: the %s wrapper needs the %s features", when,
                            want_s && !io->s ? "node" : "edge");
    if (avg) {
        if (!init_s || !init_z)
            return fg_error_set(err, FG_ERR_INVALID,
                                "trunk: %s_add_init_embed needs the initial node and edge embeddings", when);
        average_masked(io->s, init_s, io->node_mask, BN, t->c_s);
        average_masked(io->z, init_z, io->edge_mask, BNN, t->c_z);
    }
    if (node->g)
        fg_layernorm(io->s, io->s, node->g, node->b, BN, t->c_s, LN_EPS);
    if (edge->g)
        fg_layernorm(io->z, io->z, edge->g, edge->b, BNN, t->c_z, LN_EPS);
    return FG_OK;
}

fg_status fg_trunk_forward(fg_trunk *t, fg_block_io *io, const float *init_s, const float *init_z, fg_error *err)
{
    fg_status st = wrap(t, io, t->pre_avg, &t->pre_node, &t->pre_edge, init_s, init_z, "pre", err);
    for (int i = 0; i < t->n_layers && st == FG_OK; i++) {
        st = t->layers[i].type->forward(t->layers[i].self, io, err);
        if (st != FG_OK)
            fg_error_prefix(err, "trunk layer %d (%s)", i, t->layers[i].type->name);
    }
    if (st == FG_OK)
        st = wrap(t, io, t->post_avg, &t->post_node, &t->post_edge, init_s, init_z, "post", err);
    return st;
}

double fg_trunk_flops(const fg_trunk *t, int B, int N)
{
    double f = 0.0;
    for (int i = 0; i < t->n_layers; i++)
        f += t->layers[i].type->flops ? t->layers[i].type->flops(t->layers[i].self, B, N) : 0.0;
    return f;
}

static unsigned wrapper_touches(const fg_trunk *t)
{
    unsigned m = 0;
    if (t->pre_avg || t->post_avg)
        m |= FG_BLOCK_NODES | FG_BLOCK_EDGES;
    if (t->pre_node.g || t->post_node.g)
        m |= FG_BLOCK_NODES;
    if (t->pre_edge.g || t->post_edge.g)
        m |= FG_BLOCK_EDGES;
    return m;
}

unsigned fg_trunk_reads(const fg_trunk *t)
{
    unsigned m = wrapper_touches(t);
    for (int i = 0; i < t->n_layers; i++)
        m |= t->layers[i].type->reads;
    return m;
}

unsigned fg_trunk_writes(const fg_trunk *t)
{
    unsigned m = wrapper_touches(t);
    for (int i = 0; i < t->n_layers; i++)
        m |= t->layers[i].type->writes;
    return m;
}
