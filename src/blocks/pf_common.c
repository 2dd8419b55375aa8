/* Small helpers shared by the Pairformer-family modules and block types. */
#include "core/wide.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "framegen/ops.h"

int fg_pf_threads(void) { return omp_get_max_threads(); }

const char *fg_pf_name(char *buf, size_t len, const char *name, const char *leaf)
{
    snprintf(buf, len, "%s%s%s", name, name[0] ? "." : "", leaf);
    return buf;
}

void fg_pf_release(fg_wload *l, const float *const *ws, int n)
{
    for (int i = 0; i < n; i++)
        fg_weights_release(l->w, ws[i]);
}

const float *fg_pf_node_mask(const fg_block_io *io, int b, fg_arena *a)
{
    if (io->node_mask)
        return io->node_mask + (int64_t)b * io->N;
    float *m = fg_arena_floats(a, (size_t)io->N); /* [N] */
    for (int i = 0; m && i < io->N; i++)
        m[i] = 1.0f;
    return m;
}

const float *fg_pf_edge_mask(const fg_block_io *io, int b, fg_arena *a)
{
    const int n = io->N;
    if (io->edge_mask)
        return io->edge_mask + (int64_t)b * n * n;
    const float *nm = fg_pf_node_mask(io, b, a);
    float *m = nm ? fg_arena_floats(a, (size_t)n * n) : NULL; /* [N,N] */
    for (int i = 0; m && i < n; i++)
        for (int j = 0; j < n; j++)
            m[(int64_t)i * n + j] = nm[i] * nm[j];
    return m;
}

void *fg_pf_layer_alloc(size_t size, fg_wload *l, fg_weights *w, const char *prefix, int layer,
                        const char *type, fg_error *err)
{
    void *p = calloc(1, size);
    if (!p) {
        fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", type);
        return NULL;
    }
    fg_wload_init(l, w, err, "%slayers.%d.", prefix ? prefix : "", layer);
    return p;
}

fg_status fg_pf_layer_done(void *p, fg_status st, void (*destroy)(void *p), void **self)
{
    if (st != FG_OK) {
        destroy(p);
        return st;
    }
    *self = p;
    return FG_OK;
}
