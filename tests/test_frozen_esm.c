/* Frozen ESM parity (case frozen_esm, ESM weights of case esm): AF2 -> ESM
 * tokens with linkers (exact), per-layer single reps, flattened attention pair
 * reps, AF2-ordered logits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/esm.h"
#include "framegen/esm_frozen.h"
#include "framegen/esm_tokens.h"

int main(void)
{
    fx_case ce, c;
    if (fx_open(&ce, "esm") != 0 || fx_open(&c, "frozen_esm") != 0)
        return 1;
    fg_weights *w = fx_params(&ce);
    fg_esm *esm = NULL;
    fg_error err;
    if (!w || !fx_expect(&c, fg_esm_create(w, NULL, &esm, &err) == FG_OK, "ESM weights of case esm")) {
        fx_close(&ce);
        return fx_finish(&c);
    }
    int64_t shape[2];
    fx_shape(&c, "input.aatypes", shape);
    int B = (int)shape[0], N = (int)shape[1];
    int64_t *aa = fx_i64(&c, "input.aatypes"), *chain = fx_i64(&c, "input.chain_index");
    float *mask = fx_f32(&c, "input.res_mask");

    fg_esm_af2_tokens tok;
    if (fx_expect(&c, fg_esm_tokens_from_af2(B, N, aa, chain, mask, &tok, &err) == FG_OK, "tokens")) {
        int64_t ls[2];
        fx_shape(&c, "output.esm_tokens", ls);
        int64_t n = (int64_t)B * tok.L;
        int64_t *t64 = malloc(sizeof *t64 * (size_t)n), *res = calloc((size_t)n, sizeof *res);
        for (int64_t i = 0; i < n; i++)
            t64[i] = tok.tokens[i];
        for (int64_t i = 0; i < (int64_t)B * N; i++)
            res[(i / N) * tok.L + tok.res_pos[i]] = 1;
        fx_expect(&c, ls[1] == tok.L, "token length %d (reference %lld)", tok.L, (long long)ls[1]);
        fx_check_i64(&c, "output.esm_tokens", t64, n);
        fx_check_i64(&c, "output.non_linker_mask", res, n);
        free(t64), free(res);
        fg_esm_af2_tokens_free(&tok);
    }

    int64_t ns = B * fg_frozen_esm_single_size(esm, N), np = B * fg_frozen_esm_pair_size(esm, N);
    int64_t nl = (int64_t)B * N * FG_FROZEN_ESM_LOGITS;
    fg_frozen_esm_out out = {malloc(sizeof(float) * (size_t)ns), malloc(sizeof(float) * (size_t)np),
                             malloc(sizeof(float) * (size_t)nl)};
    if (fx_expect(&c, fg_frozen_esm_forward(esm, B, N, aa, chain, mask, &out, &err) == FG_OK,
                  "frozen forward")) {
        fx_check(&c, "output.single", out.single, ns);
        fx_check(&c, "output.pair", out.pair, np);
        fx_check(&c, "output.logits", out.logits, nl);
    } else {
        printf("  %s\n", err.msg);
    }
    /* Without maps (single only) the fused kernel runs: same single reps. */
    fg_frozen_esm_out single_only = {out.single, NULL, NULL};
    memset(out.single, 0, sizeof(float) * (size_t)ns);
    if (fx_expect(&c, fg_frozen_esm_forward(esm, B, N, aa, chain, mask, &single_only, &err) == FG_OK,
                  "frozen forward, single only (fused attention)"))
        fx_check(&c, "output.single", out.single, ns);

    int64_t bad = 21;
    aa[0] = bad;
    fx_expect(&c, fg_frozen_esm_forward(esm, B, N, aa, chain, mask, &out, &err) == FG_ERR_INVALID,
              "aatype out of range rejected: %s", err.msg);
    free(out.single), free(out.pair), free(out.logits);
    free(aa), free(chain), free(mask);
    fg_esm_destroy(esm);
    fx_close(&ce);
    return fx_finish(&c);
}
