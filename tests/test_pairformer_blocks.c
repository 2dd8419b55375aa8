/* The Pairformer-family block types: parity with the pairformer_layer,
 * pairformer_module and pairformer_noseq cases and with attention_pair_bias
 * run as a "pair_bias" trunk layer; creation through the registry from a
 * config-like JSON object; bad config keys and values; missing and misshapen
 * tensors; results independent of the thread count. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/pairformer_modules.h"
#include "fixture.h"
#include "framegen/block.h"
#include "framegen/config_json.h"
#include "framegen/ops.h"
#include "framegen/rng.h"
#include "framegen/trunk.h"

static const char *const STAGE_KEYS[] = {"type", "num_layers", NULL};

#define MSG(e) ((e).msg[0] ? (e).msg : "ok")

/* params <- JSON text through the type's field table (what the trunk parser does). */
static fg_status read_params(const fg_block_type *t, const char *json, void *params, fg_error *err)
{
    cJSON *obj = cJSON_Parse(json);
    if (!obj)
        return fg_error_set(err, FG_ERR_CONFIG, "bad test JSON");
    fg_status st = fg_json_read_fields(obj, "trunk[0]", t->fields, t->n_fields, STAGE_KEYS, params, err);
    cJSON_Delete(obj);
    return st;
}

/* The case's Pairformer hyperparameters as a stage config object. */
static void case_config(fx_case *c, char *buf, size_t len, int with_seq)
{
    if (with_seq)
        snprintf(buf, len,
                 "{\"type\": \"pairformer\", \"num_layers\": 2, \"num_heads\": %d, \"pairwise_head_width\": %d,"
                 " \"pairwise_num_heads\": %d, \"post_layer_norm\": %s, \"dropout\": %g}",
                 (int)fx_hp_num(c, "attention_pair_bias.num_heads", 0), (int)fx_hp_num(c, "pairwise_head_width", 0),
                 (int)fx_hp_num(c, "pairwise_num_heads", 0), fx_hp_bool(c, "post_layer_norm", 0) ? "true" : "false",
                 fx_hp_num(c, "dropout", 0));
    else
        snprintf(buf, len,
                 "{\"type\": \"pairformer_noseq\", \"pairwise_head_width\": %d, \"pairwise_num_heads\": %d,"
                 " \"dropout\": %g, \"checkpointing\": true}",
                 (int)fx_hp_num(c, "pairwise_head_width", 0), (int)fx_hp_num(c, "pairwise_num_heads", 0),
                 fx_hp_num(c, "dropout", 0));
}

typedef struct inputs {
    int B, N;
    float *s, *z, *node_mask, *edge_mask;
} inputs;

static int load_inputs(fx_case *c, inputs *in, int with_seq)
{
    int64_t shape[8];
    memset(in, 0, sizeof *in);
    if (fx_shape(c, "input.edge_embed", shape) != 4)
        return 0;
    in->B = (int)shape[0];
    in->N = (int)shape[1];
    in->z = fx_f32(c, "input.edge_embed");
    in->edge_mask = fx_f32(c, "input.edge_mask");
    if (with_seq) {
        in->s = fx_f32(c, "input.node_embed");
        in->node_mask = fx_f32(c, "input.node_mask");
    }
    return in->z && in->edge_mask && (!with_seq || (in->s && in->node_mask));
}

static void free_inputs(inputs *in) { free(in->s), free(in->z), free(in->node_mask), free(in->edge_mask); }

static fg_block_io make_io(inputs *in, fg_arena *a)
{
    fg_block_io io = {0};
    io.B = in->B;
    io.N = in->N;
    io.s = in->s;
    io.z = in->z;
    io.node_mask = in->node_mask;
    io.edge_mask = in->edge_mask;
    io.scratch = a;
    return io;
}

static void check_outputs(fx_case *c, inputs *in, int with_seq)
{
    if (with_seq)
        fx_check(c, "output.node_embed", in->s, fx_numel(c, "output.node_embed"));
    fx_check(c, "output.edge_embed", in->z, fx_numel(c, "output.edge_embed"));
}

static int case_pairformer_layer(void)
{
    fx_case c;
    if (fx_open(&c, "pairformer_layer") != 0)
        return 1;
    const fg_block_type *t = fg_block_type_find("pairformer");
    fg_pairformer_params hp;
    fg_error err = {0};
    char cfg[512];
    case_config(&c, cfg, sizeof cfg, 1);
    inputs in;
    if (fx_expect(&c, t && read_params(t, cfg, &hp, &err) == FG_OK, "config: %s", MSG(err)) &&
        load_inputs(&c, &in, 1)) {
        fg_block_dims dims = {(int)fx_hp_num(&c, "node_dim", 0), (int)fx_hp_num(&c, "edge_dim", 0)};
        fg_pairformer_layer layer;
        fg_wload l;
        fg_wload_init(&l, fx_params(&c), &err, "%s", ""); /* a bare PairformerLayer: no layers.<i>. */
        if (fx_expect(&c, fg_pairformer_layer_init(&layer, &l, &dims, &hp) == FG_OK, "load: %s", MSG(err))) {
            fg_arena a;
            fg_arena_init(&a, 0);
            fg_block_io io = make_io(&in, &a);
            fx_expect(&c, fg_pairformer_layer_forward(&layer, &io, &err) == FG_OK, "forward: %s", MSG(err));
            fx_expect(&c, a.in_use == 0, "scratch restored");
            check_outputs(&c, &in, 1);
            fg_arena_free(&a);
        }
        fg_pairformer_layer_free(&layer);
        free_inputs(&in);
    }
    return fx_finish(&c);
}

/* A stage of the registry type `type` with num_layers layers under prefix "" (the module's own state_dict). */
static int case_stage(const char *name, const char *type, int with_seq, int num_layers)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    const fg_block_type *t = fg_block_type_find(type);
    fg_error err = {0};
    fg_pairformer_params hp;
    char cfg[512];
    case_config(&c, cfg, sizeof cfg, with_seq);
    inputs in;
    if (fx_expect(&c, t && read_params(t, cfg, &hp, &err) == FG_OK, "config: %s", MSG(err)) &&
        load_inputs(&c, &in, with_seq)) {
        fg_block_dims dims = {(int)fx_hp_num(&c, "node_dim", 0), (int)fx_hp_num(&c, "edge_dim", 0)};
        fg_arena a;
        fg_arena_init(&a, 0);
        fg_block_io io = make_io(&in, &a);
        for (int i = 0; i < num_layers; i++) {
            void *blk = NULL;
            if (!fx_expect(&c, t->create(&hp, &dims, fx_params(&c), "", i, &blk, &err) == FG_OK,
                           "create layer %d: %s", i, MSG(err)))
                break;
            fx_expect(&c, t->forward(blk, &io, &err) == FG_OK, "forward layer %d: %s", i, MSG(err));
            fx_expect(&c, t->flops(blk, in.B, in.N) > 0, "flops reported");
            t->destroy(blk);
        }
        fx_expect(&c, a.in_use == 0, "scratch restored");
        check_outputs(&c, &in, with_seq);
        fg_arena_free(&a);
        free_inputs(&in);
    }
    return fx_finish(&c);
}

/* attention_pair_bias's weights as layer 0 of a "pair_bias" stage: the trunk
 * replaces s by the module's output, so the new s must equal output.update. */
static int case_pair_bias_trunk(void)
{
    fx_case c;
    if (fx_open(&c, "attention_pair_bias") != 0)
        return 1;
    fg_error err = {0};
    fg_weights *w = NULL;
    fg_weights *src = fx_params(&c);
    fx_expect(&c, fg_weights_create(&w, &err) == FG_OK, "store");
    for (size_t i = 0; w && src && i < fg_weights_count(src); i++) {
        char name[512];
        int nd;
        int64_t shape[8];
        fg_tensor tt;
        snprintf(name, sizeof name, "seq_trunk.trunk.layers.0.%s", fg_weights_name_at(src, i));
        fg_weights_shape_at(src, i, &nd, shape);
        fg_weights_find(src, fg_weights_name_at(src, i), &tt, &err);
        fg_weights_add(w, name, nd, shape, tt.data, &err);
    }
    const fg_block_type *t = fg_block_type_find("pair_bias");
    fg_pair_bias_params hp;
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{\"type\": \"pair_bias\", \"num_layers\": 1, \"num_heads\": %d}",
             (int)fx_hp_num(&c, "num_heads", 0));
    void *blk = NULL;
    fg_block_dims dims = {(int)fx_hp_num(&c, "node_dim", 0), (int)fx_hp_num(&c, "edge_dim", 0)};
    if (fx_expect(&c, t && read_params(t, cfg, &hp, &err) == FG_OK, "config: %s", MSG(err)) &&
        fx_expect(&c, t->create(&hp, &dims, w, "seq_trunk.trunk.", 0, &blk, &err) == FG_OK, "create: %s",
                  MSG(err))) {
        int64_t shape[8];
        fx_shape(&c, "input.edge_embed", shape);
        inputs in = {(int)shape[0], (int)shape[1], fx_f32(&c, "input.node_embed"), fx_f32(&c, "input.edge_embed"),
                     fx_f32(&c, "input.node_mask"), NULL};
        float *z0 = malloc((size_t)fx_numel(&c, "input.edge_embed") * sizeof *z0);
        memcpy(z0, in.z, (size_t)fx_numel(&c, "input.edge_embed") * sizeof *z0);
        fg_arena a;
        fg_arena_init(&a, 0);
        fg_block_io io = make_io(&in, &a);
        fx_expect(&c, t->forward(blk, &io, &err) == FG_OK, "forward: %s", MSG(err));
        fx_check(&c, "output.update", in.s, fx_numel(&c, "output.update"));
        fx_expect(&c, memcmp(z0, in.z, (size_t)fx_numel(&c, "input.edge_embed") * sizeof *z0) == 0,
                  "edges untouched");
        t->destroy(blk);
        fg_arena_free(&a);
        free(z0);
        free_inputs(&in);
    }
    fg_weights_free(w);
    return fx_finish(&c);
}

/* The module cases through fg_trunk: one stage, wrapper off, weights at "layers.<i>.". */
static int case_trunk(const char *name, const char *type, int with_seq)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    fg_error err = {0};
    char json[512];
    snprintf(json, sizeof json,
             "{\"stages\": [{\"type\": \"%s\", \"num_layers\": %d, \"weights_prefix\": \"\", "
             "\"pairwise_head_width\": %d, \"pairwise_num_heads\": %d}]}",
             type, (int)fx_hp_num(&c, "num_layers", 0), (int)fx_hp_num(&c, "pairwise_head_width", 0),
             (int)fx_hp_num(&c, "pairwise_num_heads", 0));
    cJSON *o = cJSON_Parse(json);
    fg_trunk_config cfg;
    fg_trunk *t = NULL;
    fg_block_dims dims = {(int)fx_hp_num(&c, "node_dim", 0), (int)fx_hp_num(&c, "edge_dim", 0)};
    fg_status st = fg_trunk_config_read(o, "model.trunk", &cfg, &err);
    cJSON_Delete(o);
    if (st == FG_OK) {
        st = fg_trunk_create(&cfg, &dims, fx_params(&c), "", &t, &err);
        fg_trunk_config_free(&cfg);
    }
    inputs in;
    if (fx_expect(&c, st == FG_OK, "trunk of %s from config: %s", type, MSG(err)) && load_inputs(&c, &in, with_seq)) {
        fg_arena a;
        fg_arena_init(&a, 0);
        fg_block_io io = make_io(&in, &a);
        fx_expect(&c, fg_trunk_forward(t, &io, NULL, NULL, &err) == FG_OK, "trunk forward: %s", MSG(err));
        check_outputs(&c, &in, with_seq);
        fg_arena_free(&a);
        free_inputs(&in);
    }
    fg_trunk_destroy(t);
    return fx_finish(&c);
}

/* The layers of the flow-model checkpoints load under their stage prefixes:
 * the Pairformer trunk and seq trunk, and the pair_bias seq trunk. */
static int case_checkpoint_names(const char *name, const char *type, const char *prefix, int layers,
                                 const char *cfg_fmt, const char *hp_path)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    const fg_block_type *t = fg_block_type_find(type);
    fg_error err = {0};
    char cfg[512];
    snprintf(cfg, sizeof cfg, cfg_fmt, (int)fx_hp_num(&c, hp_path, 0));
    unsigned char params[512];
    fg_block_dims dims = {(int)fx_hp_num(&c, "model.hyper_params.node_embed_size", 0),
                          (int)fx_hp_num(&c, "model.hyper_params.edge_embed_size", 0)};
    if (fx_expect(&c, t && t->params_size <= sizeof params && read_params(t, cfg, params, &err) == FG_OK,
                  "config %s: %s", cfg, MSG(err)))
        for (int i = 0; i < layers; i++) {
            void *blk = NULL;
            fx_expect(&c, t->create(params, &dims, fx_params(&c), prefix, i, &blk, &err) == FG_OK,
                      "%s layer %d of %s%s: %s", type, i, prefix, "layers.*", MSG(err));
            if (blk)
                t->destroy(blk);
        }
    return fx_finish(&c);
}

/* Random inputs: masks with the last `pad` residues of item 1 padded. */
static void random_inputs(inputs *in, int B, int N, int cs, int cz, int pad, uint64_t seed)
{
    fg_rng r;
    fg_rng_init(&r, seed, 0);
    in->B = B, in->N = N;
    in->s = malloc((size_t)B * N * cs * sizeof(float));
    in->z = malloc((size_t)B * N * N * cz * sizeof(float));
    in->node_mask = malloc((size_t)B * N * sizeof(float));
    in->edge_mask = malloc((size_t)B * N * N * sizeof(float));
    fg_rng_normals(&r, in->s, (int64_t)B * N * cs);
    fg_rng_normals(&r, in->z, (int64_t)B * N * N * cz);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            in->node_mask[b * N + i] = (b == 1 && i >= N - pad) ? 0.0f : 1.0f;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                in->edge_mask[((size_t)b * N + i) * N + j] = in->node_mask[b * N + i] * in->node_mask[b * N + j];
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Each type from a JSON stage config with non-default sizes, random weights,
 * B = 2 with padding; runs at 1 and 2 threads and must agree bit for bit. */
static void registry_types(fx_suite *su)
{
    static const struct {
        const char *type, *cfg;
    } cases[] = {
        {"pairformer", "{\"type\": \"pairformer\", \"num_layers\": 2, \"num_heads\": 3, \"pairwise_head_width\": 8,"
                       " \"pairwise_num_heads\": 3, \"post_layer_norm\": true, \"transition_expansion\": 2,"
                       " \"chunk_size_tri_attn\": 5, \"chunk_size_tri_mul\": 3, \"dropout\": 0.25}"},
        {"pairformer_noseq", "{\"type\": \"pairformer_noseq\", \"pairwise_head_width\": 6, \"pairwise_num_heads\": 2}"},
        {"pair_bias", "{\"type\": \"pair_bias\", \"num_layers\": 3, \"num_heads\": 6}"},
    };
    const fg_block_dims dims = {24, 20};
    const int B = 2, N = 13;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const fg_block_type *t = fg_block_type_find(cases[k].type);
        fg_error err = {0};
        unsigned char params[512];
        fg_weights *w = NULL;
        void *blk = NULL;
        if (!fx_ok(su, t && read_params(t, cases[k].cfg, params, &err) == FG_OK, "%s: config: %s", cases[k].type,
                   MSG(err)))
            continue;
        fg_weights_create(&w, &err);
        fg_status st = fg_pf_random_weights(w, t->name, "stage.", 1, &dims, params, 7, &err);
        if (st == FG_OK)
            st = t->create(params, &dims, w, "stage.", 1, &blk, &err);
        if (fx_ok(su, st == FG_OK, "%s: create from random weights: %s", t->name, MSG(err))) {
            float *res[2] = {NULL, NULL};
            for (int run = 0; run < 2; run++) {
                inputs in;
                random_inputs(&in, B, N, dims.c_s, dims.c_z, 4, 11);
                fg_arena a;
                fg_arena_init(&a, 0);
                fg_block_io io = make_io(&in, &a);
                fg_set_threads(run + 1);
                fx_ok(su, t->forward(blk, &io, &err) == FG_OK, "%s: forward at %d thread(s): %s", t->name, run + 1,
                      MSG(err));
                fx_ok(su, a.in_use == 0, "%s: scratch restored", t->name);
                size_t ns = (size_t)B * N * dims.c_s, nz = (size_t)B * N * N * dims.c_z;
                fx_ok(su, all_finite(in.s, ns) && all_finite(in.z, nz), "%s: outputs finite", t->name);
                res[run] = malloc((ns + nz) * sizeof(float));
                memcpy(res[run], in.s, ns * sizeof(float));
                memcpy(res[run] + ns, in.z, nz * sizeof(float));
                if (run == 1)
                    fx_ok(su, memcmp(res[0], res[1], (ns + nz) * sizeof(float)) == 0,
                          "%s: 1 and 2 threads give identical results", t->name);
                fg_arena_free(&a);
                free_inputs(&in);
            }
            free(res[0]), free(res[1]);
            fx_ok(su, t->flops(blk, B, N) > 0, "%s: flops %.3g", t->name, t->flops(blk, B, N));
            t->destroy(blk);
        }
        fg_weights_free(w);
    }
}

/* LayerNorm weights of the trunk wrapper that cfg switches on, under prefix. */
static void wrapper_weights(fg_weights *w, const fg_trunk_config *cfg, const char *prefix, const fg_block_dims *d)
{
    const struct {
        bool on;
        const char *name;
        int width;
    } ln[4] = {{cfg->pre_node_layer_norm, "pre_node_ln", d->c_s},
               {cfg->pre_edge_layer_norm, "pre_edge_ln", d->c_z},
               {cfg->post_node_layer_norm, "post_node_ln", d->c_s},
               {cfg->post_edge_layer_norm, "post_edge_ln", d->c_z}};
    fg_error err;
    for (int k = 0; k < 4; k++) {
        if (!ln[k].on)
            continue;
        float *v = malloc(sizeof(float) * ln[k].width);
        int64_t shape[1] = {ln[k].width};
        char name[256];
        for (int i = 0; i < ln[k].width; i++)
            v[i] = 1.0f + 0.01f * (float)(i % 7);
        snprintf(name, sizeof name, "%s%s.weight", prefix, ln[k].name);
        fg_weights_add(w, name, 1, shape, v, &err);
        for (int i = 0; i < ln[k].width; i++)
            v[i] = 0.02f * (float)(i % 5);
        snprintf(name, sizeof name, "%s%s.bias", prefix, ln[k].name);
        fg_weights_add(w, name, 1, shape, v, &err);
        free(v);
    }
}

/* configs/trunk_<type>.json read by the trunk parser, built on synthetic
 * weights under "trunk." and run with initial embeddings (B = 2, padded). */
static void example_configs(fx_suite *su)
{
    static const char *files[] = {"trunk_pairformer", "trunk_pairformer_noseq", "trunk_pair_bias"};
    const fg_block_dims dims = {32, 16};
    for (int k = 0; k < 3; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/configs/%s.json", FG_SOURCE_DIR, files[k]);
        cJSON *root = NULL;
        fg_error err = {0};
        fg_trunk_config cfg;
        fg_trunk *t = NULL;
        fg_weights *w = NULL;
        fg_status st = fg_json_load_file(path, &root, &err);
        if (st == FG_OK)
            st = fg_trunk_config_read(root, files[k], &cfg, &err);
        cJSON_Delete(root);
        if (!fx_ok(su, st == FG_OK && cfg.n_stages == 1, "configs/%s.json reads: %s", files[k], MSG(err)))
            continue;
        fg_weights_create(&w, &err);
        wrapper_weights(w, &cfg, "trunk.", &dims);
        for (int l = 0; l < cfg.stages[0].num_layers && st == FG_OK; l++)
            st = fg_pf_random_weights(w, cfg.stages[0].type->name, "trunk.trunk.", l, &dims, cfg.stages[0].params, 5,
                                      &err);
        if (st == FG_OK)
            st = fg_trunk_create(&cfg, &dims, w, "trunk.", &t, &err);
        if (fx_ok(su, st == FG_OK, "%s: trunk on synthetic weights: %s", files[k], MSG(err))) {
            inputs in, init;
            random_inputs(&in, 2, 9, dims.c_s, dims.c_z, 3, 21);
            random_inputs(&init, 2, 9, dims.c_s, dims.c_z, 3, 22);
            fg_arena a;
            fg_arena_init(&a, 0);
            fg_block_io io = make_io(&in, &a);
            st = fg_trunk_forward(t, &io, init.s, init.z, &err);
            fx_ok(su, st == FG_OK && all_finite(in.s, 2 * 9 * dims.c_s) && all_finite(in.z, 2 * 81 * dims.c_z) &&
                          a.in_use == 0,
                  "%s: forward: %s", files[k], MSG(err));
            fg_arena_free(&a);
            free_inputs(&in), free_inputs(&init);
        }
        fg_trunk_destroy(t);
        fg_weights_free(w);
        fg_trunk_config_free(&cfg);
    }
}

/* Config errors name the key; weight errors name the tensor. */
static void bad_input(fx_suite *su)
{
    const fg_block_type *pf = fg_block_type_find("pairformer"), *ns = fg_block_type_find("pairformer_noseq"),
                        *pb = fg_block_type_find("pair_bias");
    unsigned char params[512];
    fg_error err = {0};
    fx_ok(su, pf && ns && pb, "all three types registered");
    if (!pf || !ns || !pb)
        return;
    fx_ok(su, read_params(pf, "{\"num_heads\": 4, \"bogus\": 1}", params, &err) == FG_ERR_CONFIG &&
                  strstr(err.msg, "trunk[0].bogus"), "unknown key: %s", err.msg);
    fx_ok(su, read_params(ns, "{\"num_heads\": 4}", params, &err) == FG_ERR_CONFIG && strstr(err.msg, "num_heads"),
          "pairformer_noseq takes no num_heads: %s", err.msg);
    fx_ok(su, read_params(pb, "{\"pairwise_head_width\": 8}", params, &err) == FG_ERR_CONFIG,
          "pair_bias takes no pairwise_head_width: %s", err.msg);
    fx_ok(su, read_params(pf, "{\"pairwise_num_heads\": 0}", params, &err) == FG_ERR_CONFIG,
          "pairwise_num_heads 0 is out of range: %s", err.msg);
    fx_ok(su, read_params(pf, "{\"post_layer_norm\": 1}", params, &err) == FG_ERR_CONFIG,
          "post_layer_norm must be a boolean: %s", err.msg);

    /* Defaults match upstream's ModelPairformerConfig / ModelAttentionPairBiasConfig. */
    fg_pairformer_params d;
    fg_fields_defaults(pf->fields, pf->n_fields, &d);
    fx_ok(su, d.num_heads == 4 && d.pairwise_head_width == 32 && d.pairwise_num_heads == 4 &&
                  d.transition_expansion == 4 && !d.post_layer_norm && d.compute_pair_bias,
          "pairformer defaults");

    const fg_block_dims dims = {16, 8};
    fg_weights *w = NULL;
    void *blk = NULL;
    read_params(pf, "{\"pairwise_head_width\": 4, \"num_heads\": 2}", params, &err);
    fg_weights_create(&w, &err);
    fg_pf_random_weights(w, "pairformer", "t.", 0, &dims, params, 3, &err);
    fx_ok(su, pf->create(params, &dims, w, "t.", 1, &blk, &err) == FG_ERR_SHAPE &&
                  strstr(err.msg, "t.layers.1.tri_mul_out.norm_in.weight"),
          "missing layer names its first tensor: %s", err.msg);
    fg_weights_free(w);

    /* One tensor missing / misshapen in an otherwise complete layer. */
    const char *victim = "t.layers.0.tri_att_end.mha.linear_o.weight";
    for (int mode = 0; mode < 2; mode++) {
        fg_weights *full = NULL, *cut = NULL;
        fg_weights_create(&full, &err);
        fg_weights_create(&cut, &err);
        fg_pf_random_weights(full, "pairformer", "t.", 0, &dims, params, 3, &err);
        for (size_t i = 0; i < fg_weights_count(full); i++) {
            const char *nm = fg_weights_name_at(full, i);
            int nd;
            int64_t shape[8];
            fg_tensor tt;
            fg_weights_shape_at(full, i, &nd, shape);
            fg_weights_find(full, nm, &tt, &err);
            if (strcmp(nm, victim) == 0) {
                if (mode == 0)
                    continue;
                shape[1] -= 1;
            }
            fg_weights_add(cut, nm, nd, shape, tt.data, &err);
        }
        fg_status st = pf->create(params, &dims, cut, "t.", 0, &blk, &err);
        fx_ok(su, st == FG_ERR_SHAPE && strstr(err.msg, victim) && (mode == 0 || strstr(err.msg, "shape")),
              "%s tensor named: %s", mode ? "misshapen" : "missing", err.msg);
        fg_weights_free(full);
        fg_weights_free(cut);
    }

    /* Impossible sizes are config errors, not crashes. */
    read_params(pb, "{\"num_heads\": 5}", params, &err);
    fg_weights_create(&w, &err);
    fx_ok(su, pb->create(params, &dims, w, "", 0, &blk, &err) == FG_ERR_CONFIG && strstr(err.msg, "num_heads"),
          "node width not a multiple of num_heads: %s", err.msg);
    read_params(pb, "{\"num_heads\": 4, \"compute_pair_bias\": false}", params, &err);
    fx_ok(su, pb->create(params, &dims, w, "", 0, &blk, &err) == FG_ERR_CONFIG,
          "compute_pair_bias=false needs edge width == num_heads: %s", err.msg);
    fg_weights_free(w);
}

/* docs/blocks/pairformer.md lists exactly each type's keys with the defaults of its field table. */
static void docs_agree(fx_suite *su)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/blocks/pairformer.md", FG_SOURCE_DIR);
    FILE *fp = fopen(path, "r");
    if (!fx_ok(su, fp != NULL, "open %s", path))
        return;
    static const char *types[] = {"pairformer", "pairformer_noseq", "pair_bias"};
    for (size_t k = 0; k < 3; k++) {
        const fg_block_type *t = fg_block_type_find(types[k]);
        char want[64], line[512];
        snprintf(want, sizeof want, "## `%s`", types[k]);
        rewind(fp);
        int in = 0, rows = 0, bad = 0;
        while (fgets(line, sizeof line, fp)) {
            if (!strncmp(line, "## ", 3))
                in = !strncmp(line, want, strlen(want)) && line[strlen(want)] == '\n';
            char key[128], kind[32], def[64];
            if (!in || sscanf(line, "| `%127[^`]` | %31[^ |] | %63[^ |] |", key, kind, def) != 3)
                continue;
            rows++;
            const fg_field *f = t ? fg_fields_find(t->fields, t->n_fields, key) : NULL;
            char exp_def[64] = "?";
            if (f && f->kind == FG_FIELD_BOOL)
                snprintf(exp_def, sizeof exp_def, "%s", f->def != 0 ? "true" : "false");
            else if (f)
                snprintf(exp_def, sizeof exp_def, "%g", f->def);
            if (!f || strcmp(exp_def, def) != 0) {
                bad++;
                printf("       docs: %s.%s: page says %s, field table %s\n", types[k], key, def, exp_def);
            }
        }
        fx_ok(su, t && rows == (int)t->n_fields && !bad, "docs list the %d keys of %s with their defaults (%d rows)",
              t ? (int)t->n_fields : -1, types[k], rows);
    }
    fclose(fp);
}

int main(void)
{
    int fails = 0;
    fails += case_pairformer_layer();
    fails += case_stage("pairformer_module", "pairformer", 1, 2);
    fails += case_stage("pairformer_noseq", "pairformer_noseq", 0, 2);
    fails += case_pair_bias_trunk();
    fails += case_trunk("pairformer_module", "pairformer", 1);
    fails += case_trunk("pairformer_noseq", "pairformer_noseq", 0);
    fails += case_checkpoint_names("flow_model_default_pairformer_esm", "pairformer", "trunk.trunk.", 2,
                                   "{\"pairwise_head_width\": %d}", "model.attention.pairformer.pairwise_head_width");
    fails += case_checkpoint_names("flow_model_default_pairformer_esm", "pairformer", "seq_trunk.trunk.", 1,
                                   "{\"pairwise_head_width\": %d}", "model.attention.pairformer.pairwise_head_width");
    fails += case_checkpoint_names("flow_model_double_attention", "pair_bias", "seq_trunk.trunk.", 1,
                                   "{\"num_heads\": %d}", "model.attention.pair_bias.num_heads");
    fx_suite su = {"pairformer block types", 0, 0};
    registry_types(&su);
    example_configs(&su);
    bad_input(&su);
    docs_agree(&su);
    fails += fx_suite_finish(&su);
    return fails ? 1 : 0;
}
