/* Block type "ipa": one block of the IPA trunk (cogeneration
 * AttentionIPATrunk, block b): IPA on the current frames -> post-IPA
 * LayerNorm -> sequence transformer + post_tfmr -> node transition ->
 * backbone update (quaternion compose) -> edge transition (absent on the
 * trunk's last block unless the checkpoint has one). Frames are in nm. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/ipa_parts.h"
#include "core/mm.h"
#include "core/rowops.h"
#include "framegen/block.h"
#include "framegen/ops.h"
#include "framegen/rigid.h"

#define LN_EPS 1e-5f

enum { EDGE_AUTO, EDGE_ON, EDGE_OFF };
static const char *const EDGE_CHOICES[] = {"auto", "on", "off", NULL};

typedef struct ipa_params {
    int c_hidden, no_heads, no_qk_points, no_v_points;
    int seq_tfmr_num_heads, seq_tfmr_num_layers;
    double dropout, transformer_dropout;
    bool use_flash_attn;
    int z_factor_rank;
    int edge_transition;            /* EDGE_* */
    int edge_transition_num_layers;
    int edge_node_dilation;
    bool backbone_update;
} ipa_params;

static const fg_field IPA_FIELDS[] = {
    FG_FIELD_INT_(ipa_params, c_hidden, 16, 1, 4096, "IPA hidden width per head"),
    FG_FIELD_INT_(ipa_params, no_heads, 8, 1, 256, "IPA heads"),
    FG_FIELD_INT_(ipa_params, no_qk_points, 8, 1, 256, "IPA query/key points per head"),
    FG_FIELD_INT_(ipa_params, no_v_points, 12, 1, 256, "IPA value points per head"),
    FG_FIELD_INT_(ipa_params, seq_tfmr_num_heads, 4, 1, 256, "sequence transformer heads (must divide c_s)"),
    FG_FIELD_INT_(ipa_params, seq_tfmr_num_layers, 4, 0, 64, "sequence transformer layers per block"),
    FG_FIELD_FLOAT_(ipa_params, dropout, 0.0, 0.0, 1.0, "IPA dropout (training only; ignored)"),
    FG_FIELD_FLOAT_(ipa_params, transformer_dropout, 0.2, 0.0, 1.0,
                    "sequence transformer dropout (training only; ignored)"),
    FG_FIELD_BOOL_(ipa_params, use_flash_attn, 0, "FlashIPA (CUDA); must be false"),
    FG_FIELD_INT_(ipa_params, z_factor_rank, 0, 0, 1024, "FlashIPA pair factor rank; must be 0"),
    FG_FIELD_ENUM_(ipa_params, edge_transition, EDGE_AUTO, EDGE_CHOICES,
                   "edge transition of this block: auto = present iff the checkpoint has it"),
    FG_FIELD_INT_(ipa_params, edge_transition_num_layers, 2, 1, 16, "Linear+ReLU layers of the edge transition"),
    FG_FIELD_INT_(ipa_params, edge_node_dilation, 2, 1, 64, "edge transition node width = c_s / dilation"),
    FG_FIELD_BOOL_(ipa_params, backbone_update, 1, "update the frames (BackboneUpdate) after each block"),
};

typedef struct ipa_block {
    ipa_params p;
    int c_s, c_z, layer;
    fg_ipa_attn attn;
    const float *ln_g, *ln_b;           /* ipa_ln_<i> [c_s] */
    fg_seq_tfmr tfmr;
    fg_mm_wt post;                      /* post_tfmr_<i> [c_s, c_s] with bias, packed */
    fg_mm_wt nt[3];                     /* node_transition_<i>.linear_1..3, packed */
    const float *nt_g, *nt_beta;        /* node_transition_<i>.ln [c_s] */
    const float *bb_w, *bb_b;           /* bb_update_<i>.linear [6, c_s], [6] */
    bool has_edge;
    fg_edge_trans edge;
} ipa_block;

static void ipa_destroy(void *self)
{
    ipa_block *k = self;
    if (!k)
        return;
    fg_ipa_attn_free(&k->attn);
    fg_seq_tfmr_free(&k->tfmr);
    fg_edge_trans_free(&k->edge);
    fg_mm_wt_free(&k->post);
    for (int t = 0; t < 3; t++)
        fg_mm_wt_free(&k->nt[t]);
    free(k);
}

static fg_status check_params(const ipa_params *p, const fg_block_dims *d, fg_error *err)
{
    if (p->use_flash_attn)
        return fg_error_set(err, FG_ERR_UNSUPPORTED,
                            "ipa: use_flash_attn = true is not supported (FlashIPA is a CUDA kernel); set it to false");
    if (p->z_factor_rank != 0)
        return fg_error_set(err, FG_ERR_UNSUPPORTED,
                            "ipa: z_factor_rank = %d is not supported (FlashIPA only); set it to 0",
                            p->z_factor_rank);
    if (d->c_s <= 0 || d->c_z < 4)
        return fg_error_set(err, FG_ERR_CONFIG, "ipa: invalid widths c_s %d, c_z %d (c_z must be >= 4)",
                            d->c_s, d->c_z);
    if (d->c_s % p->seq_tfmr_num_heads != 0)
        return fg_error_set(err, FG_ERR_CONFIG, "ipa: seq_tfmr_num_heads %d does not divide c_s %d",
                            p->seq_tfmr_num_heads, d->c_s);
    if (d->c_s % p->edge_node_dilation != 0)
        return fg_error_set(err, FG_ERR_CONFIG, "ipa: edge_node_dilation %d does not divide c_s %d",
                            p->edge_node_dilation, d->c_s);
    return FG_OK;
}

static fg_status load_node_parts(ipa_block *k, fg_weights *w, const char *prefix, int i, fg_error *err)
{
    const int c = k->c_s;
    fg_wload l;
    fg_wload_init(&l, w, err, "%s", prefix);
    char name[256];
#define NAME(...) (snprintf(name, sizeof name, __VA_ARGS__), name)
    k->ln_g = fg_wl_1d(&l, NAME("ipa_ln_%d.weight", i), c);
    k->ln_b = fg_wl_1d(&l, NAME("ipa_ln_%d.bias", i), c);
    const float *post_w = fg_wl_2d(&l, NAME("post_tfmr_%d.weight", i), c, c);
    const float *post_b = fg_wl_1d(&l, NAME("post_tfmr_%d.bias", i), c);
    const float *nt_w[3], *nt_b[3];
    for (int t = 0; t < 3; t++) {
        nt_w[t] = fg_wl_2d(&l, NAME("node_transition_%d.linear_%d.weight", i, t + 1), c, c);
        nt_b[t] = fg_wl_1d(&l, NAME("node_transition_%d.linear_%d.bias", i, t + 1), c);
    }
    k->nt_g = fg_wl_1d(&l, NAME("node_transition_%d.ln.weight", i), c);
    k->nt_beta = fg_wl_1d(&l, NAME("node_transition_%d.ln.bias", i), c);
    if (k->p.backbone_update) {
        k->bb_w = fg_wl_2d(&l, NAME("bb_update_%d.linear.weight", i), 6, c);
        k->bb_b = fg_wl_1d(&l, NAME("bb_update_%d.linear.bias", i), 6);
    }
#undef NAME
    if (l.st != FG_OK)
        return l.st;
    bool packed = fg_mm_wt_init(&k->post, post_w, post_b, c, c);
    for (int t = 0; t < 3; t++)
        packed = packed && fg_mm_wt_init(&k->nt[t], nt_w[t], nt_b[t], c, c);
    if (!packed)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", prefix);
    fg_weights_release(w, post_w);
    for (int t = 0; t < 3; t++)
        fg_weights_release(w, nt_w[t]);
    return FG_OK;
}

static fg_status ipa_create(const void *params, const fg_block_dims *dims, fg_weights *w,
                            const char *prefix, int layer, void **self, fg_error *err)
{
    const ipa_params *p = params;
    fg_status st = check_params(p, dims, err);
    if (st != FG_OK)
        return st;
    ipa_block *k = calloc(1, sizeof *k);
    if (!k)
        return fg_error_set(err, FG_ERR_NOMEM, "ipa: out of memory");
    k->p = *p, k->c_s = dims->c_s, k->c_z = dims->c_z, k->layer = layer;
    char pre[512];
    /* cogeneration wraps the IPA in MaybeFlashIPA (".impl."); MultiFlow checkpoints do not. */
    snprintf(pre, sizeof pre, "%sipa_%d.impl.linear_q.weight", prefix, layer);
    bool impl = fg_weights_has(w, pre);
    snprintf(pre, sizeof pre, "%sipa_%d.%s", prefix, layer, impl ? "impl." : "");
    st = fg_ipa_attn_init(&k->attn, w, pre, k->c_s, k->c_z, p->c_hidden, p->no_heads, p->no_qk_points,
                          p->no_v_points, err);
    if (st == FG_OK)
        st = load_node_parts(k, w, prefix, layer, err);
    if (st == FG_OK) {
        snprintf(pre, sizeof pre, "%sseq_tfmr_%d.", prefix, layer);
        st = fg_seq_tfmr_init(&k->tfmr, w, pre, k->c_s, p->seq_tfmr_num_heads, p->seq_tfmr_num_layers, err);
    }
    if (st == FG_OK) {
        snprintf(pre, sizeof pre, "%sedge_transition_%d.initial_embed.weight", prefix, layer);
        k->has_edge = p->edge_transition == EDGE_ON || (p->edge_transition == EDGE_AUTO && fg_weights_has(w, pre));
        snprintf(pre, sizeof pre, "%sedge_transition_%d.", prefix, layer);
        if (k->has_edge)
            st = fg_edge_trans_init(&k->edge, w, pre, k->c_s, k->c_z, p->edge_node_dilation,
                                    p->edge_transition_num_layers, err);
    }
    if (st != FG_OK) {
        fg_error_prefix(err, "ipa layer %d", layer);
        ipa_destroy(k);
        return st;
    }
    *self = k;
    return FG_OK;
}

/* s += post_tfmr(t1), then StructureModuleTransition and the node mask, in one parallel region. */
static void post_and_node_transition(const ipa_block *k, float *s, const float *t1, const float *m, int64_t BN,
                                     float *h1, float *h2)
{
    const int c = k->c_s;
#pragma omp parallel if (BN * c * c >= FG_MM_SERIAL_MACS)
    {
        fg_mm_wt_team(&k->post, s, c, t1, c, BN, false, FG_MM_ADD);
        fg_mm_wt_team(&k->nt[0], h1, c, s, c, BN, true, FG_MM_STORE);
        fg_mm_wt_team(&k->nt[1], h2, c, h1, c, BN, true, FG_MM_STORE);
        fg_mm_wt_team(&k->nt[2], h1, c, h2, c, BN, false, FG_MM_STORE);
        fg_rows_add_layernorm_team(s, h1, NULL, k->nt_g, k->nt_beta, m, BN, c, LN_EPS);
    }
}

/* Rigid.compose_q_update_vec with update rows (b, c, d, tx, ty, tz). */
static void backbone_update(const ipa_block *k, fg_block_io *io, float *upd, int64_t BN)
{
    fg_linear(upd, io->s, k->bb_w, k->bb_b, BN, k->c_s, 6);
    const float *um = io->update_mask ? io->update_mask : io->node_mask;
    for (int64_t r = 0; r < BN; r++) {
        float q[4], qo[4], ro[9], to[3];
        if (io->quats_valid)
            memcpy(q, io->quats + 4 * r, sizeof q);
        else
            fg_rot_to_quat(io->rots + 9 * r, q);
        fg_rigid_update_q(q, io->rots + 9 * r, io->trans + 3 * r, upd + 6 * r, um[r], qo, ro, to);
        memcpy(io->quats + 4 * r, qo, sizeof qo);
        memcpy(io->rots + 9 * r, ro, sizeof ro);
        memcpy(io->trans + 3 * r, to, sizeof to);
    }
    io->quats_valid = 1;
}

static bool all_finite(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

/* The trunk masks its inputs on entry; repeating it per block is idempotent
 * and keeps an IPA stage exact after any other block type. */
static const float *mask_inputs(fg_block_io *io, int c_s, int c_z, fg_arena *ar)
{
    const int64_t BN = (int64_t)io->B * io->N, N = io->N;
    const float *em = io->edge_mask;
    if (!em) {
        float *e = fg_arena_floats(ar, (size_t)BN * N);
        if (!e)
            return NULL;
        for (int64_t r = 0; r < BN; r++)
            for (int64_t j = 0; j < N; j++)
                e[r * N + j] = io->node_mask[r] * io->node_mask[(r / N) * N + j];
        em = e;
    }
    for (int64_t r = 0; r < BN; r++)
        for (int o = 0; o < c_s; o++)
            io->s[r * c_s + o] *= io->node_mask[r];
    /* x * 1 == x exactly: only pairs with another mask value are touched. */
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < BN * N; p++)
        if (em[p] != 1.0f)
            for (int o = 0; o < c_z; o++)
                io->z[p * c_z + o] *= em[p];
    return em;
}

static fg_status ipa_check_io(const ipa_block *k, const fg_block_io *io, fg_error *err)
{
    if (io->B <= 0 || io->N <= 0)
        return fg_error_set(err, FG_ERR_INVALID, "ipa layer %d: invalid size B=%d N=%d", k->layer, io->B, io->N);
    if (!io->s || !io->z || !io->node_mask || !io->rots || !io->trans || !io->scratch ||
        (k->p.backbone_update && !io->quats))
        return fg_error_set(err, FG_ERR_INVALID,
                            "ipa layer %d: needs s, z, node_mask, rots, trans, quats and scratch", k->layer);
    return FG_OK;
}

static fg_status ipa_forward(void *self, fg_block_io *io, fg_error *err)
{
    const ipa_block *k = self;
    fg_status st = ipa_check_io(k, io, err);
    if (st != FG_OK)
        return st;
    const int B = io->B, N = io->N, c = k->c_s;
    const int64_t BN = (int64_t)B * N;
    fg_arena *ar = io->scratch;
    const fg_arena_mark mark = fg_arena_save(ar);
    float *t1 = fg_arena_floats(ar, (size_t)BN * c);  /* [B*N, c_s] */
    float *t2 = fg_arena_floats(ar, (size_t)BN * c);  /* [B*N, c_s] */
    const float *em = t1 && t2 ? mask_inputs(io, c, k->c_z, ar) : NULL;
    if (!em) {
        fg_arena_restore(ar, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "ipa layer %d: out of scratch memory", k->layer);
    }
    st = fg_ipa_attn_forward(&k->attn, io->s, io->z, io->rots, io->trans, io->node_mask, B, N, t1, ar, err);
    if (st == FG_OK) {
        /* s = LayerNorm(s + ipa * m) */
        fg_rows_add_layernorm(io->s, t1, io->node_mask, k->ln_g, k->ln_b, NULL, BN, c, LN_EPS);
        st = fg_seq_tfmr_forward(&k->tfmr, io->s, io->node_mask, B, N, t1, ar, err);
    }
    if (st == FG_OK) {
        post_and_node_transition(k, io->s, t1, io->node_mask, BN, t1, t2);
        if (k->p.backbone_update)
            backbone_update(k, io, t1, BN);
        if (k->has_edge)
            st = fg_edge_trans_forward(&k->edge, io->s, io->z, em, B, N, ar, err);
    }
    fg_arena_restore(ar, mark);
    if (st != FG_OK) {
        fg_error_prefix(err, "ipa layer %d", k->layer);
        return st;
    }
    if (!all_finite(io->s, BN * c) || !all_finite(io->trans, BN * 3))
        return fg_error_set(err, FG_ERR_NUMERIC, "ipa layer %d: non-finite node features or frames "
                            "(NaN/Inf in the inputs or weights?)", k->layer);
    return FG_OK;
}

static double ipa_flops(const void *self, int B, int N)
{
    const ipa_block *k = self;
    const double BN = (double)B * N, c = k->c_s;
    double f = fg_ipa_attn_flops(&k->attn, B, N) + fg_seq_tfmr_flops(&k->tfmr, B, N);
    f += BN * c * 12.0;                      /* mask, residual, ipa_ln */
    f += 2.0 * BN * c * c * 4.0;             /* post_tfmr, node transition */
    f += BN * c * 14.0;                      /* ReLUs, residual, ln, mask */
    if (k->p.backbone_update)
        f += 2.0 * BN * c * 6.0 + BN * 80.0; /* bb_update linear, quaternion compose */
    if (k->has_edge)
        f += fg_edge_trans_flops(&k->edge, B, N);
    return f + BN * N * k->c_z;              /* edge mask */
}

const fg_block_type fg_block_ipa = {
    .name = "ipa",
    .summary = "IPA trunk block: invariant point attention on frames, sequence transformer, "
               "node transition, backbone update, edge transition",
    .fields = IPA_FIELDS,
    .n_fields = sizeof IPA_FIELDS / sizeof IPA_FIELDS[0],
    .params_size = sizeof(ipa_params),
    .reads = FG_BLOCK_NODES | FG_BLOCK_EDGES | FG_BLOCK_FRAMES,
    .writes = FG_BLOCK_NODES | FG_BLOCK_EDGES | FG_BLOCK_FRAMES,
    .create = ipa_create,
    .forward = ipa_forward,
    .destroy = ipa_destroy,
    .flops = ipa_flops,
};
