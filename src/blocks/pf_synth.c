/* Synthetic weights for the Pairformer-family block types under their
 * upstream names and shapes (tests with sizes no fixture has, benchmarks).
 * Values follow the fixtures' rule: matrices N(0, 1/fan_in), LayerNorm gains
 * 1 + N(0, 0.1^2), LayerNorm offsets and biases N(0, 0.1^2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/pairformer_modules.h"
#include "framegen/rng.h"

typedef struct synth {
    fg_weights *w;
    fg_rng rng;
    char prefix[256];
    fg_status st;
    fg_error *err;
} synth;

/* kind: 'm' matrix [d0, d1], 'g' LayerNorm gain [d0], 'b' offset / bias [d0]. */
static void put(synth *s, const char *module, const char *leaf, char kind, int64_t d0, int64_t d1)
{
    if (s->st != FG_OK)
        return;
    char name[512], rel[256];
    snprintf(name, sizeof name, "%s%s", s->prefix, fg_pf_name(rel, sizeof rel, module, leaf));
    const int64_t n = kind == 'm' ? d0 * d1 : d0;
    float *v = malloc((size_t)n * sizeof *v);
    if (!v) {
        s->st = fg_error_set(s->err, FG_ERR_NOMEM, "synthetic weights: out of memory");
        return;
    }
    fg_rng_normals(&s->rng, v, n);
    const float sd = kind == 'm' ? (float)(1.0 / sqrt((double)d1)) : 0.1f;
    for (int64_t i = 0; i < n; i++)
        v[i] = v[i] * sd + (kind == 'g' ? 1.0f : 0.0f);
    int64_t shape[2] = {d0, d1};
    s->st = fg_weights_add(s->w, name, kind == 'm' ? 2 : 1, shape, v, s->err);
    free(v);
}

static void tri_mul(synth *s, const char *m, int c)
{
    put(s, m, "norm_in.weight", 'g', c, 0);
    put(s, m, "norm_in.bias", 'b', c, 0);
    put(s, m, "p_in.weight", 'm', 2 * c, c);
    put(s, m, "g_in.weight", 'm', 2 * c, c);
    put(s, m, "norm_out.weight", 'g', c, 0);
    put(s, m, "norm_out.bias", 'b', c, 0);
    put(s, m, "p_out.weight", 'm', c, c);
    put(s, m, "g_out.weight", 'm', c, c);
}

static void tri_att(synth *s, const char *m, int c, int heads, int dh)
{
    put(s, m, "layer_norm.weight", 'g', c, 0);
    put(s, m, "layer_norm.bias", 'b', c, 0);
    put(s, m, "linear.weight", 'm', heads, c);
    put(s, m, "mha.linear_q.weight", 'm', (int64_t)heads * dh, c);
    put(s, m, "mha.linear_k.weight", 'm', (int64_t)heads * dh, c);
    put(s, m, "mha.linear_v.weight", 'm', (int64_t)heads * dh, c);
    put(s, m, "mha.linear_g.weight", 'm', (int64_t)heads * dh, c);
    put(s, m, "mha.linear_o.weight", 'm', c, (int64_t)heads * dh);
}

static void transition(synth *s, const char *m, int c, int hidden)
{
    put(s, m, "norm.weight", 'g', c, 0);
    put(s, m, "norm.bias", 'b', c, 0);
    put(s, m, "fc1.weight", 'm', hidden, c);
    put(s, m, "fc2.weight", 'm', hidden, c);
    put(s, m, "fc3.weight", 'm', c, hidden);
}

static void attn_pair_bias(synth *s, const char *m, int cs, int cz, int heads, bool pair_bias)
{
    put(s, m, "proj_q.weight", 'm', cs, cs);
    put(s, m, "proj_q.bias", 'b', cs, 0);
    put(s, m, "proj_k.weight", 'm', cs, cs);
    put(s, m, "proj_v.weight", 'm', cs, cs);
    put(s, m, "proj_g.weight", 'm', cs, cs);
    put(s, m, "proj_o.weight", 'm', cs, cs);
    if (pair_bias) {
        put(s, m, "proj_z.0.weight", 'g', cz, 0);
        put(s, m, "proj_z.0.bias", 'b', cz, 0);
        put(s, m, "proj_z.1.weight", 'm', heads, cz);
    }
}

static void pair_stack(synth *s, int cz, const fg_pairformer_params *hp, const char *trans_name)
{
    tri_mul(s, "tri_mul_out", cz);
    tri_mul(s, "tri_mul_in", cz);
    tri_att(s, "tri_att_start", cz, hp->pairwise_num_heads, hp->pairwise_head_width);
    tri_att(s, "tri_att_end", cz, hp->pairwise_num_heads, hp->pairwise_head_width);
    transition(s, trans_name, cz, hp->transition_expansion * cz);
}

fg_status fg_pf_random_weights(fg_weights *w, const char *type, const char *prefix, int layer,
                               const fg_block_dims *dims, const void *params, uint64_t seed,
                               fg_error *err)
{
    synth s = {.w = w, .st = FG_OK, .err = err};
    fg_rng_init(&s.rng, seed, (uint64_t)layer);
    snprintf(s.prefix, sizeof s.prefix, "%slayers.%d.", prefix, layer);
    const int cs = dims->c_s, cz = dims->c_z;
    if (strcmp(type, "pairformer") == 0) {
        const fg_pairformer_params *hp = params;
        pair_stack(&s, cz, hp, "edge_transition");
        put(&s, "pre_norm_s", "weight", 'g', cs, 0);
        put(&s, "pre_norm_s", "bias", 'b', cs, 0);
        attn_pair_bias(&s, "attention", cs, cz, hp->num_heads, hp->compute_pair_bias);
        transition(&s, "node_transition", cs, hp->transition_expansion * cs);
        if (hp->post_layer_norm) {
            put(&s, "node_post_norm", "weight", 'g', cs, 0);
            put(&s, "node_post_norm", "bias", 'b', cs, 0);
        }
    } else if (strcmp(type, "pairformer_noseq") == 0) {
        pair_stack(&s, cz, params, "transition_z");
    } else if (strcmp(type, "pair_bias") == 0) {
        const fg_pair_bias_params *hp = params;
        attn_pair_bias(&s, "", cs, cz, hp->num_heads, hp->compute_pair_bias);
    } else {
        return fg_error_set(err, FG_ERR_INVALID, "synthetic weights: unknown block type '%s'", type);
    }
    return s.st;
}
