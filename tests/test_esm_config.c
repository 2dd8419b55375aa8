/* ESM-2 size from the tensors, for every published size (8M .. 15B) under
 * fair-esm and Hugging Face names, with and without rot_emb.inv_freq (then
 * the size table gives the heads), through a table of tensor shapes (no
 * 60 GB of weights needed); unsupported or broken layouts are errors. */
#include <stdio.h>
#include <string.h>

#include "esm/esm_internal.h"
#include "fixture.h"

typedef struct fake {
    int layers, d, heads, vocab;
    fg_esm_names names;
    const char *base;  /* HF base: "esm." or "" */
    int inv_freq;      /* store rot_emb.inv_freq */
    int esm1b;         /* add learned positions */
} fake;

/* Shape of a name in a model that has every ESM-2 tensor of its size. */
static bool fake_shape(void *ctx, const char *name, int *ndim, int64_t *shape)
{
    const fake *f = ctx;
    esm_naming nm = {.names = f->names};
    snprintf(nm.base, sizeof nm.base, "%s", f->base);
    char buf[512];
    for (int l = 0; l < f->layers; l++)
        for (int t = ESM_LN1_G; t <= ESM_INV_FREQ; t++) {
            esm_tensor_name(&nm, (esm_tensor)t, l, buf, sizeof buf);
            if (strcmp(buf, name) != 0)
                continue;
            if (t == ESM_INV_FREQ && !f->inv_freq)
                return false;
            int64_t d = f->d, ffn = 4 * d;
            *ndim = t == ESM_WQ || t == ESM_WK || t == ESM_WV || t == ESM_WO || t == ESM_W1 || t == ESM_W2 ? 2 : 1;
            shape[0] = t == ESM_W1 || t == ESM_B1 ? ffn : t == ESM_INV_FREQ ? d / f->heads / 2 : d;
            shape[1] = t == ESM_W2 ? ffn : d;
            return true;
        }
    for (int t = ESM_EMBED; t < ESM_TENSOR_COUNT; t++) {
        esm_tensor_name(&nm, (esm_tensor)t, 0, buf, sizeof buf);
        if (strcmp(buf, name) != 0 || (t == ESM_POS_EMBED && !f->esm1b) || t == ESM_LN_BEFORE)
            continue;
        *ndim = t == ESM_EMBED || t == ESM_LM_DENSE_W || t == ESM_LM_W || t == ESM_POS_EMBED ? 2 : 1;
        shape[0] = t == ESM_EMBED || t == ESM_LM_W || t == ESM_LM_B ? f->vocab : f->d;
        shape[1] = f->d;
        return true;
    }
    return false;
}

int main(void)
{
    fx_suite s = {"esm_config", 0, 0};
    static const struct { const char *name; int layers, d, heads; } SIZES[] = {
        {"t6_8M", 6, 320, 20},      {"t12_35M", 12, 480, 20}, {"t30_150M", 30, 640, 20},
        {"t33_650M", 33, 1280, 20}, {"t36_3B", 36, 2560, 40}, {"t48_15B", 48, 5120, 40}};
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++)
        for (int scheme = 0; scheme < 3; scheme++)
            for (int inv = 0; inv <= 1; inv++) {
                fake f = {SIZES[i].layers, SIZES[i].d, SIZES[i].heads, 33,
                          scheme == 0 ? FG_ESM_NAMES_FAIR : FG_ESM_NAMES_HF, scheme == 1 ? "esm." : "", inv, 0};
                fg_esm_config c;
                esm_naming nm;
                fg_error err;
                fg_status st = esm_config_derive(fake_shape, &f, NULL, &c, &nm, &err);
                fx_ok(&s, st == FG_OK && c.n_layers == f.layers && c.d_model == f.d && c.n_heads == f.heads &&
                              c.head_dim == f.d / f.heads && c.d_ffn == 4 * f.d && c.vocab == 33 &&
                              c.has_lm_head && c.names == f.names,
                      "%s, %s names%s, %s: %d layers, width %d, %d heads", SIZES[i].name,
                      scheme == 0 ? "fair-esm" : scheme == 1 ? "HF EsmForMaskedLM" : "HF EsmModel",
                      "", inv ? "inv_freq stored" : "heads from the size table", c.n_layers, c.d_model,
                      c.n_heads);
            }
    fg_esm_config c;
    esm_naming nm;
    fg_error err;
    fake odd = {4, 96, 6, 33, FG_ESM_NAMES_FAIR, "", 1, 0};
    fg_status st = esm_config_derive(fake_shape, &odd, NULL, &c, &nm, &err);
    fx_ok(&s, st == FG_OK && c.n_heads == 6, "unpublished size with inv_freq: %d heads", c.n_heads);
    odd.inv_freq = 0;
    fx_ok(&s, esm_config_derive(fake_shape, &odd, NULL, &c, &nm, &err) == FG_ERR_CONFIG,
          "unpublished size without inv_freq: %s", err.msg);
    fg_esm_options opt = {NULL, FG_ESM_NAMES_AUTO, 6};
    fx_ok(&s, esm_config_derive(fake_shape, &odd, &opt, &c, &nm, &err) == FG_OK && c.n_heads == 6,
          "... unless n_heads is given");
    fake e1b = {4, 96, 6, 33, FG_ESM_NAMES_FAIR, "", 1, 1};
    fx_ok(&s, esm_config_derive(fake_shape, &e1b, NULL, &c, &nm, &err) == FG_ERR_UNSUPPORTED,
          "ESM-1b style (learned positions): %s", err.msg);
    fake hf = {2, 64, 4, 33, FG_ESM_NAMES_HF, "esm.", 1, 0};
    opt = (fg_esm_options){NULL, FG_ESM_NAMES_FAIR, 0};
    fx_ok(&s, esm_config_derive(fake_shape, &hf, &opt, &c, &nm, &err) == FG_ERR_SHAPE,
          "HF file read as fair-esm names: %s", err.msg);
    opt = (fg_esm_options){"model.", FG_ESM_NAMES_AUTO, 0};
    fx_ok(&s, esm_config_derive(fake_shape, &hf, &opt, &c, &nm, &err) == FG_ERR_SHAPE,
          "wrong prefix: %s", err.msg);
    return fx_suite_finish(&s);
}
