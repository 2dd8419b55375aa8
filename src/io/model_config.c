/* The "model" section of a config (reference ModelConfig keys) -> fg_model_config. */
#include "framegen/model_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "framegen/config_json.h"
#include "trunk_reference.h"

/* Model-level scalars. */
typedef struct top_fields {
    bool predict_psi_torsions, predict_all_torsions;
    int num_recycles;
    int sequence_pred_type;
} top_fields;

static const char *const SEQ_PRED[] = {"aa_pred", "noop", NULL};
static const fg_field TOP[] = {
    FG_FIELD_BOOL_(top_fields, predict_psi_torsions, false, "torsion head with psi only"),
    FG_FIELD_BOOL_(top_fields, predict_all_torsions, false, "torsion head with all 7 torsions"),
    FG_FIELD_INT_(top_fields, num_recycles, 0, 0, 64, "extra passes through trunk + IPA trunk"),
    FG_FIELD_ENUM_(top_fields, sequence_pred_type, FG_SEQ_PRED_AA, SEQ_PRED, "sequence head: aa_pred or noop"),
};
static const char *const TOP_SECTIONS[] = {"hyper_params", "node_features", "edge_features", "esm_combiner",
                                           "attention", "trunk", "ipa", "seq_trunk", "aa_pred", "bfactor",
                                           "plddt", "pae", NULL};

typedef struct hyper_fields {
    int node_embed_size, edge_embed_size;
} hyper_fields;
static const fg_field HYPER[] = {
    FG_FIELD_INT_(hyper_fields, node_embed_size, 256, 1, 65536, "node width c_s"),
    FG_FIELD_INT_(hyper_fields, edge_embed_size, 128, 1, 65536, "edge width c_z"),
};
/* Upstream keys of hyper_params that only feed other sections' defaults. */
static const char *const HYPER_UNUSED[] = {"aa_num_tokens", "pos_embed_size", "pos_embed_method",
                                           "pos_embed_max_len", "timestep_embed_size", "num_recycles",
                                           "trunk_num_layers", "ipa_num_layers", "seq_trunk_num_layers", NULL};

typedef struct width_head {
    bool enabled;
    int width;        /* c_s or c_z of the head's input */
    int num_bins;
} width_head;
static const fg_field HEAD_S[] = {
    {"enabled", FG_FIELD_BOOL, offsetof(width_head, enabled), 0, 0, 1, NULL, NULL, 0, "head present"},
    {"c_s", FG_FIELD_INT, offsetof(width_head, width), 0, 0, 65536, NULL, NULL, 0, "input width (= c_s)"},
    {"num_bins", FG_FIELD_INT, offsetof(width_head, num_bins), 64, 1, 4096, NULL, NULL, 0, "output bins"},
};
static const fg_field HEAD_Z[] = {
    {"enabled", FG_FIELD_BOOL, offsetof(width_head, enabled), 0, 0, 1, NULL, NULL, 0, "head present"},
    {"c_z", FG_FIELD_INT, offsetof(width_head, width), 0, 0, 65536, NULL, NULL, 0, "input width (= c_z)"},
    {"num_bins", FG_FIELD_INT, offsetof(width_head, num_bins), 64, 1, 4096, NULL, NULL, 0, "output bins"},
};

typedef struct aa_fields {
    int c_s, aatype_pred_num_tokens;
} aa_fields;
static const fg_field AA[] = {
    FG_FIELD_INT_(aa_fields, c_s, 0, 0, 65536, "input width (= c_s)"),
    FG_FIELD_INT_(aa_fields, aatype_pred_num_tokens, 21, 21, 21, "logits: 20 amino acids + mask"),
};

static const cJSON *section(const cJSON *obj, const char *key) { return cJSON_GetObjectItemCaseSensitive(obj, key); }

static fg_status check_width(const char *path, const char *sec, const char *key, int got, int want, fg_error *err)
{
    if (got == 0 || got == want)
        return FG_OK;
    return fg_error_set(err, FG_ERR_CONFIG, "%s.%s.%s: %d differs from the model width %d", path, sec, key, got,
                        want);
}

static fg_status read_head(const cJSON *obj, const char *path, const char *key, const fg_field *f, int want,
                           int def_bins, fg_head_config *out, fg_error *err)
{
    width_head h;
    char kp[256];
    fg_json_path_key(kp, sizeof kp, path, key);
    const cJSON *sec = section(obj, key);
    fg_fields_defaults(f, 3, &h);
    h.num_bins = def_bins;
    if (sec) {
        fg_status st = fg_json_read_fields(sec, kp, f, 3, NULL, &h, err);
        if (st != FG_OK)
            return st;
        if (!cJSON_GetObjectItemCaseSensitive(sec, "num_bins"))
            h.num_bins = def_bins;
        if ((st = check_width(path, key, f[1].key, h.width, want, err)) != FG_OK)
            return st;
    }
    out->enabled = h.enabled;
    out->num_bins = h.num_bins;
    return FG_OK;
}

#define ES fg_esm_combiner_section
static const fg_field ESM[] = {
    FG_FIELD_BOOL_(ES, enabled, false, "frozen ESM-2 + combiner"),
    FG_FIELD_BOOL_(ES, only_single, true, "single representations only (no attention-map pair branch)"),
    FG_FIELD_INT_(ES, node_embed_size, 0, 0, 65536, "= c_s"),
    FG_FIELD_INT_(ES, edge_embed_size, 0, 0, 65536, "= c_z"),
    FG_FIELD_INT_(ES, esm_proj_single_dim, 0, 0, 65536, "= c_s"),
    FG_FIELD_INT_(ES, esm_proj_pair_dim, 0, 0, 65536, "= c_z"),
    FG_FIELD_INT_(ES, mlp_proj_hidden_dim, 0, 0, 65536, "combiner MLP width (checked against the weights)"),
    FG_FIELD_STRING_(ES, esm_model_key, "", "which ESM-2 (informational; its weights are given separately)"),
    FG_FIELD_STRING_(ES, precision, "32", "float32 only"),
};
#undef ES

static fg_status read_esm(const cJSON *obj, const char *path, fg_model_config *c, fg_error *err)
{
    char kp[256];
    fg_json_path_key(kp, sizeof kp, path, "esm_combiner");
    const cJSON *sec = section(obj, "esm_combiner");
    fg_fields_defaults(ESM, sizeof ESM / sizeof ESM[0], &c->esm);
    if (!sec)
        return FG_OK;
    fg_status st = fg_json_read_fields(sec, kp, ESM, sizeof ESM / sizeof ESM[0], NULL, &c->esm, err);
    if (st != FG_OK || !c->esm.enabled)
        return st;
    if (strcmp(c->esm.precision, "32") != 0)
        return fg_error_set(err, FG_ERR_UNSUPPORTED, "%s.precision: only \"32\" is supported", kp);
    if ((st = check_width(path, "esm_combiner", "node_embed_size", c->esm.node_embed_size, c->c_s, err)) != FG_OK ||
        (st = check_width(path, "esm_combiner", "esm_proj_single_dim", c->esm.esm_proj_single_dim, c->c_s, err)) !=
            FG_OK ||
        (st = check_width(path, "esm_combiner", "edge_embed_size", c->esm.edge_embed_size, c->c_z, err)) != FG_OK)
        return st;
    return c->esm.only_single ? FG_OK
                              : check_width(path, "esm_combiner", "esm_proj_pair_dim", c->esm.esm_proj_pair_dim, c->c_z, err);
}

bool fg_trunk_config_enabled(const fg_trunk_config *t)
{
    for (int i = 0; i < t->n_stages; i++)
        if (t->stages[i].num_layers > 0)
            return true;
    return false;
}

static fg_status read_ipa(const cJSON *obj, const char *path, fg_model_config *c, fg_error *err)
{
    char kp[256];
    fg_json_path_key(kp, sizeof kp, path, "ipa");
    c->ipa_type = fg_block_type_find("ipa");
    if (!c->ipa_type)
        return fg_error_set(err, FG_ERR_UNSUPPORTED, "%s: block type \"ipa\" is not built in", kp);
    c->ipa_params = calloc(1, c->ipa_type->params_size);
    if (!c->ipa_params)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", kp);
    const cJSON *sec = section(obj, "ipa");
    if (!sec)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: required section is missing", kp);
    static const char *const extra[] = {"c_s", "c_z", "num_blocks", NULL};
    fg_status st = fg_json_read_fields(sec, kp, c->ipa_type->fields, c->ipa_type->n_fields, extra, c->ipa_params, err);
    if (st != FG_OK)
        return st;
    const cJSON *nb = cJSON_GetObjectItemCaseSensitive(sec, "num_blocks");
    if (!cJSON_IsNumber(nb) || nb->valuedouble != (int)nb->valuedouble || nb->valueint < 1 || nb->valueint > 256)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.num_blocks: expected an integer in [1, 256]", kp);
    c->ipa_num_blocks = nb->valueint;
    const char *wk[] = {"c_s", "c_z"};
    int want[] = {c->c_s, c->c_z};
    for (int k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, wk[k]);
        if (v && (!cJSON_IsNumber(v) || v->valueint != want[k]))
            return fg_error_set(err, FG_ERR_CONFIG, "%s.%s: expected %d (the model width)", kp, wk[k], want[k]);
    }
    return FG_OK;
}

static fg_status read_sections(const cJSON *obj, const char *path, fg_model_config *c, fg_error *err)
{
    char kp[256];
    hyper_fields h;
    fg_json_path_key(kp, sizeof kp, path, "hyper_params");
    const cJSON *hp = section(obj, "hyper_params");
    if (!hp)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: required section is missing", kp);
    fg_status st = fg_json_read_fields(hp, kp, HYPER, 2, HYPER_UNUSED, &h, err);
    if (st != FG_OK)
        return st;
    c->c_s = h.node_embed_size;
    c->c_z = h.edge_embed_size;
    fg_json_path_key(kp, sizeof kp, path, "node_features");
    if ((st = fg_node_features_read(section(obj, "node_features"), kp, &c->node, err)) != FG_OK)
        return st;
    fg_json_path_key(kp, sizeof kp, path, "edge_features");
    if ((st = fg_edge_features_read(section(obj, "edge_features"), kp, &c->edge, err)) != FG_OK)
        return st;
    if ((st = fg_features_check_dims(&c->node, &c->edge, c->c_s, c->c_z, path, err)) != FG_OK)
        return st;
    if ((st = read_esm(obj, path, c, err)) != FG_OK ||
        (st = fg_trunk_section_read(obj, "trunk", path, c->c_s, c->c_z, &c->trunk, err)) != FG_OK ||
        (st = fg_trunk_section_read(obj, "seq_trunk", path, c->c_s, c->c_z, &c->seq_trunk, err)) != FG_OK)
        return st;
    if ((st = read_ipa(obj, path, c, err)) != FG_OK)
        return st;
    aa_fields aa;
    fg_json_path_key(kp, sizeof kp, path, "aa_pred");
    fg_fields_defaults(AA, 2, &aa);
    if (section(obj, "aa_pred") && (st = fg_json_read_fields(section(obj, "aa_pred"), kp, AA, 2, NULL, &aa, err)) != FG_OK)
        return st;
    if ((st = check_width(path, "aa_pred", "c_s", aa.c_s, c->c_s, err)) != FG_OK)
        return st;
    c->aa_num_tokens = aa.aatype_pred_num_tokens;
    if ((st = read_head(obj, path, "bfactor", HEAD_S, c->c_s, 64, &c->bfactor, err)) != FG_OK ||
        (st = read_head(obj, path, "plddt", HEAD_S, c->c_s, 50, &c->plddt, err)) != FG_OK ||
        (st = read_head(obj, path, "pae", HEAD_Z, c->c_z, 64, &c->pae, err)) != FG_OK)
        return st;
    return FG_OK;
}

fg_status fg_model_config_read(const cJSON *obj, const char *path, fg_model_config *c, fg_error *err)
{
    memset(c, 0, sizeof *c);
    top_fields t;
    fg_status st = fg_json_read_fields(obj, path, TOP, sizeof TOP / sizeof TOP[0], TOP_SECTIONS, &t, err);
    if (st == FG_OK)
        st = read_sections(obj, path, c, err);
    if (st != FG_OK) {
        fg_model_config_free(c);
        return st;
    }
    c->n_torsions = t.predict_all_torsions ? 7 : t.predict_psi_torsions ? 1 : 0;
    c->num_recycles = t.num_recycles;
    c->sequence_pred_type = t.sequence_pred_type;
    return FG_OK;
}

void fg_model_config_free(fg_model_config *c)
{
    free(c->ipa_params);
    c->ipa_params = NULL;
    fg_trunk_config_free(&c->trunk);
    fg_trunk_config_free(&c->seq_trunk);
}
