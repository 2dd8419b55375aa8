#include "framegen/weights.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "framegen/safetensors.h"

struct name_idx {
    const char *name;
    size_t idx;
};

typedef struct entry {
    const char *name;           /* without prefix; points into owned or st storage */
    char *owned_name;
    int ndim;
    int64_t shape[FG_MAX_DIMS];
    const fg_st_tensor *src;    /* NULL for tensors added from memory */
    const float *data;          /* resolved f32 data, NULL until first access */
    float *owned;               /* converted or added data */
    bool used;
} entry;

struct fg_weights {
    fg_st_file *st;
    char *prefix;
    entry *e;
    size_t n, cap;
    struct name_idx *sorted;    /* names sorted for lookup; rebuilt after adds */
    bool sorted_ok;
    fg_weights_fill_fn synth_fill;   /* synthesising store (fg_weights_set_synth) */
    fg_weights_claim_fn synth_claims;
    void *synth_user;
};

void fg_weights_set_synth(fg_weights *w, fg_weights_fill_fn fill, fg_weights_claim_fn claims, void *user)
{
    w->synth_fill = fill;
    w->synth_claims = claims;
    w->synth_user = user;
}

static bool synth_claims(const fg_weights *w, const char *name)
{
    return w->synth_fill && w->synth_claims && w->synth_claims(name, w->synth_user);
}

static struct entry *lookup(const fg_weights *cw, const char *name);

static fg_status grow(fg_weights *w, fg_error *err)
{
    if (w->n < w->cap)
        return FG_OK;
    size_t cap = w->cap ? 2 * w->cap : 64;
    entry *e = realloc(w->e, cap * sizeof *e);
    if (!e)
        return fg_error_set(err, FG_ERR_NOMEM, "weights: out of memory");
    w->e = e;
    w->cap = cap;
    return FG_OK;
}

fg_status fg_weights_create(fg_weights **out, fg_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? FG_OK : fg_error_set(err, FG_ERR_NOMEM, "weights: out of memory");
}

fg_status fg_weights_open(const char *path, const char *prefix, fg_weights **out, fg_error *err)
{
    fg_weights *w;
    fg_status st = fg_weights_create(&w, err);
    if (st != FG_OK)
        return st;
    w->prefix = strdup(prefix ? prefix : "");
    st = w->prefix ? fg_st_open(path, &w->st, err)
                   : fg_error_set(err, FG_ERR_NOMEM, "weights: out of memory");
    size_t plen = w->prefix ? strlen(w->prefix) : 0;
    for (size_t i = 0; st == FG_OK && i < fg_st_count(w->st); i++) {
        const fg_st_tensor *t = fg_st_at(w->st, i);
        if (strncmp(t->name, w->prefix, plen) != 0)
            continue;
        if ((st = grow(w, err)) != FG_OK)
            break;
        entry *e = &w->e[w->n++];
        memset(e, 0, sizeof *e);
        e->name = t->name + plen;
        e->ndim = t->ndim;
        memcpy(e->shape, t->shape, sizeof e->shape);
        e->src = t;
    }
    if (st != FG_OK) {
        fg_weights_free(w);
        return st;
    }
    *out = w;
    return FG_OK;
}

fg_status fg_weights_add(fg_weights *w, const char *name, int ndim, const int64_t *shape,
                         const float *data, fg_error *err)
{
    if (ndim < 0 || ndim > FG_MAX_DIMS)
        return fg_error_set(err, FG_ERR_INVALID, "weights: tensor '%s': %d dims", name, ndim);
    if (lookup(w, name))
        return fg_error_set(err, FG_ERR_INVALID, "weights: tensor '%s' added twice", name);
    fg_status st = grow(w, err);
    if (st != FG_OK)
        return st;
    size_t n = (size_t)fg_shape_numel(ndim, shape);
    entry e = {0};
    e.owned_name = strdup(name);
    e.owned = malloc((n ? n : 1) * sizeof(float));
    if (!e.owned_name || !e.owned) {
        free(e.owned_name);
        free(e.owned);
        return fg_error_set(err, FG_ERR_NOMEM, "weights: out of memory for '%s'", name);
    }
    memcpy(e.owned, data, n * sizeof(float));
    e.name = e.owned_name;
    e.ndim = ndim;
    memcpy(e.shape, shape, (size_t)ndim * sizeof *shape);
    e.data = e.owned;
    w->e[w->n++] = e;
    w->sorted_ok = false;
    return FG_OK;
}

void fg_weights_free(fg_weights *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->e[i].owned);
        free(w->e[i].owned_name);
    }
    free(w->e);
    free(w->sorted);
    free(w->prefix);
    fg_st_close(w->st);
    free(w);
}

const char *fg_weights_source(const fg_weights *w) { return w->st ? fg_st_path(w->st) : "(memory)"; }

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct name_idx *)a)->name, ((const struct name_idx *)b)->name);
}

static struct entry *lookup(const fg_weights *cw, const char *name)
{
    fg_weights *w = (fg_weights *)cw; /* the sorted index is a cache, rebuilt lazily */
    if (!w->sorted_ok) {
        struct name_idx *s = realloc(w->sorted, (w->n ? w->n : 1) * sizeof *s);
        if (!s) {
            for (size_t i = 0; i < w->n; i++)
                if (strcmp(w->e[i].name, name) == 0)
                    return &w->e[i];
            return NULL;
        }
        w->sorted = s;
        for (size_t i = 0; i < w->n; i++)
            s[i] = (struct name_idx){w->e[i].name, i};
        qsort(s, w->n, sizeof *s, by_name);
        w->sorted_ok = true;
    }
    struct name_idx key = {name, 0};
    struct name_idx *hit = bsearch(&key, w->sorted, w->n, sizeof key, by_name);
    return hit ? &w->e[hit->idx] : NULL;
}

bool fg_weights_has(const fg_weights *w, const char *name)
{
    return lookup(w, name) != NULL || synth_claims(w, name);
}

/* Creates a claimed missing tensor of a fully known shape (synthesising store). */
static fg_status synthesise(fg_weights *w, const char *name, int ndim, const int64_t *shape, fg_error *err)
{
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return fg_error_set(err, FG_ERR_SHAPE, "%s: cannot synthesise '%s' of unknown shape",
                                fg_weights_source(w), name);
    size_t n = (size_t)fg_shape_numel(ndim, shape);
    float *data = calloc(n ? n : 1, sizeof *data);
    if (!data)
        return fg_error_set(err, FG_ERR_NOMEM, "weights: out of memory for '%s'", name);
    w->synth_fill(name, ndim, shape, data, w->synth_user);
    fg_status st = fg_weights_add(w, name, ndim, shape, data, err);
    free(data);
    return st;
}

/* Resolve an entry's f32 data: in place when the mapping holds aligned F32. */
static fg_status resolve(fg_weights *w, entry *e, fg_error *err)
{
    if (e->data)
        return FG_OK;
    const fg_st_tensor *t = e->src;
    if (t->dtype == FG_F32 && ((uintptr_t)t->data % sizeof(float)) == 0) {
        e->data = t->data;
        return FG_OK;
    }
    size_t n = (size_t)fg_shape_numel(t->ndim, t->shape);
    e->owned = malloc((n ? n : 1) * sizeof(float));
    if (!e->owned)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory converting '%s'",
                            fg_weights_source(w), t->name);
    fg_status st = fg_st_read_f32(w->st, t, e->owned, err);
    if (st != FG_OK) {
        free(e->owned);
        e->owned = NULL;
        return st;
    }
    e->data = e->owned;
    return FG_OK;
}

void fg_weights_release(fg_weights *w, const float *data)
{
    const long page = sysconf(_SC_PAGESIZE);
    for (size_t i = 0; data && page > 0 && i < w->n; i++) {
        const entry *e = &w->e[i];
        if (e->data != data || e->owned || !e->src)
            continue;
        /* only whole pages inside the tensor: its neighbours may be in use */
        const uintptr_t a = (uintptr_t)data, end = a + e->src->nbytes;
        const uintptr_t p0 = (a + (uintptr_t)page - 1) / (uintptr_t)page * (uintptr_t)page;
        const uintptr_t p1 = end / (uintptr_t)page * (uintptr_t)page;
        if (p1 > p0)
            madvise((void *)p0, p1 - p0, MADV_DONTNEED);
        return;
    }
}

fg_status fg_weights_find(fg_weights *w, const char *name, fg_tensor *t, fg_error *err)
{
    entry *e = lookup(w, name);
    if (!e)
        return fg_error_set(err, FG_ERR_SHAPE, "%s: missing tensor '%s%s'", fg_weights_source(w),
                            w->prefix ? w->prefix : "", name);
    fg_status st = resolve(w, e, err);
    if (st != FG_OK)
        return st;
    e->used = true;
    t->data = e->data;
    t->ndim = e->ndim;
    memcpy(t->shape, e->shape, sizeof t->shape);
    return FG_OK;
}

const float *fg_weights_get(fg_weights *w, const char *name, int ndim, const int64_t *shape,
                            fg_error *err)
{
    fg_tensor t;
    if (!lookup(w, name) && w->synth_fill && synthesise(w, name, ndim, shape, err) != FG_OK)
        return NULL;
    if (fg_weights_find(w, name, &t, err) != FG_OK)
        return NULL;
    bool ok = t.ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = shape[i] < 0 || shape[i] == t.shape[i];
    if (!ok) {
        char want[128], got[128];
        fg_shape_str(ndim, shape, want, sizeof want);
        fg_shape_str(t.ndim, t.shape, got, sizeof got);
        fg_error_set(err, FG_ERR_SHAPE, "%s: tensor '%s%s' has shape %s, expected %s",
                     fg_weights_source(w), w->prefix ? w->prefix : "", name, got, want);
        return NULL;
    }
    return t.data;
}

size_t fg_weights_count(const fg_weights *w) { return w->n; }
const char *fg_weights_name_at(const fg_weights *w, size_t i) { return w->e[i].name; }
bool fg_weights_used_at(const fg_weights *w, size_t i) { return w->e[i].used; }

void fg_weights_shape_at(const fg_weights *w, size_t i, int *ndim, int64_t *shape)
{
    *ndim = w->e[i].ndim;
    memcpy(shape, w->e[i].shape, (size_t)w->e[i].ndim * sizeof *shape);
}

void fg_weights_clear_used(fg_weights *w)
{
    for (size_t i = 0; i < w->n; i++)
        w->e[i].used = false;
}

int64_t fg_weights_total_params(const fg_weights *w)
{
    int64_t total = 0;
    for (size_t i = 0; i < w->n; i++)
        total += fg_shape_numel(w->e[i].ndim, w->e[i].shape);
    return total;
}

void fg_wload_init(fg_wload *l, fg_weights *w, fg_error *err, const char *prefix_fmt, ...)
{
    l->w = w;
    l->err = err;
    l->st = FG_OK;
    va_list ap;
    va_start(ap, prefix_fmt);
    vsnprintf(l->prefix, sizeof l->prefix, prefix_fmt, ap);
    va_end(ap);
}

static const float *wl_get(fg_wload *l, const char *name, int ndim, const int64_t *shape, bool optional)
{
    if (l->st != FG_OK)
        return NULL;
    char full[512];
    snprintf(full, sizeof full, "%s%s", l->prefix, name);
    if (optional && !fg_weights_has(l->w, full))
        return NULL;
    fg_error local;
    const float *p = fg_weights_get(l->w, full, ndim, shape, &local);
    if (!p) {
        l->st = local.status;
        if (l->err)
            *l->err = local;
    }
    return p;
}

const float *fg_wl_1d(fg_wload *l, const char *name, int64_t d0)
{
    return wl_get(l, name, 1, (int64_t[]){d0}, false);
}
const float *fg_wl_2d(fg_wload *l, const char *name, int64_t d0, int64_t d1)
{
    return wl_get(l, name, 2, (int64_t[]){d0, d1}, false);
}
const float *fg_wl_3d(fg_wload *l, const char *name, int64_t d0, int64_t d1, int64_t d2)
{
    return wl_get(l, name, 3, (int64_t[]){d0, d1, d2}, false);
}
const float *fg_wl_opt_1d(fg_wload *l, const char *name, int64_t d0)
{
    return wl_get(l, name, 1, (int64_t[]){d0}, true);
}
const float *fg_wl_opt_2d(fg_wload *l, const char *name, int64_t d0, int64_t d1)
{
    return wl_get(l, name, 2, (int64_t[]){d0, d1}, true);
}

bool fg_wl_has(const fg_wload *l, const char *name)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s", l->prefix, name);
    return fg_weights_has(l->w, full);
}
