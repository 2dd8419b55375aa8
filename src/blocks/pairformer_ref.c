/* Plain reference twins of the Pairformer modules: the formulas as written,
 * simple loops, double accumulation, libm. Slow (O(N^3) with no blocking);
 * used by tests to check the optimised forwards on random inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/pairformer_modules.h"

/* All of a reference function's buffers in one block; on failure out is set
 * to NaN so that the comparing test fails instead of crashing. */
static double *ref_alloc(size_t n, float *out, size_t out_len)
{
    double *p = calloc(n, sizeof *p);
    for (size_t i = 0; !p && i < out_len; i++)
        out[i] = NAN;
    return p;
}

static void ln_ref(double *y, const float *x, int C, const float *g, const float *b)
{
    double mean = 0, var = 0;
    for (int c = 0; c < C; c++)
        mean += x[c];
    mean /= C;
    for (int c = 0; c < C; c++)
        var += (x[c] - mean) * (x[c] - mean);
    var /= C;
    for (int c = 0; c < C; c++)
        y[c] = (x[c] - mean) / sqrt(var + FG_PF_LN_EPS) * (g ? g[c] : 1.0) + (b ? b[c] : 0.0);
}

/* y[o] = sum_i W[o][i] x[i] */
static void lin_ref(double *y, const double *x, const float *W, int in, int out)
{
    for (int o = 0; o < out; o++) {
        double acc = 0;
        for (int i = 0; i < in; i++)
            acc += (double)W[(size_t)o * in + i] * x[i];
        y[o] = acc;
    }
}

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

void fg_tri_mul_ref(const fg_tri_mul *m, const float *z, const float *mask, int n, float *out)
{
    const int c = m->c;
    const size_t P = (size_t)n * n;
    double *ab = ref_alloc(P * 3 * c + 6 * (size_t)c, out, P * c); /* [P][2c] a|b, then x [P][c] */
    if (!ab)
        return;
    double *x = ab + P * 2 * c, *t = x + P * c, *ln = t + 4 * c; /* t: [4c], ln: [c] */
    float *xf = (float *)(ln + c); /* [c] one x row, rounded to float as upstream stores it */
    for (size_t p = 0; p < P; p++) {
        ln_ref(ln, z + p * c, c, m->norm_in_w, m->norm_in_b);
        lin_ref(t, ln, m->p_in, c, 2 * c);
        lin_ref(t + 2 * c, ln, m->g_in, c, 2 * c);
        for (int j = 0; j < 2 * c; j++)
            ab[p * 2 * c + j] = t[j] * sig(t[2 * c + j]) * mask[p];
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int d = 0; d < c; d++) {
                double acc = 0;
                for (int k = 0; k < n; k++) {
                    size_t pa = m->outgoing ? (size_t)i * n + k : (size_t)k * n + i;
                    size_t pb = m->outgoing ? (size_t)j * n + k : (size_t)k * n + j;
                    acc += ab[pa * 2 * c + d] * ab[pb * 2 * c + c + d];
                }
                x[((size_t)i * n + j) * c + d] = acc;
            }
    for (size_t p = 0; p < P; p++) {
        for (int d = 0; d < c; d++)
            xf[d] = (float)x[p * c + d];
        ln_ref(ln, xf, c, m->norm_out_w, m->norm_out_b);
        lin_ref(t, ln, m->p_out, c, c);
        ln_ref(ln, z + p * c, c, m->norm_in_w, m->norm_in_b);
        lin_ref(t + c, ln, m->g_out, c, c);
        for (int d = 0; d < c; d++)
            out[p * c + d] = (float)(t[d] * sig(t[c + d]));
    }
    free(ab);
}

void fg_tri_att_ref(const fg_tri_att *m, const float *z, const float *mask, int n, float *out)
{
    const int c = m->c, H = m->heads, dh = m->dh, hd = H * dh;
    const size_t P = (size_t)n * n;
    /* Work on the row-oriented map: x[a][b] = z[a][b] (starting) or z[b][a] (ending). */
    double *x = ref_alloc(P * (c + 4 * (size_t)hd + H) + n + hd + c, out, P * c); /* [P][c] LN x */
    if (!x)
        return;
    double *q = x + P * c, *k = q + P * hd, *v = k + P * hd, *g = v + P * hd; /* [P][hd] each */
    double *tb = g + P * hd, *lg = tb + P * H, *o = lg + n, *y = o + hd;     /* [P][H], [n], [hd], [c] */
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            size_t p = (size_t)a * n + b, src = m->starting ? p : (size_t)b * n + a;
            ln_ref(x + p * c, z + src * c, c, m->ln_w, m->ln_b);
            lin_ref(q + p * hd, x + p * c, m->wq, c, hd);
            lin_ref(k + p * hd, x + p * c, m->wk, c, hd);
            lin_ref(v + p * hd, x + p * c, m->wv, c, hd);
            lin_ref(g + p * hd, x + p * c, m->wg, c, hd);
            lin_ref(tb + p * H, x + p * c, m->w_bias, c, H);
        }
    for (int r = 0; r < n; r++)
        for (int qi = 0; qi < n; qi++) {
            size_t pq = (size_t)r * n + qi;
            for (int h = 0; h < H; h++) {
                double mx = -INFINITY, sum = 0;
                for (int kk = 0; kk < n; kk++) {
                    size_t pk = (size_t)r * n + kk;
                    double dot = 0;
                    for (int e = 0; e < dh; e++)
                        dot += q[pq * hd + h * dh + e] / sqrt((double)dh) * k[pk * hd + h * dh + e];
                    float mv = m->starting ? mask[pk] : mask[(size_t)kk * n + r];
                    /* float sums as upstream: with the 1e9 mask bias the rounding
                     * decides what a fully masked row looks like (uniform). */
                    float l = (float)dot + FG_TRI_ATT_INF * (mv - 1.0f);
                    lg[kk] = l + (float)tb[((size_t)qi * n + kk) * H + h];
                    mx = fmax(mx, lg[kk]);
                }
                for (int kk = 0; kk < n; kk++)
                    sum += (lg[kk] = exp(lg[kk] - mx));
                for (int e = 0; e < dh; e++) {
                    double acc = 0;
                    for (int kk = 0; kk < n; kk++)
                        acc += lg[kk] / sum * v[((size_t)r * n + kk) * hd + h * dh + e];
                    o[h * dh + e] = acc * sig(g[pq * hd + h * dh + e]);
                }
            }
            for (int d = 0; d < c; d++) {
                double acc = 0;
                for (int e = 0; e < hd; e++)
                    acc += (double)m->wo[(size_t)d * hd + e] * o[e];
                y[d] = acc;
            }
            size_t dst = m->starting ? pq : (size_t)qi * n + r;
            for (int d = 0; d < c; d++)
                out[dst * c + d] = (float)y[d];
        }
    free(x);
}

void fg_transition_ref(const fg_transition *m, const float *x, int64_t rows, float *out)
{
    const int c = m->c, hid = m->hidden;
    double *ln = ref_alloc(2 * (size_t)c + 2 * (size_t)hid, out, (size_t)rows * c); /* [c] */
    if (!ln)
        return;
    double *h1 = ln + c, *h2 = h1 + hid, *y = h2 + hid; /* [hid], [hid], [c] */
    for (int64_t r = 0; r < rows; r++) {
        ln_ref(ln, x + r * c, c, m->ln_w, m->ln_b);
        lin_ref(h1, ln, m->w1, c, hid);
        lin_ref(h2, ln, m->w2, c, hid);
        for (int j = 0; j < hid; j++)
            h1[j] = h1[j] * sig(h1[j]) * h2[j];
        lin_ref(y, h1, m->w3, hid, c);
        for (int d = 0; d < c; d++)
            out[r * c + d] = (float)y[d];
    }
    free(ln);
}

void fg_attn_pair_bias_ref(const fg_attn_pair_bias *m, const float *s, const float *z,
                           const float *node_mask, int n, float *out)
{
    const int cs = m->c_s, cz = m->c_z, H = m->heads, dh = m->dh;
    const size_t N = (size_t)n;
    double *sd = ref_alloc(N * cs * 5 + N * N * H + cz + N + 2 * (size_t)cs, out, N * cs); /* [n][cs] s */
    if (!sd)
        return;
    double *q = sd + N * cs, *k = q + N * cs, *v = k + N * cs, *g = v + N * cs; /* [n][cs] each */
    double *bz = g + N * cs, *ln = bz + N * N * H, *lg = ln + cz;              /* [n][n][H], [cz], [n] */
    double *o = lg + n, *y = o + cs;                                             /* [cs], [cs] */
    for (size_t i = 0; i < (size_t)n * cs; i++)
        sd[i] = s[i];
    for (int i = 0; i < n; i++) {
        lin_ref(q + (size_t)i * cs, sd + (size_t)i * cs, m->wq, cs, cs);
        for (int d = 0; d < cs; d++)
            q[(size_t)i * cs + d] += m->bq[d];
        lin_ref(k + (size_t)i * cs, sd + (size_t)i * cs, m->wk, cs, cs);
        lin_ref(v + (size_t)i * cs, sd + (size_t)i * cs, m->wv, cs, cs);
        lin_ref(g + (size_t)i * cs, sd + (size_t)i * cs, m->wg, cs, cs);
    }
    for (size_t p = 0; p < (size_t)n * n; p++) {
        if (m->compute_pair_bias) {
            ln_ref(ln, z + p * cz, cz, m->z_ln_w, m->z_ln_b);
            lin_ref(bz + p * H, ln, m->wz, cz, H);
        } else {
            for (int h = 0; h < H; h++)
                bz[p * H + h] = z[p * cz + h];
        }
    }
    for (int i = 0; i < n; i++) {
        for (int h = 0; h < H; h++) {
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int e = 0; e < dh; e++)
                    dot += q[(size_t)i * cs + h * dh + e] * k[(size_t)j * cs + h * dh + e];
                float mj = node_mask ? node_mask[j] : 1.0f;
                float l = (float)(dot / sqrt((double)dh) + bz[((size_t)i * n + j) * H + h]);
                lg[j] = l + (1.0f - mj) * -FG_APB_INF; /* float, as upstream */
                mx = fmax(mx, lg[j]);
            }
            for (int j = 0; j < n; j++)
                sum += (lg[j] = exp(lg[j] - mx));
            for (int e = 0; e < dh; e++) {
                double acc = 0;
                for (int j = 0; j < n; j++)
                    acc += lg[j] / sum * v[(size_t)j * cs + h * dh + e];
                o[h * dh + e] = acc * sig(g[(size_t)i * cs + h * dh + e]);
            }
        }
        lin_ref(y, o, m->wo, cs, cs);
        for (int d = 0; d < cs; d++)
            out[(size_t)i * cs + d] = (float)y[d];
    }
    free(sd);
}
