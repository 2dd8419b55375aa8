/* framegen info W --config C: does a weights file fit a config? Lists every
 * missing, unexpected and misshapen tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "framegen/config.h"
#include "framegen/model.h"
#include "info_config.h"

typedef struct expected {
    char **names;
    int *ndim;
    int64_t (*shape)[FG_MAX_DIMS];
    size_t n, cap;
    bool oom;
} expected;

static void collect(const char *name, int ndim, const int64_t *shape, void *user)
{
    expected *e = user;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 256;
        char **nm = realloc(e->names, cap * sizeof *nm);
        if (nm)
            e->names = nm;
        int *nd = realloc(e->ndim, cap * sizeof *nd);
        if (nd)
            e->ndim = nd;
        int64_t(*sh)[FG_MAX_DIMS] = realloc(e->shape, cap * sizeof *sh);
        if (sh)
            e->shape = sh;
        if (!nm || !nd || !sh) {
            e->oom = true;
            return;
        }
        e->cap = cap;
    }
    e->names[e->n] = strdup(name);
    e->ndim[e->n] = ndim;
    memcpy(e->shape[e->n], shape, (size_t)ndim * sizeof *shape);
    e->oom |= !e->names[e->n];
    e->n++;
}

static void expected_free(expected *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->names[i]);
    free(e->names), free(e->ndim), free(e->shape);
}

static int find(const expected *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->names[i], name))
            return (int)i;
    return -1;
}

/* Prints the comparison; returns the number of disagreements. */
static int compare(const expected *e, fg_weights *w)
{
    int missing = 0, unexpected = 0, misshapen = 0;
    char a[128], b[128];
    for (size_t i = 0; i < e->n; i++) {
        fg_shape_str(e->ndim[i], e->shape[i], a, sizeof a);
        fg_tensor t;
        fg_error err;
        if (!fg_weights_has(w, e->names[i])) {
            printf("missing:    %s %s\n", e->names[i], a);
            missing++;
        } else if (fg_weights_find(w, e->names[i], &t, &err) == FG_OK &&
                   (t.ndim != e->ndim[i] || memcmp(t.shape, e->shape[i], (size_t)t.ndim * sizeof *t.shape))) {
            fg_shape_str(t.ndim, t.shape, b, sizeof b);
            printf("misshapen:  %s: file has %s, config expects %s\n", e->names[i], b, a);
            misshapen++;
        }
    }
    for (size_t i = 0; i < fg_weights_count(w); i++)
        if (find(e, fg_weights_name_at(w, i)) < 0) {
            int nd;
            int64_t sh[FG_MAX_DIMS];
            fg_weights_shape_at(w, i, &nd, sh);
            fg_shape_str(nd, sh, a, sizeof a);
            printf("unexpected: %s %s\n", fg_weights_name_at(w, i), a);
            unexpected++;
        }
    int bad = missing + unexpected + misshapen;
    if (bad)
        printf("weights and config disagree: %d missing, %d unexpected, %d misshapen\n", missing, unexpected,
               misshapen);
    else
        printf("weights and config agree: %zu tensors\n", e->n);
    return bad;
}

int fg_info_check_config(const char *weights, const char *config, const char *esm_weights)
{
    fg_config cfg;
    fg_error err;
    if (fg_config_load(config, &cfg, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, "info", "%s", err.msg);
    fg_weights *w = NULL, *esm = NULL;
    expected e = {0};
    int rc = FG_EXIT_OK;
    const char *esm_path = esm_weights ? esm_weights : cfg.esm_weights;
    if (cfg.model.esm.enabled && esm_path[0] && fg_weights_open(esm_path, NULL, &esm, &err) != FG_OK)
        rc = fg_cli_fail(FG_EXIT_RUNTIME, "info", "%s", err.msg);
    else if (fg_weights_open(weights, NULL, &w, &err) != FG_OK)
        rc = fg_cli_fail(FG_EXIT_RUNTIME, "info", "%s", err.msg);
    else if (fg_model_expected_tensors(&cfg.model, w, esm, collect, &e, &err) != FG_OK)
        rc = fg_cli_fail(FG_EXIT_RUNTIME, "info", "config %s: %s", config, err.msg);
    else if (e.oom)
        rc = fg_cli_fail(FG_EXIT_RUNTIME, "info", "out of memory");
    if (!rc) {
        printf("config: %s\nweights: %s\n", config, weights);
        if (cfg.status[0])
            printf("status: %s\n", cfg.status);
        rc = compare(&e, w) ? FG_EXIT_RUNTIME : FG_EXIT_OK;
    }
    expected_free(&e);
    fg_weights_free(w);
    fg_weights_free(esm);
    fg_config_free(&cfg);
    return rc;
}
