/* fg_trunk: the double_attention_trunk case through a one-stage trunk
 * (wrapper flags off), the wrapper's averaging and LayerNorms against a plain
 * twin around the same blocks, and errors that name the tensor or the
 * missing input. The full flow_model_* cases exercise the wrapper with real
 * weights in the model's tests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/config_json.h"
#include "framegen/ops.h"
#include "framegen/rng.h"
#include "framegen/trunk.h"

static fg_status config_from(const char *json, fg_trunk_config *cfg, fg_error *err)
{
    cJSON *o = cJSON_Parse(json);
    fg_status st = o ? fg_trunk_config_read(o, "trunk", cfg, err) : fg_error_set(err, FG_ERR_FORMAT, "bad test JSON");
    cJSON_Delete(o);
    return st;
}

static int fixture_case(void)
{
    fx_case c;
    if (fx_open(&c, "double_attention_trunk") != 0)
        return 1;
    char json[512];
    snprintf(json, sizeof json,
             "{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": %d, \"weights_prefix\": \"\", "
             "\"bottleneck_scale\": %d, \"use_film\": %s, \"time_mlp_hidden_dim\": %d, \"dropout\": %g}]}",
             (int)fx_hp_num(&c, "num_layers", 0), (int)fx_hp_num(&c, "bottleneck_scale", 0),
             fx_hp_bool(&c, "use_film", 0) ? "true" : "false", (int)fx_hp_num(&c, "time_mlp_hidden_dim", 0),
             fx_hp_num(&c, "dropout", 0));
    fg_trunk_config cfg;
    fg_error err = {0};
    fg_status st = config_from(json, &cfg, &err);
    int64_t sh[4];
    fx_shape(&c, "input.edge_embed", sh);
    fg_block_dims dims = {.c_s = 8, .c_z = (int)sh[3]};
    fg_trunk *t = NULL;
    if (st == FG_OK)
        st = fg_trunk_create(&cfg, &dims, fx_params(&c), "", &t, &err);
    fx_expect(&c, st == FG_OK, "trunk from config: %s", st ? err.msg : "ok");
    float *z = fx_f32(&c, "input.edge_embed"), *mask = fx_f32(&c, "input.edge_mask"), *tt = fx_f32(&c, "input.r3_t");
    if (st == FG_OK) {
        fg_arena arena;
        fg_arena_init(&arena, 0);
        fg_block_io io = {.B = (int)sh[0], .N = (int)sh[1], .z = z, .edge_mask = mask, .t = tt, .scratch = &arena};
        st = fg_trunk_forward(t, &io, NULL, NULL, &err);
        if (fx_expect(&c, st == FG_OK, "forward: %s", st ? err.msg : "ok"))
            fx_check(&c, "output.edge_embed", z, fx_numel(&c, "input.edge_embed"));
        const fg_block_type *ty = fg_block_type_find("double_pair");
        fx_expect(&c, fg_trunk_reads(t) == ty->reads && fg_trunk_writes(t) == FG_BLOCK_EDGES,
                  "reads/writes are the blocks' when the wrapper is off");
        fg_arena_free(&arena);
    }
    fg_trunk_destroy(t);
    fg_trunk_config_free(&cfg);
    free(z), free(mask), free(tt);
    return fx_finish(&c);
}

static void fill(float *x, int64_t n, uint64_t stream, float sd, float mean)
{
    fg_rng r;
    fg_rng_init(&r, 21, stream);
    for (int64_t i = 0; i < n; i++)
        x[i] = mean + sd * (float)fg_rng_normal(&r);
}

static void add_random(fg_weights *w, const char *name, int d0, int d1, uint64_t stream, float sd, float mean)
{
    int64_t shape[2] = {d0, d1};
    int64_t n = (int64_t)d0 * (d1 ? d1 : 1);
    float *v = malloc(sizeof(float) * (size_t)n);
    fill(v, n, stream, sd, mean);
    fg_weights_add(w, name, d1 ? 2 : 1, shape, v, NULL);
    free(v);
}

/* Block weights for one double_pair layer under pfx (c_z C, D = C/4, FiLM hidden H). */
static void add_block(fg_weights *w, const char *pfx, int C, int H, uint64_t seed)
{
    const int D = C / 4;
    struct { const char *n; int d0, d1; } spec[] = {
        {"gather_proj.weight", D, C}, {"gather_proj.bias", D, 0}, {"value_proj.weight", D, C},
        {"value_proj.bias", D, 0}, {"distribute_proj.weight", D, C}, {"distribute_proj.bias", D, 0},
        {"output_proj.weight", C, D}, {"output_proj.bias", C, 0}, {"time_mlp.0.weight", H, 1},
        {"time_mlp.0.bias", H, 0}, {"time_mlp.2.weight", 2 * C, H}, {"time_mlp.2.bias", 2 * C, 0}};
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s%s", pfx, spec[i].n);
        add_random(w, name, spec[i].d0, spec[i].d1, seed * 100 + i,
                   spec[i].d1 ? 1.0f / sqrtf((float)spec[i].d1) : 0.1f, 0.0f);
    }
}

/* Plain twin of one side of the wrapper. */
static void twin_wrap(float *s, float *z, const float *s0, const float *z0, const float *nm, const float *em, int B,
                      int N, int cs, int cz, int avg, const float *gs, const float *bs, const float *gz,
                      const float *bz)
{
    int64_t BN = (int64_t)B * N, BNN = BN * N;
    struct { float *x; const float *x0, *m, *g, *b; int64_t rows; int w; } side[2] = {
        {s, s0, nm, gs, bs, BN, cs}, {z, z0, em, gz, bz, BNN, cz}};
    for (int k = 0; k < 2; k++)
        for (int64_t r = 0; r < side[k].rows; r++) {
            float *x = side[k].x + r * side[k].w;
            if (avg)
                for (int c = 0; c < side[k].w; c++)
                    x[c] = 0.5f * (x[c] + side[k].x0[r * side[k].w + c]) * side[k].m[r];
            if (!side[k].g)
                continue;
            double mu = 0, var = 0;
            for (int c = 0; c < side[k].w; c++)
                mu += x[c];
            mu /= side[k].w;
            for (int c = 0; c < side[k].w; c++)
                var += (x[c] - mu) * (x[c] - mu);
            var /= side[k].w;
            for (int c = 0; c < side[k].w; c++)
                x[c] = (float)((x[c] - mu) / sqrt(var + 1e-5) * side[k].g[c] + side[k].b[c]);
        }
}

/* All wrapper flags on around two double_pair layers, against the twin
 * wrapper around the same blocks run one by one. */
static int wrapper_vs_twin(void)
{
    fx_case c;
    if (fx_open(&c, "double_attention_trunk") != 0)
        return 1;
    double atol, rtol;
    fx_tolerance(&c, "output.edge_embed", &atol, &rtol);
    const int B = 2, N = 13, CS = 24, CZ = 32, H = 16;
    fg_weights *w;
    fg_weights_create(&w, NULL);
    add_block(w, "trunk.trunk.blocks.0.", CZ, H, 1);
    add_block(w, "trunk.trunk.blocks.1.", CZ, H, 2);
    const char *lns[] = {"pre_node_ln", "pre_edge_ln", "post_node_ln", "post_edge_ln"};
    for (int i = 0; i < 4; i++) {
        char name[64];
        int width = i % 2 ? CZ : CS;
        snprintf(name, sizeof name, "trunk.%s.weight", lns[i]);
        add_random(w, name, width, 0, 500 + (uint64_t)i, 0.1f, 1.0f);
        snprintf(name, sizeof name, "trunk.%s.bias", lns[i]);
        add_random(w, name, width, 0, 600 + (uint64_t)i, 0.1f, 0.0f);
    }
    int64_t ns = (int64_t)B * N * CS, nz = (int64_t)B * N * N * CZ;
    float *s = malloc(sizeof(float) * ns), *z = malloc(sizeof(float) * nz);
    float *s0 = malloc(sizeof(float) * ns), *z0 = malloc(sizeof(float) * nz);
    float *s2 = malloc(sizeof(float) * ns), *z2 = malloc(sizeof(float) * nz);
    float nm[2 * 13], em[2 * 13 * 13], t[2] = {0.3f, 0.8f};
    fill(s, ns, 1, 1.0f, 0.0f), fill(z, nz, 2, 1.0f, 0.0f), fill(s0, ns, 3, 1.0f, 0.5f), fill(z0, nz, 4, 1.0f, -0.5f);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++) {
            nm[b * N + i] = (b == 0 || i < 9) ? 1.0f : 0.0f;
            for (int j = 0; j < N; j++)
                em[(b * N + i) * N + j] = ((b == 0 || i < 9) && (b == 0 || j < 9)) ? 1.0f : 0.0f;
        }
    memcpy(s2, s, sizeof(float) * ns), memcpy(z2, z, sizeof(float) * nz);

    fg_trunk_config cfg;
    fg_error err = {0};
    fg_status st = config_from("{\"pre_add_init_embed\": true, \"pre_node_layer_norm\": true, "
                               "\"pre_edge_layer_norm\": true, \"post_add_init_embed\": true, "
                               "\"post_node_layer_norm\": true, \"post_edge_layer_norm\": true, "
                               "\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 2, \"time_mlp_hidden_dim\": 16}]}",
                               &cfg, &err);
    fg_block_dims dims = {CS, CZ};
    fg_trunk *tr = NULL;
    if (st == FG_OK)
        st = fg_trunk_create(&cfg, &dims, w, "trunk.", &tr, &err);
    fg_arena arena;
    fg_arena_init(&arena, 0);
    fg_block_io io = {.B = B, .N = N, .s = s, .z = z, .node_mask = nm, .edge_mask = em, .t = t, .scratch = &arena};
    if (st == FG_OK)
        st = fg_trunk_forward(tr, &io, s0, z0, &err);
    fx_expect(&c, st == FG_OK, "trunk with every wrapper flag: %s", st ? err.msg : "ok");

    /* twin: wrapper loops around the registered type's layers */
    const fg_block_type *ty = fg_block_type_find("double_pair");
    fg_tensor g[8];
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "trunk.%s.weight", lns[i]);
        fg_weights_find(w, name, &g[2 * i], NULL);
        snprintf(name, sizeof name, "trunk.%s.bias", lns[i]);
        fg_weights_find(w, name, &g[2 * i + 1], NULL);
    }
    twin_wrap(s2, z2, s0, z0, nm, em, B, N, CS, CZ, 1, g[0].data, g[1].data, g[2].data, g[3].data);
    fg_block_io io2 = io;
    io2.s = s2, io2.z = z2;
    for (int l = 0; l < 2; l++) {
        void *self;
        if (ty->create(cfg.stages[0].params, &dims, w, "trunk.trunk.", l, &self, &err) == FG_OK) {
            ty->forward(self, &io2, &err);
            ty->destroy(self);
        }
    }
    twin_wrap(s2, z2, s0, z0, nm, em, B, N, CS, CZ, 1, g[4].data, g[5].data, g[6].data, g[7].data);
    fx_check_with(&c, "wrapper: node features vs twin", s, s2, ns, atol, rtol);
    fx_check_with(&c, "wrapper: edge features vs twin", z, z2, nz, atol, rtol);
    if (tr) {
        fx_expect(&c, fg_trunk_writes(tr) == (FG_BLOCK_NODES | FG_BLOCK_EDGES), "the wrapper writes nodes and edges");
        double f = fg_trunk_flops(tr, B, N);
        void *self;
        ty->create(cfg.stages[0].params, &dims, w, "trunk.trunk.", 0, &self, &err);
        fx_expect(&c, f > 0 && f == 2 * ty->flops(self, B, N), "flops sum the layers' (%.3g)", f);
        ty->destroy(self);
        /* averaging without the initial embeddings is an input error, not a crash */
        st = fg_trunk_forward(tr, &io, NULL, NULL, &err);
        fx_expect(&c, st == FG_ERR_INVALID && strstr(err.msg, "pre_add_init_embed needs the initial"),
                  "missing initial embeddings: %s", err.msg);
    }
    fg_trunk_destroy(tr);
    fg_trunk_config_free(&cfg);
    fg_arena_free(&arena);
    fg_weights_free(w);
    free(s), free(z), free(s0), free(z0), free(s2), free(z2);
    return fx_finish(&c);
}

/* Weight names: LayerNorms under the prefix, stage 0 under "trunk.", later
 * stages under "stages.<i>." unless weights_prefix says otherwise. */
static int weight_errors(void)
{
    fx_suite s = {"trunk weights", 0, 0};
    fg_weights *w;
    fg_weights_create(&w, NULL);
    add_block(w, "trunk.trunk.blocks.0.", 32, 128, 1);
    fg_block_dims dims = {16, 32};
    struct { const char *json, *needle; } cases[] = {
        {"{\"post_node_layer_norm\": true, \"stages\": []}", "missing tensor 'trunk.post_node_ln.weight'"},
        {"{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 2}]}",
         "trunk stage 0 (double_pair) layer 1: (memory): missing tensor 'trunk.trunk.blocks.1.gather_proj.weight'"},
        {"{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1}, {\"type\": \"double_pair\", \"num_layers\": 1}]}",
         "missing tensor 'trunk.stages.1.blocks.0.gather_proj.weight'"},
        {"{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"weights_prefix\": \"seq_trunk.\"}]}",
         "missing tensor 'trunk.seq_trunk.blocks.0.gather_proj.weight'"},
        {"{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 1, \"bottleneck_scale\": 2}]}",
         "tensor 'trunk.trunk.blocks.0.gather_proj.weight' has shape [8, 32], expected [16, 32]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fg_trunk_config cfg;
        fg_error err = {0};
        fg_trunk *t = NULL;
        fg_status st = config_from(cases[i].json, &cfg, &err);
        if (st == FG_OK)
            st = fg_trunk_create(&cfg, &dims, w, "trunk.", &t, &err);
        fx_ok(&s, st == FG_ERR_SHAPE && t == NULL && strstr(err.msg, cases[i].needle), "%s -> \"%s\"", cases[i].json,
              err.msg);
        fg_trunk_destroy(t);
        fg_trunk_config_free(&cfg);
    }
    /* a stage of zero layers and no stages at all are valid (identity) */
    fg_trunk_config cfg;
    fg_error err = {0};
    fg_trunk *t = NULL;
    fg_status st = config_from("{\"stages\": [{\"type\": \"double_pair\", \"num_layers\": 0}]}", &cfg, &err);
    if (st == FG_OK)
        st = fg_trunk_create(&cfg, &dims, w, "trunk.", &t, &err);
    float z[2 * 2 * 32] = {1.0f};
    fg_block_io io = {.B = 1, .N = 2, .z = z};
    if (st == FG_OK)
        st = fg_trunk_forward(t, &io, NULL, NULL, &err);
    fx_ok(&s, st == FG_OK && z[0] == 1.0f && fg_trunk_flops(t, 1, 2) == 0.0, "zero-layer stage is the identity: %s",
          st ? err.msg : "ok");
    fg_trunk_destroy(t);
    fg_trunk_config_free(&cfg);
    fg_weights_free(w);
    return fx_suite_finish(&s);
}

int main(void)
{
    int rc = 0;
    rc |= fixture_case();
    rc |= wrapper_vs_twin();
    rc |= weight_errors();
    return rc;
}
