/* Attention with pair bias (AttentionPairBias): q = s Wq + bq, k, v, g from
 * the same s, logits q.k / sqrt(d) + Linear(LN z)_h - 1e6 (1 - mask_j),
 * softmax over j, o = sigmoid(g) * (p v), out = o Wo. Products are fg_mm on
 * weights packed in panels at init (a plain transposed layout puts the
 * weight rows 4 KB apart, which costs a quarter of the product rate); q's
 * bias and g's sigmoid ride in the products' epilogues, and the k tiles are
 * also written transposed (kt) for the logits.
 *
 * One parallel region, on one of two schedules; every output element gets
 * the same operations on both, so the result does not depend on which one
 * (i.e. on the thread count), only the work split differs:
 * - fused, when there are at least two query blocks per thread: (1) the k
 *   and v products in tiles; one barrier; (2) per block of query rows, all
 *   of it: its q and g rows, its pair-bias rows (z read once, into
 *   per-thread scratch, never to a shared [H][N][N] buffer), attention for
 *   every head, and its rows of the output product. Everything after k and
 *   v is complete for those rows, so nothing else waits on another thread.
 * - three phases otherwise (many threads, small N): (1) the q|k|v|g tiles and
 *   the pair bias, one row of z per unit; (2) attention per (head, query
 *   block); (3) the output product in tiles: finer units for more threads.
 *
 * The pair bias reads all of z (N^2 c_z floats, 8 MB at N = 128) for a few
 * outputs per edge, so it runs at memory speed at best, through
 * fg_ln_proj_rows, whose 16-edge form reads each edge's c_z values front to
 * back and prefetches the edges it reads next. (Prefetching the block's z
 * rows in bursts before the q|g products, to hide them under that compute,
 * was 5-15 % slower on the benchmark machine: the bursts stalled the
 * products, which are too short to cover reading 1 MB of z anyway.) */
#include "core/wide.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "core/mm.h"
#include "core/transpose.h"

#define QBLOCK 16     /* query rows per attention unit */
#define ROWS 32       /* rows per product tile */
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
    fg_pf_release(l, w5, 5);
    if (compute_pair_bias)
        fg_pf_release(l, &m->wz, 1);
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
    float *bz;    /* [H][n][n]: pair bias (three-phase schedule only) */
    float *o;     /* [n][c_s]: gated attention output */
    float *maskb; /* [n]: mask bias per key */
    float *tiles; /* per thread: apb_scratch_floats */
} apb_bufs;

/* Per-thread scratch of an attention unit: logits and 1 / sums of its
 * QBLOCK query rows, and in the fused schedule their pair bias. */
static size_t apb_scratch_floats(const fg_attn_pair_bias *m, int n, bool fused)
{
    return (size_t)QBLOCK * (n + 1) + (fused ? (size_t)m->heads * QBLOCK * n : 0);
}

/* y[h * y_head + (i - i0) * n + j] = bias of head h for edge (i, j), i in
 * i0 .. i0 + rows - 1, one row of z at a time (the edges of a row are
 * grouped the same way whatever rows is, so the result does not depend on
 * the schedule); the rows are contiguous, so reading runs ahead into the next. */
static void pair_bias_rows(const fg_attn_pair_bias *m, const float *z, int n, int i0, int rows, float *y,
                           int64_t y_head)
{
    const int cz = m->c_z, H = m->heads;
    for (int r = 0; r < rows; r++) {
        const float *zi = z + (int64_t)(i0 + r) * n * cz;
        float *yr = y + (int64_t)r * n;
        if (!m->compute_pair_bias) {
            for (int h = 0; h < H; h++)
                for (int j = 0; j < n; j++)
                    yr[h * y_head + j] = zi[(size_t)j * cz + h];
            continue;
        }
        fg_ln_proj_rows(yr, 1, y_head, zi, n, (int64_t)(rows - r) * n, cz, cz, m->fold, m->fold + (size_t)H * cz,
                        H, FG_PF_LN_EPS);
    }
}

/* Rows r0 .. r0 + rows - 1, columns c0 .. c0 + cols - 1 of part (0 q, 1 k,
 * 2 v, 3 g) of qkvg: q gets its bias and g its sigmoid in the product's
 * epilogue; k is also written transposed to kt. c0: a multiple of FG_MM_NR. */
static void project(const fg_attn_pair_bias *m, const float *s, int n, int part, int r0, int rows, int c0,
                    int cols, const apb_bufs *b)
{
    const int cs = m->c_s, ld = 4 * cs;
    float *y = b->qkvg + (size_t)r0 * ld + part * cs + c0;
    const int64_t panel = (int64_t)cs * FG_MM_NR;
    fg_mm mm = {s + (size_t)r0 * cs, cs, 1, m->wp[part] + c0 / FG_MM_NR * panel, FG_MM_NR, rows, cs, cols, y, ld,
                part == 3 ? FG_MM_SIGMOID : FG_MM_STORE, NULL, 0, panel, {part == 0 ? m->bq + c0 : NULL, NULL, false}};
    fg_mm_run(&mm);
    if (part != 1)
        return;
    for (int j = 0; j < cols; j += 16)
        for (int i = 0; i < rows; i += 16)
            fg_transpose_tile(b->kt + (size_t)(c0 + j) * n + r0 + i, n, y + (size_t)i * ld + j, ld,
                              rows - i < 16 ? rows - i : 16, cols - j < 16 ? cols - j : 16);
}

/* Projection tile u of parts p0 .. p0 + np - 1: rows by ROWS, columns by PROJ_COLS. */
static void project_tile(const fg_attn_pair_bias *m, const float *s, int n, int p0, int np, int u,
                         const apb_bufs *b)
{
    const int cs = m->c_s, pcs = (cs + PROJ_COLS - 1) / PROJ_COLS;
    const int r0 = u / (np * pcs) * ROWS, part = p0 + u / pcs % np, c0 = u % pcs * PROJ_COLS;
    project(m, s, n, part, r0, n - r0 < ROWS ? n - r0 : ROWS, c0, cs - c0 < PROJ_COLS ? cs - c0 : PROJ_COLS, b);
}

/* Head h, query rows q0 .. q0 + nq - 1: their columns of o. bias: the head's
 * pair bias of row q0, rows n apart. */
static void attend(const fg_attn_pair_bias *m, int n, int h, int q0, int nq, const float *bias, const apb_bufs *b,
                   float *sl, float *inv)
{
    const int cs = m->c_s, dh = m->dh, ld = 4 * cs;
    const float scale = (float)sqrt((double)dh);
    fg_mm logits = {b->qkvg + (size_t)q0 * ld + h * dh, ld, 1, b->kt + (size_t)h * dh * n, n, nq, dh, n, sl, n,
                    FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&logits);
    for (int i = 0; i < nq; i++) {
        float *row = sl + (size_t)i * n;
#pragma omp simd
        for (int j = 0; j < n; j++)
            row[j] /= scale;
        inv[i] = fg_fast_softmax_biased_row(row, bias + (int64_t)i * n, b->maskb, n);
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

/* out rows r0 .. r0 + rows - 1, columns c0 .. c0 + cols - 1 from o. */
static void output_rows(const fg_attn_pair_bias *m, int r0, int rows, int c0, int cols, const apb_bufs *b,
                        float *out, bool accumulate)
{
    const int cs = m->c_s;
    const int64_t panel = (int64_t)cs * FG_MM_NR;
    fg_mm mm = {b->o + (size_t)r0 * cs, cs, 1, m->wo_p + c0 / FG_MM_NR * panel, FG_MM_NR, rows, cs, cols,
                out + (size_t)r0 * cs + c0, cs, accumulate ? FG_MM_ADD : FG_MM_STORE, NULL, 0, panel,
                {NULL, NULL, false}};
    fg_mm_run(&mm);
}

/* Fused unit: query rows q0 .. q0 + nq - 1 from s to their rows of out,
 * every head, once k and v are complete. Its pair-bias rows go to the
 * thread's scratch and are used while still in cache. */
static void query_block(const fg_attn_pair_bias *m, const float *s, const float *z, int n, int q0, int nq,
                        const apb_bufs *b, float *scratch, float *out, bool accumulate)
{
    const int cs = m->c_s;
    const int64_t head = (int64_t)QBLOCK * n;
    float *sl = scratch, *inv = sl + head, *bias = inv + QBLOCK; /* [QBLOCK][n], [QBLOCK], [H][QBLOCK][n] */
    project(m, s, n, 0, q0, nq, 0, cs, b);
    project(m, s, n, 3, q0, nq, 0, cs, b);
    pair_bias_rows(m, z, n, q0, nq, bias, head);
    for (int h = 0; h < m->heads; h++)
        attend(m, n, h, q0, nq, bias + h * head, b, sl, inv);
    output_rows(m, q0, nq, 0, cs, b, out, accumulate);
}

/* Fused schedule: one barrier. (1) the k and v products in tiles; (2) query blocks. */
static void run_fused(const fg_attn_pair_bias *m, const float *s, const float *z, int n, const apb_bufs *b,
                      float *out, bool accumulate)
{
    const size_t per = apb_scratch_floats(m, n, true);
    const int nkv = (n + ROWS - 1) / ROWS * 2 * ((m->c_s + PROJ_COLS - 1) / PROJ_COLS), nqb = (n + QBLOCK - 1) / QBLOCK;
#pragma omp parallel
    {
        float *scratch = b->tiles + (size_t)omp_get_thread_num() * per;
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < nkv; u++)
            project_tile(m, s, n, 1, 2, u, b);
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < nqb; u++) {
            const int q0 = u * QBLOCK;
            query_block(m, s, z, n, q0, n - q0 < QBLOCK ? n - q0 : QBLOCK, b, scratch, out, accumulate);
        }
    }
}

/* Three-phase schedule, for fewer than two query blocks per thread: (1) the
 * q|k|v|g products in tiles and the pair bias, one row of z per unit; (2)
 * attention per (head, block of query rows); (3) the output product in tiles. */
static void run_phased(const fg_attn_pair_bias *m, const float *s, const float *z, int n, const apb_bufs *b,
                       float *out, bool accumulate)
{
    const int cs = m->c_s, H = m->heads, qb = QBLOCK;
    const int64_t P = (int64_t)n * n;
    const size_t per = apb_scratch_floats(m, n, false);
    const int nrb = (n + ROWS - 1) / ROWS, nqb = (n + qb - 1) / qb, ocs = (cs + OUT_COLS - 1) / OUT_COLS;
    const int nproj = nrb * 4 * ((cs + PROJ_COLS - 1) / PROJ_COLS), nout = nrb * ocs;
#pragma omp parallel
    {
        float *sl = b->tiles + (size_t)omp_get_thread_num() * per, *inv = sl + (size_t)qb * n;
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < nproj + n; u++) {
            if (u < nproj)
                project_tile(m, s, n, 0, 4, u, b);
            else
                pair_bias_rows(m, z, n, u - nproj, 1, b->bz + (int64_t)(u - nproj) * n, P);
        }
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < H * nqb; u++) {
            const int h = u / nqb, q0 = u % nqb * qb;
            attend(m, n, h, q0, n - q0 < qb ? n - q0 : qb, b->bz + h * P + (int64_t)q0 * n, b, sl, inv);
        }
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < nout; u++) {
            const int r0 = u / ocs * ROWS, c0 = u % ocs * OUT_COLS;
            output_rows(m, r0, n - r0 < ROWS ? n - r0 : ROWS, c0, cs - c0 < OUT_COLS ? cs - c0 : OUT_COLS, b, out,
                        accumulate);
        }
    }
}

fg_status fg_attn_pair_bias_forward(const fg_attn_pair_bias *m, const float *s, const float *z,
                                    const float *node_mask, int n, float *out, bool accumulate,
                                    fg_arena *a, fg_error *err)
{
    if (n < 1)
        return FG_OK;
    const int cs = m->c_s, H = m->heads, threads = fg_pf_threads();
    /* Fused units are large and all alike: with fewer than two per thread the
     * dynamic schedule has nothing to even out, and the finer phases do better. */
    const bool fused = (n + QBLOCK - 1) / QBLOCK >= 2 * threads;
    apb_bufs b;
    fg_arena_mark mk = fg_arena_save(a);
    b.qkvg = fg_arena_floats(a, (size_t)n * 4 * cs);
    b.kt = fg_arena_floats(a, (size_t)cs * n);
    b.bz = fused ? NULL : fg_arena_floats(a, (size_t)H * n * n);
    b.o = fg_arena_floats(a, (size_t)n * cs);
    b.maskb = fg_arena_floats(a, (size_t)n);
    b.tiles = fg_arena_floats(a, (size_t)threads * apb_scratch_floats(m, n, fused));
    if (!b.qkvg || !b.kt || (!fused && !b.bz) || !b.o || !b.maskb || !b.tiles) {
        fg_arena_restore(a, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "attention pair bias: out of memory (N=%d)", n);
    }
    for (int j = 0; j < n; j++)
        b.maskb[j] = (1.0f - (node_mask ? node_mask[j] : 1.0f)) * -FG_APB_INF;
    if (fused)
        run_fused(m, s, z, n, &b, out, accumulate);
    else
        run_phased(m, s, z, n, &b, out, accumulate);
    fg_arena_restore(a, mk);
    return FG_OK;
}
