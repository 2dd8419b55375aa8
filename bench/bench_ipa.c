/* The "ipa" trunk block at production sizes (public MultiFlow preset: node
 * 256, edge 128, 8 heads x 16, 8 qk / 12 v points, sequence transformer 4
 * heads x 4 layers, edge transition with 2 layers), B = 1, random weights.
 * One JSON line per length: median ms and GFLOP/s (FLOPs as this code
 * computes them, from the flops callbacks) of the whole block and of its
 * components, the machine's sgemm rate at the edge transition's shapes, and
 * peak RSS (process high-water mark before the sgemm reference runs).
 *   bench_ipa [--threads T] [--L 64,128,256,512] [--seconds S] [--clock wall|cpu]
 * --clock cpu times with the process CPU clock (for 1-thread runs on a busy
 * machine: the time the process actually ran). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/ipa_random.h"
#include "benchlib.h"
#include "blocks/ipa_parts.h"
#include "framegen/arena.h"
#include "framegen/block.h"
#include "framegen/config_json.h"
#include "framegen/ops.h"

static const ipa_rand_dims DIMS = {.c_s = 256, .c_z = 128, .C = 16, .H = 8, .Pq = 8, .Pv = 12,
                                   .seq_layers = 4, .edge_layers = 2, .dilation = 2};
static const char *CFG = "{\"c_hidden\": 16, \"no_heads\": 8, \"no_qk_points\": 8, \"no_v_points\": 12,"
                         " \"seq_tfmr_num_heads\": 4, \"seq_tfmr_num_layers\": 4, \"edge_transition\": \"on\"}";

typedef struct ctx {
    int L;
    const fg_block_type *type;
    void *block;
    fg_block_io io;
    fg_ipa_attn attn;
    fg_seq_tfmr tfmr;
    fg_edge_trans edge;
    float *out;       /* [L, c_s] */
    float *g_a, *g_b, *g_c; /* sgemm operands */
    int g_m, g_n, g_k;
} ctx;

static int use_cpu_clock;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* fgb_time, or the same with the process CPU clock. */
static double time_it(void (*fn)(void *), void *c, int min_reps, int max_reps, double secs, int *reps)
{
    if (!use_cpu_clock)
        return fgb_time(fn, c, 1, min_reps, max_reps, secs, reps);
    fn(c);
    double t[64], start = cpu_now();
    int n = 0;
    while (n < max_reps && n < 64 && (n < min_reps || cpu_now() - start < secs)) {
        double t0 = cpu_now();
        fn(c);
        t[n++] = cpu_now() - t0;
    }
    if (reps)
        *reps = n;
    return fgb_median(t, n);
}

static void die(const char *what, const fg_error *err)
{
    fprintf(stderr, "bench_ipa: %s: %s\n", what, err->msg);
    exit(1);
}

static void run_block(void *p)
{
    ctx *c = p;
    fg_error err;
    if (c->type->forward(c->block, &c->io, &err) != FG_OK)
        die("block forward", &err);
}

static void run_attn(void *p)
{
    ctx *c = p;
    fg_error err;
    if (fg_ipa_attn_forward(&c->attn, c->io.s, c->io.z, c->io.rots, c->io.trans, c->io.node_mask, 1, c->L,
                            c->out, c->io.scratch, &err) != FG_OK)
        die("IPA attention", &err);
}

static void run_tfmr(void *p)
{
    ctx *c = p;
    fg_error err;
    if (fg_seq_tfmr_forward(&c->tfmr, c->io.s, c->io.node_mask, 1, c->L, c->out, c->io.scratch, &err) != FG_OK)
        die("seq transformer", &err);
}

static void run_edge(void *p)
{
    ctx *c = p;
    fg_error err;
    if (fg_edge_trans_forward(&c->edge, c->io.s, c->io.z, c->io.edge_mask, 1, c->L, c->io.scratch, &err) != FG_OK)
        die("edge transition", &err);
}

static void run_sgemm(void *p)
{
    ctx *c = p;
    fg_gemm(false, true, c->g_m, c->g_n, c->g_k, 1.0f, c->g_a, c->g_k, c->g_b, c->g_k, 0.0f, c->g_c, c->g_n);
}

/* The machine's sgemm rate on the edge transition's three products (M = L^2 rows, all threads). */
static double sgemm_rate(ctx *c, double secs)
{
    const int hid = DIMS.c_z + DIMS.c_s, m = c->L * c->L;
    const int shapes[3][2] = {{hid, DIMS.c_z}, {hid, hid}, {DIMS.c_z, hid}}; /* (n, k) */
    double flops = 0.0, t = 0.0;
    c->g_a = malloc((size_t)m * hid * sizeof(float));
    c->g_b = malloc((size_t)hid * hid * sizeof(float));
    c->g_c = malloc((size_t)m * hid * sizeof(float));
    fgb_fill(c->g_a, (size_t)m * hid, 1), fgb_fill(c->g_b, (size_t)hid * hid, 2);
    for (int s = 0; s < 3; s++) {
        c->g_m = m, c->g_n = shapes[s][0], c->g_k = shapes[s][1];
        t += time_it(run_sgemm, c, 3, 50, secs / 3, NULL);
        flops += 2.0 * m * c->g_n * c->g_k;
    }
    free(c->g_a), free(c->g_b), free(c->g_c);
    return flops / t * 1e-9;
}

static void setup(ctx *c, int L, fg_weights *w, void *params)
{
    const fg_block_dims dims = {DIMS.c_s, DIMS.c_z};
    fg_error err;
    memset(c, 0, sizeof *c);
    c->L = L;
    c->type = fg_block_type_find("ipa");
    if (c->type->create(params, &dims, w, "trunk.", 0, &c->block, &err) != FG_OK)
        die("block create", &err);
    if (fg_ipa_attn_init(&c->attn, w, "trunk.ipa_0.impl.", DIMS.c_s, DIMS.c_z, DIMS.C, DIMS.H, DIMS.Pq, DIMS.Pv,
                         &err) != FG_OK ||
        fg_seq_tfmr_init(&c->tfmr, w, "trunk.seq_tfmr_0.", DIMS.c_s, 4, DIMS.seq_layers, &err) != FG_OK ||
        fg_edge_trans_init(&c->edge, w, "trunk.edge_transition_0.", DIMS.c_s, DIMS.c_z, DIMS.dilation,
                           DIMS.edge_layers, &err) != FG_OK)
        die("component init", &err);
    const size_t n = (size_t)L, nz = n * n * DIMS.c_z;
    fg_block_io *io = &c->io;
    io->B = 1, io->N = L;
    io->s = malloc(n * DIMS.c_s * sizeof(float)), io->z = malloc(nz * sizeof(float));
    fgb_fill(io->s, n * DIMS.c_s, 3), fgb_fill(io->z, nz, 4);
    float *m = malloc(n * sizeof(float)), *em = malloc(n * n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        m[i] = 1.0f;
    for (size_t i = 0; i < n * n; i++)
        em[i] = 1.0f;
    io->node_mask = m, io->edge_mask = em;
    io->rots = malloc(n * 9 * sizeof(float)), io->trans = malloc(n * 3 * sizeof(float));
    io->quats = malloc(n * 4 * sizeof(float));
    fg_rng g;
    fg_rng_init(&g, 5, (uint64_t)L);
    ipa_rand_frames(&g, (int64_t)n, 1.5f, io->rots, io->trans);
    io->scratch = malloc(sizeof(fg_arena));
    fg_arena_init(io->scratch, 1 << 20);
    c->out = malloc(n * DIMS.c_s * sizeof(float));
}

static void teardown(ctx *c)
{
    c->type->destroy(c->block);
    fg_ipa_attn_free(&c->attn), fg_seq_tfmr_free(&c->tfmr), fg_edge_trans_free(&c->edge);
    free(c->io.s), free(c->io.z), free((void *)c->io.node_mask), free((void *)c->io.edge_mask);
    free(c->io.rots), free(c->io.trans), free(c->io.quats), free(c->out);
    fg_arena_free(c->io.scratch), free(c->io.scratch);
}

int main(int argc, char **argv)
{
    int threads = 0;
    double secs = 2.0;
    char lens[256] = "64,128,256,512";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--L"))
            snprintf(lens, sizeof lens, "%s", argv[i + 1]);
        else if (!strcmp(argv[i], "--clock"))
            use_cpu_clock = !strcmp(argv[i + 1], "cpu");
        else if (!strcmp(argv[i], "--seconds"))
            secs = atof(argv[i + 1]);
    }
    fg_set_threads(threads);
    fg_error err = {0};
    fg_weights *w = NULL;
    fg_weights_create(&w, &err);
    ipa_rand r = {.w = w, .err = &err};
    fg_rng_init(&r.rng, 1, 0);
    ipa_rand_block(&r, "trunk.", 0, &DIMS);
    const fg_block_type *t = fg_block_type_find("ipa");
    void *params = calloc(1, t->params_size);
    cJSON *cfg = cJSON_Parse(CFG);
    if (r.st != FG_OK || fg_json_read_fields(cfg, "ipa", t->fields, t->n_fields, NULL, params, &err) != FG_OK)
        die("setup", &err);
    cJSON_Delete(cfg);
    for (char *tok = strtok(lens, ","); tok; tok = strtok(NULL, ",")) {
        const int L = atoi(tok);
        ctx c;
        setup(&c, L, w, params);
        int reps;
        const double t_blk = time_it(run_block, &c, 3, 30, secs, &reps);
        const double t_att = time_it(run_attn, &c, 3, 30, secs / 2, NULL);
        const double t_seq = time_it(run_tfmr, &c, 3, 30, secs / 2, NULL);
        const double t_edge = time_it(run_edge, &c, 3, 30, secs / 2, NULL);
        const double f_blk = t->flops(c.block, 1, L), f_att = fg_ipa_attn_flops(&c.attn, 1, L);
        const double f_seq = fg_seq_tfmr_flops(&c.tfmr, 1, L), f_edge = fg_edge_trans_flops(&c.edge, 1, L);
        const double rss = fgb_peak_rss_mb(); /* before the sgemm reference's own buffers */
        const double sg = sgemm_rate(&c, secs);
        printf("{\"bench\": \"ipa_block\", \"impl\": \"framegen\", \"L\": %d, \"threads\": %d, \"reps\": %d, "
               "\"block_ms\": %.3f, \"block_gflops\": %.2f, "
               "\"ipa_attention_ms\": %.3f, \"ipa_attention_gflops\": %.2f, "
               "\"seq_transformer_ms\": %.3f, \"seq_transformer_gflops\": %.2f, "
               "\"edge_transition_ms\": %.3f, \"edge_transition_gflops\": %.2f, "
               "\"sgemm_gflops\": %.2f, \"edge_vs_sgemm\": %.3f, \"peak_rss_mb\": %.1f}\n",
               L, fg_get_threads(), reps, t_blk * 1e3, f_blk / t_blk * 1e-9, t_att * 1e3, f_att / t_att * 1e-9,
               t_seq * 1e3, f_seq / t_seq * 1e-9, t_edge * 1e3, f_edge / t_edge * 1e-9, sg,
               f_edge / t_edge * 1e-9 / sg, rss);
        fflush(stdout);
        teardown(&c);
    }
    free(params);
    fg_weights_free(w);
    return 0;
}
