/* ESM-2 protein language model, frozen (inference only), exact to fair-esm
 * (esm/model/esm2.py) and Hugging Face EsmForMaskedLM.
 *
 * The size (layers, width, heads, FFN width, vocabulary) is read from the
 * weight tensors, so every ESM-2 from 8M to 15B loads; tensor names are either
 * fair-esm's state_dict names or Hugging Face's (detected). Weights stay where
 * fg_weights keeps them (memory-mapped F32, or F16/BF16 converted once).
 *
 * Inputs are packed variable-length batches: sequences back to back with no
 * padding between them, so no work is spent on padding. Outputs are written
 * into caller buffers: any subset of the layers' hidden states, per-head
 * attention maps in the (L, L, layers*heads) layout the ESM combiner reads, and
 * LM-head logits. Without attention maps the attention is a tiled kernel with
 * an online softmax that keeps no L x L buffer. */
#ifndef FRAMEGEN_ESM_H
#define FRAMEGEN_ESM_H

#include <stdbool.h>
#include <stdint.h>

#include "framegen/status.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fg_esm_names {
    FG_ESM_NAMES_AUTO = 0, /* detect from the tensors present */
    FG_ESM_NAMES_FAIR,     /* embed_tokens.weight, layers.N.self_attn.q_proj.weight, lm_head.weight */
    FG_ESM_NAMES_HF        /* esm.embeddings.word_embeddings.weight, esm.encoder.layer.N..., lm_head.decoder.weight */
} fg_esm_names;

/* Everything here is derived from the weights. */
typedef struct fg_esm_config {
    int n_layers;      /* transformer layers (6 for t6_8M ... 48 for t48_15B) */
    int d_model;       /* embedding width */
    int n_heads;
    int head_dim;      /* d_model / n_heads */
    int d_ffn;         /* fc1 width (4 d_model in ESM-2) */
    int vocab;         /* embedding rows = logits width (33: ESM-1b alphabet) */
    bool has_lm_head;  /* logits can be produced */
    float ln_eps;      /* 1e-5 */
    fg_esm_names names;
} fg_esm_config;

typedef struct fg_esm_options {
    const char *prefix; /* prepended to every tensor name (e.g. "esm."); NULL or "" for none */
    fg_esm_names names; /* FG_ESM_NAMES_AUTO to detect */
    int n_heads;        /* 0: from rot_emb.inv_freq, else the ESM-2 size table; > 0 forces */
} fg_esm_options;

typedef struct fg_esm fg_esm;

/* Binds the weights (which must outlive the model); opt may be NULL. Fails
 * with a message naming the tensor when one is missing or misshapen. */
fg_status fg_esm_create(fg_weights *w, const fg_esm_options *opt, fg_esm **out, fg_error *err);
void fg_esm_destroy(fg_esm *m);
const fg_esm_config *fg_esm_get_config(const fg_esm *m);

/* A packed batch: sequence s is tokens[offsets[s] .. offsets[s+1]), a full
 * ESM-1b token sequence with its own <cls> ... <eos>. Trailing <pad> tokens
 * (id 1) inside a sequence are allowed and treated exactly as fair-esm treats
 * padding (zero embedding, never attended to, excluded from the token-dropout
 * count); pads elsewhere are an error. */
typedef struct fg_esm_batch {
    int n_seqs;
    const int32_t *tokens;  /* [T] */
    const int64_t *offsets; /* [n_seqs + 1], offsets[0] = 0, offsets[n_seqs] = T */
} fg_esm_batch;

/* What to produce and where. Output rows are the tokens with keep[t] != 0 (all
 * tokens when keep is NULL), in order; R = their number. */
typedef struct fg_esm_outputs {
    const uint8_t *keep; /* [T] or NULL */

    /* Hidden states: layer repr_layers[k] (0 = scaled embedding, n_layers =
     * after the final LayerNorm) of output row r goes to
     * repr[r * repr_row_stride + k * repr_layer_stride], d_model floats. */
    int n_repr;
    const int *repr_layers;
    float *repr;
    int64_t repr_row_stride, repr_layer_stride;

    /* Attention maps (NULL: none, and the fast kernel runs). Sequence s with n_s
     * kept rows owns a block of n_s * n_s * (n_layers * n_heads) floats, blocks
     * back to back in sequence order: [i, j, layer * n_heads + head] = weight of
     * key j for query i. fair-esm convention: rows and columns of <pad> are 0. */
    float *attn;

    float *logits; /* [R, vocab] or NULL; needs the LM head */
} fg_esm_outputs;

/* Runs the model. One call at a time per model (it owns its scratch). */
fg_status fg_esm_forward(fg_esm *m, const fg_esm_batch *in, const fg_esm_outputs *out, fg_error *err);

/* Number of rows and attention floats the outputs need for this batch. */
fg_status fg_esm_output_size(const fg_esm *m, const fg_esm_batch *in, const uint8_t *keep,
                             int64_t *rows, int64_t *attn_floats, fg_error *err);

/* Writes a random ESM-2 of the given size to path (atomically): fair-esm names
 * in state_dict order, F32, rot_emb.inv_freq stored; weights uniform with std
 * 1/sqrt(fan_in), LayerNorm gains 1, biases std 0.02, embeddings std 1. For
 * benchmarks, tests and smoke runs; the same seed gives the same file. */
fg_status fg_esm_write_random(const char *path, int n_layers, int d_model, int n_heads, uint64_t seed,
                              fg_error *err);

/* An upper bound on the scratch bytes the forward of a batch of T tokens
 * (longest sequence max_len) holds, with or without attention maps, at the
 * current thread count (the outputs are the caller's). */
int64_t fg_esm_scratch_bytes(const fg_esm *m, int64_t T, int64_t max_len);

#ifdef __cplusplus
}
#endif
#endif
