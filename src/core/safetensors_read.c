#include "framegen/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Headers larger than this are refused before parsing (the format's own limit). */
#define ST_MAX_HEADER ((uint64_t)100 << 20)

struct fg_st_file {
    char *path;
    unsigned char *map;     /* whole file */
    size_t size;
    const unsigned char *data; /* start of the data area */
    size_t data_size;
    fg_st_tensor *tensors;
    size_t n;
    char **meta;            /* key, value, key, value, ... */
    size_t n_meta;
};

typedef struct { size_t begin, end, idx; } span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

static int name_cmp(const void *a, const void *b)
{
    const fg_st_tensor *x = *(const fg_st_tensor *const *)a, *y = *(const fg_st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

static fg_status parse_metadata(fg_st_file *f, const cJSON *meta, fg_error *err)
{
    if (!cJSON_IsObject(meta))
        return fg_error_set(err, FG_ERR_FORMAT, "%s: __metadata__ is not an object", f->path);
    size_t n = (size_t)cJSON_GetArraySize(meta);
    f->meta = calloc(2 * n + 1, sizeof *f->meta);
    if (!f->meta)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", f->path);
    for (const cJSON *kv = meta->child; kv; kv = kv->next) {
        if (!cJSON_IsString(kv))
            return fg_error_set(err, FG_ERR_FORMAT, "%s: __metadata__.%s is not a string",
                                f->path, kv->string);
        f->meta[2 * f->n_meta] = strdup(kv->string);
        f->meta[2 * f->n_meta + 1] = strdup(kv->valuestring);
        f->n_meta++;
    }
    return FG_OK;
}

static fg_status parse_shape(const fg_st_file *f, const char *name, const cJSON *shape,
                             fg_st_tensor *t, fg_error *err)
{
    if (!cJSON_IsArray(shape))
        return fg_error_set(err, FG_ERR_FORMAT, "%s: tensor '%s': shape is not an array", f->path, name);
    int nd = cJSON_GetArraySize(shape);
    if (nd > FG_MAX_DIMS)
        return fg_error_set(err, FG_ERR_FORMAT, "%s: tensor '%s': %d dims (max %d)", f->path, name,
                            nd, FG_MAX_DIMS);
    t->ndim = nd;
    int i = 0;
    for (const cJSON *d = shape->child; d; d = d->next, i++) {
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble != floor(d->valuedouble) ||
            d->valuedouble > 9.0e15)
            return fg_error_set(err, FG_ERR_FORMAT, "%s: tensor '%s': bad dimension %d", f->path,
                                name, i);
        t->shape[i] = (int64_t)d->valuedouble;
    }
    return FG_OK;
}

static fg_status parse_tensor(fg_st_file *f, const cJSON *e, fg_st_tensor *t, span *sp, fg_error *err)
{
    const char *name = e->string;
    if (!cJSON_IsObject(e))
        return fg_error_set(err, FG_ERR_FORMAT, "%s: tensor '%s': entry is not an object", f->path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt) || !shape || !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return fg_error_set(err, FG_ERR_FORMAT,
                            "%s: tensor '%s': needs dtype, shape and data_offsets [begin, end]",
                            f->path, name);
    if (fg_dtype_from_name(dt->valuestring, &t->dtype) != 0)
        return fg_error_set(err, FG_ERR_FORMAT, "%s: tensor '%s': unknown dtype '%s'", f->path,
                            name, dt->valuestring);
    fg_status st = parse_shape(f, name, shape, t, err);
    if (st != FG_OK)
        return st;
    const cJSON *b = offs->child, *en = offs->child->next;
    if (!cJSON_IsNumber(b) || !cJSON_IsNumber(en) || b->valuedouble < 0 ||
        en->valuedouble < b->valuedouble)
        return fg_error_set(err, FG_ERR_FORMAT, "%s: tensor '%s': bad data_offsets", f->path, name);
    if (en->valuedouble > (double)f->data_size)
        return fg_error_set(err, FG_ERR_FORMAT,
                            "%s: tensor '%s': data_offsets end %.0f past the end of the data (%zu bytes; truncated file?)",
                            f->path, name, en->valuedouble, f->data_size);
    sp->begin = (size_t)b->valuedouble;
    sp->end = (size_t)en->valuedouble;
    double want = (double)fg_shape_numel(t->ndim, t->shape) * (double)fg_dtype_size(t->dtype);
    if ((double)(sp->end - sp->begin) != want) {
        char sh[128];
        fg_shape_str(t->ndim, t->shape, sh, sizeof sh);
        return fg_error_set(err, FG_ERR_FORMAT,
                            "%s: tensor '%s': %zu bytes of data but %s %s needs %.0f", f->path,
                            name, sp->end - sp->begin, dt->valuestring, sh, want);
    }
    t->nbytes = sp->end - sp->begin;
    t->data = f->data + sp->begin;
    t->name = strdup(name);
    return t->name ? FG_OK : fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", f->path);
}

static fg_status check_layout(fg_st_file *f, span *spans, fg_error *err)
{
    qsort(spans, f->n, sizeof *spans, span_cmp);
    for (size_t i = 1; i < f->n; i++)
        if (spans[i].begin < spans[i - 1].end)
            return fg_error_set(err, FG_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap", f->path,
                                f->tensors[spans[i - 1].idx].name, f->tensors[spans[i].idx].name);
    const fg_st_tensor **byname = malloc((f->n ? f->n : 1) * sizeof *byname);
    if (!byname)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", f->path);
    for (size_t i = 0; i < f->n; i++)
        byname[i] = &f->tensors[i];
    qsort(byname, f->n, sizeof *byname, name_cmp);
    fg_status st = FG_OK;
    for (size_t i = 1; i < f->n && st == FG_OK; i++)
        if (strcmp(byname[i]->name, byname[i - 1]->name) == 0)
            st = fg_error_set(err, FG_ERR_FORMAT, "%s: tensor name '%s' appears twice", f->path,
                              byname[i]->name);
    free(byname);
    return st;
}

static fg_status parse_header(fg_st_file *f, const char *json, size_t len, fg_error *err)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return fg_error_set(err, FG_ERR_FORMAT, "%s: header is not valid JSON", f->path);
    fg_status st = FG_OK;
    if (!cJSON_IsObject(root)) {
        st = fg_error_set(err, FG_ERR_FORMAT, "%s: header is not a JSON object", f->path);
        goto done;
    }
    size_t n = 0;
    for (const cJSON *e = root->child; e; e = e->next)
        n += strcmp(e->string, "__metadata__") != 0;
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    span *spans = calloc(n ? n : 1, sizeof *spans);
    if (!f->tensors || !spans) {
        free(spans);
        st = fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", f->path);
        goto done;
    }
    for (const cJSON *e = root->child; e && st == FG_OK; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            st = parse_metadata(f, e, err);
            continue;
        }
        spans[f->n].idx = f->n;
        st = parse_tensor(f, e, &f->tensors[f->n], &spans[f->n], err);
        f->n++;
    }
    if (st == FG_OK)
        st = check_layout(f, spans, err);
    free(spans);
done:
    cJSON_Delete(root);
    return st;
}

static fg_status map_file(fg_st_file *f, fg_error *err)
{
    int fd = open(f->path, O_RDONLY);
    if (fd < 0)
        return fg_error_set(err, FG_ERR_IO, "%s: cannot open: %s", f->path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fg_error_set(err, FG_ERR_IO, "%s: not a regular file", f->path);
    }
    f->size = (size_t)sb.st_size;
    if (f->size < 8) {
        close(fd);
        return fg_error_set(err, FG_ERR_FORMAT, "%s: %zu bytes, too short for a safetensors header (truncated?)",
                            f->path, f->size);
    }
    void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return fg_error_set(err, FG_ERR_IO, "%s: mmap failed: %s", f->path, strerror(errno));
    f->map = m;
    return FG_OK;
}

fg_status fg_st_open(const char *path, fg_st_file **out, fg_error *err)
{
    *out = NULL;
    fg_st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
    }
    fg_status st = map_file(f, err);
    if (st == FG_OK) {
        uint64_t hlen = 0;
        for (int i = 7; i >= 0; i--)
            hlen = (hlen << 8) | f->map[i];
        if (hlen > ST_MAX_HEADER || hlen > f->size - 8)
            st = fg_error_set(err, FG_ERR_FORMAT,
                              "%s: header length %llu exceeds the file (%zu bytes; truncated or not safetensors)",
                              path, (unsigned long long)hlen, f->size);
        else {
            f->data = f->map + 8 + hlen;
            f->data_size = f->size - 8 - (size_t)hlen;
            st = parse_header(f, (const char *)f->map + 8, (size_t)hlen, err);
        }
    }
    if (st != FG_OK) {
        fg_st_close(f);
        return st;
    }
    *out = f;
    return FG_OK;
}

void fg_st_close(fg_st_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->tensors[i].name);
    free(f->tensors);
    for (size_t i = 0; i < 2 * f->n_meta; i++)
        free(f->meta[i]);
    free(f->meta);
    if (f->map)
        munmap(f->map, f->size);
    free(f->path);
    free(f);
}

const char *fg_st_path(const fg_st_file *f) { return f->path; }
size_t fg_st_count(const fg_st_file *f) { return f->n; }
const fg_st_tensor *fg_st_at(const fg_st_file *f, size_t i) { return i < f->n ? &f->tensors[i] : NULL; }

const fg_st_tensor *fg_st_find(const fg_st_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

size_t fg_st_metadata_count(const fg_st_file *f) { return f->n_meta; }

void fg_st_metadata_at(const fg_st_file *f, size_t i, const char **key, const char **value)
{
    *key = i < f->n_meta ? f->meta[2 * i] : NULL;
    *value = i < f->n_meta ? f->meta[2 * i + 1] : NULL;
}

const char *fg_st_metadata(const fg_st_file *f, const char *key)
{
    for (size_t i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[2 * i], key) == 0)
            return f->meta[2 * i + 1];
    return NULL;
}

fg_status fg_st_read_f32(const fg_st_file *f, const fg_st_tensor *t, float *dst, fg_error *err)
{
    size_t n = (size_t)fg_shape_numel(t->ndim, t->shape);
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case FG_F32:
        memcpy(dst, p, n * 4);
        return FG_OK;
    case FG_F64:
        for (size_t i = 0; i < n; i++) {
            double d;
            memcpy(&d, p + 8 * i, 8);
            dst[i] = (float)d;
        }
        return FG_OK;
    case FG_F16:
    case FG_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            dst[i] = t->dtype == FG_F16 ? fg_f16_to_f32(h) : fg_bf16_to_f32(h);
        }
        return FG_OK;
    default:
        return fg_error_set(err, FG_ERR_SHAPE, "%s: tensor '%s' has dtype %s, expected a float type",
                            f->path, t->name, fg_dtype_name(t->dtype));
    }
}

fg_status fg_st_read_i64(const fg_st_file *f, const fg_st_tensor *t, int64_t *dst, fg_error *err)
{
    size_t n = (size_t)fg_shape_numel(t->ndim, t->shape);
    const unsigned char *p = t->data;
    for (size_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case FG_I64: memcpy(&dst[i], p + 8 * i, 8); break;
        case FG_I32: { int32_t v; memcpy(&v, p + 4 * i, 4); dst[i] = v; } break;
        case FG_I16: { int16_t v; memcpy(&v, p + 2 * i, 2); dst[i] = v; } break;
        case FG_I8: dst[i] = (int8_t)p[i]; break;
        case FG_U8:
        case FG_BOOL: dst[i] = p[i]; break;
        default:
            return fg_error_set(err, FG_ERR_SHAPE,
                                "%s: tensor '%s' has dtype %s, expected an integer type", f->path,
                                t->name, fg_dtype_name(t->dtype));
        }
    }
    return FG_OK;
}
