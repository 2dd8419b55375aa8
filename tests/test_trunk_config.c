/* Trunk config reading: values and defaults, the shipped example config, and
 * every error with the message it must give (key path included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/config_json.h"
#include "framegen/trunk.h"

/* double_pair's params, as its field table fills them (first members). */
typedef struct dp_view {
    int bottleneck_scale;
    bool use_film;
    int time_mlp_hidden_dim;
    double dropout;
} dp_view;

static fg_status parse(const char *json, fg_trunk_config *cfg, fg_error *err)
{
    cJSON *o = cJSON_Parse(json);
    if (!o)
        return fg_error_set(err, FG_ERR_FORMAT, "test JSON does not parse: %s", json);
    fg_status st = fg_trunk_config_read(o, "model.trunk", cfg, err);
    cJSON_Delete(o);
    return st;
}

static void expect_error(fx_suite *s, const char *json, const char *msg)
{
    fg_trunk_config cfg;
    fg_error err = {0};
    fg_status st = parse(json, &cfg, &err);
    fx_ok(s, st == FG_ERR_CONFIG && strcmp(err.msg, msg) == 0 && cfg.n_stages == 0 && !cfg.stages,
          "%s\n         -> \"%s\"", json, err.msg);
    if (st == FG_OK)
        fg_trunk_config_free(&cfg);
}

static void test_values(fx_suite *s)
{
    fg_trunk_config cfg;
    fg_error err = {0};
    fg_status st = parse("{\"post_add_init_embed\": true, \"pre_edge_layer_norm\": true, \"stages\": ["
                         " {\"type\": \"double_pair\", \"num_layers\": 3, \"use_film\": false, \"bottleneck_scale\": 8},"
                         " {\"type\": \"double_pair\", \"num_layers\": 0, \"weights_prefix\": \"\"}]}",
                         &cfg, &err);
    fx_ok(s, st == FG_OK, "valid config reads: %s", st ? err.msg : "ok");
    if (st != FG_OK)
        return;
    const dp_view *p0 = cfg.stages[0].params, *p1 = cfg.stages[1].params;
    fx_ok(s, cfg.post_add_init_embed && cfg.pre_edge_layer_norm && !cfg.pre_add_init_embed &&
             !cfg.post_node_layer_norm, "wrapper flags read, the rest default to false");
    fx_ok(s, cfg.n_stages == 2 && !strcmp(cfg.stages[0].type->name, "double_pair") && cfg.stages[0].num_layers == 3 &&
             cfg.stages[1].num_layers == 0, "stages, types and layer counts");
    fx_ok(s, p0->bottleneck_scale == 8 && !p0->use_film && p0->time_mlp_hidden_dim == 128 && p0->dropout == 0.1,
          "per-type values given and defaulted through the type's field table");
    fx_ok(s, p1->bottleneck_scale == 4 && p1->use_film, "second stage keeps its own defaults");
    fx_ok(s, !cfg.stages[0].has_weights_prefix && cfg.stages[1].has_weights_prefix &&
             cfg.stages[1].weights_prefix[0] == '\0', "weights_prefix: absent vs given empty");
    fg_trunk_config_free(&cfg);
    fx_ok(s, cfg.n_stages == 0 && !cfg.stages, "free leaves an empty config");
}

static void test_example_file(fx_suite *s)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/trunk_double_pair.json", FG_SOURCE_DIR);
    cJSON *root;
    fg_error err = {0};
    fg_status st = fg_json_load_file(path, &root, &err);
    fg_trunk_config cfg;
    if (st == FG_OK) {
        st = fg_trunk_config_read(root, "trunk_double_pair.json", &cfg, &err);
        cJSON_Delete(root);
    }
    fx_ok(s, st == FG_OK && cfg.n_stages == 1 && cfg.post_add_init_embed && cfg.post_node_layer_norm &&
             cfg.post_edge_layer_norm, "configs/trunk_double_pair.json reads: %s", st ? err.msg : "ok");
    if (st == FG_OK)
        fg_trunk_config_free(&cfg);
}

int main(void)
{
    fx_suite s = {"trunk_config", 0, 0};
    test_values(&s);
    test_example_file(&s);

    char known[512], msg[1024];
    fg_block_type_names(known, sizeof known);
    snprintf(msg, sizeof msg, "model.trunk.stages[1].type: unknown block type \"pairformr\" (known: %s)", known);
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1}, {\"type\": \"pairformr\", \"num_layers\": 1}]}",
                 msg);
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"num_heads\": 4}]}",
                 "model.trunk.stages[0].num_heads: unknown key (known: bottleneck_scale, use_film, "
                 "time_mlp_hidden_dim, dropout, type, num_layers, weights_prefix)");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"use_film\": 1}]}",
                 "model.trunk.stages[0].use_film: expected true or false, got a number");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"bottleneck_scale\": 0}]}",
                 "model.trunk.stages[0].bottleneck_scale: 0 is out of range [1, 4096]");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"time_mlp_hidden_dim\": 2.5}]}",
                 "model.trunk.stages[0].time_mlp_hidden_dim: expected an integer, got 2.5");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\"}]}",
                 "model.trunk.stages[0].num_layers: required key is missing");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": -1}]}",
                 "model.trunk.stages[0].num_layers: -1 is out of range [0, 100000]");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": \"two\"}]}",
                 "model.trunk.stages[0].num_layers: expected an integer, got a string");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"weights_prefix\": 3}]}",
                 "model.trunk.stages[0].weights_prefix: expected a string, got a number");
    expect_error(&s, "{\"stages\": [{\"num_layers\": 1}]}", "model.trunk.stages[0].type: required key is missing");
    expect_error(&s, "{\"stages\": [{\"type\": 7, \"num_layers\": 1}]}",
                 "model.trunk.stages[0].type: expected a string naming a block type");
    expect_error(&s, "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"use_film\": true, \"use_film\": false}]}",
                 "model.trunk.stages[0].use_film: key given twice");
    expect_error(&s, "{\"stages\": [\"double_pair\"]}",
                 "model.trunk.stages[0]: expected an object with a \"type\"");
    expect_error(&s, "{\"post_add_init_embed\": true}",
                 "model.trunk.stages: required key is missing (a list of stages, [] for none)");
    expect_error(&s, "{\"stages\": {\"type\": \"double_pair\"}}", "model.trunk.stages: expected an array of stages");
    expect_error(&s, "{\"post_node_ln\": true, \"stages\": []}",
                 "model.trunk.post_node_ln: unknown key (known: pre_add_init_embed, pre_node_layer_norm, "
                 "pre_edge_layer_norm, post_add_init_embed, post_node_layer_norm, post_edge_layer_norm, stages)");
    expect_error(&s, "{\"post_node_layer_norm\": \"yes\", \"stages\": []}",
                 "model.trunk.post_node_layer_norm: expected true or false, got a string");
    expect_error(&s, "[]", "model.trunk: expected an object, got an array");
    return fx_suite_finish(&s);
}
