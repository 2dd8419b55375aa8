/* Reference twin of the edge feature net, written as the upstream module
 * reads: build the concatenated pair features [B,N,N,K] in upstream order,
 * then each Linear as a plain loop (double accumulation), ReLU, LayerNorm,
 * edge mask, contact conditioning. Tests compare the optimised forward with it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edge_features_impl.h"
#include "framegen/embed.h"

/* y[M, n_out] = x[M, n_in] W[n_out, n_in]^T + b, plain loops. */
static void plain_linear(float *y, const float *x, const float *W, const float *b, int64_t M, int n_in,
                         int n_out)
{
    for (int64_t r = 0; r < M; r++)
        for (int o = 0; o < n_out; o++) {
            double acc = b ? b[o] : 0.0;
            for (int k = 0; k < n_in; k++)
                acc += (double)x[r * n_in + k] * W[(int64_t)o * n_in + k];
            y[r * n_out + o] = (float)acc;
        }
}

static void plain_layernorm(float *x, const float *g, const float *b, int64_t M, int C)
{
    for (int64_t r = 0; r < M; r++) {
        float *v = x + r * C;
        double mean = 0.0, var = 0.0;
        for (int c = 0; c < C; c++)
            mean += v[c];
        mean /= C;
        for (int c = 0; c < C; c++)
            var += (v[c] - mean) * (v[c] - mean);
        var /= C;
        const double inv = 1.0 / sqrt(var + 1e-5);
        for (int c = 0; c < C; c++)
            v[c] = (float)((v[c] - mean) * inv * g[c] + b[c]);
    }
}

static void plain_relu(float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* X[B,N,N,K]: the concatenated pair features; P [B*N, F] node projection. */
static void build_pair_features(const fg_edge_features *e, const fg_edge_features_in *in, const float *P,
                                float *X)
{
    const int B = in->B, N = in->N, F = e->p.feat_dim, nb = e->p.num_bins, K = e->in_dim;
    float *pe = malloc((size_t)F * 2 * sizeof *pe); /* [2, F] relpos embedding and its projection */
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                const int64_t bi = (int64_t)b * N + i, bj = (int64_t)b * N + j;
                float *x = X + (bi * N + j) * K;
                memset(x, 0, (size_t)K * sizeof *x);
                memcpy(x, P + bi * F, (size_t)F * sizeof *x);
                memcpy(x + F, P + bj * F, (size_t)F * sizeof *x);
                const int64_t off = (int64_t)i - j; /* array positions, not res_idx */
                fg_index_embedding(pe, &off, 1, F, e->p.pos_embed_max_len, (fg_pos_embed)e->p.pos_embed_method);
                plain_linear(pe + F, pe, e->rel_W, e->rel_b, 1, F, F);
                memcpy(x + fg_edge_col_relpos(e), pe + F, (size_t)F * sizeof *x);
                const float zero[3] = {0.0f, 0.0f, 0.0f};
                const float *tr = in->trans + (int64_t)b * N * 3;
                const float *sc = in->trans_sc ? in->trans_sc + (int64_t)b * N * 3 : NULL;
                int k = fg_distogram_bin(fg_dist3(tr + i * 3, tr + j * 3), e->lower, e->upper, nb);
                if (k >= 0)
                    x[fg_edge_col_dgram(e) + k] = 1.0f;
                k = fg_distogram_bin(sc ? fg_dist3(sc + i * 3, sc + j * 3) : fg_dist3(zero, zero), e->lower,
                                     e->upper, nb);
                if (k >= 0)
                    x[fg_edge_col_sc(e) + k] = 1.0f;
                if (e->p.embed_chain)
                    x[fg_edge_col_chain(e)] = in->chain_idx[bi] == in->chain_idx[bj] ? 1.0f : 0.0f;
                if (e->p.embed_diffuse_mask) {
                    x[fg_edge_col_diffuse(e)] = in->diffuse_mask[bi];
                    x[fg_edge_col_diffuse(e) + 1] = in->diffuse_mask[bj];
                }
            }
    free(pe);
}

static void add_contact(const fg_edge_features *e, const float *contact, int64_t pairs, float *out)
{
    const int cp = e->p.c_p, fd = e->p.contact_conditioning.fourier_dim;
    float *four = malloc((size_t)(fd + cp) * sizeof *four); /* [fd] features, then [c_p] term */
    float *g = four + fd;
    for (int64_t q = 0; q < pairs; q++) {
        fg_edge_contact_fourier(e, fg_edge_contact_norm(e, contact[q]), four);
        plain_linear(g, four, e->cc_W, e->cc_bias, 1, fd, cp);
        plain_layernorm(g, e->cc_g, e->cc_beta, 1, cp);
        for (int c = 0; c < cp; c++)
            out[q * cp + c] += g[c];
    }
    free(four);
}

fg_status fg_edge_features_forward_ref(const fg_edge_features *e, const fg_edge_features_in *in,
                                       float *edge_embed, fg_error *err)
{
    fg_status st = fg_edge_check_inputs(e, in, err);
    const int N = in->N, cp = e->p.c_p, F = e->p.feat_dim, K = e->in_dim;
    const int64_t BN = (int64_t)in->B * N, pairs = BN * N;
    if (st != FG_OK || BN == 0)
        return st;
    float *P = malloc((size_t)(BN * F) * sizeof *P);       /* [B*N, F] */
    float *X = malloc((size_t)(pairs * K) * sizeof *X);    /* [B,N,N,K] */
    float *H = malloc((size_t)(pairs * cp) * sizeof *H);   /* [B,N,N,c_p] */
    if (!P || !X || !H) {
        free(P), free(X), free(H);
        return fg_error_set(err, FG_ERR_NOMEM, "edge features (reference): out of memory");
    }
    plain_linear(P, in->node_embed, e->sp_W, e->sp_b, BN, e->p.c_s, F);
    build_pair_features(e, in, P, X);
    plain_linear(H, X, e->W0, e->b0, pairs, K, cp);
    plain_relu(H, pairs * cp);
    plain_linear(edge_embed, H, e->W1, e->b1, pairs, cp, cp);
    plain_relu(edge_embed, pairs * cp);
    plain_linear(H, edge_embed, e->W2, e->b2, pairs, cp, cp);
    plain_layernorm(H, e->ln_g, e->ln_b, pairs, cp);
    for (int64_t q = 0; q < pairs; q++)
        for (int c = 0; c < cp; c++)
            edge_embed[q * cp + c] = H[q * cp + c] * in->edge_mask[q];
    if (e->p.contact_conditioning.enabled && in->contact)
        add_contact(e, in->contact, pairs, edge_embed);
    free(P), free(X), free(H);
    return FG_OK;
}
