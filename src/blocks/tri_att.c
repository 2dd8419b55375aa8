/* Triangle attention (starting / ending node). Each row of the pair map (a
 * column for the ending node, so nothing is transposed in memory) is one
 * independent gated multi-head attention over its N positions, with a bias
 * shared by all rows. A thread takes a row at a time: LayerNorm, the q/k/v/g
 * projections, then per head blocks of query rows (logits [block, N]), the
 * gate and the output projection. The bias [heads, N, N] is the only buffer
 * that grows with N^2 per head; nothing of size N^3 exists. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "framegen/ops.h"

fg_status fg_tri_att_init(fg_tri_att *m, fg_wload *l, const char *name, int c, int heads, int dh,
                          bool starting)
{
    char b[256];
    memset(m, 0, sizeof *m);
    m->c = c;
    m->heads = heads;
    m->dh = dh;
    m->starting = starting;
    const int hd = heads * dh;
    m->ln_w = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "layer_norm.weight"), c);
    m->ln_b = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "layer_norm.bias"), c);
    m->w_bias = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "linear.weight"), heads, c);
    m->wq = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "mha.linear_q.weight"), hd, c);
    m->wk = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "mha.linear_k.weight"), hd, c);
    m->wv = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "mha.linear_v.weight"), hd, c);
    m->wg = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "mha.linear_g.weight"), hd, c);
    m->wo = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "mha.linear_o.weight"), c, hd);
    return l->st;
}

void fg_tri_att_free(fg_tri_att *m)
{
    free(m->packed);
    m->packed = NULL;
}

double fg_tri_att_flops(const fg_tri_att *m, int n)
{
    double P = (double)n * n, c = m->c, hd = (double)m->heads * m->dh;
    return 2.0 * P * c * m->heads     /* triangle bias */
           + 2.0 * P * c * 4.0 * hd   /* q, k, v, g */
           + 2.0 * 2.0 * P * n * hd   /* q.k and p.v */
           + 2.0 * P * hd * c;        /* output */
}

static int query_block(const fg_tri_att *m, int n)
{
    int q = m->query_block > 0 ? m->query_block : 65536 / n;
    return q < 8 ? 8 : q > n ? n : q;
}

/* Geometry of row r: its N vectors start at z + r * row_step and are vec_step apart. */
static int64_t row_step(const fg_tri_att *m, int n) { return m->starting ? (int64_t)n * m->c : m->c; }
static int64_t vec_step(const fg_tri_att *m, int n) { return m->starting ? m->c : (int64_t)n * m->c; }

/* T[h][q][k] = linear(LN x)_h at the (q, k) entry of the row-oriented map;
 * fold: [H][c] + [H] from fg_ln_proj_fold. */
static void tri_bias(const fg_tri_att *m, const float *z, int n, float *T, const float *fold)
{
    const int64_t P = (int64_t)n * n;
#pragma omp parallel for schedule(static)
    for (int q = 0; q < n; q++)
        fg_ln_proj_rows(T + (int64_t)q * n, 1, P, z + q * row_step(m, n), n, vec_step(m, n), m->c, fold,
                        fold + (size_t)m->heads * m->c, m->heads, FG_PF_LN_EPS);
}

/* Gated attention of row r; returns its result [n][c] (inside buf). */
static const float *attend_row(const fg_tri_att *m, const float *z, const float *mask, const float *T,
                               int n, int r, float *buf)
{
    const int c = m->c, H = m->heads, dh = m->dh, hd = H * dh, qb = query_block(m, n);
    const int64_t P = (int64_t)n * n;
    float *x = buf;                           /* [n][c] */
    float *qkvg = x + (size_t)n * c;          /* [n][4 hd]: q | k | v | g */
    float *o = qkvg + (size_t)n * 4 * hd;     /* [n][hd] */
    float *s = o + (size_t)n * hd;            /* [qb][n] logits */
    float *mb = s + (size_t)qb * n;           /* [n] mask bias */
    float *inv = mb + n;                      /* [qb] 1 / softmax sums */
    float *y = inv + qb;                      /* [n][c] */
    const int ld = 4 * hd;
    fg_ln_rows(x, z + r * row_step(m, n), n, vec_step(m, n), c, m->ln_w, m->ln_b, FG_PF_LN_EPS);
    fg_gemm(false, true, n, hd, c, 1.0f, x, c, m->wq, c, 0.0f, qkvg, ld);
    fg_gemm(false, true, n, hd, c, 1.0f, x, c, m->wk, c, 0.0f, qkvg + hd, ld);
    fg_gemm(false, true, n, hd, c, 1.0f, x, c, m->wv, c, 0.0f, qkvg + 2 * hd, ld);
    fg_gemm(false, true, n, hd, c, 1.0f, x, c, m->wg, c, 0.0f, qkvg + 3 * hd, ld);
    const float scale = (float)sqrt((double)dh);
    for (int q = 0; q < n; q++)
        for (int j = 0; j < hd; j++)
            qkvg[(size_t)q * ld + j] /= scale;
    for (int k = 0; k < n; k++)
        mb[k] = FG_TRI_ATT_INF * ((m->starting ? mask[(int64_t)r * n + k] : mask[(int64_t)k * n + r]) - 1.0f);
    for (int h = 0; h < H; h++) {
        const float *qh = qkvg + h * dh, *kh = qkvg + hd + h * dh, *vh = qkvg + 2 * hd + h * dh;
        for (int q0 = 0; q0 < n; q0 += qb) {
            const int nq = n - q0 < qb ? n - q0 : qb;
            fg_pf_attend(qh + (size_t)q0 * ld, ld, kh, vh, ld, nq, n, dh, 1.0f, mb, 0, T + h * P + (int64_t)q0 * n,
                         n, s, inv, o + (size_t)q0 * hd + h * dh, hd);
        }
    }
    for (int q = 0; q < n; q++)
        fg_fast_mul_sigmoid(o + (size_t)q * hd, o + (size_t)q * hd, qkvg + (size_t)q * ld + 3 * hd, hd);
    fg_gemm(false, true, n, c, hd, 1.0f, o, hd, m->wo, hd, 0.0f, y, c);
    return y;
}

static size_t row_buf_floats(const fg_tri_att *m, int n)
{
    const size_t hd = (size_t)m->heads * m->dh;
    const size_t qb = (size_t)query_block(m, n);
    return (size_t)n * m->c * 2 + (size_t)n * 5 * hd + qb * n + (size_t)n + qb;
}

fg_status fg_tri_att_forward(const fg_tri_att *m, const float *z, const float *mask, int n, float *out,
                             bool accumulate, fg_arena *a, fg_error *err)
{
    if (n < 1)
        return FG_OK;
    const int c = m->c;
    const int64_t P = (int64_t)n * n;
    const size_t per_thread = row_buf_floats(m, n);
    fg_arena_mark mk = fg_arena_save(a);
    float *T = fg_arena_floats(a, (size_t)m->heads * P);                  /* [H][n][n] */
    float *bufs = fg_arena_floats(a, (size_t)fg_pf_threads() * per_thread); /* per thread */
    float *fold = fg_arena_floats(a, (size_t)m->heads * (c + 1));          /* [H][c] + [H] */
    if (!T || !bufs || !fold) {
        fg_arena_restore(a, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "triangle attention: out of memory (N=%d, c=%d)", n, c);
    }
    fg_ln_proj_fold(fold, fold + (size_t)m->heads * c, m->w_bias, m->ln_w, m->ln_b, m->heads, c);
    tri_bias(m, z, n, T, fold);
#pragma omp parallel for schedule(dynamic, 1)
    for (int r = 0; r < n; r++) {
        float *buf = bufs + (size_t)omp_get_thread_num() * per_thread;
        const float *y = attend_row(m, z, mask, T, n, r, buf);
        float *dst = out + r * row_step(m, n);
        const int64_t vs = vec_step(m, n);
        for (int t = 0; t < n; t++) {
            float *d = dst + t * vs;
            const float *src = y + (size_t)t * c;
            if (accumulate) {
#pragma omp simd
                for (int j = 0; j < c; j++)
                    d[j] += src[j];
            } else {
                memcpy(d, src, (size_t)c * sizeof *d);
            }
        }
    }
    fg_arena_restore(a, mk);
    return FG_OK;
}
