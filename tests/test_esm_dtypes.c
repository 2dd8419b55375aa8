/* ESM-2 weights stored as F16 or BF16 load (converted once to f32 by
 * fg_weights) and give the f32 model's outputs up to the storage rounding:
 * the weights of case esm rounded to each type, written to a safetensors
 * file, memory-mapped, run on the case's tokens. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "framegen/esm.h"
#include "framegen/safetensors.h"

/* Logits of the case's first sequence (packed, pads dropped). */
static int logits(fg_esm *m, const int64_t *tok, int L, float *out, fg_error *err)
{
    int32_t t[64];
    int n = 0;
    while (n < L && tok[n] != 1)
        t[n] = (int32_t)tok[n], n++;
    int64_t off[2] = {0, n};
    fg_esm_batch in = {1, t, off};
    fg_esm_outputs o = {.logits = out};
    return fg_esm_forward(m, &in, &o, err) == FG_OK ? n : -1;
}

static int write_as(fg_weights *w, fg_dtype dt, const char *path)
{
    size_t n = fg_weights_count(w);
    fg_st_entry *e = calloc(n, sizeof *e);
    uint16_t **bufs = calloc(n, sizeof *bufs);
    fg_error err;
    for (size_t i = 0; i < n; i++) {
        fg_tensor t;
        fg_weights_find(w, fg_weights_name_at(w, i), &t, &err);
        int64_t k = fg_shape_numel(t.ndim, t.shape);
        bufs[i] = malloc(sizeof(uint16_t) * (size_t)(k ? k : 1));
        for (int64_t j = 0; j < k; j++)
            bufs[i][j] = dt == FG_F16 ? fg_f32_to_f16(t.data[j]) : fg_f32_to_bf16(t.data[j]);
        e[i] = (fg_st_entry){.name = fg_weights_name_at(w, i), .dtype = dt, .ndim = t.ndim, .data = bufs[i]};
        memcpy(e[i].shape, t.shape, sizeof t.shape);
    }
    int ok = fg_st_write(path, e, n, NULL, 0, &err) == FG_OK;
    for (size_t i = 0; i < n; i++)
        free(bufs[i]);
    free(bufs), free(e);
    return ok;
}

int main(void)
{
    fx_suite s = {"esm_dtypes", 0, 0};
    fx_case c;
    if (fx_open(&c, "esm") != 0)
        return 1;
    fg_weights *w = fx_params(&c);
    fg_esm *m = NULL;
    fg_error err;
    int64_t shape[2];
    fx_shape(&c, "input.tokens", shape);
    int64_t *tok = fx_i64(&c, "input.tokens");
    float ref[64 * 33], got[64 * 33];
    int n = -1;
    if (w && fg_esm_create(w, NULL, &m, &err) == FG_OK)
        n = logits(m, tok, (int)shape[1], ref, &err);
    fg_esm_destroy(m);
    if (!fx_ok(&s, n > 0, "f32 reference run"))
        return fx_suite_finish(&s);
    double scale = 0;
    for (int i = 0; i < n * 33; i++)
        scale = fmax(scale, fabs(ref[i]));
    /* relative precision 2^-11 (F16) and 2^-8 (BF16) of the weights: the
     * logits move by a few times that relative to their scale */
    const struct { fg_dtype dt; const char *name; double bound; } T[] = {
        {FG_F16, "F16", 8.0 / 2048}, {FG_BF16, "BF16", 8.0 / 256}};
    for (int k = 0; k < 2; k++) {
        char path[] = "/tmp/fg_test_esm_dt_XXXXXX";
        int fd = mkstemp(path);
        close(fd);
        fg_weights *wm = NULL;
        m = NULL;
        int ok = write_as(w, T[k].dt, path) && fg_weights_open(path, NULL, &wm, &err) == FG_OK &&
                 fg_esm_create(wm, NULL, &m, &err) == FG_OK && logits(m, tok, (int)shape[1], got, &err) == n;
        double d = 0;
        for (int i = 0; ok && i < n * 33; i++)
            d = fmax(d, fabs((double)got[i] - ref[i]));
        fx_ok(&s, ok && d / scale <= T[k].bound && d > 0,
              "%s weights: logits within %.1e of f32 relative to scale %.0f (max |diff| %.3g)", T[k].name,
              T[k].bound, scale, d);
        fg_esm_destroy(m);
        fg_weights_free(wm);
        unlink(path);
    }
    free(tok);
    fx_close(&c);
    return fx_suite_finish(&s);
}
