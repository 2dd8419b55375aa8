/* Attention with pair bias (AttentionPairBias): q = s Wq + bq, k, v, g from
 * the same s, logits q.k / sqrt(d) + Linear(LN z)_h - 1e6 (1 - mask_j),
 * softmax over j, o = sigmoid(g) * (p v), out = o Wo. The bias pass reads all
 * of z once (LayerNorm per edge in tiles, never stored); the attention itself
 * runs per (head, block of query rows). */
#include "blocks/pf_wide.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "framegen/ops.h"

#define QBLOCK 64 /* query rows per logits block */

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
    return l->st;
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

/* Bz[h][i][j]: the pair bias of every head; fold: [H][c_z] + [H] from fg_ln_proj_fold. */
static void pair_bias(const fg_attn_pair_bias *m, const float *z, int n, float *Bz, const float *fold)
{
    const int cz = m->c_z, H = m->heads;
    const int64_t P = (int64_t)n * n;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        const float *zi = z + (int64_t)i * n * cz;
        if (m->compute_pair_bias) {
            fg_ln_proj_rows(Bz + (int64_t)i * n, 1, P, zi, n, cz, cz, fold, fold + (size_t)H * cz, H, FG_PF_LN_EPS);
        } else {
            for (int h = 0; h < H; h++)
                for (int j = 0; j < n; j++)
                    Bz[h * P + (int64_t)i * n + j] = zi[(size_t)j * cz + h];
        }
    }
}

fg_status fg_attn_pair_bias_forward(const fg_attn_pair_bias *m, const float *s, const float *z,
                                    const float *node_mask, int n, float *out, bool accumulate,
                                    fg_arena *a, fg_error *err)
{
    if (n < 1)
        return FG_OK;
    const int cs = m->c_s, H = m->heads, dh = m->dh, ld = 4 * cs;
    const int64_t P = (int64_t)n * n;
    const int nt = fg_pf_threads();
    const size_t logit_sz = (size_t)QBLOCK * (n + 1);
    fg_arena_mark mk = fg_arena_save(a);
    float *Bz = fg_arena_floats(a, (size_t)H * P);                       /* [H][n][n] */
    float *qkvg = fg_arena_floats(a, (size_t)n * ld);                    /* [n][4 c_s]: q|k|v|g */
    float *o = fg_arena_floats(a, (size_t)n * cs);                       /* [n][c_s] */
    float *maskb = fg_arena_floats(a, (size_t)n);                        /* [n] */
    float *tiles = fg_arena_floats(a, (size_t)nt * logit_sz);           /* per thread: [QBLOCK][n] + [QBLOCK] */
    float *fold = fg_arena_floats(a, (size_t)H * (m->c_z + 1));        /* [H][c_z] + [H] */
    if (!Bz || !qkvg || !o || !maskb || !tiles || !fold) {
        fg_arena_restore(a, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "attention pair bias: out of memory (N=%d)", n);
    }
    const size_t tstride = logit_sz;
    if (m->compute_pair_bias)
        fg_ln_proj_fold(fold, fold + (size_t)H * m->c_z, m->wz, m->z_ln_w, m->z_ln_b, H, m->c_z);
    pair_bias(m, z, n, Bz, fold);
    fg_gemm(false, true, n, cs, cs, 1.0f, s, cs, m->wq, cs, 0.0f, qkvg, ld);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < cs; j++)
            qkvg[(size_t)i * ld + j] += m->bq[j];
    fg_gemm(false, true, n, cs, cs, 1.0f, s, cs, m->wk, cs, 0.0f, qkvg + cs, ld);
    fg_gemm(false, true, n, cs, cs, 1.0f, s, cs, m->wv, cs, 0.0f, qkvg + 2 * cs, ld);
    fg_gemm(false, true, n, cs, cs, 1.0f, s, cs, m->wg, cs, 0.0f, qkvg + 3 * cs, ld);
    for (int j = 0; j < n; j++)
        maskb[j] = (1.0f - (node_mask ? node_mask[j] : 1.0f)) * -FG_APB_INF;
    const float scale = (float)sqrt((double)dh);
    const int nqb = (n + QBLOCK - 1) / QBLOCK;
#pragma omp parallel for schedule(static) collapse(2)
    for (int h = 0; h < H; h++)
        for (int b = 0; b < nqb; b++) {
            float *sl = tiles + (size_t)omp_get_thread_num() * tstride; /* [QBLOCK][n] */
            const int q0 = b * QBLOCK, nq = n - q0 < QBLOCK ? n - q0 : QBLOCK;
            const float *qh = qkvg + h * dh, *kh = qkvg + cs + h * dh, *vh = qkvg + 2 * cs + h * dh;
            fg_pf_attend(qh + (size_t)q0 * ld, ld, kh, vh, ld, nq, n, dh, scale, Bz + h * P + (int64_t)q0 * n, n,
                         maskb, 0, sl, sl + (size_t)QBLOCK * n, o + (size_t)q0 * cs + h * dh, cs);
        }
    for (int i = 0; i < n; i++)
        fg_fast_mul_sigmoid(o + (size_t)i * cs, o + (size_t)i * cs, qkvg + (size_t)i * ld + 3 * cs, cs);
    fg_gemm(false, true, n, cs, cs, 1.0f, o, cs, m->wo, cs, accumulate ? 1.0f : 0.0f, out, cs);
    fg_arena_restore(a, mk);
    return FG_OK;
}
