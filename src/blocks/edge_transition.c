/* Edge transition of the IPA trunk (cogeneration EdgeTransition), the largest
 * cost of the trunk. Its input x_ij = [z_ij, n_i, n_j] is never built: the
 * node columns of the first layer are applied once per residue
 * (x W0^T = z W0z^T + n_i W0i^T + n_j W0j^T), and the "+ x" before the final
 * layer is added in the last ReLU pass. Pairs are processed in fixed chunks
 * that stay in cache, one chunk per task, each GEMM single-threaded inside
 * the parallel loop; bias, ReLU, residual and LayerNorm are fused passes over
 * the chunk. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/ipa_parts.h"
#include "framegen/ops.h"

#define LN_EPS 1e-5f
#define ET_CHUNK 256 /* pairs per task: fixed, so results never depend on the thread count */

fg_status fg_edge_trans_init(fg_edge_trans *e, fg_weights *w, const char *prefix, int c_s, int c_z,
                             int dilation, int n_layers, fg_error *err)
{
    memset(e, 0, sizeof *e);
    if (dilation <= 0 || c_s % dilation != 0 || n_layers < 1)
        return fg_error_set(err, FG_ERR_CONFIG,
                            "%s: invalid edge transition (c_s %d, node_dilation %d, num_layers %d)",
                            prefix, c_s, dilation, n_layers);
    e->c_s = c_s, e->c_z = c_z, e->d = c_s / dilation, e->n_layers = n_layers;
    e->hid = c_z + 2 * e->d;
    const int d = e->d, hid = e->hid;
    e->tw = calloc((size_t)n_layers, sizeof *e->tw);
    e->tb = calloc((size_t)n_layers, sizeof *e->tb);
    e->w_node = malloc((size_t)2 * hid * d * sizeof(float));
    if (!e->tw || !e->tb || !e->w_node) {
        fg_edge_trans_free(e);
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", prefix);
    }
    fg_wload l;
    fg_wload_init(&l, w, err, "%s", prefix);
    e->init_w = fg_wl_2d(&l, "initial_embed.weight", d, c_s);
    e->init_b = fg_wl_1d(&l, "initial_embed.bias", d);
    for (int k = 0; k < n_layers; k++) {
        char name[64];
        snprintf(name, sizeof name, "trunk.%d.weight", 2 * k);
        e->tw[k] = fg_wl_2d(&l, name, hid, hid);
        snprintf(name, sizeof name, "trunk.%d.bias", 2 * k);
        e->tb[k] = fg_wl_1d(&l, name, hid);
    }
    e->fin_w = fg_wl_2d(&l, "final_layer.weight", c_z, hid);
    e->fin_b = fg_wl_1d(&l, "final_layer.bias", c_z);
    e->ln_g = fg_wl_1d(&l, "layer_norm.weight", c_z);
    e->ln_b = fg_wl_1d(&l, "layer_norm.bias", c_z);
    if (l.st != FG_OK) {
        fg_edge_trans_free(e);
        return l.st;
    }
    for (int o = 0; o < hid; o++) {
        memcpy(e->w_node + (size_t)o * d, e->tw[0] + (size_t)o * hid + c_z, (size_t)d * sizeof(float));
        memcpy(e->w_node + (size_t)(hid + o) * d, e->tw[0] + (size_t)o * hid + c_z + d,
               (size_t)d * sizeof(float));
    }
    return FG_OK;
}

void fg_edge_trans_free(fg_edge_trans *e)
{
    free(e->tw), free(e->tb), free(e->w_node);
    e->tw = e->tb = NULL;
    e->w_node = NULL;
}

typedef struct et_ctx {
    const fg_edge_trans *e;
    int N;
    const float *n;    /* [B*N, d] initial_embed(s) */
    const float *nw;   /* [B*N, 2 hid] n W0i^T ; n W0j^T */
    float *z;          /* [B*N*N, c_z] */
    const float *edge_mask;
} et_ctx;

/* h = relu(h + bias + node terms of pair p); then h += x_p when this is the last trunk layer. */
static void et_epilogue(const et_ctx *c, float *h, const float *bias, int64_t p0, int m, int first,
                        int last)
{
    const fg_edge_trans *e = c->e;
    const int hid = e->hid, cz = e->c_z, d = e->d, N = c->N;
    for (int r = 0; r < m; r++) {
        const int64_t p = p0 + r, bi = p / N, bj = (p / ((int64_t)N * N)) * N + p % N;
        float *hr = h + (size_t)r * hid;
        if (first) {
            const float *ni = c->nw + bi * 2 * hid, *nj = c->nw + bj * 2 * hid + hid;
#pragma omp simd
            for (int o = 0; o < hid; o++) {
                float v = hr[o] + bias[o] + ni[o] + nj[o];
                hr[o] = v > 0.0f ? v : 0.0f;
            }
        } else {
#pragma omp simd
            for (int o = 0; o < hid; o++) {
                float v = hr[o] + bias[o];
                hr[o] = v > 0.0f ? v : 0.0f;
            }
        }
        if (last) {
            const float *zr = c->z + p * cz, *ni = c->n + bi * d, *nj = c->n + bj * d;
            for (int o = 0; o < cz; o++)
                hr[o] += zr[o];
            for (int o = 0; o < d; o++)
                hr[cz + o] += ni[o], hr[cz + d + o] += nj[o];
        }
    }
}

/* z rows of the chunk <- LayerNorm(out + final bias) * edge_mask. */
static void et_finish(const et_ctx *c, const float *out, int64_t p0, int m)
{
    const fg_edge_trans *e = c->e;
    const int cz = e->c_z;
    for (int r = 0; r < m; r++) {
        const float *v = out + (size_t)r * cz;
        float *zr = c->z + (p0 + r) * cz;
        double mean = 0.0, var = 0.0;
        for (int o = 0; o < cz; o++)
            mean += v[o] + e->fin_b[o];
        mean /= cz;
        for (int o = 0; o < cz; o++) {
            double dv = v[o] + e->fin_b[o] - mean;
            var += dv * dv;
        }
        const float inv = (float)(1.0 / sqrt(var / cz + (double)LN_EPS)), mu = (float)mean;
        const float mk = c->edge_mask ? c->edge_mask[p0 + r] : 1.0f;
        for (int o = 0; o < cz; o++)
            zr[o] = (((v[o] + e->fin_b[o]) - mu) * inv * e->ln_g[o] + e->ln_b[o]) * mk;
    }
}

static void et_chunk(const et_ctx *c, int64_t p0, int m, float *h1, float *h2, float *out)
{
    const fg_edge_trans *e = c->e;
    const int hid = e->hid, cz = e->c_z, L = e->n_layers;
    const float *zc = c->z + p0 * cz;
    /* first layer: only the z columns of trunk.0 (leading dimension hid) */
    fg_gemm(false, true, m, hid, cz, 1.0f, zc, cz, e->tw[0], hid, 0.0f, h1, hid);
    et_epilogue(c, h1, e->tb[0], p0, m, 1, L == 1);
    for (int k = 1; k < L; k++) {
        fg_gemm(false, true, m, hid, hid, 1.0f, h1, hid, e->tw[k], hid, 0.0f, h2, hid);
        et_epilogue(c, h2, e->tb[k], p0, m, 0, k == L - 1);
        float *t = h1;
        h1 = h2, h2 = t;
    }
    fg_gemm(false, true, m, cz, hid, 1.0f, h1, hid, e->fin_w, hid, 0.0f, out, cz);
    et_finish(c, out, p0, m);
}

fg_status fg_edge_trans_forward(const fg_edge_trans *e, const float *s, float *z,
                                const float *edge_mask, int B, int N, fg_arena *scratch,
                                fg_error *err)
{
    const int64_t BN = (int64_t)B * N, pairs = BN * N;
    const int hid = e->hid, nth = omp_get_max_threads();
    const size_t per_thread = (size_t)ET_CHUNK * (2 * hid + e->c_z);
    const fg_arena_mark mark = fg_arena_save(scratch);
    float *n = fg_arena_floats(scratch, (size_t)BN * e->d);       /* [B*N, d] */
    float *nw = fg_arena_floats(scratch, (size_t)BN * 2 * hid);   /* [B*N, 2 hid] */
    float *tbuf = fg_arena_floats(scratch, per_thread * nth);     /* per thread: h1, h2 [CH, hid], out [CH, c_z] */
    if (!n || !nw || !tbuf) {
        fg_arena_restore(scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "edge transition: out of scratch memory (N=%d)", N);
    }
    fg_linear(n, s, e->init_w, e->init_b, BN, e->c_s, e->d);
    fg_linear(nw, n, e->w_node, NULL, BN, e->d, 2 * hid);
    const et_ctx c = {e, N, n, nw, z, edge_mask};
    const int64_t nchunk = (pairs + ET_CHUNK - 1) / ET_CHUNK;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t k = 0; k < nchunk; k++) {
        float *h1 = tbuf + per_thread * (size_t)omp_get_thread_num();
        const int64_t p0 = k * ET_CHUNK;
        const int m = (int)(pairs - p0 < ET_CHUNK ? pairs - p0 : ET_CHUNK);
        et_chunk(&c, p0, m, h1, h1 + (size_t)ET_CHUNK * hid, h1 + (size_t)2 * ET_CHUNK * hid);
    }
    fg_arena_restore(scratch, mark);
    return FG_OK;
}

double fg_edge_trans_flops(const fg_edge_trans *e, int B, int N)
{
    const double BN = (double)B * N, P = BN * N, hid = e->hid;
    double f = 2.0 * BN * e->c_s * e->d + 2.0 * BN * e->d * 2.0 * hid; /* node terms */
    f += 2.0 * P * e->c_z * hid;                          /* first layer, z columns */
    f += 2.0 * P * hid * hid * (e->n_layers - 1);         /* further trunk layers */
    f += 2.0 * P * hid * e->c_z;                          /* final layer */
    f += P * (4.0 * hid + 2.0 * hid * (e->n_layers - 1)); /* biases, node terms, ReLUs */
    f += P * hid;                                         /* + x */
    f += P * 9.0 * e->c_z;                                /* bias, LayerNorm, mask */
    return f;
}
