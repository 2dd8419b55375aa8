/* Triangle multiplication (outgoing / incoming). The contraction
 * x_ij = sum_k a_ik b_jk (or a_ki b_kj) is one product per channel, so a and
 * b are laid out channel-major: A[ch][q], B[ch][q] over the N^2 positions in
 * the order each product reads them (b of the outgoing form with its two
 * position indices swapped, so that its rows are k). The input projection
 * produces them in that layout directly, as W_in (LN z)^T over tiles of
 * positions, with the gate sigmoid(g_in) and the mask applied in its
 * epilogue. The contraction runs in blocks of output rows; each block is
 * normalised over channels, projected back to channels-last by p_out and
 * gated by sigmoid(g_out(LN_in z)) as it is added to the output. Nothing of
 * size N^3 exists. All products are fg_mm on weights re-laid out at init;
 * one parallel region, with the work split into fixed tiles. */
#include "core/wide.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "core/mm.h"

#define TILE 64 /* positions per projection / output tile */

static int c4(int c) { return (int)fg_mm_round_up(c, 4); }

/* win: 8-row blocks of 4 p_in rows then the same 4 g_in rows (rows ch0 + 0..c-1
 * of each; zero past c), the row pairs of FG_MM_GATE_ROWS. */
static void pack_in(float *win, const float *p_in, const float *g_in, int c, int ch0)
{
    memset(win, 0, sizeof(float) * 2 * (size_t)c4(c) * c);
    for (int ch = 0; ch < c; ch++) {
        const int row = (ch / 4) * 8 + ch % 4;
        memcpy(win + (size_t)row * c, p_in + (size_t)(ch0 + ch) * c, sizeof(float) * c);
        memcpy(win + (size_t)(row + 4) * c, g_in + (size_t)(ch0 + ch) * c, sizeof(float) * c);
    }
}

fg_status fg_tri_mul_init(fg_tri_mul *m, fg_wload *l, const char *name, int c, bool outgoing)
{
    char b[256];
    memset(m, 0, sizeof *m);
    m->c = c;
    m->outgoing = outgoing;
    m->norm_in_w = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm_in.weight"), c);
    m->norm_in_b = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm_in.bias"), c);
    m->p_in = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "p_in.weight"), 2 * c, c);
    m->g_in = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "g_in.weight"), 2 * c, c);
    m->norm_out_w = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm_out.weight"), c);
    m->norm_out_b = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm_out.bias"), c);
    m->p_out = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "p_out.weight"), c, c);
    m->g_out = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "g_out.weight"), c, c);
    if (l->st != FG_OK)
        return l->st;
    const size_t win = 2 * (size_t)c4(c) * c, sq = (size_t)c * c;
    m->packed = malloc(sizeof(float) * (2 * win + 2 * sq));
    if (!m->packed)
        return l->st = fg_error_set(l->err, FG_ERR_NOMEM, "%s%s: out of memory for packed weights", l->prefix, name);
    float *win_a = m->packed, *win_b = win_a + win, *g_out_t = win_b + win, *p_out_t = g_out_t + sq;
    pack_in(win_a, m->p_in, m->g_in, c, 0);
    pack_in(win_b, m->p_in, m->g_in, c, c);
    fg_mm_pack_t(g_out_t, c, m->g_out, c, c);
    fg_mm_pack_t(p_out_t, c, m->p_out, c, c);
    m->win_a = win_a, m->win_b = win_b, m->g_out_t = g_out_t, m->p_out_t = p_out_t;
    fg_pf_release(l, (const float *const[]){m->p_in, m->g_in, m->p_out, m->g_out}, 4);
    return FG_OK;
}

void fg_tri_mul_free(fg_tri_mul *m)
{
    free(m->packed);
    m->packed = NULL;
}

double fg_tri_mul_flops(const fg_tri_mul *m, int n)
{
    double P = (double)n * n, c = m->c;
    return 2.0 * P * c * 4.0 * c   /* p_in, g_in */
           + 2.0 * P * n * c       /* contraction */
           + 2.0 * 2.0 * P * c * c; /* p_out, g_out */
}

static int block_rows(const fg_tri_mul *m, int n)
{
    int r = m->block_rows > 0 ? m->block_rows : 65536 / n;
    return r < 1 ? 1 : r > n ? n : r;
}

/* One projection tile: cnt positions of line `line` from offset off, in the
 * order q = line * n + off + t. swapped: position (off + t, line) of z (the
 * outgoing b); else (line, off + t). */
typedef struct proj_tile {
    int line, off, cnt;
    bool swapped;
} proj_tile;

/* The tile's columns of A (rows = 2 c4 of win) or, with both, of A and B
 * (B follows A in memory; win_b follows win_a). lnt [c][TILE], mv [TILE],
 * tmp [FG_LN_T_ROWS][c]. */
static void project_tile(const fg_tri_mul *m, const float *z, const float *mask, int n, const proj_tile *t,
                         const float *win, bool both, float *dst, float *lnt, float *mv, float *tmp)
{
    const int c = m->c;
    const int64_t P = (int64_t)n * n;
    const int64_t p0 = t->swapped ? (int64_t)t->off * n + t->line : (int64_t)t->line * n + t->off;
    const int64_t step = t->swapped ? n : 1; /* between positions of the tile */
    fg_ln_rows_t(lnt, TILE, z + p0 * c, t->cnt, step * c, c, m->norm_in_w, m->norm_in_b, FG_PF_LN_EPS, tmp);
    for (int q = 0; mask && q < t->cnt; q++)
        mv[q] = mask[p0 + q * step];
    fg_mm mm = {win, c, 1, lnt, TILE, (both ? 4 : 2) * (int64_t)c4(c), c, t->cnt,
                dst + (int64_t)t->line * n + t->off, P, FG_MM_GATE_ROWS, mask ? mv : NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&mm);
}

/* Projection tiles: n * segs of them over the positions in natural order,
 * each doing a and b, for the incoming form; for the outgoing form tiles
 * 0 .. n * segs - 1 do a and the next n * segs do b in swapped order. */
static int64_t proj_tiles(const fg_tri_mul *m, int n)
{
    return (m->outgoing ? 2 : 1) * (int64_t)n * ((n + TILE - 1) / TILE);
}

static void project(const fg_tri_mul *m, const float *z, const float *mask, int n, int64_t u, float *A, float *B,
                    float *scratch)
{
    const int c = m->c, segs = (n + TILE - 1) / TILE;
    const int64_t per = (int64_t)n * segs;
    const bool is_b = u >= per;
    const int64_t v = is_b ? u - per : u;
    proj_tile t = {(int)(v / segs), (int)(v % segs) * TILE, 0, is_b};
    t.cnt = n - t.off < TILE ? n - t.off : TILE;
    float *lnt = scratch, *mv = lnt + (size_t)TILE * c, *tmp = mv + TILE; /* [c][TILE], [TILE], [32][c] */
    project_tile(m, z, mask, n, &t, is_b ? m->win_b : m->win_a, !m->outgoing, is_b ? B : A, lnt, mv, tmp);
}

/* X[ch][i - i0][j] of output rows i0 .. i0 + rows - 1 for channel ch. */
static void contract(const fg_tri_mul *m, const float *A, const float *B, int n, int i0, int rows, int ch,
                     float *X)
{
    const int64_t P = (int64_t)n * n;
    const float *a = A + ch * P + (m->outgoing ? (int64_t)i0 * n : i0);
    fg_mm mm = {a, m->outgoing ? n : 1, m->outgoing ? 1 : n, B + ch * P, n, rows, n, n,
                X + (int64_t)ch * rows * n, n, FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&mm);
}

/* LayerNorm over the channels of a channel-major block: y[ch][q] ([c][TILE])
 * for the cnt positions q of x[ch][q] (row stride ldx). Vectorised across
 * positions. */
static void ln_channels(float *y, const float *x, int64_t ldx, int c, int cnt, const float *g,
                        const float *b, float *mean, float *inv)
{
    for (int q = 0; q < cnt; q++)
        mean[q] = 0.0f, inv[q] = 0.0f;
    for (int ch = 0; ch < c; ch++) {
        const float *xr = x + ch * ldx;
#pragma omp simd
        for (int q = 0; q < cnt; q++)
            mean[q] += xr[q];
    }
    for (int q = 0; q < cnt; q++)
        mean[q] /= (float)c;
    for (int ch = 0; ch < c; ch++) {
        const float *xr = x + ch * ldx;
#pragma omp simd
        for (int q = 0; q < cnt; q++)
            inv[q] += (xr[q] - mean[q]) * (xr[q] - mean[q]);
    }
    for (int q = 0; q < cnt; q++)
        inv[q] = 1.0f / sqrtf(inv[q] / (float)c + FG_PF_LN_EPS);
    for (int ch = 0; ch < c; ch++) {
        const float *xr = x + ch * ldx;
        float *yr = y + (size_t)ch * TILE;
#pragma omp simd
        for (int q = 0; q < cnt; q++)
            yr[q] = (xr[q] - mean[q]) * inv[q] * g[ch] + b[ch];
    }
}

/* Output tile t of the block of rows i0..: out (+)= p_out(LN_out(x)) *
 * sigmoid(g_out(LN_in(z))) for its positions; p_out reads the channel-major
 * block transposed, so its product comes out channels-last. */
static void finish(const fg_tri_mul *m, const float *z, const float *X, int n, int i0, int rows, int64_t t,
                   float *out, bool accumulate, float *scratch)
{
    const int c = m->c;
    const int64_t Q = (int64_t)rows * n, q0 = t * TILE, p0 = (int64_t)i0 * n + q0;
    const int cnt = (int)(Q - q0 < TILE ? Q - q0 : TILE);
    float *xn = scratch, *ln = xn + (size_t)TILE * c, *g = ln + (size_t)TILE * c; /* [c][TILE], [TILE][c] x2 */
    float *mean = g + (size_t)TILE * c, *inv = mean + TILE;                       /* [TILE] */
    ln_channels(xn, X + q0, Q, c, cnt, m->norm_out_w, m->norm_out_b, mean, inv);
    fg_ln_rows(ln, z + p0 * c, cnt, c, c, m->norm_in_w, m->norm_in_b, FG_PF_LN_EPS);
    fg_mm gate = {ln, c, 1, m->g_out_t, c, cnt, c, c, g, c, FG_MM_SIGMOID, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&gate);
    fg_mm proj = {xn, 1, TILE, m->p_out_t, c, cnt, c, c, out + p0 * c, c, accumulate ? FG_MM_MUL_ADD : FG_MM_MUL, g, c, 0, {NULL, NULL, false}};
    fg_mm_run(&proj);
}

fg_status fg_tri_mul_forward(const fg_tri_mul *m, const float *z, const float *mask, int n, float *out,
                             bool accumulate, fg_arena *a, fg_error *err)
{
    if (n < 1)
        return FG_OK;
    const int c = m->c, br = block_rows(m, n);
    const int64_t P = (int64_t)n * n;
    const size_t per_thread = (size_t)TILE * (3 * (size_t)c + 2) + (size_t)FG_LN_T_ROWS * c;
    fg_arena_mark mk = fg_arena_save(a);
    float *A = fg_arena_floats(a, 2 * (size_t)c4(c) * P);               /* [c4][P], then B [c4][P] */
    float *B = A ? A + (size_t)c4(c) * P : NULL;
    float *X = fg_arena_floats(a, (size_t)c * br * n);                  /* [c][br][n] */
    float *scratch = fg_arena_floats(a, (size_t)fg_pf_threads() * per_thread);
    if (!A || !B || !X || !scratch) {
        fg_arena_restore(a, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "triangle multiplication: out of memory (N=%d, c=%d)", n, c);
    }
    const int64_t nproj = proj_tiles(m, n);
#pragma omp parallel
    {
        float *mine = scratch + (size_t)omp_get_thread_num() * per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int64_t u = 0; u < nproj; u++)
            project(m, z, mask, n, u, A, B, mine);
        for (int i0 = 0; i0 < n; i0 += br) {
            const int rows = n - i0 < br ? n - i0 : br;
            const int64_t ntiles = ((int64_t)rows * n + TILE - 1) / TILE;
#pragma omp for schedule(dynamic, 1)
            for (int ch = 0; ch < c; ch++)
                contract(m, A, B, n, i0, rows, ch, X);
#pragma omp for schedule(dynamic, 1)
            for (int64_t t = 0; t < ntiles; t++)
                finish(m, z, X, n, i0, rows, t, out, accumulate, mine);
        }
    }
    fg_arena_restore(a, mk);
    return FG_OK;
}
