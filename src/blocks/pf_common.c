/* Small helpers shared by the Pairformer-family modules and block types. */
#include <omp.h>
#include <stdio.h>

#include "blocks/pairformer_modules.h"

int fg_pf_threads(void) { return omp_get_max_threads(); }

const char *fg_pf_name(char *buf, size_t len, const char *name, const char *leaf)
{
    snprintf(buf, len, "%s%s%s", name, name[0] ? "." : "", leaf);
    return buf;
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
