/* Experiment config files: top-level keys, the model and sampling sections,
 * and the weights path resolved against the file's directory. */
#include "framegen/config.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "framegen/config_json.h"

static const char *const TOP_KEYS[] = {"name", "description", "status", "weights", "esm_weights",
                                       "sequence_head_trained", "model", "sampling", NULL};

static fg_status read_text(const cJSON *root, const char *file, const char *key, char *dst, size_t len,
                           fg_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    dst[0] = '\0';
    if (!v)
        return FG_OK;
    if (!cJSON_IsString(v))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: %s: expected a string", file, key);
    if (strlen(v->valuestring) >= len)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: %s: longer than %zu characters", file, key, len - 1);
    strcpy(dst, v->valuestring);
    return FG_OK;
}

static fg_status check_keys(const cJSON *root, const char *file, fg_error *err)
{
    if (!cJSON_IsObject(root))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected a JSON object", file);
    for (const cJSON *v = root->child; v; v = v->next) {
        bool known = false;
        for (int i = 0; TOP_KEYS[i] && !known; i++)
            known = !strcmp(v->string, TOP_KEYS[i]);
        if (!known)
            return fg_error_set(err, FG_ERR_CONFIG, "%s: %s: unknown key (known: name, description, status, "
                                "weights, esm_weights, sequence_head_trained, model, sampling)", file, v->string);
    }
    return FG_OK;
}

/* A path relative to the config's directory (absolute paths kept). */
static fg_status resolve(const fg_config *c, const char *key, const char *rel, char *dst, size_t len, fg_error *err)
{
    if (!rel[0] || rel[0] == '/') {
        snprintf(dst, len, "%s", rel);
        return FG_OK;
    }
    const char *slash = strrchr(c->path, '/');
    int dirlen = slash ? (int)(slash - c->path + 1) : 0;
    if (snprintf(dst, len, "%.*s%s", dirlen, c->path, rel) >= (int)len)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: %s: path too long", c->path, key);
    return FG_OK;
}

static fg_status read_all(const cJSON *root, fg_config *c, fg_error *err)
{
    const char *file = c->path;
    char rel[4096];
    fg_status st = check_keys(root, file, err);
    if (st == FG_OK)
        st = read_text(root, file, "name", c->name, sizeof c->name, err);
    if (st == FG_OK)
        st = read_text(root, file, "description", c->description, sizeof c->description, err);
    if (st == FG_OK)
        st = read_text(root, file, "status", c->status, sizeof c->status, err);
    if (st == FG_OK)
        st = read_text(root, file, "weights", rel, sizeof rel, err);
    if (st == FG_OK)
        st = resolve(c, "weights", rel, c->weights, sizeof c->weights, err);
    if (st == FG_OK)
        st = read_text(root, file, "esm_weights", rel, sizeof rel, err);
    if (st == FG_OK)
        st = resolve(c, "esm_weights", rel, c->esm_weights, sizeof c->esm_weights, err);
    if (st != FG_OK)
        return st;
    const cJSON *trained = cJSON_GetObjectItemCaseSensitive(root, "sequence_head_trained");
    if (trained && !cJSON_IsBool(trained))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: sequence_head_trained: expected true or false", file);
    c->sequence_head_trained = !trained || cJSON_IsTrue(trained);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!model)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: model: required section is missing", file);
    c->sampling = fg_sampler_default_config();
    const cJSON *sampling = cJSON_GetObjectItemCaseSensitive(root, "sampling");
    if (sampling && (st = fg_json_read_fields(sampling, "sampling", fg_sampler_fields, fg_sampler_n_fields, NULL,
                                              &c->sampling, err)) != FG_OK)
        return st;
    return fg_model_config_read(model, "model", &c->model, err);
}

fg_status fg_config_load(const char *path, fg_config *c, fg_error *err)
{
    memset(c, 0, sizeof *c);
    if (snprintf(c->path, sizeof c->path, "%s", path) >= (int)sizeof c->path)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: path too long", path);
    cJSON *root;
    fg_status st = fg_json_load_file(path, &root, err);
    if (st != FG_OK)
        return st;
    st = read_all(root, c, err);
    cJSON_Delete(root);
    if (st != FG_OK) {
        if (strncmp(err->msg, path, strlen(path)) != 0)
            fg_error_prefix(err, "%s", path);
        fg_model_config_free(&c->model);
    }
    return st;
}

void fg_config_free(fg_config *c) { fg_model_config_free(&c->model); }
