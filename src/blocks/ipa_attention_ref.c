/* Reference twin of fg_ipa_attn_forward: the upstream formula written as
 * plain loops in the upstream order, one (item, head, query) at a time. Slow;
 * used by the tests to check the blocked kernel on random inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/ipa_parts.h"
#include "framegen/rigid.h"

/* y[o] = b[o] + sum_k W[o,k] x[k] */
static void dense(float *y, const float *x, const float *W, const float *b, int in, int nout)
{
    for (int o = 0; o < nout; o++) {
        float acc = b ? b[o] : 0.0f;
        for (int k = 0; k < in; k++)
            acc += W[(size_t)o * in + k] * x[k];
        y[o] = acc;
    }
}

typedef struct ref_bufs {
    float *proj;  /* [B*N, n_proj] */
    float *qp;    /* [B*N, H, Pq, 3] global */
    float *kvp;   /* [B*N, H, Pq+Pv, 3] global */
    float *pair;  /* [B*N*N, H + cz4] */
    float *feat;  /* [B*N, F] */
    float *logit; /* [N] */
} ref_bufs;

static void ref_points(const fg_ipa_attn *a, ref_bufs *r, const float *rots, const float *trans, int BN)
{
    const int H = a->H, Pq = a->Pq, Pv = a->Pv, hpq = H * Pq, nkv = H * (Pq + Pv);
    const int oqp = 3 * H * a->C, okvp = oqp + 3 * hpq;
    for (int row = 0; row < BN; row++) {
        const float *pr = r->proj + (size_t)row * a->n_proj;
        for (int k = 0; k < hpq; k++) {
            float loc[3] = {pr[oqp + k], pr[oqp + hpq + k], pr[oqp + 2 * hpq + k]};
            fg_rigid_apply(rots + 9 * row, trans + 3 * row, loc, r->qp + ((size_t)row * hpq + k) * 3);
        }
        for (int k = 0; k < nkv; k++) {
            float loc[3] = {pr[okvp + k], pr[okvp + nkv + k], pr[okvp + 2 * nkv + k]};
            fg_rigid_apply(rots + 9 * row, trans + 3 * row, loc, r->kvp + ((size_t)row * nkv + k) * 3);
        }
    }
}

/* One query i of head h in item b: logits, softmax, and its slice of the features. */
static void ref_query(const fg_ipa_attn *a, ref_bufs *r, const float *rots, const float *trans,
                      const float *mask, int N, int b, int h, int i)
{
    const int H = a->H, C = a->C, Pq = a->Pq, Pv = a->Pv, Hp = H + a->cz4, P = a->n_proj;
    const size_t qi = (size_t)b * N + i;
    const float *q = r->proj + qi * P + h * C;
    float *lg = r->logit;
    for (int j = 0; j < N; j++) {
        const size_t kj = (size_t)b * N + j;
        const float *k = r->proj + kj * P + H * C + h * 2 * C;
        float dot = 0.0f;
        for (int c = 0; c < C; c++)
            dot += q[c] * k[c];
        float v = dot * sqrtf(1.0f / (3.0f * (float)C));
        v += sqrtf(1.0f / 3.0f) * r->pair[(qi * N + j) * Hp + h];
        float pt = 0.0f;
        for (int p = 0; p < Pq; p++) {
            const float *qq = r->qp + ((qi * H + h) * Pq + p) * 3;
            const float *kk = r->kvp + ((kj * H + h) * (Pq + Pv) + p) * 3;
            float d2 = 0.0f;
            for (int c = 0; c < 3; c++)
                d2 += (qq[c] - kk[c]) * (qq[c] - kk[c]);
            pt += d2 * a->head_w[h];
        }
        v = v + pt * -0.5f;
        lg[j] = v + 1e5f * (mask[qi] * mask[kj] - 1.0f);
    }
    float mx = lg[0], sum = 0.0f;
    for (int j = 1; j < N; j++)
        mx = fmaxf(mx, lg[j]);
    for (int j = 0; j < N; j++)
        sum += (lg[j] = expf(lg[j] - mx));
    for (int j = 0; j < N; j++)
        lg[j] /= sum;

    float *f = r->feat + qi * (size_t)(H * (C + 4 * Pv + a->cz4));
    for (int c = 0; c < C; c++) {
        float o = 0.0f;
        for (int j = 0; j < N; j++)
            o += lg[j] * r->proj[((size_t)b * N + j) * P + H * C + h * 2 * C + C + c];
        f[h * C + c] = o;
    }
    for (int p = 0; p < Pv; p++) {
        float g[3] = {0, 0, 0}, loc[3];
        for (int j = 0; j < N; j++)
            for (int c = 0; c < 3; c++)
                g[c] += lg[j] * r->kvp[((((size_t)b * N + j) * H + h) * (Pq + Pv) + Pq + p) * 3 + c];
        fg_rigid_invert_apply(rots + 9 * qi, trans + 3 * qi, g, loc);
        for (int c = 0; c < 3; c++)
            f[H * C + c * H * Pv + h * Pv + p] = loc[c];
        f[H * C + 3 * H * Pv + h * Pv + p] = sqrtf(loc[0] * loc[0] + loc[1] * loc[1] + loc[2] * loc[2] + 1e-8f);
    }
    for (int c = 0; c < a->cz4; c++) {
        float o = 0.0f;
        for (int j = 0; j < N; j++)
            o += lg[j] * r->pair[(qi * N + j) * Hp + H + c];
        f[H * (C + 4 * Pv) + h * a->cz4 + c] = o;
    }
}

fg_status fg_ipa_attn_forward_ref(const fg_ipa_attn *a, const float *s, const float *z,
                                  const float *rots, const float *trans, const float *mask, int B,
                                  int N, float *out, fg_error *err)
{
    const int H = a->H, Hp = H + a->cz4, F = H * (a->C + 4 * a->Pv + a->cz4), BN = B * N;
    ref_bufs r;
    r.proj = malloc((size_t)BN * a->n_proj * sizeof(float));
    r.qp = malloc((size_t)BN * H * a->Pq * 3 * sizeof(float));
    r.kvp = malloc((size_t)BN * H * (a->Pq + a->Pv) * 3 * sizeof(float));
    r.pair = malloc((size_t)BN * N * Hp * sizeof(float));
    r.feat = malloc((size_t)BN * F * sizeof(float));
    r.logit = malloc((size_t)N * sizeof(float));
    fg_status st = FG_OK;
    if (!r.proj || !r.qp || !r.kvp || !r.pair || !r.feat || !r.logit) {
        st = fg_error_set(err, FG_ERR_NOMEM, "IPA reference: out of memory (B=%d N=%d)", B, N);
        goto done;
    }
    for (int row = 0; row < BN; row++)
        dense(r.proj + (size_t)row * a->n_proj, s + (size_t)row * a->c_s, a->w_proj, a->b_proj, a->c_s,
              a->n_proj);
    for (size_t e = 0; e < (size_t)BN * N; e++)
        dense(r.pair + e * Hp, z + e * a->c_z, a->w_pair, a->b_pair, a->c_z, Hp);
    ref_points(a, &r, rots, trans, BN);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < N; i++)
                ref_query(a, &r, rots, trans, mask, N, b, h, i);
    for (int row = 0; row < BN; row++)
        dense(out + (size_t)row * a->c_s, r.feat + (size_t)row * F, a->w_out, a->b_out, F, a->c_s);
done:
    free(r.proj), free(r.qp), free(r.kvp), free(r.pair), free(r.feat), free(r.logit);
    return st;
}
