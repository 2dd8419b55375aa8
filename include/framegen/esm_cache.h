/* A per-sample cache of frozen ESM outputs keyed by the ESM token sequence,
 * for the sampler: sample b is recomputed only when its tokens (which carry
 * the amino-acid types, chain breaks and residue mask) differ from the last
 * call's, or when an output is asked for that was not kept. In unconditional
 * backbone generation the sequence is all <mask> throughout, so ESM runs once
 * per sample instead of once per step. The changed samples of a call run
 * together as one packed batch.
 *
 * The outputs live in the cache (layouts as in esm_frozen.h) and stay valid
 * until the next call on it. Counters report hits (samples served from the
 * cache), misses (samples recomputed) and the time spent in ESM. */
#ifndef FRAMEGEN_ESM_CACHE_H
#define FRAMEGEN_ESM_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "framegen/esm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_esm_cache fg_esm_cache;

typedef struct fg_esm_cache_request {
    bool single, pair, logits;
} fg_esm_cache_request;

/* Outputs of the last call, owned by the cache; NULL where not requested. */
typedef struct fg_esm_cache_view {
    const float *single; /* [B, N, n_layers + 1, d_model] */
    const float *pair;   /* [B, N, N, n_layers * n_heads] */
    const float *logits; /* [B, N, 21] */
} fg_esm_cache_view;

typedef struct fg_esm_cache_stats {
    int64_t calls;      /* fg_esm_cache_forward calls */
    int64_t hits;       /* samples served from the cache */
    int64_t misses;     /* samples recomputed */
    int64_t forwards;   /* ESM forward passes run (one per call with a miss) */
    double esm_seconds; /* wall time inside those passes */
} fg_esm_cache_stats;

/* The model must outlive the cache. */
fg_status fg_esm_cache_create(fg_esm *esm, fg_esm_cache **out, fg_error *err);
void fg_esm_cache_destroy(fg_esm_cache *c);
/* Forget every entry (the counters stay). */
void fg_esm_cache_clear(fg_esm_cache *c);

fg_status fg_esm_cache_forward(fg_esm_cache *c, int B, int N, const int64_t *aatypes,
                               const int64_t *chain_idx, const float *res_mask,
                               const fg_esm_cache_request *req, fg_esm_cache_view *view,
                               fg_error *err);

void fg_esm_cache_get_stats(const fg_esm_cache *c, fg_esm_cache_stats *s);

#ifdef __cplusplus
}
#endif
#endif
