/* Reference twin of fg_edge_trans_forward: builds x_ij = [z_ij, n_i, n_j] and
 * applies the layers exactly as the module is written, one pair at a time. */
#include <math.h>
#include <stdlib.h>

#include "blocks/ipa_parts.h"

static void dense(float *y, const float *x, const float *W, const float *b, int in, int nout)
{
    for (int o = 0; o < nout; o++) {
        float acc = b[o];
        for (int k = 0; k < in; k++)
            acc += W[(size_t)o * in + k] * x[k];
        y[o] = acc;
    }
}

fg_status fg_edge_trans_forward_ref(const fg_edge_trans *e, const float *s, float *z,
                                    const float *edge_mask, int B, int N, fg_error *err)
{
    const int d = e->d, hid = e->hid, cz = e->c_z;
    float *n = malloc((size_t)B * N * d * sizeof(float));      /* [B*N, d] */
    float *x = malloc((size_t)hid * sizeof(float));            /* [hid] */
    float *h = malloc((size_t)hid * sizeof(float));
    float *h2 = malloc((size_t)hid * sizeof(float));
    float *o = malloc((size_t)cz * sizeof(float));
    fg_status st = FG_OK;
    if (!n || !x || !h || !h2 || !o) {
        st = fg_error_set(err, FG_ERR_NOMEM, "edge transition reference: out of memory");
        goto done;
    }
    for (int r = 0; r < B * N; r++)
        dense(n + (size_t)r * d, s + (size_t)r * e->c_s, e->init_w, e->init_b, e->c_s, d);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                const size_t p = ((size_t)b * N + i) * N + j;
                for (int k = 0; k < cz; k++)
                    x[k] = z[p * cz + k];
                for (int k = 0; k < d; k++) {
                    x[cz + k] = n[((size_t)b * N + i) * d + k];
                    x[cz + d + k] = n[((size_t)b * N + j) * d + k];
                }
                const float *in = x;
                for (int l = 0; l < e->n_layers; l++) {
                    float *dst = (l % 2 == 0) ? h : h2;
                    dense(dst, in, e->tw[l], e->tb[l], hid, hid);
                    for (int k = 0; k < hid; k++)
                        dst[k] = dst[k] > 0.0f ? dst[k] : 0.0f;
                    in = dst;
                }
                float *t = (float *)in;
                for (int k = 0; k < hid; k++)
                    t[k] += x[k];
                dense(o, t, e->fin_w, e->fin_b, hid, cz);
                float mean = 0.0f, var = 0.0f;
                for (int k = 0; k < cz; k++)
                    mean += o[k];
                mean /= (float)cz;
                for (int k = 0; k < cz; k++)
                    var += (o[k] - mean) * (o[k] - mean);
                var /= (float)cz;
                const float inv = 1.0f / sqrtf(var + 1e-5f), mk = edge_mask ? edge_mask[p] : 1.0f;
                for (int k = 0; k < cz; k++)
                    z[p * cz + k] = ((o[k] - mean) * inv * e->ln_g[k] + e->ln_b[k]) * mk;
            }
done:
    free(n), free(x), free(h), free(h2), free(o);
    return st;
}
