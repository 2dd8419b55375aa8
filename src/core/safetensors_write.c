#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/fileio.h"
#include "framegen/safetensors.h"

/* Header JSON with data_offsets laid out in entry order. */
static char *build_header(const fg_st_entry *e, size_t n, const char *const *meta, size_t n_meta,
                          size_t *data_bytes)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    if (n_meta) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (size_t i = 0; m && i < n_meta; i++)
            cJSON_AddStringToObject(m, meta[2 * i], meta[2 * i + 1]);
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, e[i].name);
        if (!t)
            break;
        cJSON_AddStringToObject(t, "dtype", fg_dtype_name(e[i].dtype));
        cJSON *sh = cJSON_AddArrayToObject(t, "shape");
        for (int d = 0; d < e[i].ndim; d++)
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)e[i].shape[d]));
        size_t nb = (size_t)fg_shape_numel(e[i].ndim, e[i].shape) * fg_dtype_size(e[i].dtype);
        cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)(off + nb)));
        off += nb;
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    *data_bytes = off;
    return s;
}

fg_status fg_st_write(const char *path, const fg_st_entry *entries, size_t n,
                      const char *const *meta, size_t n_meta, fg_error *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(entries[i].name, entries[j].name) == 0)
                return fg_error_set(err, FG_ERR_INVALID, "%s: tensor name '%s' given twice", path,
                                    entries[i].name);
    size_t data_bytes = 0;
    char *hdr = build_header(entries, n, meta, n_meta, &data_bytes);
    if (!hdr)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory building header", path);
    size_t hlen = strlen(hdr);
    size_t padded = (hlen + 7) / 8 * 8; /* keeps every tensor 8-byte aligned in the file */
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));

    fg_atomic_file af;
    fg_status st = fg_atomic_open(&af, path, err);
    if (st != FG_OK) {
        free(hdr);
        return st;
    }
    fwrite(len8, 1, 8, af.fp);
    fwrite(hdr, 1, hlen, af.fp);
    for (size_t i = hlen; i < padded; i++)
        fputc(' ', af.fp);
    free(hdr);
    for (size_t i = 0; i < n; i++) {
        size_t nb = (size_t)fg_shape_numel(entries[i].ndim, entries[i].shape) *
                    fg_dtype_size(entries[i].dtype);
        if (nb && fwrite(entries[i].data, 1, nb, af.fp) != nb)
            break;
    }
    st = fg_atomic_commit(&af, err);
    if (st != FG_OK)
        fg_atomic_abort(&af);
    return st;
}
