/* Per-sample frozen-ESM cache keyed by the token sequence. */
#include "framegen/esm_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esm_internal.h"

typedef struct slot {
    int32_t *tokens; /* [len] key */
    int len;
    bool valid, single, pair, logits; /* which outputs the slot holds */
} slot;

struct fg_esm_cache {
    fg_esm *esm;
    int B, N;          /* shape of the stored outputs; a change clears the cache */
    slot *slots;       /* [B] */
    float *single;     /* [B, N, n_layers + 1, d] */
    float *pair;       /* [B, N, N, n_layers * n_heads] */
    float *logits;     /* [B, N, 21] */
    fg_esm_cache_stats stats;
};

fg_status fg_esm_cache_create(fg_esm *esm, fg_esm_cache **out, fg_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return fg_error_set(err, FG_ERR_NOMEM, "esm cache: out of memory");
    (*out)->esm = esm;
    return FG_OK;
}

static void free_storage(fg_esm_cache *c)
{
    for (int b = 0; c->slots && b < c->B; b++)
        free(c->slots[b].tokens);
    free(c->slots), free(c->single), free(c->pair), free(c->logits);
    c->slots = NULL;
    c->single = c->pair = c->logits = NULL;
    c->B = c->N = 0;
}

void fg_esm_cache_destroy(fg_esm_cache *c)
{
    if (!c)
        return;
    free_storage(c);
    free(c);
}

void fg_esm_cache_clear(fg_esm_cache *c)
{
    for (int b = 0; c->slots && b < c->B; b++)
        c->slots[b].valid = false;
}

void fg_esm_cache_get_stats(const fg_esm_cache *c, fg_esm_cache_stats *s) { *s = c->stats; }

/* Output storage for the request; a new shape starts from an empty cache. */
static fg_status ensure(fg_esm_cache *c, int B, int N, const fg_esm_cache_request *req, fg_error *err)
{
    if (B != c->B || N != c->N) {
        free_storage(c);
        c->slots = calloc((size_t)B, sizeof *c->slots);
        if (!c->slots)
            return fg_error_set(err, FG_ERR_NOMEM, "esm cache: out of memory");
        c->B = B;
        c->N = N;
    }
    struct { bool want; float **buf; int64_t per; } outs[] = {
        {req->single, &c->single, fg_frozen_esm_single_size(c->esm, N)},
        {req->pair, &c->pair, fg_frozen_esm_pair_size(c->esm, N)},
        {req->logits, &c->logits, (int64_t)N * FG_FROZEN_ESM_LOGITS}};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
        if (outs[i].want && !*outs[i].buf &&
            !(*outs[i].buf = malloc(sizeof(float) * (size_t)(outs[i].per * B))))
            return fg_error_set(err, FG_ERR_NOMEM, "esm cache: out of memory for %d samples of %d", B, N);
    return FG_OK;
}

static bool is_hit(const slot *s, const fg_esm_af2_tokens *tok, int b, const fg_esm_cache_request *req)
{
    return s->valid && s->len == tok->length[b] && (!req->single || s->single) &&
           (!req->pair || s->pair) && (!req->logits || s->logits) &&
           memcmp(s->tokens, tok->tokens + (int64_t)b * tok->L, sizeof(int32_t) * (size_t)s->len) == 0;
}

/* Copies rows [k] of a miss batch into slot b of the cache's storage. */
static void place(fg_esm_cache *c, const fg_frozen_esm_out *tmp, int k, int b, const fg_esm_cache_request *req)
{
    int64_t ps = fg_frozen_esm_single_size(c->esm, c->N), pp = fg_frozen_esm_pair_size(c->esm, c->N);
    int64_t pl = (int64_t)c->N * FG_FROZEN_ESM_LOGITS;
    if (req->single)
        memcpy(c->single + b * ps, tmp->single + k * ps, sizeof(float) * (size_t)ps);
    if (req->pair)
        memcpy(c->pair + b * pp, tmp->pair + k * pp, sizeof(float) * (size_t)pp);
    if (req->logits)
        memcpy(c->logits + b * pl, tmp->logits + k * pl, sizeof(float) * (size_t)pl);
}

/* Runs the misses as one packed batch: straight into the storage when they
 * are consecutive samples, else through a temporary and copied into place. */
static fg_status recompute(fg_esm_cache *c, const fg_esm_af2_tokens *tok, const int *miss, int n,
                           const fg_esm_cache_request *req, fg_error *err)
{
    int64_t ps = fg_frozen_esm_single_size(c->esm, c->N), pp = fg_frozen_esm_pair_size(c->esm, c->N);
    int64_t pl = (int64_t)c->N * FG_FROZEN_ESM_LOGITS;
    int b0 = miss[0];
    bool direct = miss[n - 1] - b0 == n - 1;
    fg_frozen_esm_out o = {NULL, NULL, NULL};
    if (direct) {
        o.single = req->single ? c->single + b0 * ps : NULL;
        o.pair = req->pair ? c->pair + b0 * pp : NULL;
        o.logits = req->logits ? c->logits + b0 * pl : NULL;
    } else {
        /* [n, ...] per output, in miss order */
        o.single = req->single ? malloc(sizeof(float) * (size_t)(ps * n)) : NULL;
        o.pair = req->pair ? malloc(sizeof(float) * (size_t)(pp * n)) : NULL;
        o.logits = req->logits ? malloc(sizeof(float) * (size_t)(pl * n)) : NULL;
        if ((req->single && !o.single) || (req->pair && !o.pair) || (req->logits && !o.logits)) {
            free(o.single), free(o.pair), free(o.logits);
            return fg_error_set(err, FG_ERR_NOMEM, "esm cache: out of memory");
        }
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fg_status st = esm_frozen_run(c->esm, tok, miss, n, &o, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    c->stats.forwards++;
    c->stats.esm_seconds += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    for (int k = 0; st == FG_OK && !direct && k < n; k++)
        place(c, &o, k, miss[k], req);
    if (!direct)
        free(o.single), free(o.pair), free(o.logits);
    return st;
}

/* Records sample b's key and what its slot now holds. */
static fg_status remember(slot *s, const fg_esm_af2_tokens *tok, int b, const fg_esm_cache_request *req,
                          fg_error *err)
{
    int32_t *t = realloc(s->tokens, sizeof(int32_t) * (size_t)tok->length[b]);
    if (!t)
        return fg_error_set(err, FG_ERR_NOMEM, "esm cache: out of memory");
    memcpy(t, tok->tokens + (int64_t)b * tok->L, sizeof(int32_t) * (size_t)tok->length[b]);
    *s = (slot){t, tok->length[b], true, req->single, req->pair, req->logits};
    return FG_OK;
}

fg_status fg_esm_cache_forward(fg_esm_cache *c, int B, int N, const int64_t *aatypes,
                               const int64_t *chain_idx, const float *res_mask,
                               const fg_esm_cache_request *req, fg_esm_cache_view *view,
                               fg_error *err)
{
    fg_esm_af2_tokens tok;
    fg_status st = fg_esm_tokens_from_af2(B, N, aatypes, chain_idx, res_mask, &tok, err);
    if (st == FG_OK)
        st = ensure(c, B, N, req, err);
    int *miss = st == FG_OK ? malloc(sizeof *miss * (size_t)B) : NULL; /* [B] samples to recompute */
    if (st == FG_OK && !miss)
        st = fg_error_set(err, FG_ERR_NOMEM, "esm cache: out of memory");
    int n_miss = 0;
    for (int b = 0; st == FG_OK && b < B; b++) {
        if (is_hit(&c->slots[b], &tok, b, req))
            continue;
        c->slots[b].valid = false; /* until recomputed */
        miss[n_miss++] = b;
    }
    if (st == FG_OK && n_miss > 0)
        st = recompute(c, &tok, miss, n_miss, req, err);
    for (int k = 0; st == FG_OK && k < n_miss; k++)
        st = remember(&c->slots[miss[k]], &tok, miss[k], req, err);
    if (st == FG_OK) {
        c->stats.calls++;
        c->stats.misses += n_miss;
        c->stats.hits += B - n_miss;
        view->single = req->single ? c->single : NULL;
        view->pair = req->pair ? c->pair : NULL;
        view->logits = req->logits ? c->logits : NULL;
    }
    free(miss);
    fg_esm_af2_tokens_free(&tok);
    return st;
}
