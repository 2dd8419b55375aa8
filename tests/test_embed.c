/* Parity of the embeddings against case `embed`: index embeddings (sine_cosine,
 * rotary), relative-position embedding of res_idx_i - res_idx_j, time embedding
 * and distogram; plus edge cases of the distogram bins. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/embed.h"

static void check_index(fx_case *c, const char *key, const int64_t *idx, int64_t n, int D, int L,
                        fg_pos_embed m)
{
    int64_t shape[4];
    int nd = fx_shape(c, key, shape);
    if (!fx_expect(c, nd == 3 && shape[0] * shape[1] == n && shape[2] == D, "%s shape", key))
        return;
    float *got = malloc((size_t)(n * D) * sizeof *got);
    fg_index_embedding(got, idx, n, D, L, m);
    fx_check(c, key, got, n * D);
    free(got);
}

static void check_bins(fx_case *c)
{
    float lo[22], up[22];
    fg_distogram_edges(lo, up, 1e-4f, 20.0f, 22);
    fx_expect(c, lo[0] == 1e-4f && lo[21] == 20.0f && up[21] == 1e8f && up[3] == lo[4], "bin edges");
    fx_expect(c, fg_distogram_bin(0.0f, lo, up, 22) == -1, "d = 0 is in no bin");
    fx_expect(c, fg_distogram_bin(lo[5], lo, up, 22) == -1, "d on an edge is in no bin (strict)");
    fx_expect(c, fg_distogram_bin(nextafterf(lo[5], 100.0f), lo, up, 22) == 5, "just above an edge");
    fx_expect(c, fg_distogram_bin(nextafterf(lo[5], 0.0f), lo, up, 22) == 4, "just below an edge");
    fx_expect(c, fg_distogram_bin(500.0f, lo, up, 22) == 21, "far distances in the last bin");
    fx_expect(c, fg_distogram_bin(NAN, lo, up, 22) == -1, "NaN in no bin");
}

int main(void)
{
    fx_case c;
    if (fx_open(&c, "embed") != 0)
        return 1;
    int64_t shape[4];
    int64_t *res_idx = fx_i64(&c, "input.res_idx"); /* [B,N] */
    float *pos = fx_f32(&c, "input.pos");           /* [B,N,3] Angstrom */
    float *t = fx_f32(&c, "input.t");               /* [B] */
    if (!res_idx || !pos || !t || fx_shape(&c, "input.res_idx", shape) != 2)
        return fx_finish(&c);
    const int B = (int)shape[0], N = (int)shape[1];

    check_index(&c, "output.index_embedding.sine_cosine", res_idx, (int64_t)B * N, 32, 2056,
                FG_POS_EMBED_SINE_COSINE);
    check_index(&c, "output.index_embedding.rotary", res_idx, (int64_t)B * N, 32, 2048,
                FG_POS_EMBED_ROTARY);

    int64_t *rel = malloc((size_t)B * N * N * sizeof *rel); /* [B,N,N] res_idx_i - res_idx_j */
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                rel[((int64_t)b * N + i) * N + j] = res_idx[b * N + i] - res_idx[b * N + j];
    int64_t nrel = (int64_t)B * N * N;
    float *got = malloc((size_t)nrel * 16 * sizeof *got);
    fg_index_embedding(got, rel, nrel, 16, 2056, FG_POS_EMBED_SINE_COSINE);
    fx_check(&c, "output.relpos_embedding.sine_cosine", got, nrel * 16);
    free(got);

    float temb[2 * 32]; /* [B,32] */
    if (fx_expect(&c, B <= 2, "time batch fits"))
        fg_time_embedding(temb, t, B, 32, 2056);
    fx_check(&c, "output.time_embedding", temb, (int64_t)B * 32);

    float *dg = malloc((size_t)nrel * 22 * sizeof *dg); /* [B,N,N,22] */
    fg_distogram(dg, pos, B, N, 1e-4f, 20.0f, 22);
    fx_check(&c, "output.distogram", dg, nrel * 22);
    free(dg);

    check_bins(&c);
    free(rel), free(res_idx), free(pos), free(t);
    return fx_finish(&c);
}
