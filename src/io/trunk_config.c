/* Trunk config: the wrapper's flags and a list of stages, each a registered
 * block type with its own field table. All messages name the key path. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "framegen/config_json.h"
#include "framegen/trunk.h"

static const fg_field TRUNK_FIELDS[] = {
    FG_FIELD_BOOL_(fg_trunk_config, pre_add_init_embed, false,
                   "average node/edge features with the initial embeddings (masked) before the blocks"),
    FG_FIELD_BOOL_(fg_trunk_config, pre_node_layer_norm, false, "LayerNorm of the node features before the blocks"),
    FG_FIELD_BOOL_(fg_trunk_config, pre_edge_layer_norm, false, "LayerNorm of the edge features before the blocks"),
    FG_FIELD_BOOL_(fg_trunk_config, post_add_init_embed, false,
                   "average node/edge features with the initial embeddings (masked) after the blocks"),
    FG_FIELD_BOOL_(fg_trunk_config, post_node_layer_norm, false, "LayerNorm of the node features after the blocks"),
    FG_FIELD_BOOL_(fg_trunk_config, post_edge_layer_norm, false, "LayerNorm of the edge features after the blocks"),
};
#define N_TRUNK_FIELDS (sizeof TRUNK_FIELDS / sizeof TRUNK_FIELDS[0])

/* Keys every stage takes besides its type's hyperparameters. */
typedef struct stage_common {
    int num_layers;
    char weights_prefix[FG_FIELD_STR_MAX];
} stage_common;

static const fg_field STAGE_FIELDS[] = {
    {"num_layers", FG_FIELD_INT, offsetof(stage_common, num_layers), 0, 0, 100000, NULL, NULL, 1,
     "layers of this type, in sequence"},
    FG_FIELD_STRING_(stage_common, weights_prefix, "",
                     "weight names of the stage below the trunk's prefix (default: trunk. for stage 0)"),
};
#define N_STAGE_FIELDS (sizeof STAGE_FIELDS / sizeof STAGE_FIELDS[0])

static const char *const STAGE_KEYS[] = {"type", "num_layers", "weights_prefix", NULL};

const fg_field *fg_trunk_config_fields(size_t *n)
{
    *n = N_TRUNK_FIELDS;
    return TRUNK_FIELDS;
}

void fg_trunk_config_free(fg_trunk_config *cfg)
{
    for (int i = 0; i < cfg->n_stages; i++)
        free(cfg->stages[i].params);
    free(cfg->stages);
    memset(cfg, 0, sizeof *cfg);
}

static fg_trunk_stage *append_stage(fg_trunk_config *cfg, const fg_block_type *type, fg_error *err)
{
    fg_trunk_stage *s = realloc(cfg->stages, sizeof *s * (size_t)(cfg->n_stages + 1));
    if (!s)
        return fg_error_set(err, FG_ERR_NOMEM, "trunk config: out of memory"), NULL;
    cfg->stages = s;
    s += cfg->n_stages;
    memset(s, 0, sizeof *s);
    s->type = type;
    s->params = calloc(1, type->params_size ? type->params_size : 1);
    if (!s->params)
        return fg_error_set(err, FG_ERR_NOMEM, "trunk config: out of memory"), NULL;
    cfg->n_stages++;
    fg_fields_defaults(type->fields, type->n_fields, s->params);
    return s;
}

fg_status fg_trunk_config_add_stage(fg_trunk_config *cfg, const fg_block_type *type, int num_layers, fg_error *err)
{
    fg_trunk_stage *s = append_stage(cfg, type, err);
    if (!s)
        return FG_ERR_NOMEM;
    s->num_layers = num_layers;
    return FG_OK;
}

/* The stage's block type from its "type" key. */
static fg_status stage_type(const cJSON *obj, const char *path, const fg_block_type **out, fg_error *err)
{
    char kp[512], known[1024];
    fg_json_path_key(kp, sizeof kp, path, "type");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    if (!t)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: required key is missing", kp);
    if (!cJSON_IsString(t))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected a string naming a block type", kp);
    *out = fg_block_type_find(t->valuestring);
    if (!*out) {
        fg_block_type_names(known, sizeof known);
        return fg_error_set(err, FG_ERR_CONFIG, "%s: unknown block type \"%s\" (known: %s)", kp, t->valuestring,
                            known);
    }
    return FG_OK;
}

static fg_status read_stage(const cJSON *obj, const char *path, fg_trunk_config *cfg, fg_error *err)
{
    if (!cJSON_IsObject(obj))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected an object with a \"type\"", path);
    const fg_block_type *type;
    fg_status st = stage_type(obj, path, &type, err);
    if (st != FG_OK)
        return st;
    /* The common keys through their own table, on a view holding only them. */
    cJSON *common = cJSON_CreateObject();
    if (!common)
        return fg_error_set(err, FG_ERR_NOMEM, "trunk config: out of memory");
    for (int i = 1; STAGE_KEYS[i]; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, STAGE_KEYS[i]);
        if (v && !cJSON_AddItemReferenceToObject(common, STAGE_KEYS[i], v)) {
            cJSON_Delete(common);
            return fg_error_set(err, FG_ERR_NOMEM, "trunk config: out of memory");
        }
    }
    stage_common sc;
    st = fg_json_read_fields(common, path, STAGE_FIELDS, N_STAGE_FIELDS, NULL, &sc, err);
    cJSON_Delete(common);
    if (st != FG_OK)
        return st;
    fg_trunk_stage *s = append_stage(cfg, type, err);
    if (!s)
        return FG_ERR_NOMEM;
    s->num_layers = sc.num_layers;
    s->has_weights_prefix = cJSON_GetObjectItemCaseSensitive(obj, "weights_prefix") != NULL;
    memcpy(s->weights_prefix, sc.weights_prefix, sizeof s->weights_prefix);
    /* Everything else must be a hyperparameter of this type. */
    return fg_json_read_fields(obj, path, type->fields, type->n_fields, STAGE_KEYS, s->params, err);
}

fg_status fg_trunk_config_read(const cJSON *obj, const char *path, fg_trunk_config *cfg, fg_error *err)
{
    static const char *const extra[] = {"stages", NULL};
    char kp[512];
    memset(cfg, 0, sizeof *cfg);
    fg_status st = fg_json_read_fields(obj, path, TRUNK_FIELDS, N_TRUNK_FIELDS, extra, cfg, err);
    if (st != FG_OK)
        return st;
    fg_json_path_key(kp, sizeof kp, path, "stages");
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(obj, "stages");
    if (!stages)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: required key is missing (a list of stages, [] for none)", kp);
    if (!cJSON_IsArray(stages))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected an array of stages", kp);
    int i = 0;
    for (const cJSON *s = stages->child; s; s = s->next, i++) {
        char sp[512];
        fg_json_path_index(sp, sizeof sp, kp, i);
        st = read_stage(s, sp, cfg, err);
        if (st != FG_OK) {
            fg_trunk_config_free(cfg);
            return st;
        }
    }
    return FG_OK;
}
