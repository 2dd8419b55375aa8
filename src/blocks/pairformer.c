/* Block type "pairformer": one PairformerLayer (node + edge tracks), i.e.
 *   z += tri_mul_out; z += tri_mul_in; z += tri_att_start; z += tri_att_end;
 *   z += edge_transition(z); s += attention(LN s, z); s += node_transition(s);
 *   s = LN(s) if post_layer_norm.
 * Weights: <prefix>layers.<i>.{pre_norm_s, attention.proj_*, tri_mul_out, tri_mul_in,
 * tri_att_start, tri_att_end, edge_transition, node_transition, node_post_norm}. */
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"

#define P fg_pairformer_params
static const fg_field FIELDS[] = {
    FG_FIELD_INT_(P, num_heads, 4, 1, 4096, "heads of the pair-biased node attention"),
    FG_FIELD_BOOL_(P, post_layer_norm, 0, "LayerNorm on the node features after each layer"),
    FG_FIELD_BOOL_(P, compute_pair_bias, 1, "pair bias = Linear(LN z); false: z itself (edge width = num_heads)"),
    FG_PF_EDGE_FIELDS,
};
#undef P

fg_status fg_pairformer_layer_init(fg_pairformer_layer *p, fg_wload *l, const fg_block_dims *dims,
                                   const fg_pairformer_params *hp)
{
    memset(p, 0, sizeof *p);
    p->c_s = dims->c_s;
    p->c_z = dims->c_z;
    fg_pair_stack_init(&p->pair, l, dims->c_z, hp, "edge_transition");
    p->pre_norm_w = fg_wl_1d(l, "pre_norm_s.weight", dims->c_s);
    p->pre_norm_b = fg_wl_1d(l, "pre_norm_s.bias", dims->c_s);
    fg_attn_pair_bias_init(&p->attn, l, "attention", dims->c_s, dims->c_z, hp->num_heads,
                           hp->compute_pair_bias);
    fg_transition_init(&p->node_trans, l, "node_transition", dims->c_s,
                       hp->transition_expansion * dims->c_s);
    if (hp->post_layer_norm) {
        p->post_norm_w = fg_wl_1d(l, "node_post_norm.weight", dims->c_s);
        p->post_norm_b = fg_wl_1d(l, "node_post_norm.bias", dims->c_s);
    }
    return l->st;
}

/* s += attention(LN s, z); s += transition(s); optional LN. s: [n, c_s]. */
static fg_status node_track(const fg_pairformer_layer *p, float *s, const float *z, const float *node_mask,
                            int n, fg_arena *a, fg_error *err)
{
    const int cs = p->c_s;
    float *sn = fg_arena_floats(a, (size_t)n * cs); /* [n, c_s] LN(s) */
    if (!sn)
        return fg_error_set(err, FG_ERR_NOMEM, "pairformer: out of memory (N=%d)", n);
    fg_ln_rows(sn, s, n, cs, cs, p->pre_norm_w, p->pre_norm_b, FG_PF_LN_EPS);
    fg_status st = fg_attn_pair_bias_forward(&p->attn, sn, z, node_mask, n, s, true, a, err);
    if (st == FG_OK)
        st = fg_transition_forward(&p->node_trans, s, n, s, true, a, err);
    if (st == FG_OK && p->post_norm_w)
        fg_ln_rows(s, s, n, cs, cs, p->post_norm_w, p->post_norm_b, FG_PF_LN_EPS);
    return st;
}

fg_status fg_pairformer_layer_forward(const fg_pairformer_layer *p, fg_block_io *io, fg_error *err)
{
    const int n = io->N;
    fg_status st = FG_OK;
    for (int b = 0; b < io->B && st == FG_OK; b++) {
        fg_arena_mark mk = fg_arena_save(io->scratch);
        float *s = io->s + (int64_t)b * n * p->c_s;
        float *z = io->z + (int64_t)b * n * n * p->c_z;
        const float *nm = fg_pf_node_mask(io, b, io->scratch);
        const float *em = fg_pf_edge_mask(io, b, io->scratch);
        if (!nm || !em)
            st = fg_error_set(err, FG_ERR_NOMEM, "pairformer: out of memory for masks (N=%d)", n);
        if (st == FG_OK)
            st = fg_pair_stack_forward(&p->pair, z, em, n, io->scratch, err);
        if (st == FG_OK)
            st = node_track(p, s, z, nm, n, io->scratch, err);
        fg_arena_restore(io->scratch, mk);
    }
    return st;
}

void fg_pairformer_layer_free(fg_pairformer_layer *p)
{
    fg_pair_stack_free(&p->pair);
    fg_attn_pair_bias_free(&p->attn);
    fg_transition_free(&p->node_trans);
}

double fg_pairformer_layer_flops(const fg_pairformer_layer *p, int B, int n)
{
    return B * (fg_pair_stack_flops(&p->pair, n) + fg_attn_pair_bias_flops(&p->attn, n) +
                fg_transition_flops(&p->node_trans, n));
}

/* Block contract. */

/* Frees a layer made by create (also its partial state when create failed). */
static void destroy(void *self)
{
    if (self)
        fg_pairformer_layer_free(self);
    free(self);
}

static fg_status create(const void *params, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                        int layer, void **self, fg_error *err)
{
    fg_wload l;
    fg_pairformer_layer *p = fg_pf_layer_alloc(sizeof *p, &l, w, prefix, layer, "pairformer", err);
    return p ? fg_pf_layer_done(p, fg_pairformer_layer_init(p, &l, dims, params), destroy, self) : FG_ERR_NOMEM;
}

static fg_status forward(void *self, fg_block_io *io, fg_error *err)
{
    if (!io->s || !io->z || !io->scratch)
        return fg_error_set(err, FG_ERR_INVALID, "pairformer: needs node and edge features and a scratch arena");
    return fg_pairformer_layer_forward(self, io, err);
}

static double flops(const void *self, int B, int N) { return fg_pairformer_layer_flops(self, B, N); }

const fg_block_type fg_block_pairformer = {
    .name = "pairformer",
    .summary = "PairformerLayer: triangle multiplication/attention on edges, pair-biased attention on nodes",
    .fields = FIELDS,
    .n_fields = sizeof FIELDS / sizeof FIELDS[0],
    .params_size = sizeof(fg_pairformer_params),
    .reads = FG_BLOCK_NODES | FG_BLOCK_EDGES,
    .writes = FG_BLOCK_NODES | FG_BLOCK_EDGES,
    .create = create,
    .forward = forward,
    .destroy = destroy,
    .flops = flops,
};
