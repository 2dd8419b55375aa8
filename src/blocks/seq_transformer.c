/* The IPA trunk's sequence transformer: torch nn.TransformerEncoder of
 * post-norm nn.TransformerEncoderLayer (d_model = dim_feedforward = c, ReLU,
 * eval mode), src_key_padding_mask = ~mask. Node-sized work (tens to
 * hundreds of rows), where a step's cost is mostly synchronisation: all
 * layers run in one parallel region, each phase shared among its threads
 * and ending in one barrier; linears on weights packed at load (fg_mm_wt),
 * the attention in blocks of query rows per (item, head) against keys and
 * values packed once per (item, head), residual + LayerNorm as one row pass. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/ipa_parts.h"
#include "core/mm.h"
#include "core/rowops.h"
#include "core/vmath.h"
#include "framegen/ops.h"

#define LN_EPS 1e-5f
#define SEQ_ROWS 16 /* query rows per attention task: 16 tasks per item at N = 64 */

fg_status fg_seq_tfmr_init(fg_seq_tfmr *t, fg_weights *w, const char *prefix, int c, int heads,
                           int n_layers, fg_error *err)
{
    memset(t, 0, sizeof *t);
    if (heads <= 0 || c % heads != 0)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: c_s %d is not divisible by seq_tfmr_num_heads %d",
                            prefix, c, heads);
    t->c = c, t->heads = heads, t->n_layers = n_layers;
    t->layers = calloc((size_t)(n_layers > 0 ? n_layers : 1), sizeof *t->layers);
    if (!t->layers)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", prefix);
    for (int k = 0; k < n_layers; k++) {
        fg_seq_tfmr_layer *L = &t->layers[k];
        fg_wload l;
        fg_wload_init(&l, w, err, "%slayers.%d.", prefix, k);
        const float *in_w = fg_wl_2d(&l, "self_attn.in_proj_weight", 3 * c, c);
        const float *in_b = fg_wl_1d(&l, "self_attn.in_proj_bias", 3 * c);
        const float *out_w = fg_wl_2d(&l, "self_attn.out_proj.weight", c, c);
        const float *out_b = fg_wl_1d(&l, "self_attn.out_proj.bias", c);
        const float *l1_w = fg_wl_2d(&l, "linear1.weight", c, c), *l1_b = fg_wl_1d(&l, "linear1.bias", c);
        const float *l2_w = fg_wl_2d(&l, "linear2.weight", c, c), *l2_b = fg_wl_1d(&l, "linear2.bias", c);
        L->n1_g = fg_wl_1d(&l, "norm1.weight", c);
        L->n1_b = fg_wl_1d(&l, "norm1.bias", c);
        L->n2_g = fg_wl_1d(&l, "norm2.weight", c);
        L->n2_b = fg_wl_1d(&l, "norm2.bias", c);
        const bool packed = l.st == FG_OK && fg_mm_wt_init(&L->in, in_w, in_b, 3 * c, c) &&
                            fg_mm_wt_init(&L->out, out_w, out_b, c, c) && fg_mm_wt_init(&L->l1, l1_w, l1_b, c, c) &&
                            fg_mm_wt_init(&L->l2, l2_w, l2_b, c, c);
        if (l.st == FG_OK && !packed)
            l.st = fg_error_set(err, FG_ERR_NOMEM, "%slayers.%d: out of memory", prefix, k);
        if (packed) {
            const float *copied[4] = {in_w, out_w, l1_w, l2_w};
            for (int q = 0; q < 4; q++)
                fg_weights_release(w, copied[q]);
        }
        if (l.st != FG_OK) {
            fg_seq_tfmr_free(t);
            return l.st;
        }
    }
    return FG_OK;
}

void fg_seq_tfmr_free(fg_seq_tfmr *t)
{
    for (int k = 0; t->layers && k < t->n_layers; k++) {
        fg_seq_tfmr_layer *L = &t->layers[k];
        fg_mm_wt_free(&L->in), fg_mm_wt_free(&L->out), fg_mm_wt_free(&L->l1), fg_mm_wt_free(&L->l2);
    }
    free(t->layers);
    t->layers = NULL;
}

/* Scaled softmax of one row over the unpadded keys: row[j] * scale, as a
 * product with alpha = scale; a row without any key gets all zeros (torch
 * would give NaN; only an item with no residue at all has one). */
static void masked_softmax(float *row, const float *mask, int N, float scale)
{
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int j = 0; j < N; j++) {
        row[j] *= scale;
        mx = mask[j] == 1.0f && row[j] > mx ? row[j] : mx;
    }
    if (mx == -INFINITY) {
        memset(row, 0, (size_t)N * sizeof(float));
        return;
    }
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < N; j++) {
        row[j] = mask[j] == 1.0f ? fg_vexpf(row[j] - mx) : 0.0f;
        sum += row[j];
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int j = 0; j < N; j++)
        row[j] *= inv;
}

/* Per (item, head) panels: keys transposed [hd, N] and values [N, hd]. */
typedef struct seq_ws {
    int64_t kt_floats, v_floats;
    float *kt, *v;  /* [B * heads] packed keys^T, values (core/mm.h) */
    float *sbuf;    /* per thread: scores [SEQ_ROWS, N] */
} seq_ws;

/* att[B*N, c] = multi-head attention of qkv[B*N, 3c] (before out_proj),
 * shared among the threads of the enclosing region. */
static void seq_attention(const fg_seq_tfmr *t, const float *qkv, const float *mask, int B, int N,
                          float *att, const seq_ws *ws)
{
    const int c = t->c, H = t->heads, hd = c / H, nblk = (N + SEQ_ROWS - 1) / SEQ_ROWS;
    const float scale = 1.0f / sqrtf((float)hd);
#pragma omp for schedule(static)
    for (int task = 0; task < 2 * B * H; task++) { /* keys^T and values as separate tasks */
        const int bh = task / 2;
        const float *base = qkv + (size_t)(bh / H) * N * 3 * c + (bh % H) * hd;
        if (task % 2 == 0)
            fg_mm_pack_panels(ws->kt + bh * ws->kt_floats, base + c, 3 * c, true, hd, N);
        else
            fg_mm_pack_panels(ws->v + bh * ws->v_floats, base + 2 * c, 3 * c, false, N, hd);
    }
#pragma omp for schedule(dynamic, 1)
    for (int task = 0; task < B * H * nblk; task++) {
        const int bh = task / nblk, b = bh / H, h = bh % H;
        const int i0 = (task % nblk) * SEQ_ROWS, rb = N - i0 < SEQ_ROWS ? N - i0 : SEQ_ROWS;
        float *S = ws->sbuf + (size_t)omp_get_thread_num() * SEQ_ROWS * N; /* [rb, N] */
        const float *q = qkv + ((size_t)b * N + i0) * 3 * c + h * hd;
        fg_mm_rows(S, N, q, 3 * c, rb, ws->kt + bh * ws->kt_floats, hd, N, NULL);
        for (int r = 0; r < rb; r++)
            masked_softmax(S + (size_t)r * N, mask + (size_t)b * N, N, scale);
        fg_mm_rows(att + ((size_t)b * N + i0) * c + h * hd, c, S, N, rb, ws->v + bh * ws->v_floats, N, hd, NULL);
    }
}

fg_status fg_seq_tfmr_forward(const fg_seq_tfmr *t, const float *x, const float *mask, int B, int N,
                              float *out, fg_arena *scratch, fg_error *err)
{
    const int c = t->c, hd = c / t->heads;
    const int64_t BN = (int64_t)B * N, nbh = (int64_t)B * t->heads;
    const fg_arena_mark mark = fg_arena_save(scratch);
    seq_ws ws = {fg_mm_panel_floats(hd, N), fg_mm_panel_floats(N, hd), NULL, NULL, NULL};
    float *qkv = fg_arena_floats(scratch, (size_t)BN * 3 * c); /* [B*N, 3c] */
    float *att = fg_arena_floats(scratch, (size_t)BN * c);     /* [B*N, c] */
    float *tmp = fg_arena_floats(scratch, (size_t)BN * c);     /* [B*N, c] */
    ws.kt = fg_arena_floats(scratch, (size_t)(nbh * ws.kt_floats));
    ws.v = fg_arena_floats(scratch, (size_t)(nbh * ws.v_floats));
    ws.sbuf = fg_arena_floats(scratch, (size_t)omp_get_max_threads() * SEQ_ROWS * N);
    const bool ok = qkv && att && tmp && ws.kt && ws.v && ws.sbuf;
    if (ok && out != x)
        memcpy(out, x, (size_t)BN * c * sizeof(float));
#pragma omp parallel if (ok && BN * c * c >= FG_MM_SERIAL_MACS)
    for (int k = 0; ok && k < t->n_layers; k++) {
        const fg_seq_tfmr_layer *L = &t->layers[k];
        fg_mm_wt_team(&L->in, qkv, 3 * c, out, c, BN, false, FG_MM_STORE);
        seq_attention(t, qkv, mask, B, N, att, &ws);
        fg_mm_wt_team(&L->out, tmp, c, att, c, BN, false, FG_MM_STORE);
        fg_rows_add_layernorm_team(out, tmp, NULL, L->n1_g, L->n1_b, NULL, BN, c, LN_EPS);
        fg_mm_wt_team(&L->l1, att, c, out, c, BN, true, FG_MM_STORE);
        fg_mm_wt_team(&L->l2, tmp, c, att, c, BN, false, FG_MM_STORE);
        fg_rows_add_layernorm_team(out, tmp, NULL, L->n2_g, L->n2_b, NULL, BN, c, LN_EPS);
    }
    fg_arena_restore(scratch, mark);
    if (!ok)
        return fg_error_set(err, FG_ERR_NOMEM, "sequence transformer: out of scratch memory (N=%d)", N);
    return FG_OK;
}

double fg_seq_tfmr_flops(const fg_seq_tfmr *t, int B, int N)
{
    const double BN = (double)B * N, c = t->c;
    double per = 2.0 * BN * c * 3 * c;             /* in_proj */
    per += 2.0 * 2.0 * BN * N * c;                 /* q k^T and a v over all heads */
    per += 4.0 * BN * N * t->heads;                /* softmax */
    per += 3.0 * 2.0 * BN * c * c;                 /* out_proj, linear1, linear2 */
    per += 2.0 * 10.0 * BN * c;                    /* residuals, ReLU, two LayerNorms */
    return per * t->n_layers;
}
