/* DoublePairAttention ("double_pair"): a gather/distribute attention over all
 * N*N edges with a small bottleneck D = c_z / bottleneck_scale, O(N^2 c_z D)
 * instead of the O(N^3) of triangle attention. Edge features only.
 *
 *   f, g, h = Linear(z) (each c_z -> D)
 *   w       = softmax over all edges of f (masked edges at -1e8), times the
 *             mask, renormalised by (sum + 1e-8)                      [P, D]
 *   V       = w^T g                                                   [D, D]
 *   out     = Linear_o(softmax_D(h) V)                                [P, c_z]
 *   z      += out * (1 + scale) + shift   (FiLM from a time MLP, optional)
 *
 * The edges are processed in fixed tiles of TILE rows, independent of the
 * thread count, so results are too:
 *  pass 1 computes f, g per tile and a per-tile softmax partial (column max,
 *         sum of exp, masked sum, and the masked exp-weighted g products);
 *         the partials are combined serially in tile order into V;
 *  pass 2 computes h per block of rows, its row softmax, and adds
 *         s (V W_o'^T) + b_o' straight into z, where W_o', b_o' carry the
 *         item's FiLM factors.
 * The per-tile products are register-blocked fg_mm calls on transposed
 * weights (BLAS would pack z on every call).
 * A plain op-for-op twin lives in tests/test_double_pair.c. */
#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "core/vmath.h"
#include "framegen/block.h"
#include "framegen/ops.h"

#define TILE 256          /* edges per tile: pass-1 partials are per tile */
#define ROWS2 64          /* edges per pass-2 step (z rows stay in L1) */
#define MASKED_LOGIT -1e8f /* upstream masked_fill value */
#define RENORM_EPS 1e-8f   /* upstream renormalisation epsilon */

typedef struct dp_params {
    int bottleneck_scale;
    bool use_film;
    int time_mlp_hidden_dim;
    double dropout;
} dp_params;

/* y = (accumulate ? y : 0) + x w + bias (bias per column, may be NULL). */
static void product(float *y, int64_t ldy, const float *x, int64_t xs_i, int64_t xs_k, const float *w, int64_t ldw,
                    const float *bias, bool accumulate, int64_t M, int64_t K, int64_t J)
{
    const fg_mm p = {x, xs_i, xs_k, w, ldw, M, K, J, y, ldy, accumulate ? FG_MM_ADD : FG_MM_STORE, NULL, 0, 0,
                     {bias, NULL, false}};
    fg_mm_run(&p);
}
static const fg_field DP_FIELDS[] = {
    FG_FIELD_INT_(dp_params, bottleneck_scale, 4, 1, 4096, "bottleneck width D = c_z / bottleneck_scale"),
    FG_FIELD_BOOL_(dp_params, use_film, true, "FiLM (scale, shift) of the update from the time t"),
    FG_FIELD_INT_(dp_params, time_mlp_hidden_dim, 128, 1, 65536,
                  "hidden width of the FiLM time MLP Linear(1,h)-GELU-Linear(h,2c_z)"),
    FG_FIELD_FLOAT_(dp_params, dropout, 0.1, 0.0, 1.0, "training only; ignored at inference"),
};

typedef struct dp_block {
    int C, D, H;
    bool film;
    float *WT_fg;         /* [C, 2D] gather_proj | value_proj, transposed */
    float *b_fg;          /* [2D] */
    float *WT_h;          /* [C, D] distribute_proj, transposed */
    const float *b_h;     /* [D] */
    const float *W_o;     /* [C, D] output_proj */
    const float *b_o;     /* [C] */
    const float *W_t0;    /* [H, 1] time_mlp.0 */
    const float *b_t0;    /* [H] */
    const float *W_t2;    /* [2C, H] time_mlp.2: rows 0..C-1 scale, C..2C-1 shift */
    const float *b_t2;    /* [2C] */
} dp_block;

static void dp_destroy(void *self)
{
    dp_block *b = self;
    if (!b)
        return;
    free(b->WT_fg);
    free(b->b_fg);
    free(b->WT_h);
    free(b);
}

static fg_status dp_create(const void *params, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                           int layer, void **self, fg_error *err)
{
    const dp_params *p = params;
    *self = NULL;
    int C = dims->c_z;
    if (C <= 0 || C % p->bottleneck_scale != 0)
        return fg_error_set(err, FG_ERR_CONFIG, "double_pair: c_z %d is not a positive multiple of bottleneck_scale %d",
                            C, p->bottleneck_scale);
    dp_block *b = calloc(1, sizeof *b);
    if (!b)
        return fg_error_set(err, FG_ERR_NOMEM, "double_pair: out of memory");
    b->C = C;
    b->D = C / p->bottleneck_scale;
    b->H = p->time_mlp_hidden_dim;
    b->film = p->use_film;
    int D = b->D, H = b->H;

    fg_wload l;
    fg_wload_init(&l, w, err, "%sblocks.%d.", prefix, layer);
    const float *W_f = fg_wl_2d(&l, "gather_proj.weight", D, C);
    const float *b_f = fg_wl_1d(&l, "gather_proj.bias", D);
    const float *W_g = fg_wl_2d(&l, "value_proj.weight", D, C);
    const float *b_g = fg_wl_1d(&l, "value_proj.bias", D);
    const float *W_h = fg_wl_2d(&l, "distribute_proj.weight", D, C);
    b->b_h = fg_wl_1d(&l, "distribute_proj.bias", D);
    b->W_o = fg_wl_2d(&l, "output_proj.weight", C, D);
    b->b_o = fg_wl_1d(&l, "output_proj.bias", C);
    if (b->film) {
        b->W_t0 = fg_wl_2d(&l, "time_mlp.0.weight", H, 1);
        b->b_t0 = fg_wl_1d(&l, "time_mlp.0.bias", H);
        b->W_t2 = fg_wl_2d(&l, "time_mlp.2.weight", 2 * C, H);
        b->b_t2 = fg_wl_1d(&l, "time_mlp.2.bias", 2 * C);
    }
    if (l.st != FG_OK) {
        dp_destroy(b);
        return l.st;
    }
    /* Transposed copies for fg_mm (w[k, j] rows contiguous in j);
     * the pass-1 projections side by side so one product computes both. */
    b->WT_fg = malloc(sizeof(float) * 2 * (size_t)D * (size_t)C);
    b->b_fg = malloc(sizeof(float) * 2 * (size_t)D);
    b->WT_h = malloc(sizeof(float) * (size_t)D * (size_t)C);
    if (!b->WT_fg || !b->b_fg || !b->WT_h) {
        dp_destroy(b);
        return fg_error_set(err, FG_ERR_NOMEM, "double_pair: out of memory");
    }
    for (int k = 0; k < C; k++)
        for (int d = 0; d < D; d++) {
            b->WT_fg[k * 2 * D + d] = W_f[d * C + k];
            b->WT_fg[k * 2 * D + D + d] = W_g[d * C + k];
            b->WT_h[k * D + d] = W_h[d * C + k];
        }
    memcpy(b->b_fg, b_f, sizeof(float) * (size_t)D);
    memcpy(b->b_fg + D, b_g, sizeof(float) * (size_t)D);
    *self = b;
    return FG_OK;
}

/* FiLM factors of one item: a[c] = 1 + scale[c], s[c] = shift[c]; identity without FiLM. */
static void film_factors(const dp_block *b, float t, float *hid /* [H] */, float *a, float *s)
{
    int C = b->C;
    if (!b->film) {
        for (int c = 0; c < C; c++)
            a[c] = 1.0f, s[c] = 0.0f;
        return;
    }
    for (int k = 0; k < b->H; k++)
        hid[k] = b->W_t0[k] * t + b->b_t0[k];
    fg_gelu(hid, b->H);
    for (int c = 0; c < 2 * C; c++) {
        float acc = b->b_t2[c];
        for (int k = 0; k < b->H; k++)
            acc += b->W_t2[(size_t)c * b->H + k] * hid[k];
        if (c < C)
            a[c] = 1.0f + acc;
        else
            s[c - C] = acc;
    }
}

/* Pass-1 partial of one tile of n edges: column max mx[D], sum of exp se[D],
 * masked sum sm[D] and U[D,D] = sum_p e[p,d] m[p] g[p,:]. fg is [n, 2D] scratch. */
static void gather_tile(const dp_block *b, const float *z, const float *m, int n, float *fg, float *mx, float *se,
                        float *sm, float *U)
{
    int C = b->C, D = b->D, D2 = 2 * b->D;
    product(fg, D2, z, C, 1, b->WT_fg, D2, b->b_fg, false, n, C, D2);
    for (int d = 0; d < D; d++)
        mx[d] = -INFINITY, se[d] = 0.0f, sm[d] = 0.0f;
    for (int p = 0; p < n; p++) {
        float *f = fg + (size_t)p * D2;
        bool keep = !m || m[p] != 0.0f;
        for (int d = 0; d < D; d++) {
            f[d] = keep ? f[d] : MASKED_LOGIT;
            mx[d] = f[d] > mx[d] ? f[d] : mx[d];
        }
    }
    for (int p = 0; p < n; p++) {
        float *f = fg + (size_t)p * D2;
        float mp = m ? m[p] : 1.0f;
#pragma omp simd
        for (int d = 0; d < D; d++) {
            float e = fg_vexpf(f[d] - mx[d]);
            se[d] += e;
            f[d] = e * mp; /* exp weight with the mask applied, reused as GEMM input */
            sm[d] += f[d];
        }
    }
    /* U = (e m)^T g: [D, n] x [n, D]. */
    product(U, D, fg, 1, D2, fg + D, D2, NULL, false, D, n, D);
}

/* Serial combination of the tile partials in tile order: V[D, D]. */
static void combine_tiles(int D, int ntiles, const float *part, float *V, float *mx, float *se, float *sm)
{
    size_t stride = (size_t)D * D + 3 * (size_t)D;
    for (int d = 0; d < D; d++)
        mx[d] = -INFINITY, se[d] = 0.0f, sm[d] = 0.0f;
    for (int t = 0; t < ntiles; t++)
        for (int d = 0; d < D; d++) {
            float v = part[t * stride + d];
            mx[d] = v > mx[d] ? v : mx[d];
        }
    memset(V, 0, sizeof(float) * (size_t)D * D);
    for (int t = 0; t < ntiles; t++) {
        const float *pt = part + t * stride;
        const float *U = pt + 3 * D;
        for (int d = 0; d < D; d++) {
            float r = expf(pt[d] - mx[d]);
            se[d] += pt[D + d] * r;
            sm[d] += pt[2 * D + d] * r;
            for (int e = 0; e < D; e++)
                V[d * D + e] += U[d * D + e] * r;
        }
    }
    /* w = e / se; renormalised: w m / (sum(w m) + eps) = e m / se / (sm / se + eps). */
    for (int d = 0; d < D; d++) {
        float inv = 1.0f / (se[d] * (sm[d] / se[d] + RENORM_EPS));
        for (int e = 0; e < D; e++)
            V[d * D + e] *= inv;
    }
}

/* Pass 2 on n <= ROWS2 edges: z[n, C] += softmax_D(z W_h^T + b_h) Wv + bo,
 * where Wv[D, C] = V W_o'^T already holds output_proj and FiLM. h is [n, D]. */
static void distribute_rows(const dp_block *b, float *z, int n, const float *Wv, const float *bo, float *h)
{
    int C = b->C, D = b->D;
    product(h, D, z, C, 1, b->WT_h, D, b->b_h, false, n, C, D);
    fg_softmax_rows(h, n, D);
    product(z, C, h, D, 1, Wv, C, bo, true, n, D, C);
}

static fg_status dp_forward(void *self, fg_block_io *io, fg_error *err)
{
    const dp_block *b = self;
    int C = b->C, D = b->D;
    if (!io->z || !io->scratch)
        return fg_error_set(err, FG_ERR_INVALID, "double_pair: edge features and scratch arena are required");
    if (b->film && !io->t)
        return fg_error_set(err, FG_ERR_INVALID, "double_pair: use_film needs the time t of each item");
    int64_t P = (int64_t)io->N * io->N;
    if (P == 0 || io->B <= 0)
        return FG_OK;
    int ntiles = (int)((P + TILE - 1) / TILE);
    int nthr = fg_get_threads();
    size_t pstride = (size_t)D * D + 3 * (size_t)D;

    fg_arena_mark mark = fg_arena_save(io->scratch);
    float *part = fg_arena_floats(io->scratch, (size_t)ntiles * pstride); /* [tiles, 3D + D*D] */
    float *work = fg_arena_floats(io->scratch, (size_t)nthr * TILE * 2 * D); /* [threads, TILE, 2D] */
    float *V = fg_arena_floats(io->scratch, (size_t)D * D);                 /* [D, D] */
    float *Wv = fg_arena_floats(io->scratch, (size_t)D * C);                /* [D, C] */
    float *vec = fg_arena_floats(io->scratch, 3 * (size_t)C + (size_t)b->H + 3 * (size_t)D); /* small */
    if (!part || !work || !V || !Wv || !vec) {
        fg_arena_restore(io->scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "double_pair: out of scratch memory");
    }
    float *fa = vec, *fs = vec + C, *bo = vec + 2 * C, *hid = vec + 3 * C, *cm = hid + b->H;

    for (int it = 0; it < io->B; it++) {
        float *z = io->z + (size_t)it * P * C;
        const float *m = io->edge_mask ? io->edge_mask + (size_t)it * P : NULL;
#pragma omp parallel for schedule(static)
        for (int t = 0; t < ntiles; t++) {
            int64_t p0 = (int64_t)t * TILE;
            int n = (int)(P - p0 < TILE ? P - p0 : TILE);
            float *pt = part + t * pstride;
            gather_tile(b, z + p0 * C, m ? m + p0 : NULL, n, work + (size_t)omp_get_thread_num() * TILE * 2 * D, pt,
                        pt + D, pt + 2 * D, pt + 3 * D);
        }
        combine_tiles(D, ntiles, part, V, cm, cm + D, cm + 2 * D);

        film_factors(b, b->film ? io->t[it] : 0.0f, hid, fa, fs);
        /* Wv[d, c] = sum_e V[d, e] W_o[c, e] (1 + scale[c]); bo = b_o (1 + scale) + shift. */
        fg_gemm(false, true, D, C, D, 1.0f, V, D, b->W_o, D, 0.0f, Wv, C);
        for (int d = 0; d < D; d++)
            for (int c = 0; c < C; c++)
                Wv[d * C + c] *= fa[c];
        for (int c = 0; c < C; c++)
            bo[c] = b->b_o[c] * fa[c] + fs[c];

        int64_t nsteps = (P + ROWS2 - 1) / ROWS2;
#pragma omp parallel for schedule(static)
        for (int64_t k = 0; k < nsteps; k++) {
            int64_t p0 = k * ROWS2;
            int n = (int)(P - p0 < ROWS2 ? P - p0 : ROWS2);
            distribute_rows(b, z + p0 * C, n, Wv, bo, work + (size_t)omp_get_thread_num() * TILE * 2 * D);
        }
    }
    fg_arena_restore(io->scratch, mark);
    return FG_OK;
}

static double dp_flops(const void *self, int B, int N)
{
    const dp_block *b = self;
    double P = (double)B * N * N, C = b->C, D = b->D;
    /* Upstream op count: three C->D projections, w^T g, scores V, D->C output. */
    return P * (8.0 * C * D + 4.0 * D * D);
}

const fg_block_type fg_block_double_pair = {
    .name = "double_pair",
    .summary = "DoublePairAttention: gather/distribute attention over all edges (edges only, optional time FiLM)",
    .fields = DP_FIELDS,
    .n_fields = sizeof DP_FIELDS / sizeof DP_FIELDS[0],
    .params_size = sizeof(dp_params),
    .reads = FG_BLOCK_EDGES | FG_BLOCK_TIME,
    .writes = FG_BLOCK_EDGES,
    .create = dp_create,
    .forward = dp_forward,
    .destroy = dp_destroy,
    .flops = dp_flops,
};
