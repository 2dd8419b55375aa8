/* Attention with pair bias (AttentionPairBias): q = s Wq + bq, k, v, g from
 * the same s, logits q.k / sqrt(d) + Linear(LN z)_h - 1e6 (1 - mask_j),
 * softmax over j, o = sigmoid(g) * (p v), out = o Wo. One parallel region
 * in three phases over fixed units: (1) the q|k|v|g products in tiles
 * (sigmoid of g in the epilogue, q's bias and k's transpose by the tile that
 * made them) and the pair bias, one row of z per unit (LayerNorm folded into
 * its small projection, never stored); (2) attention per (head, block of
 * query rows); (3) the output product in tiles. Products are fg_mm on
 * weights packed in panels at init (a plain transposed layout puts the
 * weight rows 4 KB apart, which costs a quarter of the product rate). */
#include "core/wide.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "core/mm.h"

#define QBLOCK 16    /* query rows per attention unit */
#define ROWS 32      /* rows per product tile */
#define PROJ_COLS 128 /* q|k|v|g columns per projection tile */
#define OUT_COLS 64   /* output columns per output tile */
_Static_assert(PROJ_COLS % FG_MM_NR == 0 && OUT_COLS % FG_MM_NR == 0, "tiles start on panel boundaries");

fg_status fg_attn_pair_bias_init(fg_attn_pair_bias *m, fg_wload *l, const char *name, int c_s, int c_z,
                                 int heads, bool compute_pair_bias)
{
    char b[256];
    memset(m, 0, sizeof *m);
    if (l->st != FG_OK)
        return l->st;
    if (heads < 1 || c_s % heads != 0) {
        l->st = fg_error_set(l->err, FG_ERR_CONFIG,
                             "%s%s: node width %d is not a multiple of num_heads %d", l->prefix, name,
                             c_s, heads);
        return l->st;
    }
    if (!compute_pair_bias && c_z != heads) {
        l->st = fg_error_set(l->err, FG_ERR_CONFIG,
                             "%s%s: compute_pair_bias=false needs edge width %d == num_heads %d",
                             l->prefix, name, c_z, heads);
        return l->st;
    }
    m->c_s = c_s;
    m->c_z = c_z;
    m->heads = heads;
    m->dh = c_s / heads;
    m->compute_pair_bias = compute_pair_bias;
    m->wq = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "proj_q.weight"), c_s, c_s);
    m->bq = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "proj_q.bias"), c_s);
    m->wk = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "proj_k.weight"), c_s, c_s);
    m->wv = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "proj_v.weight"), c_s, c_s);
    m->wg = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "proj_g.weight"), c_s, c_s);
    m->wo = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "proj_o.weight"), c_s, c_s);
    if (compute_pair_bias) {
        m->z_ln_w = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "proj_z.0.weight"), c_z);
        m->z_ln_b = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "proj_z.0.bias"), c_z);
        m->wz = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "proj_z.1.weight"), heads, c_z);
    }
    if (l->st != FG_OK)
        return l->st;
    const size_t sq = (size_t)fg_mm_panel_floats(c_s, c_s), nfold = compute_pair_bias ? (size_t)heads * (c_z + 1) : 0;
    m->packed = malloc(sizeof(float) * (5 * sq + nfold));
    if (!m->packed)
        return l->st = fg_error_set(l->err, FG_ERR_NOMEM, "%s%s: out of memory for packed weights", l->prefix, name);
    const float *w5[5] = {m->wq, m->wk, m->wv, m->wg, m->wo};
    for (int i = 0; i < 5; i++)
        fg_mm_pack_panels(m->packed + i * sq, w5[i], c_s, true, c_s, c_s);
    for (int i = 0; i < 4; i++)
        m->wp[i] = m->packed + i * sq;
    m->wo_p = m->packed + 4 * sq;
    float *fold = m->packed + 5 * sq;
    if (compute_pair_bias)
        fg_ln_proj_fold(fold, fold + (size_t)heads * c_z, m->wz, m->z_ln_w, m->z_ln_b, heads, c_z);
    m->fold = compute_pair_bias ? fold : NULL;
    return FG_OK;
}

void fg_attn_pair_bias_free(fg_attn_pair_bias *m)
{
    free(m->packed);
    m->packed = NULL;
}

double fg_attn_pair_bias_flops(const fg_attn_pair_bias *m, int n)
{
    double N = n, cs = m->c_s;
    return 2.0 * N * cs * cs * 5.0                                   /* q, k, v, g, o */
           + 2.0 * 2.0 * N * N * cs                                   /* q.k and p.v */
           + (m->compute_pair_bias ? 2.0 * N * N * m->c_z * m->heads : 0.0);
}

/* Buffers of one forward. */
typedef struct apb_bufs {
    float *qkvg;  /* [n][4 c_s]: q (+ bias) | k | v | sigmoid(g) */
    float *kt;    /* [c_s][n]: k transposed */
    float *bz;    /* [H][n][n]: pair bias */
    float *o;     /* [n][c_s]: gated attention output */
    float *maskb; /* [n]: mask bias per key */
    float *tiles; /* per thread: [QBLOCK][n] logits + [QBLOCK] 1 / sums */
} apb_bufs;

/* Bz[h][i][:] of row i of the edges. */
static void pair_bias_row(const fg_attn_pair_bias *m, const float *z, int n, int i, float *Bz)
{
    const int cz = m->c_z, H = m->heads;
    const int64_t P = (int64_t)n * n;
    const float *zi = z + (int64_t)i * n * cz;
    if (m->compute_pair_bias) {
        fg_ln_proj_rows(Bz + (int64_t)i * n, 1, P, zi, n, cz, cz, m->fold, m->fold + (size_t)H * cz, H, FG_PF_LN_EPS);
        return;
    }
    for (int h = 0; h < H; h++)
        for (int j = 0; j < n; j++)
            Bz[h * P + (int64_t)i * n + j] = zi[(size_t)j * cz + h];
}

/* Projection tile u: rows of s by ROWS, columns of one of q, k, v, g by PROJ_COLS. */
static void project_tile(const fg_attn_pair_bias *m, const float *s, int n, int u, const apb_bufs *b)
{
    const int cs = m->c_s, ld = 4 * cs, pcs = (cs + PROJ_COLS - 1) / PROJ_COLS;
    const int rb = u / (4 * pcs), part = u / pcs % 4, j0 = part * cs + u % pcs * PROJ_COLS;
    const int r0 = rb * ROWS, rows = n - r0 < ROWS ? n - r0 : ROWS;
    const int cols = (part + 1) * cs - j0 < PROJ_COLS ? (part + 1) * cs - j0 : PROJ_COLS;
    float *y = b->qkvg + (size_t)r0 * ld + j0;
    const int64_t panel = (int64_t)cs * FG_MM_NR, jj = j0 - part * cs; /* jj: a multiple of PROJ_COLS */
    fg_mm mm = {s + (size_t)r0 * cs, cs, 1, m->wp[part] + jj / FG_MM_NR * panel, FG_MM_NR, rows, cs, cols, y, ld,
                part == 3 ? FG_MM_SIGMOID : FG_MM_STORE, NULL, 0, panel, {NULL, NULL, false}};
    fg_mm_run(&mm);
    if (part == 0) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                y[(size_t)i * ld + j] += m->bq[j0 + j];
    } else if (part == 1) {
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < rows; i++)
                b->kt[(size_t)(j0 - cs + j) * n + r0 + i] = y[(size_t)i * ld + j];
    }
}

/* Head h, query rows q0 .. q0 + nq - 1: their columns of o. */
static void attend(const fg_attn_pair_bias *m, int n, int h, int q0, int nq, const apb_bufs *b, float *sl,
                   float *inv)
{
    const int cs = m->c_s, dh = m->dh, ld = 4 * cs;
    const int64_t P = (int64_t)n * n;
    const float scale = (float)sqrt((double)dh);
    fg_mm logits = {b->qkvg + (size_t)q0 * ld + h * dh, ld, 1, b->kt + (size_t)h * dh * n, n, nq, dh, n, sl, n,
                    FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&logits);
    for (int i = 0; i < nq; i++) {
        float *row = sl + (size_t)i * n;
#pragma omp simd
        for (int j = 0; j < n; j++)
            row[j] /= scale;
        inv[i] = fg_fast_softmax_biased_row(row, b->bz + h * P + (int64_t)(q0 + i) * n, b->maskb, n);
    }
    float *o = b->o + (size_t)q0 * cs + h * dh;
    fg_mm pv = {sl, n, 1, b->qkvg + 2 * cs + h * dh, ld, nq, n, dh, o, cs, FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&pv);
    for (int i = 0; i < nq; i++) {
        const float *g = b->qkvg + (size_t)(q0 + i) * ld + 3 * cs + h * dh;
        float *oi = o + (size_t)i * cs;
#pragma omp simd
        for (int e = 0; e < dh; e++)
            oi[e] = oi[e] * inv[i] * g[e];
    }
}

/* Output tile u: rows by ROWS, columns by OUT_COLS. */
static void output_tile(const fg_attn_pair_bias *m, int n, int u, const apb_bufs *b, float *out, bool accumulate)
{
    const int cs = m->c_s, ocs = (cs + OUT_COLS - 1) / OUT_COLS;
    const int r0 = u / ocs * ROWS, j0 = u % ocs * OUT_COLS;
    const int rows = n - r0 < ROWS ? n - r0 : ROWS, cols = cs - j0 < OUT_COLS ? cs - j0 : OUT_COLS;
    const int64_t panel = (int64_t)cs * FG_MM_NR;
    fg_mm mm = {b->o + (size_t)r0 * cs, cs, 1, m->wo_p + j0 / FG_MM_NR * panel, FG_MM_NR, rows, cs, cols,
                out + (size_t)r0 * cs + j0, cs, accumulate ? FG_MM_ADD : FG_MM_STORE, NULL, 0, panel,
                {NULL, NULL, false}};
    fg_mm_run(&mm);
}

fg_status fg_attn_pair_bias_forward(const fg_attn_pair_bias *m, const float *s, const float *z,
                                    const float *node_mask, int n, float *out, bool accumulate,
                                    fg_arena *a, fg_error *err)
{
    if (n < 1)
        return FG_OK;
    const int cs = m->c_s, H = m->heads;
    const size_t tile = (size_t)QBLOCK * (n + 1);
    fg_arena_mark mk = fg_arena_save(a);
    apb_bufs b;
    b.qkvg = fg_arena_floats(a, (size_t)n * 4 * cs);
    b.kt = fg_arena_floats(a, (size_t)cs * n);
    b.bz = fg_arena_floats(a, (size_t)H * n * n);
    b.o = fg_arena_floats(a, (size_t)n * cs);
    b.maskb = fg_arena_floats(a, (size_t)n);
    b.tiles = fg_arena_floats(a, (size_t)fg_pf_threads() * tile);
    if (!b.qkvg || !b.kt || !b.bz || !b.o || !b.maskb || !b.tiles) {
        fg_arena_restore(a, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "attention pair bias: out of memory (N=%d)", n);
    }
    for (int j = 0; j < n; j++)
        b.maskb[j] = (1.0f - (node_mask ? node_mask[j] : 1.0f)) * -FG_APB_INF;
    const int nrb = (n + ROWS - 1) / ROWS, nqb = (n + QBLOCK - 1) / QBLOCK;
    const int nproj = nrb * 4 * ((cs + PROJ_COLS - 1) / PROJ_COLS), nout = nrb * ((cs + OUT_COLS - 1) / OUT_COLS);
#pragma omp parallel
    {
        float *sl = b.tiles + (size_t)omp_get_thread_num() * tile, *inv = sl + (size_t)QBLOCK * n;
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < nproj + n; u++) {
            if (u < nproj)
                project_tile(m, s, n, u, &b);
            else
                pair_bias_row(m, z, n, u - nproj, b.bz);
        }
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < H * nqb; u++) {
            const int q0 = u % nqb * QBLOCK;
            attend(m, n, u / nqb, q0, n - q0 < QBLOCK ? n - q0 : QBLOCK, &b, sl, inv);
        }
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < nout; u++)
            output_tile(m, n, u, &b, out, accumulate);
    }
    fg_arena_restore(a, mk);
    return FG_OK;
}
