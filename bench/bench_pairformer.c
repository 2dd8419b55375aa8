/* Pairformer-family blocks at production widths (node 256, edge 128, triangle
 * attention 4 heads x 32, pair-bias attention 4 heads), B = 1: one JSON line
 * per (block, L) with the median time, GFLOP/s (matrix products as computed,
 * from the type's flops callback) and the process's peak RSS so far. Also the
 * sgemm rate at the triangle multiplication's own shapes, so its efficiency
 * can be read off.
 *
 *   bench_pairformer [--threads N] [--sizes 64,128,256,512] [--only NAME] [--reps R]
 *   bench_pairformer --l1024 [--threads N]    one pairformer layer at L = 1024 (peak RSS)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"
#include "blocks/pairformer_modules.h"
#include "framegen/block.h"
#include "framegen/ops.h"

#define C_S 256
#define C_Z 128

typedef struct opts {
    int threads, reps, l1024;
    int sizes[16], n_sizes;
    const char *only;
} opts;

typedef struct state {
    int L;
    float *s, *z, *s0, *z0, *out; /* [L, C_S], [L, L, C_Z] and their initial copies */
    float *node_mask, *edge_mask;
    fg_arena arena;
} state;

/* Process CPU seconds (all threads): on a shared machine, wall time includes
 * time spent descheduled; cpu_ms / threads shows how much. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void emit(const opts *o, const char *block, int L, double sec, double cpu, double flops, int reps)
{
    printf("{\"bench\": \"pairformer\", \"impl\": \"c\", \"block\": \"%s\", \"L\": %d, \"threads\": %d, "
           "\"median_ms\": %.3f, \"cpu_ms\": %.3f, \"gflops\": %.2f, \"peak_rss_mb\": %.1f, \"reps\": %d}\n",
           block, L, o->threads, sec * 1e3, cpu * 1e3, flops / sec * 1e-9, fgb_peak_rss_mb(), reps);
    fflush(stdout);
}

static int wanted(const opts *o, const char *name) { return !o->only || strcmp(o->only, name) == 0; }

static int reps_for(const opts *o, int L) { return o->reps > 0 ? o->reps : L >= 512 ? 3 : L >= 256 ? 5 : 10; }

/* Runs fn once untimed, then reps times with the inputs restored before each (untimed). */
typedef int (*step_fn)(void *ctx, state *st);

/* restore: the FG_BLOCK_* inputs that the step writes in place, copied back
 * before each rep. Only those: rewriting z when the block only reads it
 * would time the block on 8 MB (L = 128) of lines just dirtied by the main
 * thread, which its PyTorch twin (out of place, inputs never rewritten)
 * does not pay. */
static double time_steps(step_fn fn, void *ctx, state *st, int reps, unsigned restore, double *cpu)
{
    double t[64], c[64];
    size_t ns = (size_t)st->L * C_S, nz = (size_t)st->L * st->L * C_Z;
    reps = reps > 64 ? 64 : reps;
    for (int r = -1; r < reps; r++) {
        if (restore & FG_BLOCK_NODES)
            memcpy(st->s, st->s0, ns * sizeof(float));
        if (restore & FG_BLOCK_EDGES)
            memcpy(st->z, st->z0, nz * sizeof(float));
        double t0 = fgb_now(), c0 = cpu_now();
        if (fn(ctx, st) != 0)
            return -1.0;
        if (r >= 0)
            t[r] = fgb_now() - t0, c[r] = cpu_now() - c0;
    }
    *cpu = fgb_median(c, reps);
    return fgb_median(t, reps);
}

typedef struct blk_ctx {
    const fg_block_type *type;
    void *self;
} blk_ctx;

static int step_block(void *ctx, state *st)
{
    blk_ctx *b = ctx;
    fg_block_io io = {0};
    io.B = 1, io.N = st->L, io.s = st->s, io.z = st->z;
    io.node_mask = st->node_mask, io.edge_mask = st->edge_mask, io.scratch = &st->arena;
    fg_error err;
    if (b->type->forward(b->self, &io, &err) != FG_OK) {
        fprintf(stderr, "%s: %s\n", b->type->name, err.msg);
        return 1;
    }
    return 0;
}

/* Layer 0 of block type `type` with default hyperparameters and random weights (kept in *w). */
static blk_ctx make_block(const char *type, fg_weights **w)
{
    const fg_block_type *t = fg_block_type_find(type);
    unsigned char params[512];
    fg_fields_defaults(t->fields, t->n_fields, params);
    fg_block_dims dims = {C_S, C_Z};
    fg_error err;
    blk_ctx b = {t, NULL};
    if (fg_weights_create(w, &err) != FG_OK || fg_pf_random_weights(*w, type, "", 0, &dims, params, 1, &err) != FG_OK ||
        t->create(params, &dims, *w, "", 0, &b.self, &err) != FG_OK) {
        fprintf(stderr, "%s: %s\n", type, err.msg);
        exit(1);
    }
    return b;
}

static void bench_block(const opts *o, state *st, const char *type, const char *label)
{
    if (!wanted(o, label))
        return;
    fg_weights *w = NULL;
    blk_ctx b = make_block(type, &w);
    const fg_block_type *t = b.type;
    double cpu, sec = time_steps(step_block, &b, st, reps_for(o, st->L), t->writes, &cpu);
    if (sec > 0)
        emit(o, label, st->L, sec, cpu, t->flops(b.self, 1, st->L), reps_for(o, st->L));
    t->destroy(b.self);
    fg_weights_free(w);
}

/* Components, out of place (z unchanged): modules of one random layer. */
typedef struct comp_ctx {
    fg_pairformer_layer layer;
    int which; /* 0 tri_mul_out, 1 tri_att_start, 2 edge transition, 3 node transition */
} comp_ctx;

static int step_comp(void *ctx, state *st)
{
    comp_ctx *c = ctx;
    fg_error err;
    fg_status s;
    const int L = st->L;
    if (c->which == 0)
        s = fg_tri_mul_forward(&c->layer.pair.mul_out, st->z, st->edge_mask, L, st->out, false, &st->arena, &err);
    else if (c->which == 1)
        s = fg_tri_att_forward(&c->layer.pair.att_start, st->z, st->edge_mask, L, st->out, false, &st->arena, &err);
    else if (c->which == 2)
        s = fg_transition_forward(&c->layer.pair.trans, st->z, (int64_t)L * L, st->out, false, &st->arena, &err);
    else
        s = fg_transition_forward(&c->layer.node_trans, st->s, L, st->out, false, &st->arena, &err);
    if (s != FG_OK)
        fprintf(stderr, "component: %s\n", err.msg);
    return s != FG_OK;
}

static void bench_components(const opts *o, state *st)
{
    static const char *names[] = {"tri_mul", "tri_att", "transition", "node_transition"};
    const fg_block_type *t = fg_block_type_find("pairformer");
    fg_pairformer_params hp;
    fg_fields_defaults(t->fields, t->n_fields, &hp);
    fg_block_dims dims = {C_S, C_Z};
    fg_weights *w = NULL;
    fg_error err;
    comp_ctx c;
    fg_wload l;
    fg_weights_create(&w, &err);
    fg_pf_random_weights(w, "pairformer", "", 0, &dims, &hp, 2, &err);
    fg_wload_init(&l, w, &err, "layers.0.");
    if (fg_pairformer_layer_init(&c.layer, &l, &dims, &hp) != FG_OK) {
        fprintf(stderr, "components: %s\n", err.msg);
        exit(1);
    }
    const int L = st->L;
    const double fl[4] = {fg_tri_mul_flops(&c.layer.pair.mul_out, L), fg_tri_att_flops(&c.layer.pair.att_start, L),
                          fg_transition_flops(&c.layer.pair.trans, (int64_t)L * L),
                          fg_transition_flops(&c.layer.node_trans, L)};
    for (c.which = 0; c.which < 4; c.which++) {
        if (!wanted(o, names[c.which]))
            continue;
        double cpu, sec = time_steps(step_comp, &c, st, reps_for(o, L), 0, &cpu);
        if (sec > 0)
            emit(o, names[c.which], L, sec, cpu, fl[c.which], reps_for(o, L));
    }
    fg_pairformer_layer_free(&c.layer);
    fg_weights_free(w);
}

/* sgemm at the triangle multiplication's shapes: the input projection
 * [L^2, 128] x [128, 512], the per-channel contraction (128 x [L, L] x [L, L],
 * one single-threaded sgemm per channel across the threads) and the output
 * projection [L^2, 128] x [128, 128]; "sgemm_trimul" is their time-weighted
 * rate for tri_mul's FLOP mix. "sgemm_transition": the edge transition's
 * products, fc1 | fc2 as twice the projection's shape and fc3
 * [L^2, 512] x [512, 128]. */
static void bench_sgemm(const opts *o, state *st)
{
    if (!wanted(o, "sgemm"))
        return;
    const int L = st->L;
    const int64_t P = (int64_t)L * L;
    float *W = malloc(sizeof(float) * 4 * C_Z * C_Z), *Y = malloc(sizeof(float) * P * 4 * C_Z);
    fgb_fill(W, (size_t)4 * C_Z * C_Z, 3);
    const int reps = reps_for(o, L);
    double t[4][64], cp[4][64];
    for (int r = -1; r < reps; r++) {
        double c0 = cpu_now(), t0 = fgb_now();
        fg_gemm(false, true, P, 4 * C_Z, C_Z, 1.0f, st->z, C_Z, W, C_Z, 0.0f, Y, 4 * C_Z);
        double t1 = fgb_now(), c1 = cpu_now();
#pragma omp parallel for schedule(static)
        for (int ch = 0; ch < C_Z; ch++)
            fg_gemm(false, true, L, L, L, 1.0f, st->z + ch * P / C_Z, L, st->z + (C_Z - 1 - ch) * P / C_Z, L, 0.0f,
                    Y + ch * P, L);
        double t2 = fgb_now(), c2 = cpu_now();
        fg_gemm(false, true, P, C_Z, C_Z, 1.0f, st->z, C_Z, W, C_Z, 0.0f, Y, C_Z);
        double t3 = fgb_now(), c3 = cpu_now();
        fg_gemm(false, true, P, C_Z, 4 * C_Z, 1.0f, Y, 4 * C_Z, W, 4 * C_Z, 0.0f, st->out, C_Z);
        double t4 = fgb_now(), c4 = cpu_now();
        if (r >= 0) {
            t[0][r] = t1 - t0, t[1][r] = t2 - t1, t[2][r] = t3 - t2, t[3][r] = t4 - t3;
            cp[0][r] = c1 - c0, cp[1][r] = c2 - c1, cp[2][r] = c3 - c2, cp[3][r] = c4 - c3;
        }
    }
    const double f[3] = {2.0 * P * C_Z * 4 * C_Z, 2.0 * P * L * C_Z, 2.0 * P * C_Z * C_Z};
    double m[3], mc[3];
    static const char *names[3] = {"sgemm_proj", "sgemm_contract", "sgemm_out"};
    for (int k = 0; k < 3; k++) {
        m[k] = fgb_median(t[k], reps), mc[k] = fgb_median(cp[k], reps);
        emit(o, names[k], L, m[k], mc[k], f[k], reps);
    }
    /* tri_mul = 1 projection + 1 contraction + 2 output-sized products */
    emit(o, "sgemm_trimul", L, m[0] + m[1] + 2 * m[2], mc[0] + mc[1] + 2 * mc[2], f[0] + f[1] + 2 * f[2], reps);
    /* transition = fc1 | fc2 (twice the projection's shape) + fc3 */
    const double m3 = fgb_median(t[3], reps), mc3 = fgb_median(cp[3], reps);
    emit(o, "sgemm_transition", L, 2 * m[0] + m3, 2 * mc[0] + mc3, 2 * f[0] + 2.0 * P * 4 * C_Z * C_Z, reps);
    free(W), free(Y);
}

static void state_init(state *st, int L)
{
    const size_t ns = (size_t)L * C_S, nz = (size_t)L * L * C_Z;
    st->L = L;
    st->s = malloc(ns * sizeof(float)), st->s0 = malloc(ns * sizeof(float));
    st->z = malloc(nz * sizeof(float)), st->z0 = malloc(nz * sizeof(float));
    st->out = malloc(nz * sizeof(float));
    st->node_mask = malloc((size_t)L * sizeof(float));
    st->edge_mask = malloc((size_t)L * L * sizeof(float));
    if (!st->s || !st->s0 || !st->z || !st->z0 || !st->out || !st->node_mask || !st->edge_mask) {
        fprintf(stderr, "out of memory at L=%d\n", L);
        exit(1);
    }
    fgb_fill(st->s0, ns, 1);
    fgb_fill(st->z0, nz, 2);
    memcpy(st->s, st->s0, ns * sizeof(float));
    memcpy(st->z, st->z0, nz * sizeof(float));
    for (int i = 0; i < L; i++)
        st->node_mask[i] = 1.0f;
    for (size_t i = 0; i < (size_t)L * L; i++)
        st->edge_mask[i] = 1.0f;
    fg_arena_init(&st->arena, 0);
}

static void state_free(state *st)
{
    free(st->s), free(st->s0), free(st->z), free(st->z0), free(st->out);
    free(st->node_mask), free(st->edge_mask);
    fg_arena_free(&st->arena);
}

/* One pairformer layer at L = 1024, run once, without the copies kept for
 * repeated timing: the peak RSS is that of the layer itself plus its inputs. */
static void run_l1024(const opts *o)
{
    const int L = 1024;
    const size_t ns = (size_t)L * C_S, nz = (size_t)L * L * C_Z;
    state st = {0};
    st.L = L;
    st.s = malloc(ns * sizeof(float)), st.z = malloc(nz * sizeof(float));
    st.node_mask = malloc((size_t)L * sizeof(float)), st.edge_mask = malloc((size_t)L * L * sizeof(float));
    fgb_fill(st.s, ns, 1), fgb_fill(st.z, nz, 2);
    for (size_t i = 0; i < (size_t)L * L; i++)
        st.edge_mask[i] = 1.0f;
    for (int i = 0; i < L; i++)
        st.node_mask[i] = 1.0f;
    fg_arena_init(&st.arena, 0);
    fg_weights *w = NULL;
    blk_ctx b = make_block("pairformer", &w);
    const fg_block_type *t = b.type;
    double t0 = fgb_now(), c0 = cpu_now();
    if (step_block(&b, &st) == 0) {
        emit(o, "pairformer_layer_l1024", L, fgb_now() - t0, cpu_now() - c0, t->flops(b.self, 1, L), 1);
        printf("{\"bench\": \"pairformer\", \"impl\": \"c\", \"block\": \"arena_peak\", \"L\": %d, "
               "\"arena_peak_mb\": %.1f}\n", L, (double)st.arena.peak / (1 << 20));
    }
    t->destroy(b.self);
    fg_weights_free(w);
    free(st.s), free(st.z), free(st.node_mask), free(st.edge_mask);
    fg_arena_free(&st.arena);
}

static void parse(opts *o, int argc, char **argv)
{
    o->threads = 0, o->reps = 0, o->l1024 = 0, o->only = NULL;
    o->n_sizes = 4;
    o->sizes[0] = 64, o->sizes[1] = 128, o->sizes[2] = 256, o->sizes[3] = 512;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            o->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            o->reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            o->only = argv[++i];
        else if (!strcmp(argv[i], "--l1024"))
            o->l1024 = 1;
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            o->n_sizes = 0;
            for (char *p = strtok(argv[++i], ","); p && o->n_sizes < 16; p = strtok(NULL, ","))
                o->sizes[o->n_sizes++] = atoi(p);
        } else {
            fprintf(stderr, "usage: %s [--threads N] [--sizes a,b,..] [--only NAME] [--reps R] [--l1024]\n", argv[0]);
            exit(2);
        }
    }
    if (o->threads > 0)
        fg_set_threads(o->threads);
    o->threads = fg_get_threads();
}

int main(int argc, char **argv)
{
    opts o;
    parse(&o, argc, argv);
    if (o.l1024) {
        run_l1024(&o);
        return 0;
    }
    for (int k = 0; k < o.n_sizes; k++) {
        state st;
        state_init(&st, o.sizes[k]);
        bench_sgemm(&o, &st);
        bench_components(&o, &st);
        bench_block(&o, &st, "pairformer", "pairformer_layer");
        bench_block(&o, &st, "pairformer_noseq", "pairformer_noseq_layer");
        bench_block(&o, &st, "pair_bias", "pair_bias_layer");
        state_free(&st);
    }
    return 0;
}
