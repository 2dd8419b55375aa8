/* EdgeFeatureNet: construction, the pieces shared with the reference twin,
 * and the optimised forward.
 *
 * Upstream concatenates per pair [p_i, p_j, relpos(i-j), dgram(trans),
 * dgram(trans_sc), (same_chain), (diffuse_i, diffuse_j)] (K columns) and runs
 * Linear-ReLU-Linear-ReLU-Linear-LayerNorm over all N^2 pairs, then multiplies
 * by edge_mask and adds the contact conditioning. The first Linear is split
 * by column groups, so no pair feature vector is ever built:
 *   W0 x_ij + b0 = A_i + C_j + R[i-j] + Wd[bin_ij] + Wsc[bin_sc_ij] + w_chain [c_i = c_j]
 * with A_i = W0[:, p_i] p_i + b0 + w_diff_i diffuse_i and C_j = W0[:, p_j] p_j
 * + w_diff_j diffuse_j (per residue, two GEMMs), R a table over the 2N-1
 * offsets (relpos uses array positions, not res_idx) and the one-hot
 * distograms as column look-ups. What remains per pair is two c_p x c_p GEMMs
 * over tiles of pairs, each tile owned by one thread (results do not depend on
 * the thread count). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "edge_features_impl.h"
#include "framegen/embed.h"
#include "framegen/ops.h"

/* Pairs per tile: two [tile, c_p] buffers stay in a core's L2 at c_p = 128. */
#define TILE_PAIRS 512

static fg_status load_weights(fg_edge_features *e, fg_weights *w, const char *prefix, fg_error *err)
{
    const fg_edge_features_params *p = &e->p;
    const int F = p->feat_dim, cp = p->c_p;
    fg_wload l;
    fg_wload_init(&l, w, err, "%s", prefix ? prefix : "");
    e->sp_W = fg_wl_2d(&l, "linear_s_p.weight", F, p->c_s);
    e->sp_b = fg_wl_1d(&l, "linear_s_p.bias", F);
    e->rel_W = fg_wl_2d(&l, "linear_relpos.weight", F, F);
    e->rel_b = fg_wl_1d(&l, "linear_relpos.bias", F);
    e->W0 = fg_wl_2d(&l, "edge_embedder.0.weight", cp, e->in_dim);
    e->b0 = fg_wl_1d(&l, "edge_embedder.0.bias", cp);
    e->W1 = fg_wl_2d(&l, "edge_embedder.2.weight", cp, cp);
    e->b1 = fg_wl_1d(&l, "edge_embedder.2.bias", cp);
    e->W2 = fg_wl_2d(&l, "edge_embedder.4.weight", cp, cp);
    e->b2 = fg_wl_1d(&l, "edge_embedder.4.bias", cp);
    e->ln_g = fg_wl_1d(&l, "edge_embedder.5.weight", cp);
    e->ln_b = fg_wl_1d(&l, "edge_embedder.5.bias", cp);
    if (p->contact_conditioning.enabled) {
        const int fd = p->contact_conditioning.fourier_dim;
        e->cc_w = fg_wl_2d(&l, "contact_conditioning.fourier.proj.weight", fd, 1);
        e->cc_b = fg_wl_1d(&l, "contact_conditioning.fourier.proj.bias", fd);
        e->cc_W = fg_wl_2d(&l, "contact_conditioning.encoder.weight", cp, fd);
        e->cc_bias = fg_wl_1d(&l, "contact_conditioning.encoder.bias", cp);
        e->cc_g = fg_wl_1d(&l, "contact_conditioning.layer_norm.weight", cp);
        e->cc_beta = fg_wl_1d(&l, "contact_conditioning.layer_norm.bias", cp);
    }
    return l.st;
}

/* dst[n, c_p] = columns col..col+n-1 of W0 (row-major [c_p, K]), transposed. */
static void take_cols(float *dst, const float *W0, int K, int cp, int col, int n)
{
    for (int k = 0; k < n; k++)
        for (int c = 0; c < cp; c++)
            dst[(int64_t)k * cp + c] = W0[(int64_t)c * K + col + k];
}

/* G[m, c_p] = LN(encoder(fourier(c[m]))): the conditioning term of m pairs; four[m, fd] scratch. */
static void contact_embed(const fg_edge_features *e, const float *c, int64_t m, float *four, float *G)
{
    const int fd = e->p.contact_conditioning.fourier_dim, cp = e->p.c_p;
    for (int64_t k = 0; k < m; k++)
        fg_edge_contact_fourier(e, c[k], four + k * fd);
    fg_linear(G, four, e->cc_W, e->cc_bias, m, fd, cp);
    fg_layernorm(G, G, e->cc_g, e->cc_beta, m, cp, 1e-5f);
}

static fg_status derive(fg_edge_features *e)
{
    const int cp = e->p.c_p, nb = e->p.num_bins, K = e->in_dim;
    const int fd = e->p.contact_conditioning.fourier_dim;
    const size_t n = (size_t)2 * nb + (size_t)2 * nb * cp + 6 * (size_t)cp + (size_t)fd;
    float *buf = calloc(n, sizeof *buf); /* one block for every derived array */
    if (!buf)
        return FG_ERR_NOMEM;
    e->lower = buf, e->upper = e->lower + nb;
    e->dgram_T = e->upper + nb, e->sc_T = e->dgram_T + (size_t)nb * cp;
    e->w_chain = e->sc_T + (size_t)nb * cp, e->w_diff_i = e->w_chain + cp, e->w_diff_j = e->w_diff_i + cp;
    e->cc_row0 = e->w_diff_j + cp, e->cc_row1 = e->cc_row0 + cp, e->zero_row = e->cc_row1 + cp;
    fg_distogram_edges(e->lower, e->upper, FG_EDGE_DGRAM_MIN, FG_EDGE_DGRAM_MAX, nb);
    take_cols(e->dgram_T, e->W0, K, cp, fg_edge_col_dgram(e), nb);
    take_cols(e->sc_T, e->W0, K, cp, fg_edge_col_sc(e), nb);
    if (e->p.embed_chain)
        take_cols(e->w_chain, e->W0, K, cp, fg_edge_col_chain(e), 1);
    if (e->p.embed_diffuse_mask) {
        take_cols(e->w_diff_i, e->W0, K, cp, fg_edge_col_diffuse(e), 1);
        take_cols(e->w_diff_j, e->W0, K, cp, fg_edge_col_diffuse(e) + 1, 1);
    }
    if (e->p.contact_conditioning.enabled) {
        float *four = e->zero_row + cp; /* [fd] */
        const float zero = 0.0f, one = 1.0f;
        contact_embed(e, &zero, 1, four, e->cc_row0);
        contact_embed(e, &one, 1, four, e->cc_row1);
    }
    return FG_OK;
}

fg_status fg_edge_features_create(const fg_edge_features_params *p, fg_weights *w, const char *prefix,
                                  fg_edge_features **out, fg_error *err)
{
    *out = NULL;
    fg_status st = fg_edge_features_validate(p, "edge_features", err);
    if (st != FG_OK)
        return st;
    fg_edge_features *e = calloc(1, sizeof *e);
    if (!e)
        return fg_error_set(err, FG_ERR_NOMEM, "edge features: out of memory");
    e->p = *p;
    e->in_dim = fg_edge_features_in_dim(p);
    st = load_weights(e, w, prefix, err);
    if (st == FG_OK && derive(e) != FG_OK)
        st = fg_error_set(err, FG_ERR_NOMEM, "edge features: out of memory");
    if (st != FG_OK) {
        fg_edge_features_destroy(e);
        return st;
    }
    *out = e;
    return FG_OK;
}

void fg_edge_features_destroy(fg_edge_features *e)
{
    if (!e)
        return;
    free(e->lower);
    free(e);
}

double fg_edge_features_flops(const fg_edge_features *e, int B, int N)
{
    const double pairs = (double)B * N * N, cp = e->p.c_p, F = e->p.feat_dim;
    double f = pairs * (4.0 * cp * cp + 6.0 * cp);               /* two pair GEMMs + gathered adds */
    f += 2.0 * B * N * (e->p.c_s * F + 2.0 * F * cp);            /* per-residue projections */
    f += 2.0 * (2.0 * N - 1) * (F * F + F * cp);                 /* relpos table */
    return f;
}

float fg_edge_contact_norm(const fg_edge_features *e, float d)
{
    const fg_contact_conditioning_params *cc = &e->p.contact_conditioning;
    float c = (d - (float)cc->dist_min) / (float)(cc->dist_max - cc->dist_min);
    return c < 0.0f ? 0.0f : c > 1.0f ? 1.0f : c;
}

void fg_edge_contact_fourier(const fg_edge_features *e, float c, float *four)
{
    const float two_pi = (float)(2.0 * M_PI);
    for (int k = 0; k < e->p.contact_conditioning.fourier_dim; k++)
        four[k] = cosf(two_pi * (c * e->cc_w[k] + e->cc_b[k]));
}

static int first_nonfinite(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 1;
    return 0;
}

fg_status fg_edge_check_inputs(const fg_edge_features *e, const fg_edge_features_in *in, fg_error *err)
{
    const fg_edge_features_params *p = &e->p;
    if (in->B < 0 || in->N < 0)
        return fg_error_set(err, FG_ERR_INVALID, "edge features: bad batch size B=%d N=%d", in->B, in->N);
    const int64_t BN = (int64_t)in->B * in->N, BNN = BN * in->N;
    if (BN == 0)
        return FG_OK;
    struct { const void *ptr; const char *name; int needed; } req[] = {
        {in->node_embed, "node_embed", 1}, {in->trans, "trans", 1}, {in->edge_mask, "edge_mask", 1},
        {in->diffuse_mask, "diffuse_mask", p->embed_diffuse_mask}, {in->chain_idx, "chain_idx", p->embed_chain},
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (req[i].needed && !req[i].ptr)
            return fg_error_set(err, FG_ERR_INVALID, "edge features: input %s is required by the config",
                                req[i].name);
    struct { const float *x; int64_t n; const char *name; } fin[] = {
        {in->node_embed, BN * p->c_s, "node_embed"}, {in->trans, BN * 3, "trans"},
        {in->trans_sc, BN * 3, "trans_sc"}, {in->edge_mask, BNN, "edge_mask"},
        {p->contact_conditioning.enabled ? in->contact : NULL, BNN, "contact"},
    };
    for (size_t i = 0; i < sizeof fin / sizeof fin[0]; i++)
        if (fin[i].x && first_nonfinite(fin[i].x, fin[i].n))
            return fg_error_set(err, FG_ERR_NUMERIC, "edge features: non-finite value in %s", fin[i].name);
    return FG_OK;
}

/* ---- optimised forward ------------------------------------------------- */

typedef struct edge_ctx {
    const fg_edge_features *e;
    const fg_edge_features_in *in;
    const float *A;  /* [B*N, c_p] row terms incl. b0 */
    const float *C;  /* [B*N, c_p] column terms */
    const float *R;  /* [2N-1, c_p] relpos terms, row (i - j + N - 1) */
    float *out;      /* [B, N, N, c_p] */
    int rows;        /* residue rows i per tile */
} edge_ctx;

typedef struct edge_tls {
    float *H;     /* [tile, c_p] hidden layer */
    float *G;     /* [tile, c_p] first layer, later the contact terms */
    float *four;  /* [tile, fd] Fourier features */
    float *cval;  /* [tile] normalised contacts needing the full computation */
    int *sel;     /* [tile] their pair index within the tile */
} edge_tls;

/* z = relu(a + cj + r + wd + ws + wc) over c_p values: one pass per pair. */
static void pair_sum_relu(float *restrict z, const float *restrict a, const float *restrict cj,
                          const float *restrict r, const float *restrict wd, const float *restrict ws,
                          const float *restrict wc, int cp)
{
    for (int c = 0; c < cp; c++) {
        const float v = a[c] + cj[c] + r[c] + wd[c] + ws[c] + wc[c];
        z[c] = v > 0.0f ? v : 0.0f;
    }
}

/* Z[(i - i0) N + j, :] = relu(first layer) of the pairs of rows i0..i1-1. Absent
 * terms (no bin, other chain, switch off) read the zero row. */
static void tile_first_layer(const edge_ctx *x, int b, int i0, int i1, float *Z)
{
    const fg_edge_features *e = x->e;
    const fg_edge_features_in *in = x->in;
    const int N = in->N, cp = e->p.c_p, nb = e->p.num_bins;
    const float *tr = in->trans + (int64_t)b * N * 3;
    const float *sc = in->trans_sc ? in->trans_sc + (int64_t)b * N * 3 : NULL;
    const int64_t *ch = e->p.embed_chain ? in->chain_idx + (int64_t)b * N : NULL;
    for (int i = i0; i < i1; i++) {
        const float *a = x->A + ((int64_t)b * N + i) * cp;
        for (int j = 0; j < N; j++) {
            const int kd = fg_distogram_bin(fg_dist3(tr + i * 3, tr + j * 3), e->lower, e->upper, nb);
            /* No trans_sc = zeros: distance 0 lies below the first edge, in no bin. */
            const int ks = sc ? fg_distogram_bin(fg_dist3(sc + i * 3, sc + j * 3), e->lower, e->upper, nb) : -1;
            pair_sum_relu(Z + ((int64_t)(i - i0) * N + j) * cp, a, x->C + ((int64_t)b * N + j) * cp,
                          x->R + (int64_t)(i - j + N - 1) * cp,
                          kd >= 0 ? e->dgram_T + (int64_t)kd * cp : e->zero_row,
                          ks >= 0 ? e->sc_T + (int64_t)ks * cp : e->zero_row,
                          ch && ch[i] == ch[j] ? e->w_chain : e->zero_row, cp);
        }
    }
}

/* Y[q, :] = LayerNorm(X[q, :]) * m[q] for T rows of C values; float sums in
 * 8 fixed lanes (vectorisable, same order on every run). */
static void layernorm_mask_rows(float *Y, const float *X, int64_t T, int C, const float *g, const float *b,
                                const float *m)
{
    for (int64_t q = 0; q < T; q++) {
        const float *restrict z = X + q * C;
        float *restrict y = Y + q * C;
        float s[8] = {0}, v[8] = {0}, sum = 0.0f, var = 0.0f;
        int c = 0;
        for (; c + 8 <= C; c += 8)
            for (int l = 0; l < 8; l++)
                s[l] += z[c + l];
        for (; c < C; c++)
            sum += z[c];
        for (int l = 0; l < 8; l++)
            sum += s[l];
        const float mean = sum / (float)C;
        for (c = 0; c + 8 <= C; c += 8)
            for (int l = 0; l < 8; l++)
                v[l] += (z[c + l] - mean) * (z[c + l] - mean);
        for (; c < C; c++)
            var += (z[c] - mean) * (z[c] - mean);
        for (int l = 0; l < 8; l++)
            var += v[l];
        const float inv = 1.0f / sqrtf(var / (float)C + 1e-5f), mq = m[q];
        for (c = 0; c < C; c++)
            y[c] = ((z[c] - mean) * inv * g[c] + b[c]) * mq;
    }
}

/* Adds the contact conditioning term to the T pairs of Z starting at pair q0 of item b. */
static void tile_contact(const edge_ctx *x, int b, int64_t q0, int64_t T, float *Z, const edge_tls *t)
{
    const fg_edge_features *e = x->e;
    const int cp = e->p.c_p;
    const float *d = x->in->contact + (int64_t)b * x->in->N * x->in->N + q0;
    int m = 0;
    for (int64_t q = 0; q < T; q++) {
        const float c = fg_edge_contact_norm(e, d[q]);
        /* The clamped ends are the common case (no contact: c = 0). */
        const float *row = c == 0.0f ? e->cc_row0 : c == 1.0f ? e->cc_row1 : NULL;
        if (row) {
            float *z = Z + q * cp;
            for (int k = 0; k < cp; k++)
                z[k] += row[k];
        } else {
            t->cval[m] = c, t->sel[m++] = (int)q;
        }
    }
    if (m == 0)
        return;
    contact_embed(e, t->cval, m, t->four, t->G);
    for (int k = 0; k < m; k++) {
        float *z = Z + (int64_t)t->sel[k] * cp;
        const float *g = t->G + (int64_t)k * cp;
        for (int c = 0; c < cp; c++)
            z[c] += g[c];
    }
}

static void edge_tile(const edge_ctx *x, int b, int i0, const edge_tls *t)
{
    const fg_edge_features *e = x->e;
    const int N = x->in->N, cp = e->p.c_p;
    const int i1 = i0 + x->rows < N ? i0 + x->rows : N;
    const int64_t q0 = (int64_t)i0 * N, T = (int64_t)(i1 - i0) * N;
    float *Z = x->out + ((int64_t)b * N * N + q0) * cp; /* [T, c_p] this tile of the output */
    /* The first layer goes to thread-local G (in cache), not to the output,
     * whose first touch would stall the gather loop. */
    tile_first_layer(x, b, i0, i1, t->G);
    fg_linear(t->H, t->G, e->W1, e->b1, T, cp, cp);
    for (int64_t k = 0; k < T * cp; k++)
        t->H[k] = t->H[k] > 0.0f ? t->H[k] : 0.0f;
    fg_linear(t->G, t->H, e->W2, e->b2, T, cp, cp);
    layernorm_mask_rows(Z, t->G, T, cp, e->ln_g, e->ln_b, x->in->edge_mask + (int64_t)b * N * N + q0);
    if (e->p.contact_conditioning.enabled && x->in->contact)
        tile_contact(x, b, q0, T, Z, t);
}

/* A, C [B*N, c_p] per-residue terms and R [2N-1, c_p] relpos terms; P [B*N, F] scratch. */
static void residue_terms(const fg_edge_features *e, const fg_edge_features_in *in, float *P, float *A,
                          float *C, float *R, float *pe, int64_t *offs)
{
    const int N = in->N, F = e->p.feat_dim, cp = e->p.c_p, K = e->in_dim;
    const int64_t BN = (int64_t)in->B * N;
    fg_linear(P, in->node_embed, e->sp_W, e->sp_b, BN, e->p.c_s, F);
    for (int64_t r = 0; r < BN; r++)
        memcpy(A + r * cp, e->b0, (size_t)cp * sizeof *A);
    fg_gemm(false, true, BN, cp, F, 1.0f, P, F, e->W0, K, 1.0f, A, cp);
    fg_gemm(false, true, BN, cp, F, 1.0f, P, F, e->W0 + F, K, 0.0f, C, cp);
    if (e->p.embed_diffuse_mask)
        for (int64_t r = 0; r < BN; r++)
            for (int c = 0; c < cp; c++) {
                A[r * cp + c] += in->diffuse_mask[r] * e->w_diff_i[c];
                C[r * cp + c] += in->diffuse_mask[r] * e->w_diff_j[c];
            }
    const int64_t nr = 2 * (int64_t)N - 1;
    for (int64_t k = 0; k < nr; k++)
        offs[k] = k - (N - 1);
    fg_index_embedding(pe, offs, nr, F, e->p.pos_embed_max_len, (fg_pos_embed)e->p.pos_embed_method);
    float *rel = pe + nr * F; /* [2N-1, F] linear_relpos output */
    fg_linear(rel, pe, e->rel_W, e->rel_b, nr, F, F);
    fg_gemm(false, true, nr, cp, F, 1.0f, rel, F, e->W0 + fg_edge_col_relpos(e), K, 0.0f, R, cp);
}

fg_status fg_edge_features_forward(const fg_edge_features *e, const fg_edge_features_in *in,
                                   float *edge_embed, fg_arena *scratch, fg_error *err)
{
    fg_status st = fg_edge_check_inputs(e, in, err);
    const int N = in->N, cp = e->p.c_p, F = e->p.feat_dim;
    const int fd = e->p.contact_conditioning.fourier_dim;
    const int64_t BN = (int64_t)in->B * N, nr = 2 * (int64_t)N - 1;
    if (st != FG_OK || BN == 0)
        return st;
    const int rows = TILE_PAIRS / N < 1 ? 1 : TILE_PAIRS / N > N ? N : TILE_PAIRS / N;
    edge_ctx x = {e, in, NULL, NULL, NULL, edge_embed, rows};
    const int64_t tile = (int64_t)x.rows * N;
    const int nth = fg_get_threads() > 0 ? fg_get_threads() : 1;
    fg_arena_mark mark = fg_arena_save(scratch);
    float *P = fg_arena_floats(scratch, (size_t)(BN * F));          /* [B*N, F] node projection */
    float *A = fg_arena_floats(scratch, (size_t)(BN * cp));         /* [B*N, c_p] */
    float *C = fg_arena_floats(scratch, (size_t)(BN * cp));         /* [B*N, c_p] */
    float *R = fg_arena_floats(scratch, (size_t)(nr * cp));         /* [2N-1, c_p] */
    float *pe = fg_arena_floats(scratch, (size_t)(2 * nr * F));     /* [2, 2N-1, F] relpos embedding */
    int64_t *offs = fg_arena_alloc(scratch, (size_t)nr * sizeof *offs); /* [2N-1] i - j */
    const size_t per_thread = (size_t)tile * (2 * (size_t)cp + (size_t)fd + 1); /* floats */
    float *tls_mem = fg_arena_floats(scratch, per_thread * (size_t)nth);  /* [nth, per_thread] */
    int *sel_mem = fg_arena_alloc(scratch, (size_t)(tile * nth) * sizeof *sel_mem); /* [nth, tile] */
    if (!P || !A || !C || !R || !pe || !offs || !tls_mem || !sel_mem) {
        fg_arena_restore(scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "edge features: out of scratch memory (N=%d)", N);
    }
    residue_terms(e, in, P, A, C, R, pe, offs);
    x.A = A, x.C = C, x.R = R;
    const int tiles_per_item = (N + x.rows - 1) / x.rows;
    const int ntasks = in->B * tiles_per_item;
#pragma omp parallel num_threads(nth)
    {
        const int tid = omp_get_thread_num();
        float *base = tls_mem + per_thread * (size_t)tid;
        edge_tls t = {base, base + tile * cp, base + 2 * tile * cp, base + tile * (2 * cp + fd),
                      sel_mem + tile * tid};
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < ntasks; task++)
            edge_tile(&x, task / tiles_per_item, (task % tiles_per_item) * x.rows, &t);
    }
    fg_arena_restore(scratch, mark);
    return FG_OK;
}
