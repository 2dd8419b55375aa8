/* NodeFeatureNet: per-residue features concatenated in the upstream order
 *   [pos_emb(res_idx) * res_mask, diffuse_mask, t_emb(so3_t), t_emb(r3_t),
 *    (aatype_embedding(aatypes), t_emb(cat_t), aatypes_sc), (chain emb),
 *    (torsion emb), (structure method emb), (stochasticity emb), (hot spots)]
 * (time embeddings multiplied by res_mask) followed by
 * Linear-ReLU-Linear-ReLU-Linear-LayerNorm, or a single Linear. The work is
 * O(B N in_dim c_s): one GEMM per layer, no special kernel needed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/embed.h"
#include "framegen/features.h"
#include "framegen/ops.h"

#define CHAIN_MAX_LEN 100     /* upstream: chain index embedding max_len */
#define TIME_MAX_POSITIONS 2056 /* upstream: time embedding, regardless of config */

struct fg_node_features {
    fg_node_features_params p;
    int in_dim;                           /* K, width of the concatenated features */
    const float *aatype_emb;              /* [21, c_s] */
    const float *torsion_W, *torsion_b;   /* [c_pos_emb, 14], [c_pos_emb] */
    const float *method_emb;              /* [14, c_pos_emb] */
    const float *stoch_W, *stoch_b;       /* [c_pos_emb, 4], [c_pos_emb] */
    const float *W[3], *b[3];             /* MLP: [c_s, K] then [c_s, c_s] x 2; one Linear: W[0] */
    const float *ln_g, *ln_b;             /* [c_s] (use_mlp) */
};

fg_status fg_node_features_create(const fg_node_features_params *p, fg_weights *w, const char *prefix,
                                  fg_node_features **out, fg_error *err)
{
    *out = NULL;
    fg_status st = fg_node_features_validate(p, "node_features", err);
    if (st != FG_OK)
        return st;
    fg_node_features *nf = calloc(1, sizeof *nf);
    if (!nf)
        return fg_error_set(err, FG_ERR_NOMEM, "node features: out of memory");
    nf->p = *p;
    nf->in_dim = fg_node_features_in_dim(p);
    const int cs = p->c_s, cp = p->c_pos_emb, K = nf->in_dim;
    fg_wload l;
    fg_wload_init(&l, w, err, "%s", prefix ? prefix : "");
    if (p->embed_aatype)
        nf->aatype_emb = fg_wl_2d(&l, "aatype_embedding.weight", FG_FEAT_NUM_AATYPES, cs);
    if (p->embed_torsions) {
        nf->torsion_W = fg_wl_2d(&l, "torsion_embedding.weight", cp, 2 * FG_FEAT_NUM_TORSIONS);
        nf->torsion_b = fg_wl_1d(&l, "torsion_embedding.bias", cp);
    }
    if (p->embed_structural_method)
        nf->method_emb = fg_wl_2d(&l, "structural_method_embedding.weight", FG_FEAT_NUM_STRUCTURE_METHODS, cp);
    if (p->embed_stochasticity_scales) {
        nf->stoch_W = fg_wl_2d(&l, "stoch_embed.weight", cp, 4);
        nf->stoch_b = fg_wl_1d(&l, "stoch_embed.bias", cp);
    }
    if (p->use_mlp) {
        nf->W[0] = fg_wl_2d(&l, "linear.0.weight", cs, K);
        nf->b[0] = fg_wl_1d(&l, "linear.0.bias", cs);
        nf->W[1] = fg_wl_2d(&l, "linear.2.weight", cs, cs);
        nf->b[1] = fg_wl_1d(&l, "linear.2.bias", cs);
        nf->W[2] = fg_wl_2d(&l, "linear.4.weight", cs, cs);
        nf->b[2] = fg_wl_1d(&l, "linear.4.bias", cs);
        nf->ln_g = fg_wl_1d(&l, "linear.5.weight", cs);
        nf->ln_b = fg_wl_1d(&l, "linear.5.bias", cs);
    } else {
        nf->W[0] = fg_wl_2d(&l, "linear.weight", cs, K);
        nf->b[0] = fg_wl_1d(&l, "linear.bias", cs);
    }
    if (l.st != FG_OK) {
        free(nf);
        return l.st;
    }
    *out = nf;
    return FG_OK;
}

void fg_node_features_destroy(fg_node_features *nf) { free(nf); }

double fg_node_features_flops(const fg_node_features *nf, int B, int N)
{
    const double rows = (double)B * N, cs = nf->p.c_s;
    double f = 2.0 * rows * nf->in_dim * cs;
    if (nf->p.use_mlp)
        f += 4.0 * rows * cs * cs;
    if (nf->p.embed_torsions)
        f += 2.0 * rows * 2 * FG_FEAT_NUM_TORSIONS * nf->p.c_pos_emb;
    return f;
}

static int finite_all(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

static fg_status check_inputs(const fg_node_features *nf, const fg_node_features_in *in, fg_error *err)
{
    const fg_node_features_params *p = &nf->p;
    const int64_t BN = (int64_t)in->B * in->N;
    if (in->B < 0 || in->N < 0)
        return fg_error_set(err, FG_ERR_INVALID, "node features: bad batch size B=%d N=%d", in->B, in->N);
    struct { const void *ptr; const char *name; int needed; } req[] = {
        {in->so3_t, "so3_t", 1}, {in->r3_t, "r3_t", 1}, {in->res_mask, "res_mask", 1},
        {in->diffuse_mask, "diffuse_mask", 1}, {in->res_idx, "res_idx", 1},
        {in->cat_t, "cat_t", p->embed_aatype}, {in->aatypes, "aatypes", p->embed_aatype},
        {in->chain_idx, "chain_idx", p->embed_chain}, {in->torsions, "torsions", p->embed_torsions},
        {in->structure_method, "structure_method", p->embed_structural_method},
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (req[i].needed && !req[i].ptr && BN > 0)
            return fg_error_set(err, FG_ERR_INVALID, "node features: input %s is required by the config",
                                req[i].name);
    const float *times[3] = {in->so3_t, in->r3_t, p->embed_aatype ? in->cat_t : NULL};
    for (int k = 0; k < 3 && BN > 0; k++)
        if (times[k] && !finite_all(times[k], in->B))
            return fg_error_set(err, FG_ERR_NUMERIC, "node features: non-finite time in %s",
                                k == 0 ? "so3_t" : k == 1 ? "r3_t" : "cat_t");
    for (int64_t r = 0; p->embed_aatype && r < BN; r++)
        if (in->aatypes[r] < 0 || in->aatypes[r] >= FG_FEAT_NUM_AATYPES)
            return fg_error_set(err, FG_ERR_INVALID, "node features: aatypes[%lld] = %lld outside 0..%d",
                                (long long)r, (long long)in->aatypes[r], FG_FEAT_NUM_AATYPES - 1);
    for (int b = 0; p->embed_structural_method && BN > 0 && b < in->B; b++)
        if (in->structure_method[b] < 0 || in->structure_method[b] >= FG_FEAT_NUM_STRUCTURE_METHODS)
            return fg_error_set(err, FG_ERR_INVALID,
                                "node features: structure_method[%d] = %lld outside 0..%d", b,
                                (long long)in->structure_method[b], FG_FEAT_NUM_STRUCTURE_METHODS - 1);
    return FG_OK;
}

/* Writes `width` columns at column `col` of X[rows, K] from src[rows, width] times m[row] (m may be NULL). */
static void put_cols(float *X, int K, int col, const float *src, int width, const float *m, int64_t rows)
{
    for (int64_t r = 0; r < rows; r++) {
        float *x = X + r * K + col;
        const float *s = src + r * width;
        const float f = m ? m[r] : 1.0f;
        for (int c = 0; c < width; c++)
            x[c] = m ? s[c] * f : s[c];
    }
}

/* The same per-item row src_b[B, width] in every residue row of item b, times res_mask. */
static void put_item_cols(float *X, int K, int col, const float *src, int width, const float *m, int B, int N)
{
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++) {
            const int64_t r = (int64_t)b * N + i;
            float *x = X + r * K + col;
            for (int c = 0; c < width; c++)
                x[c] = m ? src[(int64_t)b * width + c] * m[r] : src[(int64_t)b * width + c];
        }
}

/* X[B*N, K]: the concatenated input features. */
static fg_status build_features(const fg_node_features *nf, const fg_node_features_in *in, float *X,
                                fg_arena *a, fg_error *err)
{
    const fg_node_features_params *p = &nf->p;
    const int B = in->B, N = in->N, K = nf->in_dim, cp = p->c_pos_emb, ct = p->c_timestep_emb;
    const int64_t BN = (int64_t)B * N;
    const int64_t tmp_n = BN * (cp > 2 * FG_FEAT_NUM_TORSIONS ? cp : 2 * FG_FEAT_NUM_TORSIONS);
    float *tmp = fg_arena_floats(a, (size_t)tmp_n);   /* [B*N, c_pos_emb] */
    float *temb = fg_arena_floats(a, (size_t)B * ct); /* [B, c_timestep_emb] */
    if (!tmp || !temb)
        return fg_error_set(err, FG_ERR_NOMEM, "node features: out of scratch memory");
    int col = 0;
    fg_index_embedding(tmp, in->res_idx, BN, cp, p->pos_embed_max_len, (fg_pos_embed)p->pos_embed_method);
    put_cols(X, K, col, tmp, cp, in->res_mask, BN), col += cp;
    put_cols(X, K, col, in->diffuse_mask, 1, NULL, BN), col += 1;
    const float *ts[2] = {in->so3_t, in->r3_t};
    for (int k = 0; k < 2; k++) {
        fg_time_embedding(temb, ts[k], B, ct, TIME_MAX_POSITIONS);
        put_item_cols(X, K, col, temb, ct, in->res_mask, B, N), col += ct;
    }
    if (p->embed_aatype) {
        for (int64_t r = 0; r < BN; r++)
            memcpy(X + r * K + col, nf->aatype_emb + in->aatypes[r] * p->c_s, (size_t)p->c_s * sizeof *X);
        col += p->c_s;
        fg_time_embedding(temb, in->cat_t, B, ct, TIME_MAX_POSITIONS);
        put_item_cols(X, K, col, temb, ct, in->res_mask, B, N), col += ct;
        const int na = p->aatype_pred_num_tokens;
        for (int64_t r = 0; r < BN; r++) {
            if (in->aatypes_sc)
                memcpy(X + r * K + col, in->aatypes_sc + r * na, (size_t)na * sizeof *X);
            else
                memset(X + r * K + col, 0, (size_t)na * sizeof *X);
        }
        col += na;
    }
    if (p->embed_chain) {
        fg_index_embedding(tmp, in->chain_idx, BN, cp, CHAIN_MAX_LEN, (fg_pos_embed)p->pos_embed_method);
        put_cols(X, K, col, tmp, cp, NULL, BN), col += cp;
    }
    if (p->embed_torsions) {
        fg_linear(tmp, in->torsions, nf->torsion_W, nf->torsion_b, BN, 2 * FG_FEAT_NUM_TORSIONS, cp);
        put_cols(X, K, col, tmp, cp, NULL, BN), col += cp;
    }
    if (p->embed_structural_method) {
        for (int b = 0; b < B; b++)
            memcpy(tmp + (int64_t)b * cp, nf->method_emb + in->structure_method[b] * cp, (size_t)cp * sizeof *X);
        put_item_cols(X, K, col, tmp, cp, NULL, B, N), col += cp;
    }
    if (p->embed_stochasticity_scales) {
        float sc[4]; /* [trans, rotmats, torsions, aatypes] of one item */
        const float *src[4] = {in->trans_stoch, in->rotmats_stoch, in->torsions_stoch, in->aatypes_stoch};
        for (int b = 0; b < B; b++) {
            for (int k = 0; k < 4; k++)
                sc[k] = src[k] ? src[k][b] : 0.0f;
            fg_linear(tmp + (int64_t)b * cp, sc, nf->stoch_W, nf->stoch_b, 1, 4, cp);
        }
        put_item_cols(X, K, col, tmp, cp, NULL, B, N), col += cp;
    }
    if (p->embed_hotspots) {
        for (int64_t r = 0; r < BN; r++)
            X[r * K + col] = in->hot_spots ? in->hot_spots[r] : 0.0f;
        col += 1;
    }
    if (col != K)
        return fg_error_set(err, FG_ERR_INVALID, "node features: built %d feature columns, expected %d", col, K);
    return FG_OK;
}

fg_status fg_node_features_forward(const fg_node_features *nf, const fg_node_features_in *in,
                                   float *node_embed, fg_arena *scratch, fg_error *err)
{
    fg_status st = check_inputs(nf, in, err);
    const int64_t BN = (int64_t)in->B * in->N;
    if (st != FG_OK || BN == 0)
        return st;
    const int cs = nf->p.c_s, K = nf->in_dim;
    fg_arena_mark mark = fg_arena_save(scratch);
    float *X = fg_arena_floats(scratch, (size_t)(BN * K)); /* [B*N, K] concatenated features */
    if (!X) {
        fg_arena_restore(scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "node features: out of scratch memory");
    }
    st = build_features(nf, in, X, scratch, err);
    if (st == FG_OK && !nf->p.use_mlp) {
        fg_linear(node_embed, X, nf->W[0], nf->b[0], BN, K, cs);
    } else if (st == FG_OK) {
        float *h = fg_arena_floats(scratch, (size_t)(BN * cs)); /* [B*N, c_s] hidden */
        if (!h) {
            fg_arena_restore(scratch, mark);
            return fg_error_set(err, FG_ERR_NOMEM, "node features: out of scratch memory");
        }
        fg_linear(node_embed, X, nf->W[0], nf->b[0], BN, K, cs);
        fg_relu(node_embed, BN * cs);
        fg_linear(h, node_embed, nf->W[1], nf->b[1], BN, cs, cs);
        fg_relu(h, BN * cs);
        fg_linear(node_embed, h, nf->W[2], nf->b[2], BN, cs, cs);
        fg_layernorm(node_embed, node_embed, nf->ln_g, nf->ln_b, BN, cs, 1e-5f);
    }
    fg_arena_restore(scratch, mark);
    return st;
}
