/* Triangle attention (starting / ending node). Each row of the pair map (a
 * column for the ending node, so nothing is transposed in memory) is one
 * independent gated multi-head attention over its N positions, with a bias
 * shared by all rows. A thread takes a row at a time and works on it
 * transposed (features x positions), where every product is an fg_mm with a
 * row-contiguous right operand and no copy: LayerNorm^T, q|k|v|g^T = W LN^T,
 * logits^T [keys, queries] = k q^T per head and block of queries, a softmax
 * down the columns (vectorised across queries), o^T = v^T p^T, and the
 * output projection reading o^T transposed, so it lands channels-last in the
 * row of the output. The bias [heads, N, N] is the only buffer that grows
 * with N^2 per head; nothing of size N^3 exists. */
#include "core/wide.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "core/mm.h"

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
    if (l->st != FG_OK)
        return l->st;
    const size_t w = (size_t)hd * c;
    m->packed = malloc(sizeof(float) * (5 * w + (size_t)heads * (c + 1)));
    if (!m->packed)
        return l->st = fg_error_set(l->err, FG_ERR_NOMEM, "%s%s: out of memory for packed weights", l->prefix, name);
    float *wqkvg = m->packed, *wo_t = wqkvg + 4 * w, *fold = wo_t + w;
    memcpy(wqkvg, m->wq, sizeof(float) * w);
    memcpy(wqkvg + w, m->wk, sizeof(float) * w);
    memcpy(wqkvg + 2 * w, m->wv, sizeof(float) * w);
    memcpy(wqkvg + 3 * w, m->wg, sizeof(float) * w);
    fg_mm_pack_t(wo_t, c, m->wo, c, hd);
    fg_ln_proj_fold(fold, fold + (size_t)heads * c, m->w_bias, m->ln_w, m->ln_b, heads, c);
    m->wqkvg = wqkvg, m->wo_t = wo_t, m->fold = fold;
    fg_pf_release(l, (const float *const[]){m->wq, m->wk, m->wv, m->wg, m->wo, m->w_bias}, 6);
    return FG_OK;
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

/* Tt[h][k][q] = linear(LN x)_h at the (q, k) entry of the row-oriented map
 * (the bias of query q on key k), one key k per call. */
static void tri_bias(const fg_tri_att *m, const float *z, int n, int k, float *Tt)
{
    fg_ln_proj_rows(Tt + (int64_t)k * n, 1, (int64_t)n * n, z + k * vec_step(m, n), n, n, row_step(m, n), m->c,
                    m->fold, m->fold + (size_t)m->heads * m->c, m->heads, FG_PF_LN_EPS);
}

/* Per-thread scratch of one row. */
typedef struct row_buf {
    float *xt;    /* [c][n] LN(x)^T */
    float *qkvg;  /* [4 hd][n] q^T (scaled), k^T, v^T, sigmoid(g)^T */
    float *ot;    /* [hd][n] gated attention output^T */
    float *s;     /* [n][qb] logits^T, then unnormalised probabilities */
    float *mb;    /* [n] mask bias per key */
    float *mx;    /* [qb] column maxima, then 1 / sums */
    float *sum;   /* [qb] */
    float *tmp;   /* [FG_LN_T_ROWS][c] */
} row_buf;

static size_t row_buf_floats(const fg_tri_att *m, int n)
{
    const size_t hd = (size_t)m->heads * m->dh, qb = (size_t)query_block(m, n);
    return (size_t)n * m->c + 5 * hd * n + (size_t)n * qb + (size_t)n + 2 * qb + (size_t)FG_LN_T_ROWS * m->c;
}

static row_buf row_buf_at(const fg_tri_att *m, int n, float *p)
{
    const size_t hd = (size_t)m->heads * m->dh, qb = (size_t)query_block(m, n);
    row_buf b;
    b.xt = p, b.qkvg = b.xt + (size_t)n * m->c, b.ot = b.qkvg + 4 * hd * n, b.s = b.ot + hd * n;
    b.mb = b.s + (size_t)n * qb, b.mx = b.mb + n, b.sum = b.mx + qb, b.tmp = b.sum + qb;
    return b;
}

/* Softmax down the columns of s [n][nq] (row stride ld) with the biases
 * added in the order ((logit + mask) + triangle), as the row form does: it
 * decides what fully masked rows give. Leaves exp(s - max) in s and 1 / sum
 * per column in mx. Tt: the head's bias rows [n] (keys) of queries q0... */
static void softmax_cols(float *s, int64_t ld, int n, int nq, const float *mb, const float *Tt, int64_t ldt,
                         float *mx, float *sum)
{
    for (int q = 0; q < nq; q++)
        mx[q] = -INFINITY, sum[q] = 0.0f;
    for (int k = 0; k < n; k++) {
        float *sk = s + k * ld;
        const float *tk = Tt + k * ldt, b = mb[k];
#pragma omp simd
        for (int q = 0; q < nq; q++) {
            sk[q] = (sk[q] + b) + tk[q];
            mx[q] = sk[q] > mx[q] ? sk[q] : mx[q];
        }
    }
    for (int k = 0; k < n; k++) {
        float *sk = s + k * ld;
#pragma omp simd
        for (int q = 0; q < nq; q++) {
            sk[q] = fg_vexpf(sk[q] - mx[q]);
            sum[q] += sk[q];
        }
    }
    for (int q = 0; q < nq; q++)
        mx[q] = 1.0f / sum[q];
}

/* Head h, queries q0 .. q0 + nq - 1 of the row in b: o^T columns of those queries. */
static void attend_block(const fg_tri_att *m, const float *Tt, int n, int h, int q0, int nq, const row_buf *b)
{
    const int dh = m->dh, hd = m->heads * dh, qb = query_block(m, n);
    const int64_t P = (int64_t)n * n;
    const float *qt = b->qkvg + (size_t)h * dh * n, *kt = qt + (size_t)hd * n, *vt = kt + (size_t)hd * n;
    const float *gt = vt + (size_t)hd * n;
    float *ot = b->ot + (size_t)h * dh * n;
    fg_mm logits = {kt, 1, n, qt + q0, n, n, dh, nq, b->s, qb, FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&logits);
    softmax_cols(b->s, qb, n, nq, b->mb, Tt + h * P + q0, n, b->mx, b->sum);
    fg_mm pv = {vt, n, 1, b->s, qb, dh, n, nq, ot + q0, n, FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&pv);
    for (int e = 0; e < dh; e++) {
        float *oe = ot + (size_t)e * n + q0;
        const float *ge = gt + (size_t)e * n + q0;
#pragma omp simd
        for (int q = 0; q < nq; q++)
            oe[q] = oe[q] * b->mx[q] * ge[q];
    }
}

/* Gated attention of row r, added (or written) into its row of out. */
static void attend_row(const fg_tri_att *m, const float *z, const float *mask, const float *Tt, int n, int r,
                       float *out, bool accumulate, const row_buf *b)
{
    const int c = m->c, hd = m->heads * m->dh, qb = query_block(m, n);
    fg_ln_rows_t(b->xt, n, z + r * row_step(m, n), n, vec_step(m, n), c, m->ln_w, m->ln_b, FG_PF_LN_EPS, b->tmp);
    fg_mm qkv = {m->wqkvg, c, 1, b->xt, n, 3 * (int64_t)hd, c, n, b->qkvg, n, FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&qkv);
    fg_mm g = {m->wqkvg + (size_t)3 * hd * c, c, 1, b->xt, n, hd, c, n, b->qkvg + (size_t)3 * hd * n, n,
               FG_MM_SIGMOID, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&g);
    const float scale = (float)sqrt((double)m->dh);
    for (int64_t i = 0; i < (int64_t)hd * n; i++)
        b->qkvg[i] /= scale;
    for (int k = 0; k < n; k++)
        b->mb[k] = FG_TRI_ATT_INF * ((m->starting ? mask[(int64_t)r * n + k] : mask[(int64_t)k * n + r]) - 1.0f);
    for (int h = 0; h < m->heads; h++)
        for (int q0 = 0; q0 < n; q0 += qb)
            attend_block(m, Tt, n, h, q0, n - q0 < qb ? n - q0 : qb, b);
    fg_mm o = {b->ot, 1, n, m->wo_t, c, n, hd, c, out + r * row_step(m, n), vec_step(m, n),
               accumulate ? FG_MM_ADD : FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&o);
}

fg_status fg_tri_att_forward(const fg_tri_att *m, const float *z, const float *mask, int n, float *out,
                             bool accumulate, fg_arena *a, fg_error *err)
{
    if (n < 1)
        return FG_OK;
    const int64_t P = (int64_t)n * n;
    const size_t per_thread = row_buf_floats(m, n);
    fg_arena_mark mk = fg_arena_save(a);
    float *Tt = fg_arena_floats(a, (size_t)m->heads * P);                   /* [H][n keys][n queries] */
    float *bufs = fg_arena_floats(a, (size_t)fg_pf_threads() * per_thread); /* per thread */
    if (!Tt || !bufs) {
        fg_arena_restore(a, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "triangle attention: out of memory (N=%d, c=%d)", n, m->c);
    }
#pragma omp parallel
    {
        const row_buf b = row_buf_at(m, n, bufs + (size_t)omp_get_thread_num() * per_thread);
#pragma omp for schedule(static)
        for (int k = 0; k < n; k++)
            tri_bias(m, z, n, k, Tt);
#pragma omp for schedule(dynamic, 1)
        for (int r = 0; r < n; r++)
            attend_row(m, z, mask, Tt, n, r, out, accumulate, &b);
    }
    fg_arena_restore(a, mk);
    return FG_OK;
}
