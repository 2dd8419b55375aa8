/* A toy block type, "edge_mlp": z += fc2(relu(fc1(LayerNorm(z)))) on every
 * edge. It is the worked example of docs/adding-a-block.md; in the engine it
 * would be src/blocks/edge_mlp.c plus the line X(edge_mlp) in
 * src/blocks/registry.c. tests/test_block_example.c compiles this file and
 * runs it through a trunk without registering it. */
#include <stdlib.h>

#include "framegen/block.h"
#include "framegen/ops.h"

/* Hyperparameters: the config keys of a stage of this type. */
typedef struct edge_mlp_params {
    int hidden_scale;
} edge_mlp_params;

static const fg_field EDGE_MLP_FIELDS[] = {
    FG_FIELD_INT_(edge_mlp_params, hidden_scale, 2, 1, 16, "hidden width of the MLP, in multiples of c_z"),
};

/* One layer: views into the weight store (mapped, not copied). */
typedef struct edge_mlp {
    int C, H;
    const float *ln_g, *ln_b; /* [C] norm.weight, norm.bias */
    const float *W1, *b1;     /* [H, C], [H] fc1 */
    const float *W2, *b2;     /* [C, H], [C] fc2 */
} edge_mlp;

static fg_status edge_mlp_create(const void *params, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                                 int layer, void **self, fg_error *err)
{
    const edge_mlp_params *p = params;
    edge_mlp *b = calloc(1, sizeof *b);
    if (!b)
        return fg_error_set(err, FG_ERR_NOMEM, "edge_mlp: out of memory");
    b->C = dims->c_z;
    b->H = p->hidden_scale * dims->c_z;
    /* The type owns its per-layer naming: <prefix>layers.<i>.<tensor>. */
    fg_wload l;
    fg_wload_init(&l, w, err, "%slayers.%d.", prefix, layer);
    b->ln_g = fg_wl_1d(&l, "norm.weight", b->C);
    b->ln_b = fg_wl_1d(&l, "norm.bias", b->C);
    b->W1 = fg_wl_2d(&l, "fc1.weight", b->H, b->C);
    b->b1 = fg_wl_1d(&l, "fc1.bias", b->H);
    b->W2 = fg_wl_2d(&l, "fc2.weight", b->C, b->H);
    b->b2 = fg_wl_1d(&l, "fc2.bias", b->C);
    if (l.st != FG_OK) { /* err names the missing or misshapen tensor */
        free(b);
        return l.st;
    }
    *self = b;
    return FG_OK;
}

static fg_status edge_mlp_forward(void *self, fg_block_io *io, fg_error *err)
{
    const edge_mlp *b = self;
    int64_t rows = (int64_t)io->B * io->N * io->N;
    fg_arena_mark mark = fg_arena_save(io->scratch);
    float *x = fg_arena_floats(io->scratch, (size_t)(rows * b->C)); /* [B,N,N,C] normalised edges */
    float *h = fg_arena_floats(io->scratch, (size_t)(rows * b->H)); /* [B,N,N,H] hidden */
    if (!x || !h) {
        fg_arena_restore(io->scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "edge_mlp: out of scratch memory");
    }
    fg_layernorm(x, io->z, b->ln_g, b->ln_b, rows, b->C, 1e-5f);
    fg_linear(h, x, b->W1, b->b1, rows, b->C, b->H);
    fg_relu(h, rows * b->H);
    fg_linear_acc(io->z, h, b->W2, b->b2, rows, b->H, b->C); /* residual: z += fc2(h) */
    fg_arena_restore(io->scratch, mark);
    return FG_OK;
}

static void edge_mlp_destroy(void *self) { free(self); }

static double edge_mlp_flops(const void *self, int B, int N)
{
    const edge_mlp *b = self;
    return (double)B * N * N * 4.0 * b->C * b->H;
}

const fg_block_type fg_block_edge_mlp = {
    .name = "edge_mlp",
    .summary = "toy example: residual MLP on every edge",
    .fields = EDGE_MLP_FIELDS,
    .n_fields = sizeof EDGE_MLP_FIELDS / sizeof EDGE_MLP_FIELDS[0],
    .params_size = sizeof(edge_mlp_params),
    .reads = FG_BLOCK_EDGES,
    .writes = FG_BLOCK_EDGES,
    .create = edge_mlp_create,
    .forward = edge_mlp_forward,
    .destroy = edge_mlp_destroy,
    .flops = edge_mlp_flops,
};
