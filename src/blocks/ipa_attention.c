/* Invariant Point Attention (AF2 Alg. 22 as in cogeneration, with the pair
 * features down-projected to c_z/4). The attention runs in blocks of query rows
 * of one item: each block computes its pair bias from its own rows of z, the
 * logits of every head, the softmax and all outputs while they are in cache,
 * so no [B,H,N,N] tensor is ever stored. Every product is a panel product
 * (core/mm.h): linear_b and down_z packed at load, keys and values packed
 * once per forward, and the down-projected pair rows written by their own
 * product in the layout the pair output reads them in. Work is split over
 * blocks only, each block computed the same way whatever the thread count. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/ipa_parts.h"
#include "core/mm.h"
#include "core/vmath.h"
#include "framegen/ops.h"
#include "framegen/rigid.h"

#define IPA_INF 1e5f   /* the reference's mask constant: logits + 1e5 (m_i m_j - 1) */
#define IPA_EPS 1e-8f  /* |o_pt| = sqrt(sum o_pt^2 + eps) */

static void copy_rows(float *dst, const float *src, size_t n) { memcpy(dst, src, n * sizeof(float)); }

fg_status fg_ipa_attn_init(fg_ipa_attn *a, fg_weights *w, const char *prefix, int c_s, int c_z,
                           int c_hidden, int heads, int qk_points, int v_points, fg_error *err)
{
    memset(a, 0, sizeof *a);
    a->c_s = c_s, a->c_z = c_z, a->C = c_hidden, a->H = heads, a->Pq = qk_points, a->Pv = v_points;
    a->cz4 = c_z / 4;
    const int H = heads, C = c_hidden, hc = H * C;
    const int nq = 3 * H * qk_points, nkv = 3 * H * (qk_points + v_points);
    a->n_proj = hc + 2 * hc + nq + nkv;
    const int F = H * (C + 4 * v_points + a->cz4);

    fg_wload l;
    fg_wload_init(&l, w, err, "%s", prefix);
    const float *wq = fg_wl_2d(&l, "linear_q.weight", hc, c_s), *bq = fg_wl_1d(&l, "linear_q.bias", hc);
    const float *wkv = fg_wl_2d(&l, "linear_kv.weight", 2 * hc, c_s);
    const float *bkv = fg_wl_1d(&l, "linear_kv.bias", 2 * hc);
    const float *wqp = fg_wl_2d(&l, "linear_q_points.weight", nq, c_s);
    const float *bqp = fg_wl_1d(&l, "linear_q_points.bias", nq);
    const float *wkvp = fg_wl_2d(&l, "linear_kv_points.weight", nkv, c_s);
    const float *bkvp = fg_wl_1d(&l, "linear_kv_points.bias", nkv);
    const float *wb = fg_wl_2d(&l, "linear_b.weight", H, c_z), *bb = fg_wl_1d(&l, "linear_b.bias", H);
    const float *wd = fg_wl_2d(&l, "down_z.weight", a->cz4, c_z);
    const float *bd = fg_wl_1d(&l, "down_z.bias", a->cz4);
    const float *hw = fg_wl_1d(&l, "head_weights", H);
    a->w_out = fg_wl_2d(&l, "linear_out.weight", c_s, F);
    a->b_out = fg_wl_1d(&l, "linear_out.bias", c_s);
    if (l.st != FG_OK)
        return l.st;

    a->w_proj = malloc((size_t)a->n_proj * c_s * sizeof(float));
    a->b_proj = malloc((size_t)a->n_proj * sizeof(float));
    a->w_pair = malloc((size_t)(H + a->cz4) * c_z * sizeof(float));
    a->b_pair = malloc((size_t)(H + a->cz4) * sizeof(float));
    a->head_w = malloc((size_t)H * sizeof(float));
    if (!a->w_proj || !a->b_proj || !a->w_pair || !a->b_pair || !a->head_w) {
        fg_ipa_attn_free(a);
        return fg_error_set(err, FG_ERR_NOMEM, "%sIPA: out of memory for packed weights", prefix);
    }
    /* One node projection [q; kv; q_points; kv_points] and one pair projection
     * [linear_b; down_z]: each input is read once. */
    size_t o = 0;
    const float *parts_w[4] = {wq, wkv, wqp, wkvp}, *parts_b[4] = {bq, bkv, bqp, bkvp};
    const int rows[4] = {hc, 2 * hc, nq, nkv};
    for (int k = 0; k < 4; k++) {
        copy_rows(a->w_proj + o * c_s, parts_w[k], (size_t)rows[k] * c_s);
        copy_rows(a->b_proj + o, parts_b[k], (size_t)rows[k]);
        o += (size_t)rows[k];
    }
    copy_rows(a->w_pair, wb, (size_t)H * c_z);
    copy_rows(a->w_pair + (size_t)H * c_z, wd, (size_t)a->cz4 * c_z);
    copy_rows(a->b_pair, bb, (size_t)H);
    copy_rows(a->b_pair + H, bd, (size_t)a->cz4);
    a->lb_packed = fg_mm_pack_panels_new(wb, c_z, true, c_z, H);
    a->dz_packed = fg_mm_pack_panels_new(wd, c_z, true, c_z, a->cz4);
    const bool packed = fg_mm_wt_init(&a->proj, a->w_proj, a->b_proj, a->n_proj, c_s) &&
                        fg_mm_wt_init(&a->out, a->w_out, a->b_out, c_s, F);
    if (!a->lb_packed || !a->dz_packed || !packed) {
        fg_ipa_attn_free(a);
        return fg_error_set(err, FG_ERR_NOMEM, "%sIPA: out of memory for packed weights", prefix);
    }
    /* the forward reads only the copies above */
    const float *copied[7] = {wq, wkv, wqp, wkvp, wb, wd, a->w_out};
    for (int k = 0; k < 7; k++)
        fg_weights_release(w, copied[k]);
    const float pt_scale = sqrtf(1.0f / (3.0f * ((float)qk_points * 9.0f / 2.0f)));
    for (int h = 0; h < H; h++)
        a->head_w[h] = fg_softplusf(hw[h]) * pt_scale;
    return FG_OK;
}

void fg_ipa_attn_free(fg_ipa_attn *a)
{
    free(a->w_proj), free(a->b_proj), free(a->w_pair), free(a->b_pair), free(a->head_w);
    free(a->lb_packed), free(a->dz_packed);
    fg_mm_wt_free(&a->proj), fg_mm_wt_free(&a->out);
    a->w_proj = a->b_proj = a->w_pair = a->b_pair = a->head_w = a->lb_packed = a->dz_packed = NULL;
}

/* Query rows per block: a function of N only (16 blocks at N = 64). */
static int row_block(int N) { return N <= 64 ? 4 : N <= 128 ? 8 : 16; }

typedef struct ipa_ws {
    int B, N, RB, P, F, W;
    int o_kv, o_qp, o_kvp;  /* column offsets in proj */
    int64_t kt_floats;      /* one packed key block [C, N] */
    int64_t v_floats;       /* one packed value block [N, W] */
    int64_t dz_floats;      /* one query row's packed down_z block [N, cz4] */
    float *proj;            /* [B*N, P] node projections */
    float *qpt;             /* [B*N, H, Pq, 3] query points, global frame */
    float *kpt;             /* [B, H, Pq*3, N] key points, global, one row per coordinate */
    float *kt;              /* [B*H] packed keys^T */
    float *val;             /* [B*H] packed values [N, W]: scalars (C) then points (Pv*3, global) */
    float *feat;            /* [B*N, F] [o, o_pt x, y, z, |o_pt|, o_pair] */
    float *tbuf;            /* per thread: lb [RB*N, H], dz [RB] x dz_floats, att [H, RB, N], acc [N], o [RB, W] */
    size_t tbuf_floats;
} ipa_ws;

/* Column w of row j in a packed [N, W] value block. */
static float *val_at(const ipa_ws *ws, int64_t bh, int64_t j, int w)
{
    return ws->val + bh * ws->v_floats + ((int64_t)(w / FG_MM_NR) * ws->N + j) * FG_MM_NR + w % FG_MM_NR;
}

/* One row of the node projections: query points and key points to the global
 * frame, values (scalars, points in the global frame) into their packed blocks. */
static void prepare_row(const fg_ipa_attn *a, const ipa_ws *ws, const float *rots, const float *trans, int64_t row)
{
    const int H = a->H, C = a->C, Pq = a->Pq, Pv = a->Pv, N = ws->N;
    const int hpq = H * Pq, nkv = H * (Pq + Pv), wpad = (int)(ws->v_floats / N);
    const int b = (int)(row / N), i = (int)(row % N);
    const float *pr = ws->proj + row * ws->P, *R = rots + 9 * row, *t = trans + 3 * row;
    for (int hp = 0; hp < hpq; hp++) {
        const float *q = pr + ws->o_qp;
        float loc[3] = {q[hp], q[hpq + hp], q[2 * hpq + hp]};
        fg_rigid_apply(R, t, loc, ws->qpt + (size_t)row * hpq * 3 + (size_t)hp * 3);
    }
    for (int h = 0; h < H; h++) {
        const int64_t bh = (int64_t)b * H + h;
        float *kp = ws->kpt + bh * Pq * 3 * N;
        for (int c = 0; c < C; c++)
            *val_at(ws, bh, i, c) = pr[ws->o_kv + h * 2 * C + C + c];
        for (int w = ws->W; w < wpad; w++) /* panel padding */
            *val_at(ws, bh, i, w) = 0.0f;
        for (int p = 0; p < Pq + Pv; p++) {
            const int hq = h * (Pq + Pv) + p;
            const float *kv = pr + ws->o_kvp;
            float loc[3] = {kv[hq], kv[nkv + hq], kv[2 * nkv + hq]}, g[3];
            fg_rigid_apply(R, t, loc, g);
            for (int c = 0; c < 3; c++) {
                if (p < Pq)
                    kp[(size_t)(p * 3 + c) * N + i] = g[c];
                else
                    *val_at(ws, bh, i, C + (p - Pq) * 3 + c) = g[c];
            }
        }
    }
}

/* Per-head layouts of the node projections, points in the global frame, keys packed. */
static void ipa_prepare(const fg_ipa_attn *a, const ipa_ws *ws, const float *rots, const float *trans)
{
    const int H = a->H, C = a->C, N = ws->N;
#pragma omp parallel
    {
#pragma omp for schedule(static) nowait
        for (int64_t row = 0; row < (int64_t)ws->B * N; row++)
            prepare_row(a, ws, rots, trans, row);
#pragma omp for schedule(static)
        for (int64_t bh = 0; bh < (int64_t)ws->B * H; bh++)
            fg_mm_pack_panels(ws->kt + bh * ws->kt_floats, ws->proj + (bh / H) * N * ws->P + ws->o_kv + (bh % H) * 2 * C,
                          ws->P, true, C, N);
    }
}

/* Logits of one head for rows i0.. of item b, then the row softmax in place. */
static void ipa_logits(const fg_ipa_attn *a, const ipa_ws *ws, const float *mask, const float *lb, int b, int i0,
                       int rb, int h, float *att, float *acc)
{
    const int N = ws->N, C = a->C, Pq = a->Pq, H = a->H;
    const int64_t bh = (int64_t)b * H + h;
    fg_mm_rows(att, N, ws->proj + ((size_t)b * N + i0) * ws->P + h * C, ws->P, rb, ws->kt + bh * ws->kt_floats, C,
                  N, NULL);
    const float *kp = ws->kpt + bh * Pq * 3 * N;
    const float *mb = mask + (size_t)b * N, hw = a->head_w[h], sqrt13 = sqrtf(1.0f / 3.0f);
    const float qk_scale = sqrtf(1.0f / (3.0f * (float)C));
    for (int r = 0; r < rb; r++) {
        const int i = i0 + r;
        float *row = att + (size_t)r * N;
        const float *qp = ws->qpt + (((size_t)b * N + i) * H + h) * Pq * 3;
        const float *bias = lb + (size_t)r * N * H + h;
        for (int j = 0; j < N; j++)
            acc[j] = 0.0f;
        for (int p = 0; p < Pq; p++) {
            const float qx = qp[3 * p], qy = qp[3 * p + 1], qz = qp[3 * p + 2];
            const float *kx = kp + (size_t)(3 * p) * N, *ky = kx + N, *kz = ky + N;
#pragma omp simd
            for (int j = 0; j < N; j++) {
                float dx = qx - kx[j], dy = qy - ky[j], dz = qz - kz[j];
                acc[j] += (dx * dx + dy * dy + dz * dz) * hw;
            }
        }
        const float mi = mb[i];
        float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
        for (int j = 0; j < N; j++) {
            float v = row[j] * qk_scale + sqrt13 * bias[(size_t)j * H];
            v = v + acc[j] * -0.5f;
            v = v + IPA_INF * (mi * mb[j] - 1.0f);
            row[j] = v;
            mx = v > mx ? v : mx;
        }
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < N; j++) {
            row[j] = fg_vexpf(row[j] - mx);
            sum += row[j];
        }
        const float inv = 1.0f / sum;
#pragma omp simd
        for (int j = 0; j < N; j++)
            row[j] *= inv;
    }
}

/* Scalar and point outputs of one head for rows i0..: o, then o_pt in the local frame and |o_pt|. */
static void ipa_head_out(const fg_ipa_attn *a, const ipa_ws *ws, const float *rots, const float *trans,
                         int b, int i0, int rb, int h, const float *att, float *o)
{
    const int N = ws->N, W = ws->W, C = a->C, H = a->H, Pv = a->Pv, hpv = H * Pv;
    fg_mm_rows(o, W, att, N, rb, ws->val + ((int64_t)b * H + h) * ws->v_floats, N, W, NULL);
    for (int r = 0; r < rb; r++) {
        const size_t row = (size_t)b * N + i0 + r;
        float *f = ws->feat + row * ws->F;
        const float *orow = o + (size_t)r * W;
        memcpy(f + h * C, orow, (size_t)C * sizeof(float));
        float *fx = f + H * C + h * Pv;
        for (int p = 0; p < Pv; p++) {
            float loc[3];
            fg_rigid_invert_apply(rots + 9 * row, trans + 3 * row, orow + C + 3 * p, loc);
            fx[p] = loc[0], fx[hpv + p] = loc[1], fx[2 * hpv + p] = loc[2];
            fx[3 * hpv + p] = sqrtf(loc[0] * loc[0] + loc[1] * loc[1] + loc[2] * loc[2] + IPA_EPS);
        }
    }
}

/* One block of query rows of item b: the pair terms of its z rows, every head, then the pair output. */
static void ipa_block(const fg_ipa_attn *a, const ipa_ws *ws, const float *z, const float *rots,
                      const float *trans, const float *mask, int b, int i0, float *tb)
{
    const int N = ws->N, RB = ws->RB, H = a->H, cz = a->c_z, cz4 = a->cz4, rb = N - i0 < RB ? N - i0 : RB;
    float *lb = tb;                                    /* [rb*N, H] linear_b of the block's z rows */
    float *dz = lb + (size_t)RB * N * H;              /* [RB] x one packed [N, cz4] down_z block per row */
    float *att = dz + (size_t)RB * ws->dz_floats;     /* [H, RB, N] */
    float *acc = att + (size_t)H * RB * N;            /* [N] */
    float *o = acc + N;                                /* [RB, W] */
    const float *zb = z + ((size_t)b * N + i0) * N * cz;
    const fg_mm_bias eb = {a->b_pair, NULL, false};
    fg_mm_rows(lb, H, zb, cz, (int64_t)rb * N, a->lb_packed, cz, H, &eb);
    for (int r = 0; r < rb; r++) /* each panel of down_z written as the panel it will be read as */
        for (int p = 0; p * FG_MM_NR < cz4; p++) {
            const int w = cz4 - p * FG_MM_NR < FG_MM_NR ? cz4 - p * FG_MM_NR : FG_MM_NR;
            const fg_mm_bias ed = {a->b_pair + H + p * FG_MM_NR, NULL, false};
            fg_mm_rows(dz + r * ws->dz_floats + (size_t)p * N * FG_MM_NR, FG_MM_NR, zb + (size_t)r * N * cz,
                          cz, N, a->dz_packed + (size_t)p * cz * FG_MM_NR, cz, w, &ed);
        }
    for (int h = 0; h < H; h++) {
        float *ah = att + (size_t)h * RB * N;
        ipa_logits(a, ws, mask, lb, b, i0, rb, h, ah, acc);
        ipa_head_out(a, ws, rots, trans, b, i0, rb, h, ah, o);
    }
    const int off = H * (a->C + 4 * a->Pv);
    for (int r = 0; r < rb; r++)
        fg_mm_rows(ws->feat + ((size_t)b * N + i0 + r) * ws->F + off, cz4, att + (size_t)r * N, (int64_t)RB * N, H,
                      dz + r * ws->dz_floats, N, cz4, NULL);
}

static fg_status ws_alloc(const fg_ipa_attn *a, ipa_ws *ws, int B, int N, int nth, fg_arena *ar)
{
    const int H = a->H;
    ws->B = B, ws->N = N, ws->RB = row_block(N), ws->P = a->n_proj;
    ws->W = a->C + 3 * a->Pv, ws->F = H * (a->C + 4 * a->Pv + a->cz4);
    ws->o_kv = H * a->C, ws->o_qp = 3 * H * a->C, ws->o_kvp = 3 * H * a->C + 3 * H * a->Pq;
    ws->kt_floats = fg_mm_panel_floats(a->C, N);
    ws->v_floats = fg_mm_panel_floats(N, ws->W);
    ws->dz_floats = fg_mm_panel_floats(N, a->cz4);
    const size_t BN = (size_t)B * N, BH = (size_t)B * H;
    ws->tbuf_floats = (size_t)ws->RB * N * H + (size_t)ws->RB * ws->dz_floats + (size_t)H * ws->RB * N + N +
                      (size_t)ws->RB * ws->W;
    ws->tbuf_floats = (ws->tbuf_floats + 15) & ~(size_t)15;
    ws->proj = fg_arena_floats(ar, BN * ws->P);
    ws->qpt = fg_arena_floats(ar, BN * H * a->Pq * 3);
    ws->kpt = fg_arena_floats(ar, BN * H * a->Pq * 3);
    ws->kt = fg_arena_floats(ar, BH * (size_t)ws->kt_floats);
    ws->val = fg_arena_floats(ar, BH * (size_t)ws->v_floats);
    ws->feat = fg_arena_floats(ar, BN * ws->F);
    ws->tbuf = fg_arena_floats(ar, ws->tbuf_floats * (size_t)nth);
    return ws->proj && ws->qpt && ws->kpt && ws->kt && ws->val && ws->feat && ws->tbuf ? FG_OK : FG_ERR_NOMEM;
}

fg_status fg_ipa_attn_forward(const fg_ipa_attn *a, const float *s, const float *z,
                              const float *rots, const float *trans, const float *mask, int B,
                              int N, float *out, fg_arena *scratch, fg_error *err)
{
    if (B <= 0 || N <= 0)
        return fg_error_set(err, FG_ERR_INVALID, "IPA: invalid size B=%d N=%d", B, N);
    const fg_arena_mark mark = fg_arena_save(scratch);
    const int nth = omp_get_max_threads();
    ipa_ws ws;
    if (ws_alloc(a, &ws, B, N, nth, scratch) != FG_OK) {
        fg_arena_restore(scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "IPA: out of scratch memory (B=%d N=%d)", B, N);
    }
    fg_mm_wt_run(&a->proj, ws.proj, ws.P, s, a->c_s, (int64_t)B * N, false, FG_MM_STORE);
    ipa_prepare(a, &ws, rots, trans);
    const int nblk = (N + ws.RB - 1) / ws.RB;
#pragma omp parallel for schedule(dynamic, 1)
    for (int task = 0; task < B * nblk; task++) {
        float *tb = ws.tbuf + ws.tbuf_floats * (size_t)omp_get_thread_num();
        ipa_block(a, &ws, z, rots, trans, mask, task / nblk, (task % nblk) * ws.RB, tb);
    }
    fg_mm_wt_run(&a->out, out, a->c_s, ws.feat, ws.F, (int64_t)B * N, false, FG_MM_STORE);
    fg_arena_restore(scratch, mark);
    return FG_OK;
}

double fg_ipa_attn_flops(const fg_ipa_attn *a, int B, int N)
{
    const double BN = (double)B * N, NN = BN * N;
    const int H = a->H, F = H * (a->C + 4 * a->Pv + a->cz4);
    double f = 2.0 * BN * a->c_s * a->n_proj;                  /* node projections */
    f += BN * H * (a->Pq + a->Pv) * 18.0 + BN * H * a->Pq * 18.0; /* frames applied to points */
    f += 2.0 * NN * a->c_z * (H + a->cz4);                     /* linear_b, down_z */
    f += 2.0 * NN * H * a->C;                                  /* q.k */
    f += NN * H * (9.0 * a->Pq + 6.0);                         /* point distances, bias, mask */
    f += NN * H * 4.0;                                         /* softmax */
    f += 2.0 * NN * H * (a->C + 3 * a->Pv + a->cz4);           /* a v, a v_pts, a z_down */
    f += BN * H * a->Pv * 24.0;                                /* invert_apply, norms */
    f += 2.0 * BN * F * a->c_s;                                /* linear_out */
    return f;
}
