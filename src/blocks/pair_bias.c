/* Block type "pair_bias": one AttentionPairBias layer as a trunk of its own
 * (upstream AttentionPairBiasTrunk): s = attention(s, z, node_mask) with
 * k_in = s. Upstream applies the layer as is: no residual, no LayerNorm, no
 * output mask; the edges are read only. Weights: <prefix>layers.<i>.proj_*. */
#include <stdlib.h>
#include <string.h>

#include "blocks/pairformer_modules.h"

#define P fg_pair_bias_params
static const fg_field FIELDS[] = {
    FG_FIELD_INT_(P, num_heads, 4, 1, 4096, "attention heads (node width must be a multiple)"),
    FG_FIELD_BOOL_(P, compute_pair_bias, 1, "pair bias = Linear(LN z); false: z itself (edge width = num_heads)"),
};
#undef P

/* Frees a layer made by create (also its partial state when create failed). */
static void destroy(void *self)
{
    if (self)
        fg_attn_pair_bias_free(self);
    free(self);
}

static fg_status create(const void *params, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                        int layer, void **self, fg_error *err)
{
    const fg_pair_bias_params *hp = params;
    fg_wload l;
    fg_attn_pair_bias *m = fg_pf_layer_alloc(sizeof *m, &l, w, prefix, layer, "pair_bias", err);
    return m ? fg_pf_layer_done(m, fg_attn_pair_bias_init(m, &l, "", dims->c_s, dims->c_z, hp->num_heads,
                                                          hp->compute_pair_bias), destroy, self)
             : FG_ERR_NOMEM;
}

static fg_status forward(void *self, fg_block_io *io, fg_error *err)
{
    const fg_attn_pair_bias *m = self;
    if (!io->s || !io->z || !io->scratch)
        return fg_error_set(err, FG_ERR_INVALID, "pair_bias: needs node and edge features and a scratch arena");
    const int n = io->N, cs = m->c_s;
    fg_status st = FG_OK;
    for (int b = 0; b < io->B && st == FG_OK; b++) {
        fg_arena_mark mk = fg_arena_save(io->scratch);
        float *s = io->s + (int64_t)b * n * cs;
        float *o = fg_arena_floats(io->scratch, (size_t)n * cs); /* [n, c_s] new s */
        const float *nm = fg_pf_node_mask(io, b, io->scratch);
        if (!o || !nm)
            st = fg_error_set(err, FG_ERR_NOMEM, "pair_bias: out of memory (N=%d)", n);
        if (st == FG_OK)
            st = fg_attn_pair_bias_forward(m, s, io->z + (int64_t)b * n * n * m->c_z, nm, n, o, false,
                                           io->scratch, err);
        if (st == FG_OK)
            memcpy(s, o, (size_t)n * cs * sizeof *s);
        fg_arena_restore(io->scratch, mk);
    }
    return st;
}

static double flops(const void *self, int B, int N) { return B * fg_attn_pair_bias_flops(self, N); }

const fg_block_type fg_block_pair_bias = {
    .name = "pair_bias",
    .summary = "AttentionPairBias stack: node attention biased by edges (replaces s; edges read only)",
    .fields = FIELDS,
    .n_fields = sizeof FIELDS / sizeof FIELDS[0],
    .params_size = sizeof(fg_pair_bias_params),
    .reads = FG_BLOCK_NODES | FG_BLOCK_EDGES,
    .writes = FG_BLOCK_NODES,
    .create = create,
    .forward = forward,
    .destroy = destroy,
    .flops = flops,
};
