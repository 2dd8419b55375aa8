/* Experiment configs (fg_config_load): every preset in configs/ loads; paths
 * resolve against the config's directory; bad values give one-line errors
 * that name the key path. Bad configs are the tiny preset with one edit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fixture.h"
#include "framegen/config.h"
#include "framegen/config_json.h"

static const char *const PRESETS[] = {"default", "multiflow", "tiny", "pairformer_ipa", "doublepair_ipa",
                                      "pairbias_ipa", "esm_pairformer_ipa", NULL};

static cJSON *tiny(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/tiny.json", FG_SOURCE_DIR);
    cJSON *root = NULL;
    fg_error err;
    fg_json_load_file(path, &root, &err);
    return root;
}

/* Writes root to a file in dir and loads it. */
static fg_status load(const char *dir, cJSON *root, fg_config *c, fg_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/c.json", dir);
    char *text = cJSON_Print(root);
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
    free(text);
    fg_status st = fg_config_load(path, c, err);
    if (st == FG_OK)
        fg_config_free(c);
    return st;
}

static cJSON *at(cJSON *root, const char *a, const char *b)
{
    cJSON *x = cJSON_GetObjectItemCaseSensitive(root, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static void expect_error(fx_suite *s, const char *dir, cJSON *root, const char *needle, const char *what)
{
    fg_config c;
    fg_error err = {0};
    fg_status st = load(dir, root, &c, &err);
    fx_ok(s, st != FG_OK && strstr(err.msg, needle), "%s -> %s", what, err.msg);
    cJSON_Delete(root);
}

int main(void)
{
    fx_suite s = {"model_config", 0, 0};
    char dir[] = "/tmp/fg_model_config_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    fg_config c;
    fg_error err = {0};
    for (int i = 0; PRESETS[i]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/configs/%s.json", FG_SOURCE_DIR, PRESETS[i]);
        fg_status st = fg_config_load(path, &c, &err);
        fx_ok(&s, st == FG_OK, "preset %s loads %s", PRESETS[i], st == FG_OK ? "" : err.msg);
        if (st != FG_OK)
            continue;
        if (!strcmp(PRESETS[i], "default")) {
            fx_ok(&s, strstr(c.weights, "configs/../models/default/weights.safetensors") != NULL,
                  "weights resolved against the config's directory: %s", c.weights);
            fx_ok(&s, !c.sequence_head_trained && !strncmp(c.status, "early checkpoint", 16) &&
                      c.sampling.num_timesteps == 100 && c.sampling.rots_exp_rate == 10.0 &&
                      c.model.c_s == 128 && c.model.ipa_num_blocks == 4 && c.model.n_torsions == 1,
                  "default: status, untrained sequence head, 100 steps, exp rate 10, c_s 128, 4 blocks, psi");
        }
        if (!strcmp(PRESETS[i], "doublepair_ipa"))
            fx_ok(&s, c.model.trunk.n_stages == 1 && !strcmp(c.model.trunk.stages[0].type->name, "double_pair") &&
                      c.model.trunk.post_add_init_embed && c.model.seq_trunk.n_stages == 1,
                  "reference trunk form: attn_type double -> one double_pair stage, flags kept");
        fg_config_free(&c);
    }
    cJSON *r = tiny();
    fx_ok(&s, r && load(dir, r, &c, &err) == FG_OK, "tiny loads from another directory %s", err.msg);
    cJSON_Delete(r);

    r = tiny(), cJSON_AddStringToObject(r, "colour", "blue");
    expect_error(&s, dir, r, "colour: unknown key", "unknown top-level key");
    r = tiny(), cJSON_AddNumberToObject(at(r, "model", "ipa"), "no_hedas", 4);
    expect_error(&s, dir, r, "model.ipa.no_hedas: unknown key", "typo in the ipa section");
    r = tiny(), cJSON_ReplaceItemInObject(at(r, "model", "ipa"), "no_heads", cJSON_CreateString("four"));
    expect_error(&s, dir, r, "model.ipa.no_heads: expected an integer", "wrong type");
    r = tiny(), cJSON_ReplaceItemInObject(at(r, "model", "node_features"), "c_s", cJSON_CreateNumber(48));
    expect_error(&s, dir, r, "c_s", "node_features.c_s differs from hyper_params.node_embed_size");
    r = tiny(), cJSON_ReplaceItemInObject(at(r, "model", "trunk"), "attn_type", cJSON_CreateString("lstm"));
    cJSON_ReplaceItemInObject(at(r, "model", "trunk"), "num_layers", cJSON_CreateNumber(2));
    expect_error(&s, dir, r, "model.trunk.attn_type: unknown value \"lstm\"", "unknown trunk type");
    r = tiny(), cJSON_ReplaceItemInObject(at(r, "sampling", NULL), "min_t", cJSON_CreateNumber(1.5));
    expect_error(&s, dir, r, "sampling.min_t: 1.5 is out of range", "sampling value out of range");
    r = tiny(), cJSON_DeleteItemFromObject(r, "model");
    expect_error(&s, dir, r, "model: required section is missing", "no model section");
    r = tiny(), cJSON_DeleteItemFromObject(at(r, "model", NULL), "ipa");
    expect_error(&s, dir, r, "model.ipa: required section is missing", "no IPA trunk");
    r = tiny(), cJSON_ReplaceItemInObject(at(r, "model", NULL), "sequence_pred_type", cJSON_CreateString("mpnn"));
    expect_error(&s, dir, r, "model.sequence_pred_type: unknown value", "unknown sequence head");
    fg_status st = fg_config_load("/nonexistent/c.json", &c, &err);
    fx_ok(&s, st == FG_ERR_IO && strstr(err.msg, "/nonexistent/c.json"), "missing file named: %s", err.msg);
    char path[1100];
    snprintf(path, sizeof path, "%s/c.json", dir);
    FILE *fp = fopen(path, "w");
    fputs("{\"name\": \"x\",\n \"model\": {,}}", fp);
    fclose(fp);
    fx_ok(&s, fg_config_load(path, &c, &err) == FG_ERR_CONFIG && strstr(err.msg, "c.json:2:"),
          "syntax error with line and column: %s", err.msg);
    unlink(path);
    rmdir(dir);
    return fx_suite_finish(&s);
}
