/* ESM-2 forward over a packed batch: token dropout embedding, pre-LayerNorm
 * layers (rotary self-attention, exact-GELU FFN), final LayerNorm, LM head. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "core/mm.h"
#include "esm_attention.h"
#include "esm_internal.h"
#include "esm_math.h"
#include "framegen/esm_tokens.h"
#include "framegen/ops.h"

/* Per-call buffers, all from the model's arena. */
typedef struct fwd {
    int64_t T, R, max_len;
    int d, n_run;         /* width; layers actually run */
    float *x;             /* [T, d] residual stream */
    float *h;             /* [T, d] LayerNorm output */
    float *qkv;           /* [T, 3d] projections (q, k, v at the layer's columns) */
    float *ctx;           /* [T, d] attention output */
    float *f;             /* [T, d_ffn] FFN hidden */
    int32_t *pos;         /* [T] position inside its sequence */
    int32_t *n_keys;      /* [S] non-pad tokens */
    int64_t *row;         /* [T] output row, -1 when not kept */
    float *cos_t, *sin_t; /* [max_len, head_dim / 2] */
    esm_attn_ws ws;       /* attention workspace */
    int64_t *map_block;   /* [S] attention map block offsets (floats) */
    int32_t *map_row, *map_n;
} fwd;

static fg_status check_batch(const fg_esm *m, const fg_esm_batch *in, const fg_esm_outputs *out,
                             fg_error *err)
{
    if (!in || in->n_seqs < 1 || !in->tokens || !in->offsets || in->offsets[0] != 0)
        return fg_error_set(err, FG_ERR_INVALID, "esm forward: empty batch or offsets[0] != 0");
    for (int s = 0; s < in->n_seqs; s++) {
        int64_t a = in->offsets[s], b = in->offsets[s + 1];
        if (b <= a || b - a > (1 << 30))
            return fg_error_set(err, FG_ERR_INVALID, "esm forward: sequence %d has %lld tokens", s,
                                (long long)(b - a));
        bool pad = false;
        for (int64_t t = a; t < b; t++) {
            int32_t tok = in->tokens[t];
            if (tok < 0 || tok >= m->cfg.vocab)
                return fg_error_set(err, FG_ERR_INVALID,
                                    "esm forward: token %d at position %lld of sequence %d is outside "
                                    "the vocabulary of %d", tok, (long long)(t - a), s, m->cfg.vocab);
            if (pad && tok != FG_ESM_TOK_PAD)
                return fg_error_set(err, FG_ERR_INVALID,
                                    "esm forward: sequence %d has <pad> before position %lld; pads "
                                    "must trail", s, (long long)(t - a));
            pad = pad || tok == FG_ESM_TOK_PAD;
        }
        if (in->tokens[a] == FG_ESM_TOK_PAD)
            return fg_error_set(err, FG_ERR_INVALID, "esm forward: sequence %d is all <pad>", s);
    }
    for (int k = 0; k < out->n_repr; k++)
        if (out->repr_layers[k] < 0 || out->repr_layers[k] > m->cfg.n_layers)
            return fg_error_set(err, FG_ERR_INVALID, "esm forward: layer %d requested, the model has 0..%d",
                                out->repr_layers[k], m->cfg.n_layers);
    if (out->n_repr > 0 && !out->repr)
        return fg_error_set(err, FG_ERR_INVALID, "esm forward: hidden states requested without a buffer");
    if (out->logits && !m->cfg.has_lm_head)
        return fg_error_set(err, FG_ERR_UNSUPPORTED,
                            "esm forward: logits requested but the weights have no LM head");
    return FG_OK;
}

fg_status fg_esm_output_size(const fg_esm *m, const fg_esm_batch *in, const uint8_t *keep,
                             int64_t *rows, int64_t *attn_floats, fg_error *err)
{
    if (!in || in->n_seqs < 1 || !in->offsets)
        return fg_error_set(err, FG_ERR_INVALID, "esm: empty batch");
    int64_t r = 0, a = 0, C = (int64_t)m->cfg.n_layers * m->cfg.n_heads;
    for (int s = 0; s < in->n_seqs; s++) {
        int64_t n = 0;
        for (int64_t t = in->offsets[s]; t < in->offsets[s + 1]; t++)
            n += !keep || keep[t];
        r += n;
        a += n * n * C;
    }
    *rows = r;
    *attn_floats = a;
    return FG_OK;
}

int64_t fg_esm_scratch_bytes(const fg_esm *m, int64_t T, int64_t max_len)
{
    const fg_esm_config *c = &m->cfg;
    max_len = max_len > 0 ? max_len : 1;
    T = T > max_len ? T : max_len;
    /* the longest sequence and the rest of the tokens; the work list can hold
     * one more tile per sequence than this shape gives: T * 8 bytes below */
    int64_t off[3] = {0, max_len, T};
    esm_attn maps = {.n_seqs = T > max_len ? 2 : 1, .offsets = off, .n_heads = c->n_heads,
                     .head_dim = c->head_dim, .maps = (float *)&maps};
    esm_attn fused = maps;
    fused.maps = NULL;
    const int threads = omp_get_max_threads();
    const size_t ws_maps = esm_attn_ws_bytes(&maps, threads), ws_fused = esm_attn_ws_bytes(&fused, threads);
    int64_t d = c->d_model, f = c->d_ffn, lin = fg_mm_linear_scratch_floats(T, d, f); /* the largest product */
    lin = fg_mm_linear_scratch_floats(T, f, d) > lin ? fg_mm_linear_scratch_floats(T, f, d) : lin;
    /* x, h, ctx, qkv, f; rotary tables; int buffers; one alignment pad per allocation */
    int64_t floats = T * (6 * d + f) + max_len * c->head_dim + lin;
    return floats * 4 + T * 32 + (int64_t)(ws_maps > ws_fused ? ws_maps : ws_fused) + 24 * FG_ARENA_ALIGN;
}

#define ALLOC(ptr, n)                                                                              \
    do {                                                                                           \
        (ptr) = fg_arena_alloc(&m->arena, (size_t)(n) * sizeof *(ptr) + 1);                        \
        if (!(ptr))                                                                                \
            return fg_error_set(err, FG_ERR_NOMEM, "esm forward: out of memory (%lld tokens)",     \
                                (long long)fw->T);                                                 \
    } while (0)

static fg_status plan(fg_esm *m, const fg_esm_batch *in, const fg_esm_outputs *out, fwd *fw,
                      fg_error *err)
{
    const fg_esm_config *c = &m->cfg;
    int S = in->n_seqs, half = c->head_dim / 2;
    fw->T = in->offsets[S];
    fw->d = c->d_model;
    fw->max_len = 0;
    for (int s = 0; s < S; s++) {
        int64_t len = in->offsets[s + 1] - in->offsets[s];
        fw->max_len = len > fw->max_len ? len : fw->max_len;
    }
    fg_arena_reset(&m->arena);
    ALLOC(fw->x, fw->T * fw->d);
    ALLOC(fw->h, fw->T * fw->d);
    ALLOC(fw->qkv, fw->T * 3 * fw->d);
    ALLOC(fw->ctx, fw->T * fw->d);
    ALLOC(fw->f, fw->T * c->d_ffn);
    ALLOC(fw->pos, fw->T);
    ALLOC(fw->row, fw->T);
    ALLOC(fw->n_keys, S);
    ALLOC(fw->cos_t, fw->max_len * half);
    ALLOC(fw->sin_t, fw->max_len * half);
    esm_attn shape = {.n_seqs = S, .offsets = in->offsets, .n_heads = c->n_heads,
                      .head_dim = c->head_dim, .maps = out->attn};
    int threads = omp_get_max_threads();
    void *ws = fg_arena_alloc(&m->arena, esm_attn_ws_bytes(&shape, threads));
    if (!ws)
        return fg_error_set(err, FG_ERR_NOMEM, "esm forward: out of memory");
    esm_attn_ws_bind(&fw->ws, ws, &shape, threads);
    fw->R = 0;
    for (int s = 0; s < S; s++) {
        int nk = 0;
        for (int64_t t = in->offsets[s]; t < in->offsets[s + 1]; t++) {
            fw->pos[t] = (int32_t)(t - in->offsets[s]);
            nk += in->tokens[t] != FG_ESM_TOK_PAD;
            fw->row[t] = !out->keep || out->keep[t] ? fw->R++ : -1;
        }
        fw->n_keys[s] = nk;
    }
    if (out->attn) {
        ALLOC(fw->map_block, S);
        ALLOC(fw->map_row, fw->T);
        ALLOC(fw->map_n, S);
        int64_t C = (int64_t)c->n_layers * c->n_heads, block = 0;
        for (int s = 0; s < S; s++) {
            int32_t n = 0;
            for (int64_t t = in->offsets[s]; t < in->offsets[s + 1]; t++)
                fw->map_row[t] = fw->row[t] >= 0 ? n++ : -1;
            fw->map_n[s] = n;
            fw->map_block[s] = block;
            block += (int64_t)n * n * C;
        }
    }
    /* Layers after the last one asked for are skipped. */
    fw->n_run = out->attn || out->logits ? c->n_layers : 0;
    for (int k = 0; k < out->n_repr; k++)
        fw->n_run = out->repr_layers[k] > fw->n_run ? out->repr_layers[k] : fw->n_run;
    return FG_OK;
}

/* Token embedding with ESM-2 token dropout at inference: <mask> rows zeroed,
 * the rest scaled by 0.88 / (1 - masked fraction of the non-pad tokens),
 * <pad> rows zero. Operation order as the reference: (e * 0.88) / (1 - ratio). */
static fg_status embed(const fg_esm *m, const fg_esm_batch *in, fwd *fw, fg_error *err)
{
    const int64_t d = fw->d;
    for (int s = 0; s < in->n_seqs; s++) {
        int n_mask = 0;
        for (int64_t t = in->offsets[s]; t < in->offsets[s + 1]; t++)
            n_mask += in->tokens[t] == FG_ESM_TOK_MASK;
        if (n_mask == fw->n_keys[s])
            return fg_error_set(err, FG_ERR_INVALID,
                                "esm forward: sequence %d is all <mask> (no <cls>/<eos>?): the "
                                "token-dropout scale is undefined", s);
        float denom = 1.0f - (float)n_mask / (float)fw->n_keys[s];
#pragma omp parallel for schedule(static) if ((in->offsets[s + 1] - in->offsets[s]) * d > 65536)
        for (int64_t t = in->offsets[s]; t < in->offsets[s + 1]; t++) {
            int32_t tok = in->tokens[t];
            float *xr = fw->x + t * d;
            const float *e = m->embed + (int64_t)tok * d;
            bool zero = tok == FG_ESM_TOK_MASK || tok == FG_ESM_TOK_PAD;
            for (int64_t c = 0; c < d; c++)
                xr[c] = zero ? 0.0f : (e[c] * 0.88f) / denom;
        }
    }
    return FG_OK;
}

static void store_repr(const fg_esm_outputs *out, const fwd *fw, int layer, const float *x)
{
    for (int k = 0; k < out->n_repr; k++) {
        if (out->repr_layers[k] != layer)
            continue;
#pragma omp parallel for schedule(static) if (fw->T * fw->d > 65536)
        for (int64_t t = 0; t < fw->T; t++)
            if (fw->row[t] >= 0)
                memcpy(out->repr + fw->row[t] * out->repr_row_stride + k * out->repr_layer_stride,
                       x + t * fw->d, sizeof(float) * (size_t)fw->d);
    }
}

/* Batches of up to this many tokens run their products on fg_mm_linear_run,
 * larger ones on BLAS sgemm. Measured on the 16-vCPU Xeon: at 256-512 tokens
 * the transposed register-blocked product is 15-25 % faster than sgemm at
 * 16 threads and level with it at 2; over a few thousand tokens sgemm's
 * per-call packing of the weight pays off and it is ~15 % faster. The choice
 * depends on the batch only, never on the thread count. */
#define ESM_MM_MAX_TOKENS 512

/* Biases and the post step of a product that sgemm formed, in one pass over
 * y by blocks of 16 rows (a [T, 4d] hidden is read once, not twice). */
static void bias_post(const fg_mm_lin *p)
{
    const int n_parts = fg_mm_lin_n_parts(p);
    const int64_t M = p->M, ldy = p->ldy, nib = (M + 15) / 16;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < nib; t++) {
        const int64_t i0 = t * 16;
        const int rows = M - i0 < 16 ? (int)(M - i0) : 16;
        int64_t col = 0;
        for (int k = 0; k < n_parts; k++) {
            const fg_mm_lin_part pt = fg_mm_lin_part_at(p, k);
            for (int r = 0; pt.b && r < rows; r++) {
                float *y = p->y + (i0 + r) * ldy + col;
#pragma omp simd
                for (int64_t j = 0; j < pt.N; j++)
                    y[j] += pt.b[j];
            }
            col += pt.N;
        }
        for (int64_t j0 = 0; p->post && j0 < p->N; j0 += 16)
            p->post(p->y + i0 * ldy + j0, ldy, rows, p->N - j0 < 16 ? (int)(p->N - j0) : 16);
    }
}

/* The product p (see core/mm.h: parts, add, post), scratch from the model's
 * arena after this call's buffers; false when it runs out. */
static bool linear(fg_esm *m, const fg_mm_lin *p)
{
    if (p->M <= ESM_MM_MAX_TOKENS)
        return fg_mm_linear_run(p, &m->arena);
    int64_t col = 0;
    bool any_bias = false;
    for (int k = 0; k < fg_mm_lin_n_parts(p); k++) {
        const fg_mm_lin_part pt = fg_mm_lin_part_at(p, k);
        fg_gemm(false, true, p->M, pt.N, p->K, 1.0f, p->x, p->K, pt.W, p->K, p->add ? 1.0f : 0.0f, p->y + col,
                p->ldy);
        any_bias = any_bias || pt.b;
        col += pt.N;
    }
    if (any_bias || p->post)
        bias_post(p);
    return true;
}

/* y (rows ldy apart) = x W^T (+ b), or y += that. */
static bool linear1(fg_esm *m, float *y, int64_t ldy, bool add, const float *x, const float *W, const float *b,
                    int64_t M, int64_t K, int64_t N)
{
    const fg_mm_lin p = {y, ldy, add, x, W, b, M, K, N, false, NULL, 0, NULL};
    return linear(m, &p);
}

static bool attention(fg_esm *m, const esm_layer *ly, const fg_esm_batch *in, const fg_esm_outputs *out,
                      fwd *fw, int l)
{
    const fg_esm_config *c = &m->cfg;
    int64_t d = fw->d, ld = 3 * d, T = fw->T;
    /* q, k, v in one product (x packed once) at columns 0, d, 2d; their
     * biases are added with the rotary pass below */
    const fg_mm_lin_part parts[3] = {{ly->wq, NULL, d}, {ly->wk, NULL, d}, {ly->wv, NULL, d}};
    const fg_mm_lin qkv = {fw->qkv, ld, false, fw->h, NULL, NULL, T, d, 3 * d, false, parts, 3, NULL};
    if (!linear(m, &qkv))
        return false;
    float *q = fw->qkv, *k = fw->qkv + d, *v = fw->qkv + 2 * d;
    /* every layer stores the same frequencies: the tables are rebuilt only if not */
    if (l == 0 || memcmp(ly->inv_freq, m->layers[l - 1].inv_freq, sizeof(float) * (size_t)(c->head_dim / 2)))
        esm_rotary_tables(ly->inv_freq, c->head_dim / 2, (int)fw->max_len, fw->cos_t, fw->sin_t);
    esm_qkv x = {q, k, v, ly->bq, ly->bk, ly->bv, ld};
    esm_rotary_apply(&x, fw->T, fw->pos, c->n_heads, c->head_dim,
                     (float)(1.0 / sqrt((double)c->head_dim)), fw->cos_t, fw->sin_t);
    esm_attn a = {
        .n_seqs = in->n_seqs, .offsets = in->offsets, .n_keys = fw->n_keys,
        .n_heads = c->n_heads, .head_dim = c->head_dim,
        .q = q, .k = k, .v = v, .ld = ld, .out = fw->ctx, .ldo = d,
        .maps = out->attn, .map_block = fw->map_block, .map_row = fw->map_row, .map_n = fw->map_n,
        .map_channels = c->n_layers * c->n_heads, .map_channel0 = l * c->n_heads,
    };
    esm_attention(&a, &fw->ws);
    return true;
}

/* False when scratch runs out. */
static bool layer(fg_esm *m, int l, const fg_esm_batch *in, const fg_esm_outputs *out, fwd *fw)
{
    const esm_layer *ly = &m->layers[l];
    const fg_esm_config *c = &m->cfg;
    int64_t T = fw->T, d = fw->d;
    fg_layernorm(fw->h, fw->x, ly->ln1_g, ly->ln1_b, T, d, c->ln_eps);
    if (!attention(m, ly, in, out, fw, l) || !linear1(m, fw->x, d, true, fw->ctx, ly->wo, ly->bo, T, d, d))
        return false;
    fg_layernorm(fw->h, fw->x, ly->ln2_g, ly->ln2_b, T, d, c->ln_eps);
    /* the GELU runs on each block of the product as it is written */
    const fg_mm_lin fc1 = {fw->f, c->d_ffn, false, fw->h, ly->w1, ly->b1, T, d, c->d_ffn, false, NULL, 0,
                           esm_gelu_block};
    return linear(m, &fc1) && linear1(m, fw->x, d, true, fw->f, ly->w2, ly->b2, T, c->d_ffn, d);
}

/* RobertaLMHead on the kept rows: LN(gelu(dense x)) E^T + bias. */
static bool lm_head(fg_esm *m, const fg_esm_outputs *out, fwd *fw)
{
    int64_t d = fw->d, R = fw->R;
    for (int64_t t = 0; t < fw->T; t++)
        if (fw->row[t] >= 0)
            memcpy(fw->h + fw->row[t] * d, fw->x + t * d, sizeof(float) * (size_t)d);
    const fg_mm_lin dense = {fw->ctx, d, false, fw->h, m->lm_dense_w, m->lm_dense_b, R, d, d, false, NULL, 0,
                             esm_gelu_block};
    if (!linear(m, &dense))
        return false;
    fg_layernorm(fw->ctx, fw->ctx, m->lm_ln_g, m->lm_ln_b, R, d, m->cfg.ln_eps);
    fg_linear(out->logits, fw->ctx, m->lm_w, m->lm_b, R, d, m->cfg.vocab);
    return true;
}

static fg_status nomem(const fwd *fw, fg_error *err)
{
    return fg_error_set(err, FG_ERR_NOMEM, "esm forward: out of memory for product scratch (%lld tokens)",
                        (long long)fw->T);
}

fg_status fg_esm_forward(fg_esm *m, const fg_esm_batch *in, const fg_esm_outputs *out, fg_error *err)
{
    fg_status st = check_batch(m, in, out, err);
    fwd fw = {0};
    if (st == FG_OK)
        st = plan(m, in, out, &fw, err);
    if (st == FG_OK)
        st = embed(m, in, &fw, err);
    if (st != FG_OK)
        return st;
    store_repr(out, &fw, 0, fw.x);
    for (int l = 0; l < fw.n_run; l++) {
        if (!layer(m, l, in, out, &fw))
            return nomem(&fw, err);
        if (l + 1 < m->cfg.n_layers)
            store_repr(out, &fw, l + 1, fw.x);
    }
    if (fw.n_run == m->cfg.n_layers && m->cfg.n_layers > 0) {
        fg_layernorm(fw.x, fw.x, m->lnf_g, m->lnf_b, fw.T, fw.d, m->cfg.ln_eps);
        store_repr(out, &fw, m->cfg.n_layers, fw.x);
        if (out->logits && fw.R > 0 && !lm_head(m, out, &fw))
            return nomem(&fw, err);
    }
    return FG_OK;
}
