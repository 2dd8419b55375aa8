#include "esm_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "framegen/safetensors.h"

typedef struct pending {
    char *name;
    fg_dtype dt;
    int ndim;
    int64_t shape[FG_MAX_DIMS];
    void *data;
} pending;

struct esm_out {
    char *path;
    char **meta; /* key, value, ... */
    size_t n_meta;
    fg_st_file *file; /* the last checkpoint (or the resumed file) */
    pending *p;
    size_t n, cap, bytes;
};

static char *dup(const char *s) { return strdup(s ? s : ""); }

void esm_out_close(esm_out *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++)
        free(o->p[i].name), free(o->p[i].data);
    for (size_t i = 0; i < 2 * o->n_meta; i++)
        free(o->meta[i]);
    free(o->meta), free(o->p), free(o->path);
    fg_st_close(o->file);
    free(o);
}

static fg_status check_meta(const esm_out *o, fg_error *err)
{
    for (size_t i = 0; i < o->n_meta; i++) {
        const char *have = fg_st_metadata(o->file, o->meta[2 * i]);
        if (!have || strcmp(have, o->meta[2 * i + 1]) != 0)
            return fg_error_set(err, FG_ERR_INVALID,
                                "%s: cannot resume: it was written with %s = '%s', this run has '%s' "
                                "(same options, or drop --resume to start over)",
                                o->path, o->meta[2 * i], have ? have : "(none)", o->meta[2 * i + 1]);
    }
    return FG_OK;
}

fg_status esm_out_open(esm_out **out, const char *path, bool resume, const char *const *meta,
                       size_t n_meta, fg_error *err)
{
    esm_out *o = calloc(1, sizeof *o);
    *out = NULL;
    if (!o || !(o->path = dup(path)) || !(o->meta = calloc(2 * n_meta + 1, sizeof *o->meta))) {
        esm_out_close(o);
        return fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    }
    o->n_meta = n_meta;
    for (size_t i = 0; i < 2 * n_meta; i++)
        o->meta[i] = dup(meta[i]);
    struct stat sb;
    fg_status st = FG_OK;
    if (resume && stat(path, &sb) == 0) {
        st = fg_st_open(path, &o->file, err);
        if (st == FG_OK)
            st = check_meta(o, err);
    }
    if (st != FG_OK) {
        esm_out_close(o);
        return st;
    }
    *out = o;
    return FG_OK;
}

fg_status esm_out_has(const esm_out *o, const char *id, const int32_t *tokens, int64_t n, bool *done,
                      fg_error *err)
{
    *done = false;
    char name[1024];
    snprintf(name, sizeof name, "%s.tokens", id);
    const fg_st_tensor *t = o->file ? fg_st_find(o->file, name) : NULL;
    if (!t)
        return FG_OK;
    int64_t *have = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    fg_status st = have ? FG_OK : fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    bool same = t->ndim == 1 && t->shape[0] == n;
    if (st == FG_OK && same && (st = fg_st_read_i64(o->file, t, have, err)) == FG_OK)
        for (int64_t i = 0; i < n; i++)
            same = same && have[i] == tokens[i];
    free(have);
    if (st == FG_OK && !same)
        st = fg_error_set(err, FG_ERR_INVALID,
                          "%s: record '%s' is there with another sequence; cannot resume", o->path, id);
    *done = st == FG_OK;
    return st;
}

size_t esm_out_carried(const esm_out *o)
{
    size_t n = 0, len;
    for (size_t i = 0; o->file && i < fg_st_count(o->file); i++) {
        const char *nm = fg_st_at(o->file, i)->name;
        n += (len = strlen(nm)) > 7 && strcmp(nm + len - 7, ".tokens") == 0;
    }
    return n;
}

fg_status esm_out_add(esm_out *o, const char *name, fg_dtype dt, int ndim, const int64_t *shape,
                      void *data, fg_error *err)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 256;
        pending *p = realloc(o->p, cap * sizeof *p);
        if (!p) {
            free(data);
            return fg_error_set(err, FG_ERR_NOMEM, "out of memory");
        }
        o->p = p;
        o->cap = cap;
    }
    pending *e = &o->p[o->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = strdup(name))) {
        free(data);
        return fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    }
    e->dt = dt;
    e->ndim = ndim;
    memcpy(e->shape, shape, sizeof(int64_t) * (size_t)ndim);
    e->data = data;
    o->n++;
    o->bytes += (size_t)fg_shape_numel(ndim, shape) * fg_dtype_size(dt);
    return FG_OK;
}

size_t esm_out_pending_bytes(const esm_out *o) { return o->bytes; }

fg_status esm_out_write(esm_out *o, fg_error *err)
{
    size_t n_old = o->file ? fg_st_count(o->file) : 0, n = n_old + o->n;
    fg_st_entry *e = calloc(n ? n : 1, sizeof *e);
    const char **meta = calloc(2 * o->n_meta + 1, sizeof *meta);
    if (!e || !meta) {
        free(e), free(meta);
        return fg_error_set(err, FG_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_old; i++) {
        const fg_st_tensor *t = fg_st_at(o->file, i);
        e[i] = (fg_st_entry){.name = t->name, .dtype = t->dtype, .ndim = t->ndim, .data = t->data};
        memcpy(e[i].shape, t->shape, sizeof t->shape);
    }
    for (size_t i = 0; i < o->n; i++) {
        fg_st_entry *x = &e[n_old + i];
        *x = (fg_st_entry){.name = o->p[i].name, .dtype = o->p[i].dt, .ndim = o->p[i].ndim, .data = o->p[i].data};
        memcpy(x->shape, o->p[i].shape, sizeof x->shape);
    }
    for (size_t i = 0; i < 2 * o->n_meta; i++)
        meta[i] = o->meta[i];
    fg_status st = fg_st_write(o->path, e, n, meta, o->n_meta, err);
    free(e), free(meta);
    if (st != FG_OK)
        return st;
    /* the old mapping stays valid until closed, though its file was replaced */
    fg_st_close(o->file);
    o->file = NULL;
    for (size_t i = 0; i < o->n; i++)
        free(o->p[i].name), free(o->p[i].data);
    o->n = 0;
    o->bytes = 0;
    return fg_st_open(o->path, &o->file, err);
}
