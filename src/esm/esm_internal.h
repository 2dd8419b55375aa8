/* Internals of the ESM-2 model shared by its source files (not public API). */
#ifndef FG_ESM_INTERNAL_H
#define FG_ESM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "framegen/arena.h"
#include "framegen/esm.h"
#include "framegen/esm_frozen.h"
#include "framegen/esm_tokens.h"

/* Tensor roles; esm_tensor_name spells them in either naming scheme. */
typedef enum esm_tensor {
    /* per layer */
    ESM_LN1_G, ESM_LN1_B, ESM_WQ, ESM_BQ, ESM_WK, ESM_BK, ESM_WV, ESM_BV, ESM_WO, ESM_BO,
    ESM_LN2_G, ESM_LN2_B, ESM_W1, ESM_B1, ESM_W2, ESM_B2, ESM_INV_FREQ,
    /* whole model */
    ESM_EMBED, ESM_LNF_G, ESM_LNF_B, ESM_LM_DENSE_W, ESM_LM_DENSE_B, ESM_LM_LN_G, ESM_LM_LN_B,
    ESM_LM_W, ESM_LM_B, ESM_POS_EMBED, ESM_LN_BEFORE,
    ESM_TENSOR_COUNT
} esm_tensor;

/* Which spelling, plus the Hugging Face base ("esm." in EsmForMaskedLM, "" in EsmModel). */
typedef struct esm_naming {
    fg_esm_names names;
    char prefix[128]; /* user prefix */
    char base[16];
} esm_naming;

void esm_tensor_name(const esm_naming *nm, esm_tensor t, int layer, char *buf, size_t len);

/* Shape lookup by full name: true and the shape when present. Lets the config
 * derivation run on a shape table in tests (15B without 60 GB of weights). */
typedef bool (*esm_shape_fn)(void *ctx, const char *name, int *ndim, int64_t *shape);
bool esm_weights_shape(void *w, const char *name, int *ndim, int64_t *shape);

/* Detects the naming scheme and reads the sizes from the tensor shapes. */
fg_status esm_config_derive(esm_shape_fn shape, void *ctx, const fg_esm_options *opt,
                            fg_esm_config *cfg, esm_naming *nm, fg_error *err);

typedef struct esm_layer {
    const float *ln1_g, *ln1_b, *ln2_g, *ln2_b;
    const float *wq, *bq, *wk, *bk, *wv, *bv; /* [d, d], [d] */
    const float *wo, *bo, *w1, *b1, *w2, *b2;
    const float *inv_freq; /* [head_dim / 2] */
} esm_layer;

struct fg_esm {
    fg_esm_config cfg;
    const float *embed;              /* [vocab, d] */
    esm_layer *layers;               /* [n_layers] */
    const float *lnf_g, *lnf_b;      /* emb_layer_norm_after */
    const float *lm_dense_w, *lm_dense_b, *lm_ln_g, *lm_ln_b, *lm_w, *lm_b;
    float *inv_freq_own;             /* [head_dim / 2] when no layer stores it */
    fg_arena arena;                  /* forward scratch, reset per call */
};

/* Rotary tables for positions 0..max_len-1: cos/sin [max_len, head_dim/2]. */
void esm_rotary_tables(const float *inv_freq, int half, int max_len, float *cos_t, float *sin_t);
/* The projections' biases, q scaling and rotary in one pass over the packed
 * rows (stride ld; head h at columns h*head_dim): q = rot((q + bq) * scale),
 * k = rot(k + bk), v += bv; pos[t] = position of token t in its sequence. */
typedef struct esm_qkv {
    float *q, *k, *v;
    const float *bq, *bk, *bv; /* [d] */
    int64_t ld;
} esm_qkv;
void esm_rotary_apply(const esm_qkv *x, int64_t T, const int32_t *pos, int n_heads, int head_dim,
                      float q_scale, const float *cos_t, const float *sin_t);

/* Frozen ESM on items[0..n) of an AF2 token batch as one packed batch;
 * outputs [n, N, ...] in item order (esm_frozen.h layouts). */
fg_status esm_frozen_run(fg_esm *esm, const fg_esm_af2_tokens *tok, const int *items, int n,
                         const fg_frozen_esm_out *out, fg_error *err);

#endif
