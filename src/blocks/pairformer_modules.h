/* The modules of the Pairformer family (Boltz-style, as in cogeneration's
 * models/attention): triangle multiplication, triangle attention, the SwiGLU
 * transition and attention with pair bias, plus the edge stack and the full
 * layer built from them. Internal to src/blocks; other block types (IPA,
 * DoublePair, ...) may reuse them.
 *
 * Every module works on one batch item: z is [N,N,c] (row-major, channels
 * last), masks are float 0/1. `forward` writes the module's update into out
 * (accumulate = false) or adds it (accumulate = true, the residual form);
 * out may be z itself when accumulating, because each module reads all of a
 * position's inputs before it writes that position. Per-forward buffers come
 * from the arena and are released before returning. Weights point into the
 * store (not copied) and use the exact upstream state_dict names. */
#ifndef FG_BLOCKS_PAIRFORMER_MODULES_H
#define FG_BLOCKS_PAIRFORMER_MODULES_H

#include <stdbool.h>

#include "framegen/arena.h"
#include "framegen/block.h"
#include "framegen/status.h"
#include "framegen/weights.h"

#define FG_PF_LN_EPS 1e-5f
#define FG_TRI_ATT_INF 1e9f   /* triangle attention mask bias: inf * (mask - 1) */
#define FG_APB_INF 1e6f       /* attention pair bias: -inf * (1 - mask_j) */

/* TriangleMultiplicationOutgoing / Incoming. */
typedef struct fg_tri_mul {
    int c;
    bool outgoing;                       /* x_ij = sum_k a_ik b_jk; else sum_k a_ki b_kj */
    const float *norm_in_w, *norm_in_b;  /* [c] */
    const float *p_in, *g_in;            /* [2c, c] */
    const float *norm_out_w, *norm_out_b;/* [c] */
    const float *p_out, *g_out;          /* [c, c] */
    int block_rows;                      /* output rows per contraction block; 0 = automatic */
    float *packed;                       /* owned: the four below */
    const float *win_a, *win_b;          /* [2 c4][c]: p_in / g_in rows of a (b) interleaved by 4 (tri_mul.c) */
    const float *g_out_t, *p_out_t;      /* [c][c]: transposed */
} fg_tri_mul;

/* TriangleAttentionStartingNode / EndingNode (gated MHA, no biases). */
typedef struct fg_tri_att {
    int c, heads, dh;
    bool starting;
    const float *ln_w, *ln_b;            /* [c] */
    const float *w_bias;                 /* [heads, c] */
    const float *wq, *wk, *wv, *wg;      /* [heads*dh, c] */
    const float *wo;                     /* [c, heads*dh] */
    int query_block;                     /* query rows per logits block; 0 = automatic */
    float *packed;                       /* owned: the three below */
    const float *wqkvg;                  /* [4 heads*dh, c]: wq, wk, wv, wg stacked */
    const float *wo_t;                   /* [heads*dh, c]: wo transposed */
    const float *fold;                   /* [heads, c] + [heads]: fg_ln_proj_fold of the bias linear */
} fg_tri_att;

/* Transition: fc3(silu(fc1(LN x)) * fc2(LN x)), no biases. */
typedef struct fg_transition {
    int c, hidden;
    const float *ln_w, *ln_b;            /* [c] */
    const float *w1, *w2;                /* [hidden, c] */
    const float *w3;                     /* [c, hidden] */
    int hidden_pad;                      /* hidden rounded up to 16 */
    float *packed;                       /* owned: w12 then w3t */
    const float *w12;                    /* [c, 2 hidden_pad]: 16 fc1 columns, then the same 16 of fc2, ... */
    const float *w3t;                    /* [hidden_pad, c]: fc3 transposed, padding rows 0 */
} fg_transition;

/* AttentionPairBias: single-track attention biased by the edges. */
typedef struct fg_attn_pair_bias {
    int c_s, c_z, heads, dh;
    bool compute_pair_bias;              /* false: z itself is the bias (c_z == heads) */
    const float *wq, *bq, *wk, *wv, *wg, *wo; /* [c_s, c_s]; bq [c_s] */
    const float *z_ln_w, *z_ln_b;        /* [c_z] (proj_z.0) */
    const float *wz;                     /* [heads, c_z] (proj_z.1) */
    float *packed;                       /* owned: the three below */
    const float *wp[4];                  /* wq, wk, wv, wg packed in panels (fg_mm_pack_panels) */
    const float *wo_p;                   /* wo packed in panels */
    const float *fold;                   /* [heads, c_z] + [heads]: fg_ln_proj_fold of proj_z, or NULL */
} fg_attn_pair_bias;

/* Loaders: name is the module's prefix below the loader's own, e.g.
 * "tri_mul_out" reads "<l->prefix>tri_mul_out.p_in.weight" ("" for none).
 * Errors (tensor missing / misshapen, impossible sizes) go to l->err and name
 * the tensor; the return value is l->st. */
fg_status fg_tri_mul_init(fg_tri_mul *m, fg_wload *l, const char *name, int c, bool outgoing);
fg_status fg_tri_att_init(fg_tri_att *m, fg_wload *l, const char *name, int c, int heads, int dh,
                          bool starting);
fg_status fg_transition_init(fg_transition *m, fg_wload *l, const char *name, int c, int hidden);
/* Modules own the weights they re-lay out at init (for fg_mm); these free
 * them (safe on a zeroed or partly initialised module). */
void fg_tri_mul_free(fg_tri_mul *m);
void fg_tri_att_free(fg_tri_att *m);
void fg_transition_free(fg_transition *m);
void fg_attn_pair_bias_free(fg_attn_pair_bias *m);
fg_status fg_attn_pair_bias_init(fg_attn_pair_bias *m, fg_wload *l, const char *name, int c_s, int c_z,
                                 int heads, bool compute_pair_bias);

/* Optimised forwards (OpenMP inside). mask: [n,n] edge mask; node_mask: [n]. */
fg_status fg_tri_mul_forward(const fg_tri_mul *m, const float *z, const float *mask, int n, float *out,
                             bool accumulate, fg_arena *a, fg_error *err);
fg_status fg_tri_att_forward(const fg_tri_att *m, const float *z, const float *mask, int n, float *out,
                             bool accumulate, fg_arena *a, fg_error *err);
/* rows vectors of width c (any leading dims flattened). */
fg_status fg_transition_forward(const fg_transition *m, const float *x, int64_t rows, float *out,
                                bool accumulate, fg_arena *a, fg_error *err);
/* s: [n, c_s] (already normalised by the caller where upstream does so); out must not alias s. */
fg_status fg_attn_pair_bias_forward(const fg_attn_pair_bias *m, const float *s, const float *z,
                                    const float *node_mask, int n, float *out, bool accumulate,
                                    fg_arena *a, fg_error *err);

/* Plain reference twins (simple loops, double accumulation, libm): the update only. */
void fg_tri_mul_ref(const fg_tri_mul *m, const float *z, const float *mask, int n, float *out);
void fg_tri_att_ref(const fg_tri_att *m, const float *z, const float *mask, int n, float *out);
void fg_transition_ref(const fg_transition *m, const float *x, int64_t rows, float *out);
void fg_attn_pair_bias_ref(const fg_attn_pair_bias *m, const float *s, const float *z,
                           const float *node_mask, int n, float *out);

/* Matrix-product FLOPs of one forward on one item (as computed, masks included). */
double fg_tri_mul_flops(const fg_tri_mul *m, int n);
double fg_tri_att_flops(const fg_tri_att *m, int n);
double fg_transition_flops(const fg_transition *m, int64_t rows);
double fg_attn_pair_bias_flops(const fg_attn_pair_bias *m, int n);

/* Per-type hyperparameters shared by the pairformer family; fields.h tables in
 * the block files fill (a prefix of) this struct. */
typedef struct fg_pairformer_params {
    int num_heads;              /* pair-bias attention heads */
    int pairwise_head_width;    /* triangle attention head width */
    int pairwise_num_heads;     /* triangle attention heads */
    int transition_expansion;   /* transition hidden = expansion * width */
    bool post_layer_norm;       /* LayerNorm on s after each layer */
    bool compute_pair_bias;     /* pair bias = Linear(LN z); false: z is the bias */
    int chunk_size_tri_attn;    /* query rows per triangle-attention logits block; 0 = auto */
    int chunk_size_tri_mul;     /* output rows per triangle-multiplication block; 0 = auto */
    double dropout;             /* accepted, unused (inference) */
    bool use_kernels;           /* accepted, unused (upstream GPU kernels) */
    bool checkpointing;         /* accepted, unused (training) */
} fg_pairformer_params;

/* Field-table rows of the edge stack, shared by "pairformer" and
 * "pairformer_noseq" (the one place their defaults are declared). */
#define FG_PF_EDGE_FIELDS \
    FG_FIELD_INT_(fg_pairformer_params, pairwise_head_width, 32, 1, 4096, "triangle attention width per head"), \
    FG_FIELD_INT_(fg_pairformer_params, pairwise_num_heads, 4, 1, 4096, "triangle attention heads"), \
    FG_FIELD_INT_(fg_pairformer_params, transition_expansion, 4, 1, 64, \
                  "transition hidden width = expansion * input width"), \
    FG_FIELD_INT_(fg_pairformer_params, chunk_size_tri_attn, 0, 0, 1 << 20, \
                  "query rows per triangle-attention logits block (memory only; 0 = automatic)"), \
    FG_FIELD_INT_(fg_pairformer_params, chunk_size_tri_mul, 0, 0, 1 << 20, \
                  "output rows per triangle-multiplication block (memory only; 0 = automatic)"), \
    FG_FIELD_FLOAT_(fg_pairformer_params, dropout, 0.1, 0.0, 1.0, "accepted and ignored (inference)"), \
    FG_FIELD_BOOL_(fg_pairformer_params, use_kernels, 0, "accepted and ignored (upstream GPU kernels)"), \
    FG_FIELD_BOOL_(fg_pairformer_params, checkpointing, 0, "accepted and ignored (training)")

/* Hyperparameters of the "pair_bias" block type. */
typedef struct fg_pair_bias_params {
    int num_heads;
    bool compute_pair_bias;
} fg_pair_bias_params;

/* The edge stack of one layer: z += tri_mul_out, tri_mul_in, tri_att_start,
 * tri_att_end, transition (named transition_name: "edge_transition" in
 * PairformerLayer, "transition_z" in PairformerNoSeqLayer). */
typedef struct fg_pair_stack {
    fg_tri_mul mul_out, mul_in;
    fg_tri_att att_start, att_end;
    fg_transition trans;
} fg_pair_stack;

fg_status fg_pair_stack_init(fg_pair_stack *p, fg_wload *l, int c_z, const fg_pairformer_params *hp,
                             const char *transition_name);
/* z: [n,n,c_z] updated in place. */
fg_status fg_pair_stack_forward(const fg_pair_stack *p, float *z, const float *edge_mask, int n,
                                fg_arena *a, fg_error *err);
double fg_pair_stack_flops(const fg_pair_stack *p, int n);
void fg_pair_stack_free(fg_pair_stack *p);

/* PairformerLayer: the edge stack, then s += attention(LN s, z); s += transition(s). */
typedef struct fg_pairformer_layer {
    int c_s, c_z;
    fg_pair_stack pair;
    const float *pre_norm_w, *pre_norm_b;    /* [c_s] */
    fg_attn_pair_bias attn;
    fg_transition node_trans;
    const float *post_norm_w, *post_norm_b;  /* [c_s]; NULL without post_layer_norm */
} fg_pairformer_layer;

/* l->prefix is the layer's own prefix (e.g. "trunk.trunk.layers.0."). */
fg_status fg_pairformer_layer_init(fg_pairformer_layer *p, fg_wload *l, const fg_block_dims *dims,
                                   const fg_pairformer_params *hp);
fg_status fg_pairformer_layer_forward(const fg_pairformer_layer *p, fg_block_io *io, fg_error *err);
double fg_pairformer_layer_flops(const fg_pairformer_layer *p, int B, int n);
void fg_pairformer_layer_free(fg_pairformer_layer *p);

/* Masks of item b from io, or all-ones / node_mask_i * node_mask_j when io has
 * none (taken from the arena). NULL only when the arena is out of memory. */
const float *fg_pf_node_mask(const fg_block_io *io, int b, fg_arena *a);
const float *fg_pf_edge_mask(const fg_block_io *io, int b, fg_arena *a);

/* Random weights for layer `layer` of a stage of block type `type`
 * ("pairformer", "pairformer_noseq", "pair_bias"; params: that type's struct)
 * under "<prefix>layers.<layer>.", with the upstream names and shapes. */
fg_status fg_pf_random_weights(fg_weights *w, const char *type, const char *prefix, int layer,
                               const fg_block_dims *dims, const void *params, uint64_t seed,
                               fg_error *err);

/* Block-type create helpers: a zeroed layer object plus a loader on
 * "<prefix>layers.<layer>." (NULL and err set when out of memory), and the
 * tail of create (stores p in *self, or frees it with the type's destroy
 * when st failed). */
void *fg_pf_layer_alloc(size_t size, fg_wload *l, fg_weights *w, const char *prefix, int layer,
                        const char *type, fg_error *err);
fg_status fg_pf_layer_done(void *p, fg_status st, void (*destroy)(void *p), void **self);

/* Threads the OpenMP loops of a forward may use (sizes per-thread scratch). */
int fg_pf_threads(void);
/* "<name>.<leaf>", or "<leaf>" when name is empty, into buf; returns buf. */
const char *fg_pf_name(char *buf, size_t len, const char *name, const char *leaf);
/* Hands back the mapped pages of n weights that a module has packed: its
 * forward reads only the packed copies, and the reference twins that read
 * the originals still get them back from the file. */
void fg_pf_release(fg_wload *l, const float *const *ws, int n);

#endif
