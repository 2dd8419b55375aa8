/* The reference's trunk sections ({attn_type, num_layers, node_dim, edge_dim,
 * pre/post flags}, block settings under model.attention) as a framegen trunk
 * config (one stage). A section with "stages" is framegen's own form and is
 * read as it is. */
#include "trunk_reference.h"

#include <stdio.h>
#include <string.h>

#include "framegen/config_json.h"

/* attn_type -> block type and its settings under model.attention. */
static const struct {
    const char *attn_type, *block, *attention_key;
} KINDS[] = {
    {"pairformer", "pairformer", "pairformer"},
    {"pairformer_noseq", "pairformer_noseq", "pairformer"},
    {"pair_bias", "pair_bias", "pair_bias"},
    {"double", "double_pair", "double_attention_pair"},
    {"ipa", "ipa", "ipa"},
};

static const char *const FLAGS[] = {"pre_add_init_embed", "pre_node_layer_norm", "pre_edge_layer_norm",
                                    "post_add_init_embed", "post_node_layer_norm", "post_edge_layer_norm"};

/* Copies the keys of src that the block type takes into stage. */
static void copy_known(cJSON *stage, const cJSON *src, const fg_block_type *t)
{
    for (const cJSON *v = src ? src->child : NULL; v; v = v->next)
        if (fg_fields_find(t->fields, t->n_fields, v->string) && !cJSON_GetObjectItemCaseSensitive(stage, v->string))
            cJSON_AddItemToObject(stage, v->string, cJSON_Duplicate(v, 1));
}

static fg_status check_dims(const cJSON *sec, const char *path, int c_s, int c_z, fg_error *err)
{
    const char *keys[2] = {"node_dim", "edge_dim"};
    int want[2] = {c_s, c_z};
    for (int k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, keys[k]);
        if (v && (!cJSON_IsNumber(v) || v->valueint != want[k]))
            return fg_error_set(err, FG_ERR_CONFIG, "%s.%s: expected %d (the model width)", path, keys[k], want[k]);
    }
    return FG_OK;
}

/* The stage of a reference section; NULL stage when it has no layers. */
static fg_status reference_stage(const cJSON *sec, const cJSON *attention, const char *path, cJSON **stage,
                                 fg_error *err)
{
    *stage = NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(sec, "attn_type");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(sec, "num_layers");
    if (!cJSON_IsString(type))
        return fg_error_set(err, FG_ERR_CONFIG, "%s.attn_type: expected a string", path);
    if (n && (!cJSON_IsNumber(n) || n->valuedouble != (int)n->valuedouble || n->valueint < 0))
        return fg_error_set(err, FG_ERR_CONFIG, "%s.num_layers: expected an integer >= 0", path);
    if (!strcmp(type->valuestring, "none") || !n || n->valueint == 0)
        return FG_OK;
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++) {
        if (strcmp(type->valuestring, KINDS[k].attn_type) != 0)
            continue;
        const fg_block_type *t = fg_block_type_find(KINDS[k].block);
        if (!t)
            return fg_error_set(err, FG_ERR_UNSUPPORTED, "%s.attn_type: block type \"%s\" is not built in", path,
                                KINDS[k].block);
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "type", KINDS[k].block);
        cJSON_AddNumberToObject(st, "num_layers", n->valueint);
        const cJSON *settings = cJSON_GetObjectItemCaseSensitive(attention, KINDS[k].attention_key);
        if (!strcmp(KINDS[k].block, "pairformer")) /* node attention settings live one level down */
            copy_known(st, cJSON_GetObjectItemCaseSensitive(settings, "attention_pair_bias"), t);
        if (!strcmp(KINDS[k].block, "ipa")) { /* the reference's enrichment-only IPA trunk */
            cJSON_AddBoolToObject(st, "backbone_update", false);
            cJSON_AddStringToObject(st, "edge_transition", "on");
        }
        copy_known(st, settings, t);
        *stage = st;
        return FG_OK;
    }
    return fg_error_set(err, FG_ERR_CONFIG, "%s.attn_type: unknown value \"%s\" (known: pairformer, "
                        "pairformer_noseq, pair_bias, double, ipa, none)", path, type->valuestring);
}

static fg_status from_reference(const cJSON *sec, const cJSON *attention, const char *path, int c_s, int c_z,
                                fg_trunk_config *cfg, fg_error *err)
{
    static const char *const known[] = {"attn_type", "num_layers", "node_dim", "edge_dim", NULL};
    for (const cJSON *v = sec->child; v; v = v->next) {
        bool ok = false;
        for (int k = 0; known[k] && !ok; k++)
            ok = !strcmp(v->string, known[k]);
        for (size_t k = 0; k < sizeof FLAGS / sizeof FLAGS[0] && !ok; k++)
            ok = !strcmp(v->string, FLAGS[k]);
        if (!ok)
            return fg_error_set(err, FG_ERR_CONFIG, "%s.%s: unknown key (a reference trunk section takes "
                                "attn_type, num_layers, node_dim, edge_dim and the pre/post flags)", path, v->string);
    }
    fg_status st = check_dims(sec, path, c_s, c_z, err);
    cJSON *stage = NULL;
    if (st == FG_OK)
        st = reference_stage(sec, attention, path, &stage, err);
    if (st != FG_OK)
        return st;
    cJSON *obj = cJSON_CreateObject();
    for (size_t k = 0; k < sizeof FLAGS / sizeof FLAGS[0]; k++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(sec, FLAGS[k]);
        if (f)
            cJSON_AddItemToObject(obj, FLAGS[k], cJSON_Duplicate(f, 1));
    }
    cJSON *stages = cJSON_AddArrayToObject(obj, "stages");
    if (stage)
        cJSON_AddItemToArray(stages, stage);
    st = fg_trunk_config_read(obj, path, cfg, err);
    cJSON_Delete(obj);
    return st;
}

fg_status fg_trunk_section_read(const cJSON *model, const char *key, const char *path, int c_s, int c_z,
                                fg_trunk_config *cfg, fg_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    char kp[256];
    fg_json_path_key(kp, sizeof kp, path, key);
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(model, key);
    if (!sec)
        return FG_OK; /* no trunk */
    if (!cJSON_IsObject(sec))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected an object", kp);
    if (cJSON_GetObjectItemCaseSensitive(sec, "stages"))
        return fg_trunk_config_read(sec, kp, cfg, err);
    return from_reference(sec, cJSON_GetObjectItemCaseSensitive(model, "attention"), kp, c_s, c_z, cfg, err);
}
