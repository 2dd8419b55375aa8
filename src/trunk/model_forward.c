/* The flow model's forward, in the reference's order: feature nets -> (ESM
 * combiner) -> [(trunk) -> IPA trunk] x (1 + num_recycles) -> confidence
 * heads -> (sequence trunk) -> amino-acid head. Frames enter in Angstrom and are
 * refined in nm, as the reference. */
#include <string.h>

#include "framegen/ops.h"
#include "model_internal.h"

#define ANG_TO_NM 0.1f
#define NM_TO_ANG 10.0f

static fg_status check_batch(const fg_model *m, const fg_model_batch *in, fg_error *err)
{
    if (in->B < 1 || in->N < 1)
        return fg_error_set(err, FG_ERR_INVALID, "model: invalid batch size B=%d N=%d", in->B, in->N);
    if (m->params.max_length > 0 && in->N > m->params.max_length)
        return fg_error_set(err, FG_ERR_INVALID, "model: %d residues is above the maximum %d", in->N,
                            m->params.max_length);
    if (!in->res_mask || !in->diffuse_mask || !in->chain_idx || !in->res_idx || !in->so3_t || !in->r3_t ||
        !in->cat_t || !in->trans_t || !in->rotmats_t || !in->aatypes_t)
        return fg_error_set(err, FG_ERR_INVALID, "model: batch lacks a required input (masks, indices, times, "
                                                 "frames or aatypes)");
    return FG_OK;
}

static void masks(fg_model_bufs *b, const fg_model_batch *in)
{
    const int B = in->B, N = in->N;
    for (int64_t r = 0; r < (int64_t)B * N; r++)
        b->update_mask[r] = in->res_mask[r] * in->diffuse_mask[r];
    for (int k = 0; k < B; k++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) /* res_mask[:, None] * res_mask[:, :, None]: m_j * m_i */
                b->edge_mask[((int64_t)k * N + i) * N + j] = in->res_mask[k * N + j] * in->res_mask[k * N + i];
}

/* node_embed then edge_embed into s, z (the init buffers when a trunk needs them later). */
static fg_status features(fg_model *m, const fg_model_batch *in, float *s, float *z, fg_error *err)
{
    fg_model_bufs *b = &m->buf;
    const int B = in->B;
    fg_arena_mark mk = fg_arena_save(&m->scratch);
    float *stoch = NULL; /* [4,B] the stochasticity scales, one row per kind */
    if (in->stochasticity) {
        stoch = fg_arena_floats(&m->scratch, (size_t)4 * B);
        if (!stoch)
            return fg_error_set(err, FG_ERR_NOMEM, "model: out of scratch memory");
        for (int k = 0; k < B; k++)
            for (int q = 0; q < 4; q++)
                stoch[q * B + k] = in->stochasticity[k * 4 + q];
    }
    static const int64_t method0[1] = {0};
    int64_t *methods = NULL;
    if (!in->structure_method && m->cfg.node.embed_structural_method) {
        methods = fg_arena_alloc(&m->scratch, (size_t)B * sizeof *methods);
        if (!methods)
            return fg_error_set(err, FG_ERR_NOMEM, "model: out of scratch memory");
        for (int k = 0; k < B; k++)
            methods[k] = method0[0];
    }
    fg_node_features_in ni = {
        .B = B, .N = in->N, .so3_t = in->so3_t, .r3_t = in->r3_t, .cat_t = in->cat_t, .res_mask = in->res_mask,
        .diffuse_mask = in->diffuse_mask, .chain_idx = in->chain_idx, .res_idx = in->res_idx,
        .aatypes = in->aatypes_t, .aatypes_sc = in->aatypes_sc, .torsions = in->torsions_t,
        .structure_method = in->structure_method ? in->structure_method : methods, .hot_spots = in->hot_spots,
        .trans_stoch = stoch ? stoch : NULL, .rotmats_stoch = stoch ? stoch + B : NULL,
        .torsions_stoch = stoch ? stoch + 2 * B : NULL, .aatypes_stoch = stoch ? stoch + 3 * B : NULL};
    fg_status st = fg_node_features_forward(m->node, &ni, s, &m->scratch, err);
    const float *contact = NULL;
    if (m->cfg.edge.contact_conditioning.enabled) /* upstream batches carry a map (zeros = none) */
        contact = in->contact_conditioning ? in->contact_conditioning : b->contact_zero;
    fg_edge_features_in ei = {.B = B, .N = in->N, .node_embed = s, .trans = in->trans_t, .trans_sc = in->trans_sc,
                              .edge_mask = b->edge_mask, .diffuse_mask = in->diffuse_mask,
                              .chain_idx = in->chain_idx, .contact = contact};
    if (st == FG_OK)
        st = fg_edge_features_forward(m->edge, &ei, z, &m->scratch, err);
    fg_arena_restore(&m->scratch, mk);
    return st;
}

/* Initial embeddings -> the trunk's inputs s, z: the ESM combiner's
 * enrichment, or a copy when the initial ones must stay for averaging. */
static fg_status embeddings(fg_model *m, const fg_model_batch *in, fg_error *err)
{
    fg_model_bufs *b = &m->buf;
    const float *s0 = m->keep_init ? b->init_s : b->s, *z0 = m->keep_init ? b->init_z : b->z;
    fg_status st = features(m, in, (float *)s0, (float *)z0, err);
    if (st != FG_OK)
        return st;
    if (m->combiner)
        return fg_esm_combiner_enrich(m->combiner, m->esm_cache, in->B, in->N, in->aatypes_t, in->chain_idx,
                                      in->res_mask, s0, z0, b->s, b->z, err);
    if (m->keep_init) {
        const int64_t BN = (int64_t)in->B * in->N;
        memcpy(b->s, s0, (size_t)BN * m->cfg.c_s * sizeof(float));
        memcpy(b->z, z0, (size_t)BN * in->N * m->cfg.c_z * sizeof(float));
    }
    return FG_OK;
}

/* Frames in nm (quaternions derived on the first update). */
static void frames_in(fg_model_bufs *b, const fg_model_batch *in)
{
    const int64_t BN = (int64_t)in->B * in->N;
    memcpy(b->rots, in->rotmats_t, (size_t)BN * 9 * sizeof(float));
    for (int64_t i = 0; i < BN * 3; i++)
        b->trans[i] = in->trans_t[i] * ANG_TO_NM;
}

static fg_block_io trunk_io(fg_model *m, const fg_model_batch *in)
{
    fg_model_bufs *b = &m->buf;
    fg_block_io io = {.B = in->B, .N = in->N, .s = b->s, .z = b->z, .node_mask = in->res_mask,
                      .edge_mask = b->edge_mask, .update_mask = b->update_mask, .t = in->r3_t, .rots = b->rots,
                      .trans = b->trans, .quats = b->quats, .quats_valid = 0, .scratch = &m->scratch};
    return io;
}

/* [trunk -> IPA trunk] x (1 + num_recycles): each pass starts from the
 * previous one's features and frames (the quaternion state kept). */
static fg_status trunks(fg_model *m, fg_block_io *io, fg_error *err)
{
    fg_model_bufs *b = &m->buf;
    for (int r = 0; r <= m->cfg.num_recycles; r++) {
        fg_status st = m->trunk ? fg_trunk_forward(m->trunk, io, b->init_s, b->init_z, err) : FG_OK;
        if (st == FG_OK)
            st = fg_ipa_trunk_forward(m->ipa, io, b->torsions, err);
        if (st != FG_OK) {
            if (m->cfg.num_recycles)
                fg_error_prefix(err, "recycle %d", r);
            return st;
        }
    }
    return FG_OK;
}

/* Confidence heads on the IPA trunk's output, then (sequence trunk and) the amino-acid head. */
static fg_status heads(fg_model *m, const fg_model_batch *in, fg_block_io *io, fg_error *err)
{
    fg_model_bufs *b = &m->buf;
    const int64_t BN = (int64_t)in->B * in->N;
    fg_heads_node_confidence(&m->heads, b->s, BN, b->bfactor, b->lddt);
    fg_status st = fg_heads_pae(&m->heads, b->z, in->res_mask, in->chain_idx, in->B, in->N, b->pae, b->ptm,
                                b->iptm, &m->scratch, err);
    if (st == FG_OK && m->seq_trunk)
        st = fg_trunk_forward(m->seq_trunk, io, b->init_s, b->init_z, err);
    if (st == FG_OK)
        st = fg_heads_sequence(&m->heads, b->s, in->aatypes_t, BN, b->logits, b->aatypes, &m->scratch, err);
    return st;
}

static void fill_output(const fg_model *m, const fg_model_batch *in, fg_model_output *out)
{
    const fg_model_bufs *b = &m->buf;
    const int64_t BN = (int64_t)in->B * in->N;
    for (int64_t i = 0; i < BN * 3; i++)
        b->pred_trans[i] = b->trans[i] * NM_TO_ANG;
    memset(out, 0, sizeof *out);
    out->B = in->B;
    out->N = in->N;
    out->pred_trans = b->pred_trans;
    out->pred_rotmats = b->rots;
    out->pred_torsions = m->cfg.n_torsions ? b->torsions : NULL;
    out->n_torsions = m->cfg.n_torsions;
    out->pred_logits = b->logits;
    out->pred_aatypes = b->aatypes;
    out->node_embed = b->s;
    out->edge_embed = b->z;
    out->pred_bfactor = b->bfactor;
    out->pred_lddt = b->lddt;
    out->pred_pae = b->pae;
    out->pred_ptm = b->ptm;
    out->pred_iptm = b->iptm;
}

fg_status fg_model_forward(fg_model *m, const fg_model_batch *in, fg_model_output *out, fg_error *err)
{
    fg_status st = check_batch(m, in, err);
    if (st == FG_OK)
        st = fg_model_bufs_reserve(m, in->B, in->N, err);
    if (st != FG_OK)
        return st;
    fg_arena_reset(&m->scratch);
    masks(&m->buf, in);
    st = embeddings(m, in, err);
    fg_block_io io = trunk_io(m, in);
    if (st == FG_OK) {
        frames_in(&m->buf, in);
        st = trunks(m, &io, err);
    }
    if (st == FG_OK)
        st = heads(m, in, &io, err);
    if (st == FG_OK)
        fill_output(m, in, out);
    return st;
}
