/* The whole flow model: one sampling step (one forward, B = 1) and one whole
 * sample (fg_sampler_run with S timesteps) at each length, on a config's
 * architecture (default: configs/multiflow.json, the public MultiFlow preset
 * at full size) with random weights (or --weights). One JSON line per length:
 * median seconds of a step and GFLOP/s (FLOPs from the model's own count),
 * seconds of a whole sample, peak RSS of the process (run one length per
 * process for a per-length peak, as bench/run_model_compare.sh does).
 *
 *   bench_model [--threads T] [--sizes 64,128,256] [--steps S] [--min-seconds X]
 *               [--config C] [--weights W]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"
#include "framegen/config.h"
#include "framegen/model.h"
#include "framegen/ops.h"
#include "framegen/rng.h"
#include "framegen/sampler.h"
#include "framegen/so3.h"

typedef struct opts {
    int threads, steps;
    double min_seconds;
    char sizes[256];
    const char *config, *weights;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){0, 10, 3.0, "64,128,256", "configs/multiflow.json", NULL};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--threads"))
            o->threads = atoi(v);
        else if (!strcmp(a, "--steps"))
            o->steps = atoi(v);
        else if (!strcmp(a, "--min-seconds"))
            o->min_seconds = atof(v);
        else if (!strcmp(a, "--sizes"))
            snprintf(o->sizes, sizeof o->sizes, "%s", v);
        else if (!strcmp(a, "--config"))
            o->config = v;
        else if (!strcmp(a, "--weights"))
            o->weights = v;
        else
            return -1;
    }
    return argc % 2 == 1 && o->steps >= 1 ? 0 : -1;
}

/* One sampler-step forward on a random state of N residues at t = 0.5. */
typedef struct step_ctx {
    fg_model *m;
    fg_model_batch b;
    float *ones, *trans, *rots, *sc, *asc, t;
    int64_t *chain, *resi, *aat;
    int failed;
} step_ctx;

static void step_init(step_ctx *c, fg_model *m, int N)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    c->ones = malloc(N * sizeof(float));
    c->trans = malloc(N * 3 * sizeof(float));
    c->rots = malloc(N * 9 * sizeof(float));
    c->sc = malloc(N * 3 * sizeof(float));
    c->asc = calloc((size_t)N * FG_AA_TOKENS, sizeof(float));
    c->chain = malloc(N * sizeof(int64_t));
    c->resi = malloc(N * sizeof(int64_t));
    c->aat = malloc(N * sizeof(int64_t));
    fg_rng r;
    fg_rng_init(&r, 1, (uint64_t)N);
    fg_rng_normals(&r, c->trans, (int64_t)N * 3);
    fg_so3_random_n(&r, N, c->rots);
    for (int i = 0; i < N; i++) {
        c->ones[i] = 1.0f, c->chain[i] = 1, c->resi[i] = i + 1, c->aat[i] = FG_AA_MASK;
        for (int k = 0; k < 3; k++)
            c->trans[i * 3 + k] *= 10.0f, c->sc[i * 3 + k] = c->trans[i * 3 + k];
    }
    c->t = 0.5f;
    c->b = (fg_model_batch){.B = 1, .N = N, .res_mask = c->ones, .diffuse_mask = c->ones, .chain_idx = c->chain,
                            .res_idx = c->resi, .so3_t = &c->t, .r3_t = &c->t, .cat_t = &c->t, .trans_t = c->trans,
                            .rotmats_t = c->rots, .aatypes_t = c->aat, .trans_sc = c->sc, .aatypes_sc = c->asc};
}

static void step_free(step_ctx *c)
{
    free(c->ones), free(c->trans), free(c->rots), free(c->sc), free(c->asc), free(c->chain), free(c->resi);
    free(c->aat);
}

static void step_run(void *p)
{
    step_ctx *c = p;
    fg_model_output o;
    fg_error err;
    if (fg_model_forward(c->m, &c->b, &o, &err) != FG_OK && !c->failed++)
        fprintf(stderr, "bench_model: %s\n", err.msg);
}

static double sample_seconds(fg_model *m, const fg_config *cfg, int N, int steps, int *ok)
{
    fg_sampler_params sp = fg_sampler_default_params();
    sp.cfg = cfg->sampling;
    sp.cfg.num_timesteps = steps;
    sp.seed = 1;
    sp.stream = fg_sampler_stream(N, 0);
    fg_sample s;
    fg_error err;
    double t0 = fgb_now();
    *ok = fg_sampler_run(m, N, &sp, &s, &err) == FG_OK;
    double dt = fgb_now() - t0;
    if (!*ok)
        fprintf(stderr, "bench_model: sample: %s\n", err.msg);
    fg_sample_free(&s);
    return dt;
}

static int bench_length(fg_model *m, const fg_config *cfg, const opts *o, int N)
{
    step_ctx c;
    step_init(&c, m, N);
    int reps = 0;
    double step = fgb_time(step_run, &c, 1, 3, 200, o->min_seconds, &reps);
    int ok = 0;
    double sample = c.failed ? 0.0 : sample_seconds(m, cfg, N, o->steps, &ok);
    double gflop = fg_model_flops(m, 1, N) * 1e-9;
    printf("{\"bench\": \"model\", \"impl\": \"framegen\", \"preset\": \"%s\", \"L\": %d, \"threads\": %d, "
           "\"step_median_s\": %.5f, \"step_reps\": %d, \"step_gflop\": %.3f, \"step_gflops\": %.2f, "
           "\"sample_steps\": %d, \"sample_s\": %.4f, \"peak_rss_mb\": %.1f}\n",
           cfg->name, N, fg_get_threads(), step, reps, gflop, gflop / step, o->steps, sample, fgb_peak_rss_mb());
    fflush(stdout);
    step_free(&c);
    return c.failed || !ok;
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench_model [--threads T] [--sizes 64,128,256] [--steps S] [--min-seconds X] "
                        "[--config C] [--weights W]\n");
        return 2;
    }
    fg_set_threads(o.threads);
    fg_config cfg;
    fg_error err;
    if (fg_config_load(o.config, &cfg, &err) != FG_OK) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        return 1;
    }
    char tmp[] = "/tmp/bench_model_XXXXXX";
    const char *wpath = o.weights;
    if (!wpath) { /* random weights with the reference's names, written once and mapped like a checkpoint */
        int fd = mkstemp(tmp);
        if (fd >= 0)
            close(fd);
        if (fd < 0 || fg_model_init_weights(&cfg.model, 1, tmp, &err) != FG_OK) {
            fprintf(stderr, "bench_model: random weights: %s\n", fd < 0 ? "mkstemp failed" : err.msg);
            return 1;
        }
        wpath = tmp;
    }
    fg_weights *w;
    fg_model *m = NULL;
    fg_model_params mp = fg_model_default_params();
    mp.max_length = 0;
    int rc = 1;
    if (fg_weights_open(wpath, NULL, &w, &err) == FG_OK && fg_model_create(&cfg.model, w, &mp, &m, &err) == FG_OK) {
        rc = 0;
        char sizes[256];
        snprintf(sizes, sizeof sizes, "%s", o.sizes);
        for (char *tok = strtok(sizes, ","); tok; tok = strtok(NULL, ","))
            rc |= bench_length(m, &cfg, &o, atoi(tok));
    } else {
        fprintf(stderr, "bench_model: %s\n", err.msg);
    }
    fg_model_destroy(m);
    fg_weights_free(w);
    if (!o.weights)
        unlink(tmp);
    fg_config_free(&cfg);
    return rc;
}
