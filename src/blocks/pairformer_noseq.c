/* Block type "pairformer_noseq": one PairformerNoSeqLayer (edge track only):
 *   z += tri_mul_out; z += tri_mul_in; z += tri_att_start; z += tri_att_end;
 *   z += transition_z(z).
 * Weights: <prefix>layers.<i>.{tri_mul_out, tri_mul_in, tri_att_start, tri_att_end,
 * transition_z}. */
#include <stdlib.h>

#include "blocks/pairformer_modules.h"

static const fg_field FIELDS[] = {FG_PF_EDGE_FIELDS};

/* Frees a layer made by create (also its partial state when create failed). */
static void destroy(void *self)
{
    if (self)
        fg_pair_stack_free(self);
    free(self);
}

static fg_status create(const void *params, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                        int layer, void **self, fg_error *err)
{
    fg_wload l;
    fg_pair_stack *p = fg_pf_layer_alloc(sizeof *p, &l, w, prefix, layer, "pairformer_noseq", err);
    return p ? fg_pf_layer_done(p, fg_pair_stack_init(p, &l, dims->c_z, params, "transition_z"), destroy, self) : FG_ERR_NOMEM;
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
