/* The frozen-ESM cache: identical outputs to a direct call, recomputation only
 * of the samples whose tokens changed (aatype, residue mask or chain break),
 * or when an output not kept is asked for; an unconditional run (all <mask>
 * throughout) costs one ESM pass. Inputs of case frozen_esm, ESM of case esm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/esm.h"
#include "framegen/esm_cache.h"
#include "framegen/esm_frozen.h"

static double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

typedef struct ctx {
    fg_esm *esm;
    fg_esm_cache *cache;
    int B, N;
    int64_t ns, np, nl; /* floats per sample: single, pair, logits */
} ctx;

/* Calls the cache and compares with a direct frozen-ESM call on the same
 * inputs; the number of new misses must be want_miss. */
static void step(fx_suite *s, ctx *c, const int64_t *aa, const int64_t *ch, const float *mask,
                 fg_esm_cache_request req, int want_miss, const char *what)
{
    fg_esm_cache_stats before, after;
    fg_esm_cache_get_stats(c->cache, &before);
    fg_esm_cache_view v;
    fg_error err;
    if (!fx_ok(s, fg_esm_cache_forward(c->cache, c->B, c->N, aa, ch, mask, &req, &v, &err) == FG_OK,
               "%s: cache call", what))
        return;
    fg_esm_cache_get_stats(c->cache, &after);
    fg_frozen_esm_out d = {req.single ? malloc(sizeof(float) * (size_t)(c->B * c->ns)) : NULL,
                           req.pair ? malloc(sizeof(float) * (size_t)(c->B * c->np)) : NULL,
                           req.logits ? malloc(sizeof(float) * (size_t)(c->B * c->nl)) : NULL};
    fg_frozen_esm_forward(c->esm, c->B, c->N, aa, ch, mask, &d, &err);
    /* cache entries were computed in other batches: equal to float rounding */
    double e = 0;
    if (req.single)
        e = fmax(e, max_diff(v.single, d.single, c->B * c->ns) / 10.0);
    if (req.pair)
        e = fmax(e, max_diff(v.pair, d.pair, c->B * c->np));
    if (req.logits)
        e = fmax(e, max_diff(v.logits, d.logits, c->B * c->nl) / 60.0);
    int64_t miss = after.misses - before.misses, hit = after.hits - before.hits;
    fx_ok(s, miss == want_miss && hit == c->B - want_miss && e <= 1e-5 &&
                 (!req.pair || v.pair) && (req.pair || !v.pair),
          "%s: %lld recomputed, %lld from cache (want %d), outputs = direct call (scaled diff %.1e)",
          what, (long long)miss, (long long)hit, want_miss, e);
    free(d.single), free(d.pair), free(d.logits);
}

/* Only the first sample, as a batch of one: recomputed, then cached. */
static void step_shape(fx_suite *s, ctx *c, const int64_t *aa, const int64_t *ch, const float *mask,
                       fg_esm_cache_request req)
{
    int B = c->B;
    c->B = 1;
    step(s, c, aa, ch, mask, req, 1, "batch of 1 (new shape)");
    step(s, c, aa, ch, mask, req, 0, "batch of 1 again");
    c->B = B;
}

int main(void)
{
    fx_suite s = {"esm_cache", 0, 0};
    fx_case ce, cf;
    if (fx_open(&ce, "esm") != 0 || fx_open(&cf, "frozen_esm") != 0)
        return 1;
    ctx c = {0};
    fg_error err;
    if (!fx_ok(&s, fx_params(&ce) && fg_esm_create(fx_params(&ce), NULL, &c.esm, &err) == FG_OK &&
                       fg_esm_cache_create(c.esm, &c.cache, &err) == FG_OK, "model and cache"))
        return fx_suite_finish(&s);
    int64_t shape[2];
    fx_shape(&cf, "input.aatypes", shape);
    c.B = (int)shape[0];
    c.N = (int)shape[1];
    c.ns = fg_frozen_esm_single_size(c.esm, c.N);
    c.np = fg_frozen_esm_pair_size(c.esm, c.N);
    c.nl = (int64_t)c.N * FG_FROZEN_ESM_LOGITS;
    int64_t *aa = fx_i64(&cf, "input.aatypes"), *ch = fx_i64(&cf, "input.chain_index");
    float *mask = fx_f32(&cf, "input.res_mask");
    fg_esm_cache_request single = {true, false, true}, both = {true, true, true};

    step(&s, &c, aa, ch, mask, single, c.B, "first call");
    step(&s, &c, aa, ch, mask, single, 0, "same tokens");
    aa[c.N + 2] = (aa[c.N + 2] + 1) % 20;
    step(&s, &c, aa, ch, mask, single, 1, "aatype of sample 1 changed");
    mask[3] = 0.0f;
    step(&s, &c, aa, ch, mask, single, 1, "res_mask of sample 0 changed");
    ch[5] = 7;
    step(&s, &c, aa, ch, mask, single, 1, "chain break in sample 0");
    step(&s, &c, aa, ch, mask, both, c.B, "pair maps asked for, not kept");
    step(&s, &c, aa, ch, mask, single, 0, "single again (kept with the maps)");
    aa[0] = (aa[0] + 3) % 20;
    step(&s, &c, aa, ch, mask, both, 1, "sample 0 changed, maps");

    /* Unconditional backbone generation: every residue masked for all steps. */
    fg_esm_cache_stats st0, st1;
    fg_esm_cache_get_stats(c.cache, &st0);
    for (int i = 0; i < c.B * c.N; i++)
        aa[i] = 20;
    fg_esm_cache_view v;
    for (int t = 0; t < 10; t++)
        fg_esm_cache_forward(c.cache, c.B, c.N, aa, ch, mask, &single, &v, &err);
    fg_esm_cache_get_stats(c.cache, &st1);
    fx_ok(&s, st1.forwards - st0.forwards == 1 && st1.misses - st0.misses == c.B &&
                  st1.hits - st0.hits == 9 * c.B,
          "10 sampler steps of an all-mask sequence: %lld ESM pass(es), %lld samples computed, %lld cached",
          (long long)(st1.forwards - st0.forwards), (long long)(st1.misses - st0.misses),
          (long long)(st1.hits - st0.hits));
    fg_esm_cache_clear(c.cache);
    step(&s, &c, aa, ch, mask, single, c.B, "same tokens after fg_esm_cache_clear");
    /* A batch of another shape starts over. */
    step_shape(&s, &c, aa, ch, mask, single);
    aa[0] = 21;
    fx_ok(&s, fg_esm_cache_forward(c.cache, c.B, c.N, aa, ch, mask, &single, &v, &err) == FG_ERR_INVALID,
          "bad aatype rejected: %s", err.msg);
    free(aa), free(ch), free(mask);
    fg_esm_cache_destroy(c.cache);
    fg_esm_destroy(c.esm);
    fx_close(&ce), fx_close(&cf);
    return fx_suite_finish(&s);
}
