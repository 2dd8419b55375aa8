/* The synthesising weight store (fg_weights_set_synth): missing names are
 * created with the requested shape on lookup, has() follows the claim
 * predicate, existing tensors are never replaced, wildcard shapes cannot be
 * synthesised. */
#include <string.h>

#include "fixture.h"
#include "framegen/weights.h"

static void fill(const char *name, int ndim, const int64_t *shape, float *data, void *user)
{
    (void)name;
    int64_t n = fg_shape_numel(ndim, shape);
    for (int64_t i = 0; i < n; i++)
        data[i] = *(const float *)user + (float)i;
}

static bool claims(const char *name, void *user)
{
    (void)user;
    return strncmp(name, "skip.", 5) != 0;
}

int main(void)
{
    fx_suite s = {"weights_synth", 0, 0};
    fg_weights *w;
    fg_error err;
    float base = 0.5f;
    fx_ok(&s, fg_weights_create(&w, &err) == FG_OK, "empty store");
    const float one[2] = {7, 8};
    fg_weights_add(w, "real.bias", 1, (int64_t[]){2}, one, &err);
    fg_weights_set_synth(w, fill, claims, &base);
    fx_ok(&s, fg_weights_has(w, "a.weight") && !fg_weights_has(w, "skip.x"), "has() follows the claim");
    const float *p = fg_weights_get(w, "a.weight", 2, (int64_t[]){3, 4}, &err);
    fx_ok(&s, p && p[0] == 0.5f && p[11] == 11.5f, "claimed tensor created with its shape and filled");
    fx_ok(&s, fg_weights_count(w) == 2 && fg_weights_used_at(w, 1), "created tensor is listed and used");
    const float *q = fg_weights_get(w, "a.weight", 2, (int64_t[]){3, 4}, &err);
    fx_ok(&s, q == p, "second lookup returns the same tensor");
    fx_ok(&s, fg_weights_get(w, "a.weight", 2, (int64_t[]){4, 3}, &err) == NULL && err.status == FG_ERR_SHAPE,
          "shape mismatch with a created tensor is still an error");
    const float *r = fg_weights_get(w, "real.bias", 1, (int64_t[]){2}, &err);
    fx_ok(&s, r && r[0] == 7 && r[1] == 8, "existing tensors are not replaced");
    fx_ok(&s, fg_weights_get(w, "skip.x", 1, (int64_t[]){2}, &err) != NULL && fg_weights_has(w, "skip.x"),
          "unclaimed names are synthesised on lookup all the same");
    fg_weights *plain;
    fg_weights_create(&plain, &err);
    fx_ok(&s, fg_weights_get(plain, "a.weight", 1, (int64_t[]){2}, &err) == NULL && strstr(err.msg, "missing"),
          "a store without synth reports missing tensors: %s", err.msg);
    fg_weights_free(plain);
    fx_ok(&s, fg_weights_get(w, "b.weight", 1, (int64_t[]){-1}, &err) == NULL && strstr(err.msg, "unknown shape"),
          "a wildcard shape cannot be synthesised: %s", err.msg);
    fg_weights_free(w);
    return fx_suite_finish(&s);
}
