/* framegen esm embed|logits|init: ESM-2 over a FASTA file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "esm_out.h"
#include "framegen/esm.h"
#include "framegen/esm_tokens.h"
#include "framegen/fasta.h"
#include "framegen/ops.h"

enum { POOL_NONE, POOL_MEAN, POOL_CLS };

typedef struct esm_args {
    const char *cmd, *weights, *fasta, *out, *prefix, *layers;
    int pool;
    bool attention, resume;
    long long batch_tokens, threads, max_len, checkpoint;
    fg_esm_names names;
} esm_args;

typedef struct record {
    const fg_fasta_record *fa;
    int32_t *tokens; /* <cls> residues <eos> */
    int64_t n;
} record;

static void esm_usage(FILE *out)
{
    fprintf(out,
            "usage: framegen esm embed  --weights ESM.safetensors --fasta IN.fa --out OUT.safetensors\n"
            "                           [--layers all|last|LIST] [--pool none|mean|cls] [--attention]\n"
            "                           [--batch-tokens N] [--threads T] [--resume] [--max-len N]\n"
            "       framegen esm logits --weights ESM.safetensors --fasta IN.fa --out OUT.safetensors\n"
            "                           [--batch-tokens N] [--threads T] [--resume] [--max-len N]\n"
            "       framegen esm init   --out ESM.safetensors --layers L --width D --heads H [--seed S]\n\n"
            "Runs a frozen ESM-2 (fair-esm or Hugging Face tensor names; size read from the\n"
            "weights) over every FASTA record, shortest first, packed into batches of about\n"
            "N tokens (default 4096) without padding. Per record <id> (first word of the\n"
            "header) OUT holds <id>.tokens (I64, with <cls>/<eos>) and\n"
            "  embed:  <id>.repr.<layer> [n, d] (--pool none, the default), <id>.mean.<layer>\n"
            "          [d] (mean over the residues), or <id>.cls.<layer> [d] (the <cls> row);\n"
            "          with --attention <id>.attention [n, n, layers*heads] (channel =\n"
            "          layer*heads + head), rows and columns = residues\n"
            "  logits: <id>.logits [n, 33] (ESM-1b alphabet order)\n"
            "--layers: 'all', 'last' (default) or a comma list; 0 is the embedding, negative\n"
            "counts from the end. Residues: the ESM-1b alphabet (LAGVSERTIDPKQNFYMHWCXBUZO.-)\n"
            "and <mask>/<unk>; anything else is an error, as is a record over --max-len\n"
            "residues (default 1022, the ESM-2 training context of 1024 tokens).\n"
            "OUT is written whole and atomically, at the end and every --checkpoint seconds\n"
            "(default 60; 0: after every batch); --resume keeps the records OUT already holds\n"
            "and computes the rest.\n"
            "init writes random weights of the given size (benchmarks, smoke tests).\n");
}

static int parse_args(int argc, char **argv, esm_args *a)
{
    *a = (esm_args){.cmd = argv[0], .layers = "last", .batch_tokens = 4096, .max_len = 1022, .checkpoint = 60};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool flag = !strcmp(k, "--attention") || !strcmp(k, "--resume");
        if (!flag && !v && k[0] == '-')
            return fg_cli_fail(FG_EXIT_USAGE, "esm", "%s needs a value", k);
        if (!strcmp(k, "--attention")) a->attention = true;
        else if (!strcmp(k, "--resume")) a->resume = true;
        else if (!strcmp(k, "--weights")) a->weights = v, i++;
        else if (!strcmp(k, "--fasta")) a->fasta = v, i++;
        else if (!strcmp(k, "--out")) a->out = v, i++;
        else if (!strcmp(k, "--prefix")) a->prefix = v, i++;
        else if (!strcmp(k, "--layers")) a->layers = v, i++;
        else if (!strcmp(k, "--pool")) {
            a->pool = !strcmp(v, "none")   ? POOL_NONE
                      : !strcmp(v, "mean") ? POOL_MEAN
                      : !strcmp(v, "cls")  ? POOL_CLS
                                           : -1;
            if (a->pool < 0)
                return fg_cli_fail(FG_EXIT_USAGE, "esm", "--pool: expected none, mean or cls, got '%s'", v);
            i++;
        } else if (!strcmp(k, "--names")) {
            a->names = !strcmp(v, "auto") ? FG_ESM_NAMES_AUTO : !strcmp(v, "fair") ? FG_ESM_NAMES_FAIR
                       : !strcmp(v, "hf") ? FG_ESM_NAMES_HF : (fg_esm_names)-1;
            if ((int)a->names < 0)
                return fg_cli_fail(FG_EXIT_USAGE, "esm", "--names: expected auto, fair or hf, got '%s'", v);
            i++;
        } else if (!strcmp(k, "--batch-tokens")) {
            if (!fg_cli_int("esm", k, v, 16, 1LL << 30, &a->batch_tokens)) return FG_EXIT_USAGE;
            i++;
        } else if (!strcmp(k, "--threads")) {
            if (!fg_cli_int("esm", k, v, 1, 4096, &a->threads)) return FG_EXIT_USAGE;
            i++;
        } else if (!strcmp(k, "--max-len")) {
            if (!fg_cli_int("esm", k, v, 1, 1 << 24, &a->max_len)) return FG_EXIT_USAGE;
            i++;
        } else if (!strcmp(k, "--checkpoint")) {
            if (!fg_cli_int("esm", k, v, 0, 1 << 30, &a->checkpoint)) return FG_EXIT_USAGE;
            i++;
        } else
            return fg_cli_fail(FG_EXIT_USAGE, "esm", "unknown option '%s'", k);
    }
    if (!a->weights || !a->fasta || !a->out)
        return fg_cli_fail(FG_EXIT_USAGE, "esm", "%s needs --weights, --fasta and --out", a->cmd);
    if (!strcmp(a->cmd, "logits") && (a->attention || a->pool != POOL_NONE))
        return fg_cli_fail(FG_EXIT_USAGE, "esm", "logits takes no --attention or --pool");
    return FG_EXIT_OK;
}

/* "all", "last" or a comma list (negative from the end) into sorted unique layers. */
static int parse_layers(const char *spec, int n_layers, int *out)
{
    bool want[1024] = {false};
    if (!strcmp(spec, "all"))
        for (int l = 0; l <= n_layers; l++)
            want[l] = true;
    else if (!strcmp(spec, "last"))
        want[n_layers] = true;
    else
        for (const char *p = spec; *p;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || (*end && *end != ',') || v > n_layers || v < -(n_layers + 1)) {
                fg_cli_fail(FG_EXIT_USAGE, "esm", "--layers '%s': expected all, last or integers in "
                            "[%d, %d]", spec, -(n_layers + 1), n_layers);
                return -1;
            }
            want[v < 0 ? v + n_layers + 1 : v] = true;
            p = *end ? end + 1 : end;
        }
    int n = 0;
    for (int l = 0; l <= n_layers; l++)
        if (want[l])
            out[n++] = l;
    return n;
}

/* Tokens of every record; the first bad record stops the run before any work. */
static int tokenize_all(const esm_args *a, const fg_fasta *fa, record *rec)
{
    for (size_t i = 0; i < fa->n; i++) {
        const fg_fasta_record *r = &fa->rec[i];
        size_t n;
        fg_error err;
        if (fg_esm_tokenize(r->seq, NULL, 0, &n, &err) != FG_OK)
            return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s:%d: record '%s': %s", a->fasta, r->line, r->id, err.msg);
        if ((long long)n > a->max_len)
            return fg_cli_fail(FG_EXIT_RUNTIME, "esm",
                               "%s:%d: record '%s' has %zu residues, over the limit of %lld (ESM-2 was "
                               "trained on 1024 tokens with <cls>/<eos>; --max-len changes the limit)",
                               a->fasta, r->line, r->id, n, a->max_len);
        rec[i].fa = r;
        rec[i].n = (int64_t)n + 2;
        rec[i].tokens = malloc(sizeof(int32_t) * (size_t)rec[i].n);
        if (!rec[i].tokens)
            return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "out of memory");
        rec[i].tokens[0] = FG_ESM_TOK_CLS;
        rec[i].tokens[n + 1] = FG_ESM_TOK_EOS;
        fg_esm_tokenize(r->seq, rec[i].tokens + 1, n, &n, &err);
    }
    return FG_EXIT_OK;
}

static int by_length(const void *x, const void *y)
{
    const record *a = *(const record *const *)x, *b = *(const record *const *)y;
    return a->n < b->n ? -1 : a->n > b->n ? 1 : a->fa->line - b->fa->line;
}

/* Everything one batch needs: the request and its output buffers. */
typedef struct job {
    const esm_args *a;
    fg_esm *esm;
    const fg_esm_config *c;
    int n_layers_out, layers[1024];
    esm_out *out;
} job;

static float *copy_rows(const float *src, int64_t rows, int64_t stride, int64_t d)
{
    float *x = malloc(sizeof(float) * (size_t)(rows * d + 1));
    for (int64_t r = 0; x && r < rows; r++)
        memcpy(x + r * d, src + r * stride, sizeof(float) * (size_t)d);
    return x;
}

/* Stores one record's results (residue rows = tokens 1 .. n-2). */
static fg_status store_record(const job *j, const record *r, const float *repr, int64_t row0,
                              const float *attn, const float *logits, fg_error *err)
{
    const fg_esm_config *c = j->c;
    int64_t n = r->n, res = n - 2, d = c->d_model, ld = (int64_t)j->n_layers_out * d;
    char name[1024];
    int64_t *tok = malloc(sizeof(int64_t) * (size_t)n);
    if (!tok)
        return fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++)
        tok[i] = r->tokens[i];
    snprintf(name, sizeof name, "%s.tokens", r->fa->id);
    fg_status st = esm_out_add(j->out, name, FG_I64, 1, &n, tok, err);
    for (int k = 0; st == FG_OK && repr && k < j->n_layers_out; k++) {
        const float *base = repr + row0 * ld + (int64_t)k * d;
        float *x;
        int64_t shape[2] = {res, d};
        if (j->a->pool == POOL_NONE) {
            x = copy_rows(base + ld, res, ld, d);
            snprintf(name, sizeof name, "%s.repr.%d", r->fa->id, j->layers[k]);
        } else if (j->a->pool == POOL_CLS) {
            x = copy_rows(base, 1, ld, d);
            snprintf(name, sizeof name, "%s.cls.%d", r->fa->id, j->layers[k]);
        } else {
            x = calloc((size_t)d, sizeof *x);
            for (int64_t i = 1; x && i <= res; i++)
                for (int64_t q = 0; q < d; q++)
                    x[q] += base[i * ld + q];
            for (int64_t q = 0; x && q < d; q++)
                x[q] /= (float)(res > 0 ? res : 1);
            snprintf(name, sizeof name, "%s.mean.%d", r->fa->id, j->layers[k]);
        }
        st = x ? esm_out_add(j->out, name, FG_F32, j->a->pool == POOL_NONE ? 2 : 1,
                             j->a->pool == POOL_NONE ? shape : shape + 1, x, err)
               : fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    }
    if (st == FG_OK && attn) {
        int64_t C = (int64_t)c->n_layers * c->n_heads, shape[3] = {res, res, C};
        float *x = malloc(sizeof(float) * (size_t)(res * res * C + 1));
        for (int64_t i = 0; x && i < res; i++)
            memcpy(x + i * res * C, attn + ((i + 1) * n + 1) * C, sizeof(float) * (size_t)(res * C));
        snprintf(name, sizeof name, "%s.attention", r->fa->id);
        st = x ? esm_out_add(j->out, name, FG_F32, 3, shape, x, err)
               : fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    }
    if (st == FG_OK && logits) {
        int64_t shape[2] = {res, c->vocab};
        float *x = copy_rows(logits + (row0 + 1) * c->vocab, res, c->vocab, c->vocab);
        snprintf(name, sizeof name, "%s.logits", r->fa->id);
        st = x ? esm_out_add(j->out, name, FG_F32, 2, shape, x, err)
               : fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    }
    return st;
}

/* NaN or Inf in an output means broken weights: stop rather than store them. */
static fg_status check_finite(const float *x, int64_t n, const char *what, fg_error *err)
{
    for (int64_t i = 0; x && i < n; i++)
        if (!isfinite(x[i]))
            return fg_error_set(err, FG_ERR_NUMERIC,
                                "batch with record '%s': non-finite value in the ESM output (broken weights?)",
                                what);
    return FG_OK;
}

/* One packed batch through the model, results into the output set. */
static fg_status run_batch(const job *j, record **recs, int n, fg_error *err)
{
    const fg_esm_config *c = j->c;
    bool embed = !strcmp(j->a->cmd, "embed");
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(n + 1)); /* [n + 1] */
    if (!off)
        return fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    off[0] = 0;
    for (int i = 0; i < n; i++)
        off[i + 1] = off[i] + recs[i]->n;
    int64_t T = off[n], rows, attn_n;
    int32_t *tok = malloc(sizeof(int32_t) * (size_t)T); /* [T] packed */
    for (int i = 0; tok && i < n; i++)
        memcpy(tok + off[i], recs[i]->tokens, sizeof(int32_t) * (size_t)recs[i]->n);
    fg_esm_batch in = {n, tok, off};
    fg_esm_output_size(j->esm, &in, NULL, &rows, &attn_n, err);
    fg_esm_outputs o = {0};
    if (embed) {
        o.n_repr = j->n_layers_out;
        o.repr_layers = j->layers;
        o.repr_row_stride = (int64_t)j->n_layers_out * c->d_model;
        o.repr_layer_stride = c->d_model;
        o.repr = malloc(sizeof(float) * (size_t)(T * o.repr_row_stride));      /* [T, layers, d] */
        o.attn = j->a->attention ? malloc(sizeof(float) * (size_t)attn_n) : NULL; /* per record [n, n, C] */
    } else {
        o.logits = malloc(sizeof(float) * (size_t)(T * c->vocab)); /* [T, vocab] */
    }
    fg_status st = (embed ? !o.repr || (j->a->attention && !o.attn) : !o.logits) || !tok || !off
                       ? fg_error_set(err, FG_ERR_NOMEM, "out of memory for a batch of %lld tokens", (long long)T)
                       : fg_esm_forward(j->esm, &in, &o, err);
    int64_t ablock = 0, C = (int64_t)c->n_layers * c->n_heads;
    if (st == FG_OK)
        st = check_finite(o.repr, o.repr ? T * o.repr_row_stride : 0, recs[0]->fa->id, err);
    if (st == FG_OK)
        st = check_finite(o.logits, o.logits ? T * c->vocab : 0, recs[0]->fa->id, err);
    for (int i = 0; st == FG_OK && i < n; i++) {
        st = store_record(j, recs[i], o.repr, off[i], o.attn ? o.attn + ablock : NULL, o.logits, err);
        ablock += recs[i]->n * recs[i]->n * C;
    }
    free(o.repr), free(o.attn), free(o.logits), free(tok), free(off);
    return st;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The records still to do, shortest first, in batches of about batch_tokens. */
static int run_all(job *j, record **todo, size_t n_todo, int64_t total_tokens)
{
    fg_error err;
    double t0 = now_s(), last_write = t0, last_note = 0;
    int64_t done_tokens = 0;
    for (size_t i = 0; i < n_todo;) {
        size_t k = i;
        int64_t tokens = 0;
        while (k < n_todo && (k == i || tokens + todo[k]->n <= j->a->batch_tokens))
            tokens += todo[k++]->n;
        if (run_batch(j, todo + i, (int)(k - i), &err) != FG_OK)
            return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
        done_tokens += tokens;
        i = k;
        double t = now_s();
        if (t - last_note >= 1.0 || i == n_todo) {
            fprintf(stderr, "esm %s: %zu/%zu sequences, %lld/%lld tokens, %.1f s, %.0f tokens/s\n",
                    j->a->cmd, i, n_todo, (long long)done_tokens, (long long)total_tokens, t - t0,
                    (double)done_tokens / (t - t0 > 1e-9 ? t - t0 : 1e-9));
            last_note = t;
        }
        bool big = esm_out_pending_bytes(j->out) > ((size_t)1 << 31);
        if (i < n_todo && (big || t - last_write >= (double)j->a->checkpoint)) {
            if (esm_out_write(j->out, &err) != FG_OK)
                return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
            last_write = now_s();
        }
    }
    if (esm_out_write(j->out, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
    return FG_EXIT_OK;
}

/* Opens the output (resuming if asked) and runs the records not in it yet. */
static int embed_or_logits(const esm_args *a, fg_esm *esm, record *rec, size_t n_rec)
{
    job j = {.a = a, .esm = esm, .c = fg_esm_get_config(esm)};
    bool embed = !strcmp(a->cmd, "embed");
    if (embed && (j.n_layers_out = parse_layers(a->layers, j.c->n_layers, j.layers)) < 0)
        return FG_EXIT_USAGE;
    char layers[4096] = "", model[128];
    for (int k = 0; k < j.n_layers_out; k++)
        snprintf(layers + strlen(layers), sizeof layers - strlen(layers), "%s%d", k ? "," : "", j.layers[k]);
    snprintf(model, sizeof model, "ESM-2: %d layers, width %d, %d heads, vocab %d", j.c->n_layers,
             j.c->d_model, j.c->n_heads, j.c->vocab);
    static const char *const POOLS[] = {"none", "mean", "cls"};
    const char *meta[] = {"framegen.command", embed ? "esm embed" : "esm logits", "model", model,
                          "layers", embed ? layers : "", "pool", embed ? POOLS[a->pool] : "",
                          "attention", a->attention ? "yes" : "no", "alphabet", "ESM-1b"};
    fg_error err;
    if (esm_out_open(&j.out, a->out, a->resume, meta, sizeof meta / sizeof meta[0] / 2, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
    record **todo = malloc(sizeof *todo * (n_rec ? n_rec : 1));
    size_t n_todo = 0;
    int64_t total = 0;
    int rc = todo ? FG_EXIT_OK : fg_cli_fail(FG_EXIT_RUNTIME, "esm", "out of memory");
    for (size_t i = 0; rc == FG_EXIT_OK && i < n_rec; i++) {
        bool done;
        if (esm_out_has(j.out, rec[i].fa->id, rec[i].tokens, rec[i].n, &done, &err) != FG_OK)
            rc = fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
        else if (!done)
            todo[n_todo++] = &rec[i], total += rec[i].n;
    }
    if (rc == FG_EXIT_OK) {
        if (a->resume)
            fprintf(stderr, "esm %s: %zu of %zu records already in %s\n", a->cmd, n_rec - n_todo, n_rec, a->out);
        qsort(todo, n_todo, sizeof *todo, by_length);
        rc = n_todo ? run_all(&j, todo, n_todo, total) : FG_EXIT_OK;
    }
    free(todo);
    esm_out_close(j.out);
    return rc;
}

static int run_embed_or_logits(const esm_args *a)
{
    if (a->threads > 0)
        fg_set_threads((int)a->threads);
    fg_fasta fa;
    fg_error err;
    if (fg_fasta_read(a->fasta, &fa, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
    record *rec = calloc(fa.n, sizeof *rec);
    int rc = rec ? tokenize_all(a, &fa, rec) : fg_cli_fail(FG_EXIT_RUNTIME, "esm", "out of memory");
    fg_weights *w = NULL;
    fg_esm *esm = NULL;
    fg_esm_options opt = {a->prefix, a->names, 0};
    if (rc == FG_EXIT_OK &&
        (fg_weights_open(a->weights, NULL, &w, &err) != FG_OK || fg_esm_create(w, &opt, &esm, &err) != FG_OK))
        rc = fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
    if (rc == FG_EXIT_OK && !strcmp(a->cmd, "logits") && !fg_esm_get_config(esm)->has_lm_head)
        rc = fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s has no LM head: no logits", a->weights);
    if (rc == FG_EXIT_OK)
        rc = embed_or_logits(a, esm, rec, fa.n);
    for (size_t i = 0; rec && i < fa.n; i++)
        free(rec[i].tokens);
    free(rec);
    fg_esm_destroy(esm);
    fg_weights_free(w);
    fg_fasta_free(&fa);
    return rc;
}

static int run_init(int argc, char **argv)
{
    const char *out = NULL;
    long long layers = 0, width = 0, heads = 0, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return fg_cli_fail(FG_EXIT_USAGE, "esm", "%s needs a value", k);
        i++;
        if (!strcmp(k, "--out")) out = v;
        else if (!strcmp(k, "--layers")) { if (!fg_cli_int("esm", k, v, 1, 256, &layers)) return FG_EXIT_USAGE; }
        else if (!strcmp(k, "--width")) { if (!fg_cli_int("esm", k, v, 2, 16384, &width)) return FG_EXIT_USAGE; }
        else if (!strcmp(k, "--heads")) { if (!fg_cli_int("esm", k, v, 1, 1024, &heads)) return FG_EXIT_USAGE; }
        else if (!strcmp(k, "--seed")) { if (!fg_cli_int("esm", k, v, 0, 1LL << 62, &seed)) return FG_EXIT_USAGE; }
        else return fg_cli_fail(FG_EXIT_USAGE, "esm", "unknown option '%s'", k);
    }
    if (!out || !layers || !width || !heads)
        return fg_cli_fail(FG_EXIT_USAGE, "esm", "init needs --out, --layers, --width and --heads");
    fg_error err;
    if (fg_esm_write_random(out, (int)layers, (int)width, (int)heads, (uint64_t)seed, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, "esm", "%s", err.msg);
    return FG_EXIT_OK;
}

int fg_cmd_esm(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        esm_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? FG_EXIT_USAGE : FG_EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            esm_usage(stdout);
            return FG_EXIT_OK;
        }
    if (!strcmp(argv[1], "init"))
        return run_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "embed") != 0 && strcmp(argv[1], "logits") != 0)
        return fg_cli_fail(FG_EXIT_USAGE, "esm", "unknown subcommand '%s' (embed, logits, init)", argv[1]);
    esm_args a;
    int rc = parse_args(argc - 1, argv + 1, &a);
    return rc != FG_EXIT_OK ? rc : run_embed_or_logits(&a);
}
