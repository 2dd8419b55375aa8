/* Block type "pairformer_noseq": one PairformerNoSeqLayer (edge track only):
 *   z += tri_mul_out; z += tri_mul_in; z += tri_att_start; z += tri_att_end;
 *   z += transition_z(z).
 * Weights: <prefix>layers.<i>.{tri_mul_out, tri_mul_in, tri_att_start, tri_att_end,
 * transition_z}. */
#include <stdlib.h>

#include "blocks/pairformer_modules.h"

#define P fg_pairformer_params
static const fg_field FIELDS[] = {
    FG_FIELD_INT_(P, pairwise_head_width, 32, 1, 4096, "triangle attention width per head"),
    FG_FIELD_INT_(P, pairwise_num_heads, 4, 1, 4096, "triangle attention heads"),
    FG_FIELD_INT_(P, transition_expansion, 4, 1, 64, "transition hidden width = expansion * edge width"),
    FG_FIELD_INT_(P, chunk_size_tri_attn, 0, 0, 1 << 20, "query rows per triangle-attention logits block (memory only; 0 = automatic)"),
    FG_FIELD_INT_(P, chunk_size_tri_mul, 0, 0, 1 << 20, "output rows per triangle-multiplication block (memory only; 0 = automatic)"),
    FG_FIELD_FLOAT_(P, dropout, 0.1, 0.0, 1.0, "accepted and ignored (inference)"),
    FG_FIELD_BOOL_(P, use_kernels, 0, "accepted and ignored (upstream GPU kernels)"),
    FG_FIELD_BOOL_(P, checkpointing, 0, "accepted and ignored (training)"),
};
#undef P

static fg_status create(const void *params, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                        int layer, void **self, fg_error *err)
{
    fg_pair_stack *p = malloc(sizeof *p);
    if (!p)
        return fg_error_set(err, FG_ERR_NOMEM, "pairformer_noseq: out of memory");
    fg_wload l;
    fg_wload_init(&l, w, err, "%slayers.%d.", prefix ? prefix : "", layer);
    fg_status st = fg_pair_stack_init(p, &l, dims->c_z, params, "transition_z");
    if (st != FG_OK) {
        free(p);
        return st;
    }
    *self = p;
    return FG_OK;
}

static fg_status forward(void *self, fg_block_io *io, fg_error *err)
{
    const fg_pair_stack *p = self;
    if (!io->z || !io->scratch)
        return fg_error_set(err, FG_ERR_INVALID, "pairformer_noseq: needs edge features and a scratch arena");
    const int n = io->N, cz = p->trans.c;
    fg_status st = FG_OK;
    for (int b = 0; b < io->B && st == FG_OK; b++) {
        fg_arena_mark mk = fg_arena_save(io->scratch);
        const float *em = fg_pf_edge_mask(io, b, io->scratch);
        st = em ? fg_pair_stack_forward(p, io->z + (int64_t)b * n * n * cz, em, n, io->scratch, err)
                : fg_error_set(err, FG_ERR_NOMEM, "pairformer_noseq: out of memory for masks (N=%d)", n);
        fg_arena_restore(io->scratch, mk);
    }
    return st;
}

static void destroy(void *self) { free(self); }

static double flops(const void *self, int B, int N) { return B * fg_pair_stack_flops(self, N); }

const fg_block_type fg_block_pairformer_noseq = {
    .name = "pairformer_noseq",
    .summary = "PairformerNoSeqLayer: triangle multiplication/attention and transition on edges only",
    .fields = FIELDS,
    .n_fields = sizeof FIELDS / sizeof FIELDS[0],
    .params_size = sizeof(fg_pairformer_params),
    .reads = FG_BLOCK_EDGES,
    .writes = FG_BLOCK_EDGES,
    .create = create,
    .forward = forward,
    .destroy = destroy,
    .flops = flops,
};
