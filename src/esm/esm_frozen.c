/* Frozen ESM over an AF2 batch: tokens, one packed forward, residue gather. */
#include <stdlib.h>
#include <string.h>

#include "esm_internal.h"

int64_t fg_frozen_esm_single_size(const fg_esm *esm, int N)
{
    return (int64_t)N * (esm->cfg.n_layers + 1) * esm->cfg.d_model;
}

int64_t fg_frozen_esm_pair_size(const fg_esm *esm, int N)
{
    return (int64_t)N * N * esm->cfg.n_layers * esm->cfg.n_heads;
}

fg_status esm_frozen_run(fg_esm *esm, const fg_esm_af2_tokens *tok, const int *items, int n,
                         const fg_frozen_esm_out *out, fg_error *err)
{
    const fg_esm_config *c = &esm->cfg;
    int N = tok->N, V = c->vocab;
    int64_t T = 0;
    for (int k = 0; k < n; k++)
        T += tok->length[items[k]];
    int32_t *tokens = malloc(sizeof *tokens * (size_t)T);     /* [T] packed */
    int64_t *offsets = malloc(sizeof *offsets * (size_t)(n + 1)); /* [n + 1] */
    uint8_t *keep = calloc((size_t)T, 1);                      /* [T] residue tokens */
    float *logits = out->logits ? malloc(sizeof(float) * (size_t)n * N * V) : NULL; /* [n*N, V] */
    int *layers = malloc(sizeof *layers * (size_t)(c->n_layers + 1)); /* 0..n_layers */
    if (!tokens || !offsets || !keep || !layers || (out->logits && !logits)) {
        free(tokens), free(offsets), free(keep), free(logits), free(layers);
        return fg_error_set(err, FG_ERR_NOMEM, "frozen esm: out of memory");
    }
    offsets[0] = 0;
    for (int k = 0; k < n; k++) {
        int b = items[k];
        int64_t o = offsets[k];
        memcpy(tokens + o, tok->tokens + (int64_t)b * tok->L, sizeof *tokens * (size_t)tok->length[b]);
        for (int i = 0; i < N; i++)
            keep[o + tok->res_pos[(int64_t)b * N + i]] = 1;
        offsets[k + 1] = o + tok->length[b];
    }
    for (int l = 0; l <= c->n_layers; l++)
        layers[l] = l;
    fg_esm_batch in = {n, tokens, offsets};
    fg_esm_outputs o = {.keep = keep,
                        .n_repr = out->single ? c->n_layers + 1 : 0,
                        .repr_layers = layers,
                        .repr = out->single,
                        .repr_row_stride = (int64_t)(c->n_layers + 1) * c->d_model,
                        .repr_layer_stride = c->d_model,
                        .attn = out->pair,
                        .logits = logits};
    fg_status st = fg_esm_forward(esm, &in, &o, err);
    for (int64_t r = 0; st == FG_OK && logits && r < (int64_t)n * N; r++)
        for (int k = 0; k < FG_FROZEN_ESM_LOGITS; k++)
            out->logits[r * FG_FROZEN_ESM_LOGITS + k] = logits[r * V + fg_esm_af2_logit_token(k)];
    free(tokens), free(offsets), free(keep), free(logits), free(layers);
    return st;
}

fg_status fg_frozen_esm_forward(fg_esm *esm, int B, int N, const int64_t *aatypes,
                                const int64_t *chain_idx, const float *res_mask,
                                const fg_frozen_esm_out *out, fg_error *err)
{
    fg_esm_af2_tokens tok;
    fg_status st = fg_esm_tokens_from_af2(B, N, aatypes, chain_idx, res_mask, &tok, err);
    if (st != FG_OK)
        return st;
    int *items = malloc(sizeof *items * (size_t)B); /* [B] all of them */
    if (!items) {
        fg_esm_af2_tokens_free(&tok);
        return fg_error_set(err, FG_ERR_NOMEM, "frozen esm: out of memory");
    }
    for (int b = 0; b < B; b++)
        items[b] = b;
    st = esm_frozen_run(esm, &tok, items, B, out, err);
    free(items);
    fg_esm_af2_tokens_free(&tok);
    return st;
}
