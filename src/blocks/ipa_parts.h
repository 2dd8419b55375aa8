/* Internal pieces of the IPA trunk block (src/blocks/ipa*.c, seq_transformer.c,
 * edge_transition*.c): Invariant Point Attention, the sequence transformer, the
 * edge transition. Each has an optimised forward and, where the kernel is
 * restructured, a plain reference twin (simple loops in the upstream order)
 * that the tests compare against. Not public API: tests and benchmarks include
 * it from src/. Frames are rotation matrices [3x3 row-major] + translations in
 * the caller's units (nm inside the IPA trunk). */
#ifndef FG_BLOCKS_IPA_PARTS_H
#define FG_BLOCKS_IPA_PARTS_H

#include "core/mm.h"
#include "framegen/arena.h"
#include "framegen/status.h"
#include "framegen/weights.h"

/* ---- Invariant Point Attention (cogeneration InvariantPointAttention) ---- */

typedef struct fg_ipa_attn {
    int c_s, c_z;
    int C, H, Pq, Pv;     /* c_hidden, heads, query/key points, value points */
    int cz4;              /* c_z / 4: width of the down-projected pair features */
    int n_proj;           /* width of the fused node projection */
    float *w_proj;        /* [n_proj, c_s] linear_q; linear_kv; linear_q_points; linear_kv_points */
    float *b_proj;        /* [n_proj] */
    float *w_pair;        /* [H + cz4, c_z] linear_b; down_z */
    float *b_pair;        /* [H + cz4] */
    const float *w_out;   /* [c_s, H*(C + 4 Pv + cz4)] linear_out */
    const float *b_out;   /* [c_s] */
    float *head_w;        /* [H] softplus(head_weights) * sqrt(1 / (3 Pq 9/2)) */
    float *lb_packed;     /* linear_b^T [c_z, H] and down_z^T [c_z, cz4] in panels (core/mm.h) */
    float *dz_packed;
    fg_mm_wt proj, out;   /* w_proj, b_proj and linear_out packed for the node products */
} fg_ipa_attn;

/* prefix: the module's own prefix, e.g. "" or "trunk.ipa_0.impl.". */
fg_status fg_ipa_attn_init(fg_ipa_attn *a, fg_weights *w, const char *prefix, int c_s, int c_z,
                           int c_hidden, int heads, int qk_points, int v_points, fg_error *err);
void fg_ipa_attn_free(fg_ipa_attn *a);

/* out[B,N,c_s] = IPA(s[B,N,c_s], z[B,N,N,c_z], frames, mask[B,N]); rots [B,N,9],
 * trans [B,N,3]. Rows with mask 0 are computed with the reference's -1e5 shift
 * (meaningless, as upstream). Scratch is restored before returning. */
fg_status fg_ipa_attn_forward(const fg_ipa_attn *a, const float *s, const float *z,
                              const float *rots, const float *trans, const float *mask, int B,
                              int N, float *out, fg_arena *scratch, fg_error *err);
/* Plain reference twin: the upstream formula in simple loops, no blocking. */
fg_status fg_ipa_attn_forward_ref(const fg_ipa_attn *a, const float *s, const float *z,
                                  const float *rots, const float *trans, const float *mask, int B,
                                  int N, float *out, fg_error *err);
double fg_ipa_attn_flops(const fg_ipa_attn *a, int B, int N);

/* ---- Sequence transformer: torch nn.TransformerEncoder of post-norm layers
 * (d_model = dim_feedforward = c, ReLU, LayerNorm eps 1e-5), keys with
 * mask != 1 are excluded (src_key_padding_mask = ~mask). ---- */

typedef struct fg_seq_tfmr_layer {
    fg_mm_wt in, out;             /* in_proj [3c, c] (q; k; v), out_proj [c, c], with biases */
    fg_mm_wt l1, l2;              /* linear1, linear2 [c, c] */
    const float *n1_g, *n1_b, *n2_g, *n2_b;
} fg_seq_tfmr_layer;

typedef struct fg_seq_tfmr {
    int c, heads, n_layers;
    fg_seq_tfmr_layer *layers;
} fg_seq_tfmr;

/* prefix: e.g. "trunk.seq_tfmr_0." (layers under "<prefix>layers.<k>."). */
fg_status fg_seq_tfmr_init(fg_seq_tfmr *t, fg_weights *w, const char *prefix, int c, int heads,
                           int n_layers, fg_error *err);
void fg_seq_tfmr_free(fg_seq_tfmr *t);
/* out[B,N,c] = encoder(x[B,N,c]); out may equal x. */
fg_status fg_seq_tfmr_forward(const fg_seq_tfmr *t, const float *x, const float *mask, int B, int N,
                              float *out, fg_arena *scratch, fg_error *err);
double fg_seq_tfmr_flops(const fg_seq_tfmr *t, int B, int N);

/* ---- Edge transition (cogeneration EdgeTransition): n = initial_embed(s)
 * [c_s -> c_s/dilation], x_ij = [z_ij, n_i, n_j], h = trunk(x) (Linear+ReLU
 * layers of width hid = c_z + 2 c_s/dilation), z' = LN(final(h + x)) * edge_mask. ---- */

typedef struct fg_edge_trans {
    int c_s, c_z, d, hid, n_layers;
    const float *init_w, *init_b;   /* [d, c_s], [d] */
    const float **tw, **tb;         /* n_layers x ([hid, hid], [hid]) trunk.<2k> */
    const float *fin_w, *fin_b;     /* [c_z, hid], [c_z] final_layer */
    const float *ln_g, *ln_b;       /* [c_z] layer_norm */
    float **packed;                 /* n_layers + 1 panel-packed transposed weights (core/mm.h):
                                       the z columns of trunk.0 [c_z -> hid], trunk.<2k> [hid -> hid],
                                       final_layer [hid -> c_z] */
    fg_mm_wt init, node;            /* initial_embed, and trunk.0's node columns (n_i; n_j) as [2 hid, d] */
} fg_edge_trans;

/* prefix: e.g. "trunk.edge_transition_0.". */
fg_status fg_edge_trans_init(fg_edge_trans *e, fg_weights *w, const char *prefix, int c_s, int c_z,
                             int dilation, int n_layers, fg_error *err);
void fg_edge_trans_free(fg_edge_trans *e);
/* z[B,N,N,c_z] <- EdgeTransition(s[B,N,c_s], z) * edge_mask (edge_mask may be NULL). */
fg_status fg_edge_trans_forward(const fg_edge_trans *e, const float *s, float *z,
                                const float *edge_mask, int B, int N, fg_arena *scratch,
                                fg_error *err);
/* Plain reference twin: builds x_ij = [z_ij, n_i, n_j] and runs the layers as written. */
fg_status fg_edge_trans_forward_ref(const fg_edge_trans *e, const float *s, float *z,
                                    const float *edge_mask, int B, int N, fg_error *err);
double fg_edge_trans_flops(const fg_edge_trans *e, int B, int N);

static inline float fg_softplusf(float x)
{
    /* torch.nn.Softplus (beta 1, threshold 20) */
    return x > 20.0f ? x : __builtin_log1pf(__builtin_expf(x));
}

#endif
