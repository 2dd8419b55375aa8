/* framegen generate: backbones from a config (and weights) into structure files
 * and a summary. Every input is validated before anything is written; each
 * sample's files are written atomically and the summary is rewritten after
 * every sample, so Ctrl-C (or a failure) leaves complete, listed samples only. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "framegen/config.h"
#include "framegen/fileio.h"
#include "framegen/model.h"
#include "framegen/ops.h"
#include "framegen/sample_output.h"
#include "framegen/sampler.h"
#include "framegen/summary.h"
#include "generate_opts.h"
#include "progress.h"

#define CMD "generate"
#define EXIT_INTERRUPTED 130

/* Set by SIGINT / SIGTERM; the sampler reads it between model calls. */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the process at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct gen_run {
    gen_opts *o;
    fg_config cfg;
    fg_weights *w;
    fg_weights *esm_w;       /* ESM-2 weights when the model uses ESM */
    fg_model *m;
    const char *weights_path;
    fg_sample_record *rec;   /* summary records, in run order */
    int n_rec, cap_rec;
    fg_summary_meta meta;
    progress prog;
    int failed, written, skipped;
} gen_run;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Removes repeated lengths (keeping the first), so sample names stay unique. */
static void dedupe_lengths(gen_opts *o)
{
    int n = 0;
    for (int i = 0; i < o->n_lengths; i++) {
        int seen = 0;
        for (int j = 0; j < n && !seen; j++)
            seen = o->lengths[j] == o->lengths[i];
        if (!seen)
            o->lengths[n++] = o->lengths[i];
    }
    o->n_lengths = n;
}

static int load_model(gen_run *g)
{
    fg_error err;
    if (fg_config_load(g->o->config, &g->cfg, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s", err.msg);
    if (g->o->steps)
        g->cfg.sampling.num_timesteps = g->o->steps;
    for (int i = 0; i < g->o->n_lengths; i++)
        if (g->o->lengths[i] > g->cfg.sampling.max_length)
            return fg_cli_fail(FG_EXIT_USAGE, CMD, "length %d is above the maximum %d (sampling.max_length of %s)",
                               g->o->lengths[i], g->cfg.sampling.max_length, g->o->config);
    g->weights_path = g->o->weights ? g->o->weights : g->cfg.weights;
    if (!g->weights_path[0])
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "%s names no weights; give --weights", g->o->config);
    if (fg_weights_open(g->weights_path, NULL, &g->w, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s", err.msg);
    fg_model_params mp = fg_model_default_params();
    mp.max_length = g->cfg.sampling.max_length;
    const char *esm_path = g->o->esm_weights ? g->o->esm_weights : g->cfg.esm_weights;
    if (g->cfg.model.esm.enabled && esm_path[0]) {
        if (fg_weights_open(esm_path, NULL, &g->esm_w, &err) != FG_OK)
            return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s", err.msg);
        mp.esm_weights = g->esm_w;
    }
    if (fg_model_create(&g->cfg.model, g->w, &mp, &g->m, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "weights %s do not fit config %s: %s", g->weights_path,
                           g->o->config, err.msg);
    return 0;
}

/* Creates the output directory (and parents) and proves it writable, leaving nothing. */
static int prepare_out_dir(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--out: path too long");
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "cannot create %s: %s", path, strerror(errno));
            *p = '/';
        }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "cannot create output directory %s: %s", dir, strerror(errno));
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "output %s is not a directory", dir);
    char probe[4200], tmp[4300];
    snprintf(probe, sizeof probe, "%s/.framegen-probe", dir);
    fg_error err;
    if (fg_temp_path_beside(probe, tmp, sizeof tmp, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "output directory %s is not writable: %s", dir, err.msg);
    unlink(tmp);
    return 0;
}

static fg_sample_record *find_record(gen_run *g, int length, int index)
{
    for (int i = 0; i < g->n_rec; i++)
        if (g->rec[i].length == length && g->rec[i].index == index)
            return &g->rec[i];
    return NULL;
}

/* The record of (length, index): the existing one (to overwrite) or a new one. */
static fg_sample_record *record_slot(gen_run *g, int length, int index)
{
    fg_sample_record *r = find_record(g, length, index);
    if (r)
        return r;
    if (g->n_rec == g->cap_rec) {
        int cap = g->cap_rec ? 2 * g->cap_rec : 64;
        fg_sample_record *p = realloc(g->rec, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        g->rec = p;
        g->cap_rec = cap;
    }
    r = &g->rec[g->n_rec++];
    memset(r, 0, sizeof *r);
    return r;
}

static bool file_exists(const char *dir, const char *name)
{
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return name[0] && access(path, F_OK) == 0;
}

/* Resume: keep the records of finished samples whose files are all there. */
static int load_resume(gen_run *g)
{
    fg_error err;
    fg_sample_record *old;
    int n;
    if (fg_summary_read(g->o->out_dir, &old, &n, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "--resume: %s", err.msg);
    for (int i = 0; i < n; i++) {
        const fg_sample_record *r = &old[i];
        bool done = !strcmp(r->status, "ok") && file_exists(g->o->out_dir, r->file) &&
                    (!g->o->save_trajectory || file_exists(g->o->out_dir, r->trajectory)) &&
                    r->seed == g->o->seed && r->steps == g->cfg.sampling.num_timesteps;
        fg_sample_record *slot = done ? record_slot(g, r->length, r->index) : NULL;
        if (slot)
            *slot = *r;
    }
    free(old);
    return 0;
}

static int write_summary(gen_run *g)
{
    fg_error err;
    if (fg_summary_write(g->o->out_dir, &g->meta, g->rec, g->n_rec, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s", err.msg);
    return 0;
}

/* Writes the structure (and trajectory) of a finished sample and fills r. */
static fg_status write_sample(gen_run *g, const fg_sample *s, const char *name, fg_sample_record *r,
                              fg_error *err)
{
    const char *ext = g->o->cif ? "cif" : "pdb";
    fg_struct_format fmt = g->o->cif ? FG_STRUCT_MMCIF : FG_STRUCT_PDB;
    bool seq = g->cfg.sequence_head_trained;
    char path[4600];
    snprintf(r->file, sizeof r->file, "%s.%s", name, ext);
    snprintf(path, sizeof path, "%s/%s", g->o->out_dir, r->file);
    fg_status st = fg_sample_write(s, path, fmt, seq, err);
    if (st == FG_OK && g->o->save_trajectory) {
        snprintf(r->trajectory, sizeof r->trajectory, "%s_traj.%s", name, ext);
        snprintf(path, sizeof path, "%s/%s", g->o->out_dir, r->trajectory);
        st = fg_sample_write_trajectory(s, path, fmt, seq, err);
    }
    float *bb4 = st == FG_OK ? malloc((size_t)s->N * 12 * sizeof(float)) : NULL;
    if (st == FG_OK && !bb4)
        st = fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    if (st == FG_OK && (st = fg_sample_backbone(s, bb4, err)) == FG_OK)
        fg_ca_stats(bb4 + 3, s->N, 12, &r->ca_ca_mean, &r->rg);
    free(bb4);
    return st;
}

/* One sample. Returns 0 to go on, else the exit code that ends the run. */
static int run_one(gen_run *g, int length, int index)
{
    char name[64];
    snprintf(name, sizeof name, "sample_L%d_%d", length, index);
    progress_begin(&g->prog, name);
    fg_sample_record *r = find_record(g, length, index);
    if (r && g->o->resume) {
        g->skipped++;
        progress_end(&g->prog, "finished earlier, skipped (--resume)");
        return 0;
    }
    fg_sampler_params sp = fg_sampler_default_params();
    sp.cfg = g->cfg.sampling;
    sp.seed = g->o->seed;
    sp.stream = fg_sampler_stream(length, index);
    sp.save_trajectory = g->o->save_trajectory;
    sp.progress = progress_step;
    sp.progress_user = &g->prog;
    sp.cancel = &g_stop;
    fg_sampler_hooks hooks = {0};
    if (g->o->nan_step && g->o->nan_length == length && g->o->nan_index == index) {
        hooks.nan_at_call = g->o->nan_step;
        sp.hooks = &hooks;
    }
    fg_sample s;
    fg_error err;
    double t0 = now();
    fg_status st = fg_sampler_run(g->m, length, &sp, &s, &err);
    double secs = now() - t0;
    if (st == FG_ERR_INTERRUPTED) {
        progress_end(&g->prog, "interrupted; not written");
        return EXIT_INTERRUPTED;
    }
    fg_sample_record tmp = {0};
    if (st == FG_OK)
        st = write_sample(g, &s, name, &tmp, &err);
    fg_sample_free(&s);
    if (st != FG_OK && st != FG_ERR_NUMERIC) {
        progress_end(&g->prog, "failed");
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s: %s", name, err.msg);
    }
    if (!(r = record_slot(g, length, index)))
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "out of memory");
    *r = tmp;
    r->length = length;
    r->index = index;
    r->seed = g->o->seed;
    r->steps = sp.cfg.num_timesteps;
    r->seconds = secs;
    if (st == FG_ERR_NUMERIC) { /* this sample stops; the others go on */
        g->failed++;
        r->file[0] = r->trajectory[0] = '\0';
        snprintf(r->status, sizeof r->status, "failed: %.150s", err.msg);
        progress_end(&g->prog, "warning: sample stopped, nothing written: %s", err.msg);
    } else {
        g->written++;
        snprintf(r->status, sizeof r->status, "ok");
        progress_end(&g->prog, "%s in %.2f s, mean CA-CA %.2f A, Rg %.2f A", r->file, secs, r->ca_ca_mean, r->rg);
    }
    return write_summary(g);
}

static int run_all(gen_run *g)
{
    fg_log(&(fg_logger){fg_cli_log, NULL}, FG_LOG_INFO, "framegen generate: config %s, weights %s",
           g->o->config, g->weights_path);
    if (g->cfg.status[0])
        fprintf(stderr, "model status: %s\n", g->cfg.status);
    if (!g->cfg.sequence_head_trained)
        fprintf(stderr, "sequence head not trained: residues are written as GLY\n");
    progress_init(&g->prog, g->o->n_lengths * g->o->num_samples);
    int rc = 0;
    for (int li = 0; li < g->o->n_lengths && !rc; li++)
        for (int i = 0; i < g->o->num_samples && !rc; i++)
            rc = run_one(g, g->o->lengths[li], i);
    int wrc = write_summary(g);
    fprintf(stderr, "%d written, %d skipped, %d failed; summary in %s/%s and %s\n", g->written, g->skipped,
            g->failed, g->o->out_dir, FG_SUMMARY_JSON, FG_SUMMARY_TSV);
    if (rc)
        return rc == EXIT_INTERRUPTED ? (fprintf(stderr, "interrupted\n"), rc) : rc;
    return wrc ? wrc : g->failed ? FG_EXIT_RUNTIME : FG_EXIT_OK;
}

int fg_cmd_generate(int argc, char **argv)
{
    gen_opts o;
    bool help;
    int rc = gen_opts_parse(argc, argv, &o, &help);
    if (rc || help) {
        if (help)
            gen_usage(stdout);
        gen_opts_free(&o);
        return rc;
    }
    dedupe_lengths(&o);
    gen_run g;
    memset(&g, 0, sizeof g);
    g.o = &o;
    fg_set_threads(o.threads);
    rc = load_model(&g);
    if (!rc && o.resume)
        rc = load_resume(&g);
    if (!rc)
        rc = prepare_out_dir(o.out_dir);
    if (!rc) {
        g.meta = (fg_summary_meta){o.config, g.weights_path, g.cfg.status[0] ? g.cfg.status : NULL,
                                   o.cif ? "cif" : "pdb"};
        install_signals();
        rc = run_all(&g);
    }
    free(g.rec);
    fg_model_destroy(g.m);
    fg_weights_free(g.w);
    fg_weights_free(g.esm_w);
    fg_config_free(&g.cfg);
    gen_opts_free(&o);
    return rc;
}
