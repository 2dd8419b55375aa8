/* Edge transition of the IPA trunk (cogeneration EdgeTransition), the largest
 * cost of the trunk. Its input x_ij = [z_ij, n_i, n_j] is never built: the
 * node columns of the first layer are applied once per residue
 * (x W0^T = z W0z^T + n_i W0i^T + n_j W0j^T), and the "+ x" before the final
 * layer is added to the last hidden rows. A few pairs at a time (one register
 * block of rows) go through every layer while their hidden rows stay in L1:
 * panel products (core/mm.h) against weights packed once at load, biases
 * and ReLUs in registers, the node terms, "+ x" and the LayerNorm as passes
 * over the block's rows. Tasks are fixed runs of pairs; no result depends on
 * the thread count. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/ipa_parts.h"
#include "core/mm.h"
#include "core/rowops.h"
#include "framegen/ops.h"

#define LN_EPS 1e-5f
/* Pairs per task, which go through the layers together: their hidden rows
 * (2 x 96 KiB at hid 384) stay in L2 while each weight panel is read once
 * for all of them (8 pairs at a time ran 15% slower: the weights, 1 MiB per
 * transition, came from L3 every 8 pairs). 64 tasks at N = 64: enough to
 * balance 16 threads. */
#define ET_ROWS 64

static void free_packed(fg_edge_trans *e)
{
    for (int k = 0; e->packed && k <= e->n_layers; k++)
        free(e->packed[k]);
    free(e->packed);
    e->packed = NULL;
}

/* Transposed panel copies of the layers' weights: z columns of trunk.0, trunk.<2k>, final_layer. */
static bool pack_weights(fg_edge_trans *e)
{
    const int L = e->n_layers, hid = e->hid, cz = e->c_z;
    e->packed = calloc((size_t)L + 1, sizeof *e->packed);
    for (int k = 0; e->packed && k <= L; k++) {
        e->packed[k] = fg_mm_pack_panels_new(k == L ? e->fin_w : e->tw[k], hid, true, k == 0 ? cz : hid, k == L ? cz : hid);
        if (!e->packed[k])
            return false;
    }
    return e->packed != NULL;
}

/* e->node: the node columns of trunk.0 as one [2 hid, d] linear (rows n_i
 * then n_j), staged in a temporary copy for packing. */
static bool pack_node_columns(fg_edge_trans *e)
{
    const int d = e->d, hid = e->hid, cz = e->c_z;
    float *wn = malloc((size_t)2 * hid * d * sizeof(float)); /* [2 hid, d] */
    if (!wn)
        return false;
    for (int o = 0; o < hid; o++) {
        memcpy(wn + (size_t)o * d, e->tw[0] + (size_t)o * hid + cz, (size_t)d * sizeof(float));
        memcpy(wn + (size_t)(hid + o) * d, e->tw[0] + (size_t)o * hid + cz + d, (size_t)d * sizeof(float));
    }
    const bool ok = fg_mm_wt_init(&e->node, wn, NULL, 2 * hid, d);
    free(wn);
    return ok;
}

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
    if (!e->tw || !e->tb) {
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
    if (!pack_weights(e) || !fg_mm_wt_init(&e->init, e->init_w, e->init_b, d, c_s) || !pack_node_columns(e)) {
        fg_edge_trans_free(e);
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", prefix);
    }
    /* the forward reads only the packed copies of these */
    fg_weights_release(w, e->init_w);
    fg_weights_release(w, e->fin_w);
    for (int k = 0; k < n_layers; k++)
        fg_weights_release(w, e->tw[k]);
    return FG_OK;
}

void fg_edge_trans_free(fg_edge_trans *e)
{
    free_packed(e);
    fg_mm_wt_free(&e->init), fg_mm_wt_free(&e->node);
    free(e->tw), free(e->tb);
    e->tw = e->tb = NULL;
}

typedef struct et_ctx {
    const fg_edge_trans *e;
    int N;
    const float *n;    /* [B*N, d] initial_embed(s) */
    const float *nw;   /* [B*N, 2 hid] n W0i^T ; n W0j^T */
    float *z;          /* [B*N*N, c_z] */
    const float *edge_mask;
} et_ctx;

/* Residues i and j (rows of n) of pair p. */
static void pair_nodes(int64_t p, int N, int64_t *bi, int64_t *bj)
{
    *bi = p / N;
    *bj = (p / ((int64_t)N * N)) * N + p % N;
}

/* First layer: h = relu(h + n_i W0i^T + n_j W0j^T) (the bias is already in h). */
static void et_node_terms(const et_ctx *c, float *h, int64_t p0, int m)
{
    const int hid = c->e->hid;
    for (int r = 0; r < m; r++) {
        int64_t bi, bj;
        pair_nodes(p0 + r, c->N, &bi, &bj);
        const float *ni = c->nw + bi * 2 * hid, *nj = c->nw + bj * 2 * hid + hid;
        float *hr = h + (size_t)r * hid;
#pragma omp simd
        for (int o = 0; o < hid; o++) {
            const float v = hr[o] + ni[o] + nj[o];
            hr[o] = v > 0.0f ? v : 0.0f;
        }
    }
}

/* After the last layer: h += x_p = [z_p, n_i, n_j]. */
static void et_add_input(const et_ctx *c, float *h, int64_t p0, int m)
{
    const int hid = c->e->hid, cz = c->e->c_z, d = c->e->d;
    for (int r = 0; r < m; r++) {
        int64_t bi, bj;
        pair_nodes(p0 + r, c->N, &bi, &bj);
        const float *zr = c->z + (p0 + r) * cz, *ni = c->n + bi * d, *nj = c->n + bj * d;
        float *hr = h + (size_t)r * hid;
#pragma omp simd
        for (int o = 0; o < cz; o++)
            hr[o] += zr[o];
#pragma omp simd
        for (int o = 0; o < d; o++)
            hr[cz + o] += ni[o], hr[cz + d + o] += nj[o];
    }
}

/* Pairs p0..p0+m-1 (m <= ET_ROWS) through every layer; z rows replaced at the end. */
static void et_rows(const et_ctx *c, int64_t p0, int m, float *h1, float *h2, float *out)
{
    const fg_edge_trans *e = c->e;
    const int hid = e->hid, cz = e->c_z, L = e->n_layers;
    const fg_mm_bias first = {e->tb[0], NULL, false};
    fg_mm_rows(h1, hid, c->z + p0 * cz, cz, m, e->packed[0], cz, hid, &first);
    et_node_terms(c, h1, p0, m);
    for (int k = 1; k < L; k++) {
        const fg_mm_bias mid = {e->tb[k], NULL, true};
        fg_mm_rows(h2, hid, h1, hid, m, e->packed[k], hid, hid, &mid);
        float *t = h1;
        h1 = h2, h2 = t;
    }
    et_add_input(c, h1, p0, m);
    const fg_mm_bias fin = {e->fin_b, NULL, false};
    fg_mm_rows(out, cz, h1, hid, m, e->packed[L], hid, cz, &fin);
    float *zc = c->z + p0 * cz;
    for (int r = 0; r < m; r++) {
        float *zr = zc + (size_t)r * cz;
        fg_layernorm_row(zr, out + (size_t)r * cz, e->ln_g, e->ln_b, cz, LN_EPS);
        if (c->edge_mask) {
            const float mk = c->edge_mask[p0 + r];
#pragma omp simd
            for (int o = 0; o < cz; o++)
                zr[o] *= mk;
        }
    }
}

fg_status fg_edge_trans_forward(const fg_edge_trans *e, const float *s, float *z,
                                const float *edge_mask, int B, int N, fg_arena *scratch,
                                fg_error *err)
{
    const int64_t BN = (int64_t)B * N, pairs = BN * N;
    const int hid = e->hid, nth = omp_get_max_threads();
    const size_t per_thread = ((size_t)ET_ROWS * (2 * hid + e->c_z) + 15) & ~(size_t)15;
    const fg_arena_mark mark = fg_arena_save(scratch);
    float *n = fg_arena_floats(scratch, (size_t)BN * e->d);       /* [B*N, d] */
    float *nw = fg_arena_floats(scratch, (size_t)BN * 2 * hid);   /* [B*N, 2 hid] */
    float *tbuf = fg_arena_floats(scratch, per_thread * nth);     /* per thread: h1, h2 [ET_ROWS, hid], out [ET_ROWS, c_z] */
    if (!n || !nw || !tbuf) {
        fg_arena_restore(scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "edge transition: out of scratch memory (N=%d)", N);
    }
    fg_mm_wt_run(&e->init, n, e->d, s, e->c_s, BN, false, FG_MM_STORE);
    fg_mm_wt_run(&e->node, nw, 2 * hid, n, e->d, BN, false, FG_MM_STORE);
    const et_ctx c = {e, N, n, nw, z, edge_mask};
    const int64_t ntask = (pairs + ET_ROWS - 1) / ET_ROWS;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t t = 0; t < ntask; t++) {
        float *h1 = tbuf + per_thread * (size_t)omp_get_thread_num();
        const int64_t p0 = t * ET_ROWS;
        et_rows(&c, p0, pairs - p0 < ET_ROWS ? (int)(pairs - p0) : ET_ROWS, h1, h1 + (size_t)ET_ROWS * hid,
                h1 + (size_t)2 * ET_ROWS * hid);
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
