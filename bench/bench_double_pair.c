/* One double_pair block at production width (c_z 128, bottleneck_scale 4,
 * FiLM with a 128-wide time MLP), B = 1, no padding, for L = 64..512 residues.
 * One JSON line per L with the median time, the block's nominal GFLOP/s
 * (its `flops` callback) and the process's peak RSS so far.
 *
 *   bench_double_pair [--threads N] [--sizes 64,128,256,512] [--min-seconds S]
 *
 * bench/torch_double_pair.py prints the same keys for PyTorch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "framegen/block.h"
#include "framegen/config_json.h"
#include "framegen/ops.h"

#define C_Z 128
#define SCALE 4
#define HIDDEN 128

typedef struct run_ctx {
    const fg_block_type *ty;
    void *self;
    fg_block_io io;
} run_ctx;

static void run_once(void *p)
{
    run_ctx *r = p;
    fg_error err;
    if (r->ty->forward(r->self, &r->io, &err) != FG_OK) {
        fprintf(stderr, "forward failed: %s\n", err.msg);
        exit(1);
    }
}

static fg_weights *make_weights(void)
{
    const int C = C_Z, D = C_Z / SCALE, H = HIDDEN;
    struct { const char *n; int d0, d1; } spec[] = {
        {"blocks.0.gather_proj.weight", D, C}, {"blocks.0.gather_proj.bias", D, 0},
        {"blocks.0.value_proj.weight", D, C}, {"blocks.0.value_proj.bias", D, 0},
        {"blocks.0.distribute_proj.weight", D, C}, {"blocks.0.distribute_proj.bias", D, 0},
        {"blocks.0.output_proj.weight", C, D}, {"blocks.0.output_proj.bias", C, 0},
        {"blocks.0.time_mlp.0.weight", H, 1}, {"blocks.0.time_mlp.0.bias", H, 0},
        {"blocks.0.time_mlp.2.weight", 2 * C, H}, {"blocks.0.time_mlp.2.bias", 2 * C, 0}};
    fg_weights *w;
    if (fg_weights_create(&w, NULL) != FG_OK)
        return NULL;
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        int nd = spec[i].d1 ? 2 : 1;
        int64_t shape[2] = {spec[i].d0, spec[i].d1};
        size_t n = (size_t)spec[i].d0 * (size_t)(nd == 2 ? spec[i].d1 : 1);
        float *v = malloc(n * sizeof *v);
        fgb_fill(v, n, 40 + (unsigned)i);
        float s = nd == 2 ? 1.0f / sqrtf((float)spec[i].d1) : 0.1f;
        for (size_t k = 0; k < n; k++)
            v[k] *= s;
        fg_weights_add(w, spec[i].n, nd, shape, v, NULL);
        free(v);
    }
    return w;
}

int main(int argc, char **argv)
{
    fgb_args args = {.threads = 0, .sizes = "64,128,256,512", .min_seconds = 1.0};
    if (fgb_parse_args(argc, argv, &args) != 0)
        return 2;
    fg_set_threads(args.threads);

    const fg_block_type *ty = fg_block_type_find("double_pair");
    void *params = calloc(1, ty->params_size);
    cJSON *cfg = cJSON_Parse("{\"bottleneck_scale\": 4, \"use_film\": true, \"time_mlp_hidden_dim\": 128}");
    fg_error err;
    if (fg_json_read_fields(cfg, "bench", ty->fields, ty->n_fields, NULL, params, &err) != FG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    cJSON_Delete(cfg);
    fg_weights *w = make_weights();
    fg_block_dims dims = {.c_s = 256, .c_z = C_Z};
    run_ctx r = {.ty = ty};
    if (ty->create(params, &dims, w, "", 0, &r.self, &err) != FG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    fg_arena arena;
    fg_arena_init(&arena, 0);

    for (char *tok = strtok(args.sizes, ","); tok; tok = strtok(NULL, ",")) {
        int L = atoi(tok);
        size_t P = (size_t)L * L;
        float *z = malloc(P * C_Z * sizeof *z);    /* [1,L,L,c_z] */
        float *mask = malloc(P * sizeof *mask);    /* [1,L,L] */
        float t = 0.5f;
        fgb_fill(z, P * C_Z, 7);
        for (size_t i = 0; i < P; i++)
            mask[i] = 1.0f;
        r.io = (fg_block_io){.B = 1, .N = L, .z = z, .edge_mask = mask, .t = &t, .scratch = &arena};
        int reps;
        double sec = fgb_time(run_once, &r, 2, 5, 1000, args.min_seconds, &reps);
        double flops = ty->flops(r.self, 1, L);
        printf("{\"bench\": \"double_pair\", \"impl\": \"framegen\", \"L\": %d, \"B\": 1, \"c_z\": %d, "
               "\"bottleneck\": %d, \"threads\": %d, \"median_ms\": %.3f, \"gflops\": %.2f, "
               "\"peak_rss_mb\": %.1f, \"reps\": %d}\n",
               L, C_Z, C_Z / SCALE, fg_get_threads(), sec * 1e3, flops / sec * 1e-9, fgb_peak_rss_mb(), reps);
        fflush(stdout);
        free(z);
        free(mask);
    }
    ty->destroy(r.self);
    fg_arena_free(&arena);
    fg_weights_free(w);
    free(params);
    return 0;
}
