/* Triangle multiplication (outgoing / incoming). The contraction
 * x_ij = sum_k a_ik b_jk (or a_ki b_kj) is one sgemm per channel, so a and b
 * are laid out channel-major ([c][i][k]) straight out of the input projection,
 * whose epilogue also applies the gate and the mask. The contraction runs in
 * blocks of output rows; each block is transposed back to channels-last,
 * normalised, projected, gated and written. Nothing of size N^3 exists. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "framegen/ops.h"

#define TILE 128 /* positions per projection / output tile */

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
    return l->st;
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

/* LN_in -> p_in * sigmoid(g_in) * mask -> A, B channel-major [c][P]. The
 * products are taken as W (LN x)^T, so they come out channel-major and p_in's
 * go straight into A and B; the gate and mask are applied there in place. */
static void project(const fg_tri_mul *m, const float *z, const float *mask, int64_t P, float *A,
                    float *B, float *tiles)
{
    const int c = m->c;
    const int64_t ntiles = (P + TILE - 1) / TILE;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < ntiles; t++) {
        float *ln = tiles + (size_t)omp_get_thread_num() * TILE * 5 * c; /* [TILE][c] */
        float *g = ln + (size_t)TILE * c;                                 /* [2c][TILE] */
        const int64_t p0 = t * TILE;
        const int rows = (int)(P - p0 < TILE ? P - p0 : TILE);
        fg_ln_rows(ln, z + p0 * c, rows, c, c, m->norm_in_w, m->norm_in_b, FG_PF_LN_EPS);
        fg_gemm(false, true, c, rows, c, 1.0f, m->p_in, c, ln, c, 0.0f, A + p0, P);
        fg_gemm(false, true, c, rows, c, 1.0f, m->p_in + (size_t)c * c, c, ln, c, 0.0f, B + p0, P);
        fg_gemm(false, true, 2 * c, rows, c, 1.0f, m->g_in, c, ln, c, 0.0f, g, TILE);
        for (int j = 0; j < 2 * c; j++) {
            float *dst = (j < c ? A + (int64_t)j * P : B + (int64_t)(j - c) * P) + p0;
            const float *gj = g + (size_t)j * TILE, *mk = mask + p0;
#pragma omp simd
            for (int r = 0; r < rows; r++)
                dst[r] = dst[r] * fg_fast_sigmoidf(gj[r]) * mk[r];
        }
    }
}

/* X[ch][i - i0][j] for output rows i0 .. i0 + rows - 1, one sgemm per channel. */
static void contract(const fg_tri_mul *m, const float *A, const float *B, int n, int i0, int rows,
                     float *X)
{
    const int64_t P = (int64_t)n * n;
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < m->c; ch++) {
        const float *a = A + ch * P, *b = B + ch * P;
        float *x = X + (int64_t)ch * rows * n;
        if (m->outgoing)
            fg_gemm(false, true, rows, n, n, 1.0f, a + (int64_t)i0 * n, n, b, n, 0.0f, x, n);
        else
            fg_gemm(true, false, rows, n, n, 1.0f, a + i0, n, b, n, 0.0f, x, n);
    }
}

/* LayerNorm over the channels of a channel-major block: y[ch][q] for the
 * cnt positions q of x[ch][q] (row stride ldx). Vectorised across positions. */
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

/* out (+)= p_out(LN_out(x)) * sigmoid(g_out(LN_in(z))) for the block's
 * positions; p_out's product (LN x)^T p_out^T turns the channel-major block
 * back into channels-last. */
static void finish(const fg_tri_mul *m, const float *z, const float *X, int n, int i0, int rows,
                   float *out, bool accumulate, float *tiles)
{
    const int c = m->c;
    const int64_t Q = (int64_t)rows * n, base = (int64_t)i0 * n;
    const int64_t ntiles = (Q + TILE - 1) / TILE;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < ntiles; t++) {
        float *tx = tiles + (size_t)omp_get_thread_num() * TILE * 5 * c; /* [c][TILE] */
        float *ty = tx + (size_t)TILE * c, *tg = ty + (size_t)TILE * c;   /* [TILE][c] */
        float *mean = tg + (size_t)TILE * c, *inv = mean + TILE;          /* [TILE] */
        const int64_t q0 = t * TILE;
        const int cnt = (int)(Q - q0 < TILE ? Q - q0 : TILE);
        ln_channels(tx, X + q0, Q, c, cnt, m->norm_out_w, m->norm_out_b, mean, inv);
        fg_gemm(true, true, cnt, c, c, 1.0f, tx, TILE, m->p_out, c, 0.0f, ty, c);
        fg_ln_rows(tx, z + (base + q0) * c, cnt, c, c, m->norm_in_w, m->norm_in_b, FG_PF_LN_EPS);
        fg_gemm(false, true, cnt, c, c, 1.0f, tx, c, m->g_out, c, 0.0f, tg, c);
        float *dst = out + (base + q0) * c;
        const int64_t len = (int64_t)cnt * c;
        if (accumulate) {
#pragma omp simd
            for (int64_t i = 0; i < len; i++)
                dst[i] += ty[i] * fg_fast_sigmoidf(tg[i]);
        } else {
            fg_fast_mul_sigmoid(dst, ty, tg, len);
        }
    }
}

fg_status fg_tri_mul_forward(const fg_tri_mul *m, const float *z, const float *mask, int n, float *out,
                             bool accumulate, fg_arena *a, fg_error *err)
{
    if (n < 1)
        return FG_OK;
    const int c = m->c, br = block_rows(m, n);
    const int64_t P = (int64_t)n * n;
    fg_arena_mark mk = fg_arena_save(a);
    float *A = fg_arena_floats(a, (size_t)c * P);                  /* [c][n][n] */
    float *B = fg_arena_floats(a, (size_t)c * P);                  /* [c][n][n] */
    float *X = fg_arena_floats(a, (size_t)c * br * n);             /* [c][br][n] */
    float *tiles = fg_arena_floats(a, (size_t)fg_pf_threads() * TILE * 5 * c);
    if (!A || !B || !X || !tiles) {
        fg_arena_restore(a, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "triangle multiplication: out of memory (N=%d, c=%d)", n, c);
    }
    project(m, z, mask, P, A, B, tiles);
    for (int i0 = 0; i0 < n; i0 += br) {
        int rows = n - i0 < br ? n - i0 : br;
        contract(m, A, B, n, i0, rows, X);
        finish(m, z, X, n, i0, rows, out, accumulate, tiles);
    }
    fg_arena_restore(a, mk);
    return FG_OK;
}
