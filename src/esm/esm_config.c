/* ESM-2 tensor names (fair-esm and Hugging Face) and the model size read
 * from the tensor shapes. */
#include <stdio.h>
#include <string.h>

#include "esm_internal.h"
#include "framegen/weights.h"

/* fair-esm state_dict names (esm/model/esm2.py); %d is the layer. */
static const char *const FAIR[ESM_TENSOR_COUNT] = {
    [ESM_LN1_G] = "layers.%d.self_attn_layer_norm.weight",
    [ESM_LN1_B] = "layers.%d.self_attn_layer_norm.bias",
    [ESM_WQ] = "layers.%d.self_attn.q_proj.weight",
    [ESM_BQ] = "layers.%d.self_attn.q_proj.bias",
    [ESM_WK] = "layers.%d.self_attn.k_proj.weight",
    [ESM_BK] = "layers.%d.self_attn.k_proj.bias",
    [ESM_WV] = "layers.%d.self_attn.v_proj.weight",
    [ESM_BV] = "layers.%d.self_attn.v_proj.bias",
    [ESM_WO] = "layers.%d.self_attn.out_proj.weight",
    [ESM_BO] = "layers.%d.self_attn.out_proj.bias",
    [ESM_LN2_G] = "layers.%d.final_layer_norm.weight",
    [ESM_LN2_B] = "layers.%d.final_layer_norm.bias",
    [ESM_W1] = "layers.%d.fc1.weight",
    [ESM_B1] = "layers.%d.fc1.bias",
    [ESM_W2] = "layers.%d.fc2.weight",
    [ESM_B2] = "layers.%d.fc2.bias",
    [ESM_INV_FREQ] = "layers.%d.self_attn.rot_emb.inv_freq",
    [ESM_EMBED] = "embed_tokens.weight",
    [ESM_LNF_G] = "emb_layer_norm_after.weight",
    [ESM_LNF_B] = "emb_layer_norm_after.bias",
    [ESM_LM_DENSE_W] = "lm_head.dense.weight",
    [ESM_LM_DENSE_B] = "lm_head.dense.bias",
    [ESM_LM_LN_G] = "lm_head.layer_norm.weight",
    [ESM_LM_LN_B] = "lm_head.layer_norm.bias",
    [ESM_LM_W] = "lm_head.weight",
    [ESM_LM_B] = "lm_head.bias",
    [ESM_POS_EMBED] = "embed_positions.weight",
    [ESM_LN_BEFORE] = "emb_layer_norm_before.weight",
};

/* Hugging Face EsmForMaskedLM / EsmModel names; the first %s is the base
 * ("esm." or ""), layer tensors then take %d. lm_head.* has no base. */
static const char *const HF[ESM_TENSOR_COUNT] = {
    [ESM_LN1_G] = "%sencoder.layer.%d.attention.LayerNorm.weight",
    [ESM_LN1_B] = "%sencoder.layer.%d.attention.LayerNorm.bias",
    [ESM_WQ] = "%sencoder.layer.%d.attention.self.query.weight",
    [ESM_BQ] = "%sencoder.layer.%d.attention.self.query.bias",
    [ESM_WK] = "%sencoder.layer.%d.attention.self.key.weight",
    [ESM_BK] = "%sencoder.layer.%d.attention.self.key.bias",
    [ESM_WV] = "%sencoder.layer.%d.attention.self.value.weight",
    [ESM_BV] = "%sencoder.layer.%d.attention.self.value.bias",
    [ESM_WO] = "%sencoder.layer.%d.attention.output.dense.weight",
    [ESM_BO] = "%sencoder.layer.%d.attention.output.dense.bias",
    [ESM_LN2_G] = "%sencoder.layer.%d.LayerNorm.weight",
    [ESM_LN2_B] = "%sencoder.layer.%d.LayerNorm.bias",
    [ESM_W1] = "%sencoder.layer.%d.intermediate.dense.weight",
    [ESM_B1] = "%sencoder.layer.%d.intermediate.dense.bias",
    [ESM_W2] = "%sencoder.layer.%d.output.dense.weight",
    [ESM_B2] = "%sencoder.layer.%d.output.dense.bias",
    [ESM_INV_FREQ] = "%sencoder.layer.%d.attention.self.rotary_embeddings.inv_freq",
    [ESM_EMBED] = "%sembeddings.word_embeddings.weight",
    [ESM_LNF_G] = "%sencoder.emb_layer_norm_after.weight",
    [ESM_LNF_B] = "%sencoder.emb_layer_norm_after.bias",
    [ESM_LM_DENSE_W] = "lm_head.dense.weight",
    [ESM_LM_DENSE_B] = "lm_head.dense.bias",
    [ESM_LM_LN_G] = "lm_head.layer_norm.weight",
    [ESM_LM_LN_B] = "lm_head.layer_norm.bias",
    [ESM_LM_W] = "lm_head.decoder.weight",
    [ESM_LM_B] = "lm_head.bias",
    [ESM_POS_EMBED] = "%sembeddings.position_embeddings.weight",
    [ESM_LN_BEFORE] = "%sembeddings.layer_norm.weight",
};

void esm_tensor_name(const esm_naming *nm, esm_tensor t, int layer, char *buf, size_t len)
{
    char rel[256];
    if (nm->names == FG_ESM_NAMES_FAIR) {
        snprintf(rel, sizeof rel, FAIR[t], layer);
    } else if (t >= ESM_LM_DENSE_W && t <= ESM_LM_B) {
        snprintf(rel, sizeof rel, "%s", HF[t]);
    } else {
        snprintf(rel, sizeof rel, HF[t], nm->base, layer);
    }
    snprintf(buf, len, "%s%s", nm->prefix, rel);
}

bool esm_weights_shape(void *w, const char *name, int *ndim, int64_t *shape)
{
    fg_weights *ws = w;
    if (!fg_weights_has(ws, name))
        return false;
    size_t n = fg_weights_count(ws);
    for (size_t i = 0; i < n; i++)
        if (strcmp(fg_weights_name_at(ws, i), name) == 0) {
            fg_weights_shape_at(ws, i, ndim, shape);
            return true;
        }
    return false;
}

static bool has(esm_shape_fn shape, void *ctx, const esm_naming *nm, esm_tensor t, int layer,
                int *ndim, int64_t *dims)
{
    char name[512];
    int nd_local;
    int64_t dims_local[8];
    esm_tensor_name(nm, t, layer, name, sizeof name);
    return shape(ctx, name, ndim ? ndim : &nd_local, dims ? dims : dims_local);
}

static fg_status detect_names(esm_shape_fn shape, void *ctx, const fg_esm_options *opt,
                              esm_naming *nm, fg_error *err)
{
    snprintf(nm->prefix, sizeof nm->prefix, "%s", opt && opt->prefix ? opt->prefix : "");
    fg_esm_names want = opt ? opt->names : FG_ESM_NAMES_AUTO;
    static const struct { fg_esm_names names; const char *base; } TRY[] = {
        {FG_ESM_NAMES_FAIR, ""}, {FG_ESM_NAMES_HF, "esm."}, {FG_ESM_NAMES_HF, ""}};
    for (size_t i = 0; i < sizeof TRY / sizeof TRY[0]; i++) {
        if (want != FG_ESM_NAMES_AUTO && want != TRY[i].names)
            continue;
        nm->names = TRY[i].names;
        snprintf(nm->base, sizeof nm->base, "%s", TRY[i].base);
        if (has(shape, ctx, nm, ESM_EMBED, 0, NULL, NULL) && has(shape, ctx, nm, ESM_WQ, 0, NULL, NULL))
            return FG_OK;
    }
    return fg_error_set(err, FG_ERR_SHAPE,
                        "no ESM-2 found: expected '%sembed_tokens.weight' (fair-esm) or "
                        "'%sesm.embeddings.word_embeddings.weight' (Hugging Face) with layer 0",
                        nm->prefix, nm->prefix);
}

/* Heads of the published ESM-2 sizes, by width (the tensors do not say it
 * unless rot_emb.inv_freq is stored). */
static int table_heads(int d)
{
    static const int TABLE[][2] = {{320, 20}, {480, 20}, {640, 20}, {1280, 20}, {2560, 40}, {5120, 40}};
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (TABLE[i][0] == d)
            return TABLE[i][1];
    return 0;
}

static fg_status derive_heads(esm_shape_fn shape, void *ctx, const fg_esm_options *opt,
                              const esm_naming *nm, fg_esm_config *cfg, fg_error *err)
{
    int nd;
    int64_t dims[8];
    int heads = opt && opt->n_heads > 0 ? opt->n_heads : 0;
    if (!heads && has(shape, ctx, nm, ESM_INV_FREQ, 0, &nd, dims) && nd == 1 && dims[0] > 0 &&
        cfg->d_model % (2 * dims[0]) == 0)
        heads = cfg->d_model / (int)(2 * dims[0]);
    if (!heads)
        heads = table_heads(cfg->d_model);
    if (!heads)
        return fg_error_set(err, FG_ERR_CONFIG,
                            "ESM-2 of width %d: the number of heads is not in the tensors "
                            "(no rot_emb.inv_freq) nor a published size; give n_heads",
                            cfg->d_model);
    if (cfg->d_model % heads != 0 || (cfg->d_model / heads) % 2 != 0)
        return fg_error_set(err, FG_ERR_CONFIG, "ESM-2 width %d does not split into %d heads of even size",
                            cfg->d_model, heads);
    cfg->n_heads = heads;
    cfg->head_dim = cfg->d_model / heads;
    return FG_OK;
}

fg_status esm_config_derive(esm_shape_fn shape, void *ctx, const fg_esm_options *opt,
                            fg_esm_config *cfg, esm_naming *nm, fg_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    fg_status st = detect_names(shape, ctx, opt, nm, err);
    if (st != FG_OK)
        return st;
    char name[512];
    if (has(shape, ctx, nm, ESM_POS_EMBED, 0, NULL, NULL) || has(shape, ctx, nm, ESM_LN_BEFORE, 0, NULL, NULL)) {
        esm_tensor_name(nm, ESM_POS_EMBED, 0, name, sizeof name);
        return fg_error_set(err, FG_ERR_UNSUPPORTED,
                            "learned positions or emb_layer_norm_before (ESM-1/ESM-1b style) found "
                            "near '%s': only ESM-2 (rotary) is supported", name);
    }
    int nd;
    int64_t dims[8];
    has(shape, ctx, nm, ESM_EMBED, 0, &nd, dims);
    esm_tensor_name(nm, ESM_EMBED, 0, name, sizeof name);
    if (nd != 2 || dims[0] < 33 || dims[1] < 2 || dims[1] > (1 << 20))
        return fg_error_set(err, FG_ERR_SHAPE, "'%s' must be [vocab >= 33, width]", name);
    cfg->vocab = (int)dims[0];
    cfg->d_model = (int)dims[1];
    while (has(shape, ctx, nm, ESM_WQ, cfg->n_layers, NULL, NULL))
        cfg->n_layers++;
    if (cfg->n_layers < 1 || cfg->n_layers > 512)
        return fg_error_set(err, FG_ERR_SHAPE, "ESM-2 with %d layers (1..512 supported)", cfg->n_layers);
    if (!has(shape, ctx, nm, ESM_W1, 0, &nd, dims) || nd != 2 || dims[0] < 1) {
        esm_tensor_name(nm, ESM_W1, 0, name, sizeof name);
        return fg_error_set(err, FG_ERR_SHAPE, "missing or misshapen FFN weight '%s'", name);
    }
    cfg->d_ffn = (int)dims[0];
    cfg->has_lm_head = has(shape, ctx, nm, ESM_LM_DENSE_W, 0, NULL, NULL);
    cfg->ln_eps = 1e-5f;
    cfg->names = nm->names;
    return derive_heads(shape, ctx, opt, nm, cfg, err);
}
