/* ESM-2 forward speed and memory, printed as JSON lines (keys shared with
 * bench/torch_esm.py, which runs the same cases in plain PyTorch).
 *
 *   bench_esm [--shapes t6_8M,t12_35M,t30_150M,t33_650M] [--lengths 256,512]
 *             [--modes uniform,varlen,maps,cache] [--threads T] [--varlen-n 16]
 *             [--tsv structures.tsv] [--weights-dir DIR] [--budget SECONDS]
 *
 * Weights are random (fg_esm_write_random: uniform, std 1/sqrt(fan_in), fair-esm
 * names), written once per shape to DIR/esm_<shape>.safetensors (kept for the
 * next run and for torch_esm.py) and memory-mapped, as a real checkpoint is. Cases:
 *   uniform  one sequence of L tokens (<cls> + L-2 residues + <eos>), logits
 *   varlen   varlen-n sequences with lengths from structures.tsv, packed, logits
 *   maps     uniform plus every layer's hidden states and all attention maps
 *   cache    a 100-step sampler loop of frozen ESM calls on 8 samples of 128
 *            residues whose tokens never change (unconditional backbones):
 *            fg_esm_cache against calling ESM every step
 * Time: one run, discarded as warm-up unless it took over budget/4, then runs
 * until 3 samples or the budget; the median. Peak RSS: the process high-water
 * mark reset before each case (/proc/self/clear_refs), weights included. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "framegen/esm.h"
#include "framegen/esm_cache.h"
#include "framegen/esm_frozen.h"
#include "framegen/esm_tokens.h"
#include "framegen/ops.h"
#include "framegen/weights.h"

typedef struct shape {
    const char *name;
    int layers, d, heads;
} shape;

static const shape SHAPES[] = {
    {"t6_8M", 6, 320, 20}, {"t12_35M", 12, 480, 20}, {"t30_150M", 30, 640, 20}, {"t33_650M", 33, 1280, 20}};

/* Lengths of the first 16 draws from structures.tsv, used when it is absent. */
static const int FALLBACK_LENGTHS[16] = {186, 165, 233, 266, 313, 147, 310, 94,
                                         104, 308, 205, 233, 435, 156, 148, 130};

typedef struct opts {
    char shapes[256], modes[128], lengths[128], tsv[1024], dir[1024];
    int threads, varlen_n;
    double budget;
} opts;

/* ---- measurement ---- */

/* Resets the peak-RSS mark to the current RSS (Linux 4.0+); 0 on success. */
static int rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static double rss_peak_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb >= 0 ? kb / 1024.0 : fgb_peak_rss_mb();
}

/* One run, discarded as warm-up unless it took over budget/4; then runs while
 * fewer than 3 samples and the next one fits in the budget. */
/* Process CPU seconds (all threads): a steadier figure than wall time on a shared machine. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double time_case(void (*fn)(void *), void *ctx, double budget, int *reps, double *cpu)
{
    double samples[3], cpus[3];
    int n = 0;
    double t0 = fgb_now(), c0 = cpu_now();
    fn(ctx);
    double first = fgb_now() - t0, last = first;
    if (first >= budget / 4) {
        cpus[n] = cpu_now() - c0;
        samples[n++] = first;
    }
    double start = fgb_now();
    while (n < 3 && fgb_now() - start + last <= budget) {
        t0 = fgb_now(), c0 = cpu_now();
        fn(ctx);
        cpus[n] = cpu_now() - c0;
        last = samples[n++] = fgb_now() - t0;
    }
    *reps = n;
    *cpu = fgb_median(cpus, n);
    return fgb_median(samples, n);
}

typedef struct run_ctx {
    fg_esm *esm;
    fg_esm_batch in;
    fg_esm_outputs out;
    int failed;
} run_ctx;

static void run_forward(void *p)
{
    run_ctx *r = p;
    fg_error err;
    if (fg_esm_forward(r->esm, &r->in, &r->out, &err) != FG_OK && !r->failed) {
        fprintf(stderr, "bench_esm: %s\n", err.msg);
        r->failed = 1;
    }
}

/* Useful work in GFLOP: projections, FFN, attention and LM head per sequence. */
static double gflop(const shape *s, const int64_t *off, int n)
{
    double f = 0, d = s->d;
    for (int q = 0; q < n; q++) {
        double L = (double)(off[q + 1] - off[q]);
        f += s->layers * (24.0 * L * d * d + 4.0 * L * L * d) + 2.0 * L * d * (d + 33);
    }
    return f * 1e-9;
}

static void print_case(const opts *o, const shape *s, const char *mode, int L, int n, int64_t tokens,
                       double t, double cpu, int reps, double rss, double gf)
{
    printf("{\"impl\":\"framegen\",\"shape\":\"%s\",\"mode\":\"%s\",\"L\":%d,\"n_seqs\":%d,"
           "\"tokens\":%lld,\"padded_tokens\":%lld,\"threads\":%d,\"median_s\":%.6f,"
           "\"cpu_s\":%.6f,\"tokens_per_s\":%.1f,\"peak_rss_mb\":%.1f,\"reps\":%d,\"gflops\":%.2f}\n",
           s->name, mode, L, n, (long long)tokens, (long long)tokens, o->threads, t, cpu,
           (double)tokens / t, rss, reps, gf / t);
    fflush(stdout);
}

/* Random residue tokens between <cls> and <eos>. */
static void fill_tokens(int32_t *tok, const int64_t *off, int n)
{
    uint64_t x = 12345;
    for (int q = 0; q < n; q++)
        for (int64_t t = off[q]; t < off[q + 1]; t++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            tok[t] = t == off[q] ? FG_ESM_TOK_CLS : t == off[q + 1] - 1 ? FG_ESM_TOK_EOS
                                                                          : 4 + (int32_t)((x >> 33) % 20);
        }
}

static void forward_case(const opts *o, const shape *s, fg_esm *esm, const char *mode, int L,
                         const int *lens, int n)
{
    int64_t *off = malloc(sizeof *off * (size_t)(n + 1));
    off[0] = 0;
    for (int q = 0; q < n; q++)
        off[q + 1] = off[q] + lens[q];
    int64_t T = off[n];
    int32_t *tok = malloc(sizeof *tok * (size_t)T);
    fill_tokens(tok, off, n);
    int maps = strcmp(mode, "maps") == 0;
    int *layers = malloc(sizeof(int) * (size_t)(s->layers + 1));
    for (int l = 0; l <= s->layers; l++)
        layers[l] = l;
    run_ctx r = {.esm = esm, .in = {n, tok, off}};
    int64_t rows, attn_n;
    fg_error err;
    fg_esm_output_size(esm, &r.in, NULL, &rows, &attn_n, &err);
    r.out.logits = malloc(sizeof(float) * (size_t)(T * 33));
    if (maps) {
        r.out.n_repr = s->layers + 1;
        r.out.repr_layers = layers;
        r.out.repr = malloc(sizeof(float) * (size_t)(T * (s->layers + 1) * s->d));
        r.out.repr_row_stride = (int64_t)(s->layers + 1) * s->d;
        r.out.repr_layer_stride = s->d;
        r.out.attn = malloc(sizeof(float) * (size_t)attn_n);
    }
    rss_reset();
    int reps;
    double cpu;
    double t = time_case(run_forward, &r, o->budget, &reps, &cpu);
    if (!r.failed)
        print_case(o, s, mode, L, n, T, t, cpu, reps, rss_peak_mb(), gflop(s, off, n));
    free(r.out.logits), free(r.out.repr), free(r.out.attn);
    free(layers), free(tok), free(off);
}

/* A 100-step sampler loop of frozen ESM on 8 all-<mask> samples (unconditional
 * backbones: the tokens never change), with the cache and without. */
static void cache_case(const opts *o, const shape *s, fg_esm *esm)
{
    enum { B = 8, N = 128, STEPS = 100 };
    int64_t *aa = malloc(sizeof *aa * B * N), *ch = calloc(B * N, sizeof *ch);
    float *mask = malloc(sizeof *mask * B * N);
    for (int i = 0; i < B * N; i++)
        aa[i] = 20, mask[i] = 1.0f;
    fg_frozen_esm_out out = {malloc(sizeof(float) * (size_t)(B * fg_frozen_esm_single_size(esm, N))), NULL, NULL};
    fg_error err;
    rss_reset();
    double t0 = fgb_now();
    fg_esm_cache *cache = NULL;
    fg_esm_cache_request req = {true, false, false};
    fg_esm_cache_view v;
    int ok = fg_esm_cache_create(esm, &cache, &err) == FG_OK;
    for (int step = 0; ok && step < STEPS; step++)
        ok = fg_esm_cache_forward(cache, B, N, aa, ch, mask, &req, &v, &err) == FG_OK;
    double with_cache = fgb_now() - t0, rss = rss_peak_mb();
    fg_esm_cache_stats st = {0};
    if (cache)
        fg_esm_cache_get_stats(cache, &st);
    fg_esm_cache_destroy(cache);
    /* without: every step runs ESM; the per-step time times the steps */
    double step_s = 0;
    for (int rep = 0; ok && rep < 3; rep++) {
        t0 = fgb_now();
        ok = fg_frozen_esm_forward(esm, B, N, aa, ch, mask, &out, &err) == FG_OK;
        double t = fgb_now() - t0;
        step_s = rep == 0 || t < step_s ? t : step_s;
    }
    if (!ok)
        fprintf(stderr, "bench_esm: cache case: %s\n", err.msg);
    else
        printf("{\"impl\":\"framegen\",\"shape\":\"%s\",\"mode\":\"cache\",\"L\":%d,\"n_seqs\":%d,"
               "\"steps\":%d,\"threads\":%d,\"step_s_no_cache\":%.6f,\"total_s_no_cache\":%.4f,"
               "\"total_s_cache\":%.4f,\"esm_passes_cache\":%lld,\"hits\":%lld,\"misses\":%lld,"
               "\"saving\":%.4f,\"peak_rss_mb\":%.1f}\n",
               s->name, N + 2, B, STEPS, o->threads, step_s, step_s * STEPS, with_cache,
               (long long)st.forwards, (long long)st.hits, (long long)st.misses,
               1.0 - with_cache / (step_s * STEPS), rss);
    fflush(stdout);
    free(aa), free(ch), free(mask), free(out.single);
}

/* Residue lengths of structures.tsv (<= 1022), draws k * 7919 mod count. */
static void varlen_lengths(const char *tsv, int n, int *lens)
{
    FILE *f = fopen(tsv, "r");
    int *all = NULL, cnt = 0, cap = 0, col = -1;
    char line[65536];
    if (f && fgets(line, sizeof line, f)) {
        int c = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, "\t\n", &save); tok; tok = strtok_r(NULL, "\t\n", &save), c++)
            if (strcmp(tok, "length") == 0)
                col = c;
    }
    while (f && col >= 0 && fgets(line, sizeof line, f)) {
        char *p = line;
        for (int c = 0; c < col && p; c++) {
            p = strchr(p, '\t');
            p = p ? p + 1 : NULL;
        }
        int len = p ? atoi(p) : 0;
        if (len < 1 || len > 1022)
            continue;
        if (cnt == cap)
            all = realloc(all, sizeof *all * (size_t)(cap = cap ? 2 * cap : 4096));
        all[cnt++] = len;
    }
    if (f)
        fclose(f);
    for (int k = 0; k < n; k++)
        lens[k] = 2 + (cnt ? all[(int)(((int64_t)k * 7919) % cnt)] : FALLBACK_LENGTHS[k % 16]);
    if (!cnt)
        fprintf(stderr, "bench_esm: %s not readable; using the built-in lengths\n", tsv);
    free(all);
}

static int has_item(const char *list, const char *item)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, item) == 0)
            return 1;
    return 0;
}

static int parse(int argc, char **argv, opts *o)
{
    snprintf(o->shapes, sizeof o->shapes, "t6_8M,t12_35M,t30_150M,t33_650M");
    snprintf(o->modes, sizeof o->modes, "uniform,varlen");
    snprintf(o->lengths, sizeof o->lengths, "256,512");
    snprintf(o->tsv, sizeof o->tsv, "../shared/data/structures.tsv");
    snprintf(o->dir, sizeof o->dir, "/tmp");
    o->threads = 0, o->varlen_n = 16, o->budget = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--shapes")) snprintf(o->shapes, sizeof o->shapes, "%s", v);
        else if (!strcmp(k, "--modes")) snprintf(o->modes, sizeof o->modes, "%s", v);
        else if (!strcmp(k, "--lengths")) snprintf(o->lengths, sizeof o->lengths, "%s", v);
        else if (!strcmp(k, "--tsv")) snprintf(o->tsv, sizeof o->tsv, "%s", v);
        else if (!strcmp(k, "--weights-dir")) snprintf(o->dir, sizeof o->dir, "%s", v);
        else if (!strcmp(k, "--threads")) o->threads = atoi(v);
        else if (!strcmp(k, "--varlen-n")) o->varlen_n = atoi(v);
        else if (!strcmp(k, "--budget")) o->budget = atof(v);
        else {
            fprintf(stderr, "bench_esm: unknown option %s\n", k);
            return -1;
        }
    }
    if (argc % 2 == 0) {
        fprintf(stderr, "bench_esm: option %s needs a value\n", argv[argc - 1]);
        return -1;
    }
    if (o->threads > 0)
        fg_set_threads(o->threads);
    o->threads = fg_get_threads();
    if (o->varlen_n < 1 || o->varlen_n > 4096)
        o->varlen_n = 16;
    return 0;
}

/* A weights file from an earlier run is reused when it has the shape. */
static int weights_ok(const shape *s, const char *path)
{
    fg_weights *w = NULL;
    fg_esm *esm = NULL;
    fg_error err;
    int ok = fg_weights_open(path, NULL, &w, &err) == FG_OK && fg_esm_create(w, NULL, &esm, &err) == FG_OK;
    if (ok) {
        const fg_esm_config *c = fg_esm_get_config(esm);
        ok = c->n_layers == s->layers && c->d_model == s->d && c->n_heads == s->heads;
    }
    fg_esm_destroy(esm);
    fg_weights_free(w);
    return ok;
}

static void run_shape(const opts *o, const shape *s)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/esm_%s.safetensors", o->dir, s->name);
    fg_weights *w = NULL;
    fg_esm *esm = NULL;
    fg_error err;
    if (!weights_ok(s, path) && fg_esm_write_random(path, s->layers, s->d, s->heads, 1, &err) != FG_OK) {
        fprintf(stderr, "bench_esm: %s: %s\n", s->name, err.msg);
        return;
    }
    if (fg_weights_open(path, NULL, &w, &err) != FG_OK || fg_esm_create(w, NULL, &esm, &err) != FG_OK) {
        fprintf(stderr, "bench_esm: %s: %s\n", s->name, err.msg);
        fg_weights_free(w);
        return;
    }
    char lens[128], *save = NULL;
    snprintf(lens, sizeof lens, "%s", o->lengths);
    for (char *t = strtok_r(lens, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int L = atoi(t);
        if (L < 3)
            continue;
        if (has_item(o->modes, "uniform"))
            forward_case(o, s, esm, "uniform", L, &L, 1);
        if (has_item(o->modes, "maps"))
            forward_case(o, s, esm, "maps", L, &L, 1);
    }
    if (has_item(o->modes, "varlen")) {
        int *v = malloc(sizeof(int) * (size_t)o->varlen_n);
        varlen_lengths(o->tsv, o->varlen_n, v);
        forward_case(o, s, esm, "varlen", 0, v, o->varlen_n);
        free(v);
    }
    if (has_item(o->modes, "cache"))
        cache_case(o, s, esm);
    fg_esm_destroy(esm);
    fg_weights_free(w);
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0)
        return 2;
    for (size_t i = 0; i < sizeof SHAPES / sizeof SHAPES[0]; i++)
        if (has_item(o.shapes, SHAPES[i].name))
            run_shape(&o, &SHAPES[i]);
    return 0;
}
