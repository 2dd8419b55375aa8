/* Reading structures: the file's bytes (plain or gzip, through zlib with every
 * error checked), checks gemmi does not make (empty, a cut-off last record),
 * then parsing by the gemmi bridge. */
#include "framegen/structure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "structure_gemmi.h"

#define READ_LIMIT ((size_t)1 << 30) /* bytes of text; larger inputs are refused */

typedef struct text_buf {
    char *data; /* [cap] */
    size_t len, cap;
} text_buf;

static int buf_reserve(text_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + extra)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return 0;
    b->data = p;
    b->cap = cap;
    return 1;
}

/* zlib's messages start with the file name, which ours already give. */
static const char *strip_path(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0 ? msg + n + 2 : msg;
}

static fg_status read_gzip(const char *path, text_buf *b, fg_error *err)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return fg_error_set(err, FG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fg_status st = FG_OK;
    for (;;) {
        if (b->len >= READ_LIMIT) {
            st = fg_error_set(err, FG_ERR_FORMAT, "%s: more than %zu bytes uncompressed", path,
                              READ_LIMIT);
            break;
        }
        if (!buf_reserve(b, 65536)) {
            st = fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        int n = gzread(gz, b->data + b->len, 65536);
        if (n > 0) {
            b->len += (size_t)n;
            continue;
        }
        int zerr = Z_OK;
        const char *msg = gzerror(gz, &zerr);
        /* A cut-off stream ends without error at gzread's level but leaves
         * Z_BUF_ERROR ("unexpected end of file") behind. */
        if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END))
            st = fg_error_set(err, FG_ERR_FORMAT, "%s: unreadable gzip data: %s", path,
                              zerr == Z_ERRNO ? strerror(errno) : strip_path(msg, path));
        break;
    }
    int rc = gzclose_r(gz);
    if (st == FG_OK && rc != Z_OK)
        st = fg_error_set(err, FG_ERR_FORMAT, "%s: unreadable gzip data (truncated?)", path);
    return st;
}

static fg_status read_plain(FILE *f, const char *path, text_buf *b, fg_error *err)
{
    for (;;) {
        if (b->len >= READ_LIMIT)
            return fg_error_set(err, FG_ERR_FORMAT, "%s: larger than %zu bytes", path,
                                READ_LIMIT);
        if (!buf_reserve(b, 65536))
            return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
        size_t n = fread(b->data + b->len, 1, 65536, f);
        b->len += n;
        if (n < 65536) {
            if (ferror(f))
                return fg_error_set(err, FG_ERR_IO, "%s: read failed: %s", path,
                                    strerror(errno));
            return FG_OK;
        }
    }
}

static int ends_with_gz(const char *path)
{
    size_t n = strlen(path);
    return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

/* Whole file into b (NUL-terminated), gunzipped when it has the gzip magic. */
static fg_status load_text(const char *path, text_buf *b, fg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fg_error_set(err, FG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char magic[2] = {0, 0};
    size_t nm = fread(magic, 1, 2, f);
    int gz = nm == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    fg_status st;
    if (gz) {
        fclose(f);
        st = read_gzip(path, b, err);
    } else if (ends_with_gz(path) && nm > 0) {
        fclose(f);
        return fg_error_set(err, FG_ERR_FORMAT, "%s: unreadable gzip data: not in gzip format",
                            path);
    } else {
        rewind(f);
        st = read_plain(f, path, b, err);
        fclose(f);
    }
    if (st == FG_OK && !buf_reserve(b, 1))
        st = fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
    if (st == FG_OK)
        b->data[b->len] = '\0';
    return st;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

/* The content decides when the name does not: mmCIF starts with data_. */
static fg_struct_format sniff_format(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
            i++;
        } else if (s[i] == '#') {
            while (i < n && s[i] != '\n')
                i++;
        } else {
            return n - i >= 5 && strncmp(s + i, "data_", 5) == 0 ? FG_STRUCT_MMCIF : FG_STRUCT_PDB;
        }
    }
    return FG_STRUCT_PDB;
}

/* gemmi refuses ATOM records cut before the z coordinate but silently accepts
 * one cut inside the occupancy or B-factor: a last record without newline that
 * ends before column 66 is a truncated file. */
static fg_status check_pdb_tail(const char *s, size_t n, const char *path, fg_error *err)
{
    if (n == 0 || s[n - 1] == '\n')
        return FG_OK;
    size_t start = n;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    size_t cols = n - start;
    if (cols > 0 && s[n - 1] == '\r')
        cols--;
    int atom = strncmp(s + start, "ATOM  ", cols < 6 ? cols : 6) == 0 ||
               strncmp(s + start, "HETATM", cols < 6 ? cols : 6) == 0;
    if (atom && cols < 66)
        return fg_error_set(err, FG_ERR_FORMAT,
                            "%s: truncated: the last ATOM/HETATM record ends at column %zu "
                            "(coordinates, occupancy and B-factor need 66)", path, cols);
    return FG_OK;
}

fg_status fg_structure_read(const char *path, fg_struct_format fmt, fg_structure **out,
                            fg_error *err)
{
    return fg_structure_read_model(path, fmt, 0, out, NULL, err);
}

fg_status fg_structure_read_model(const char *path, fg_struct_format fmt, int model,
                                  fg_structure **out, int *n_models, fg_error *err)
{
    *out = NULL;
    if (n_models)
        *n_models = 0;
    text_buf b = {NULL, 0, 0};
    fg_status st = load_text(path, &b, err);
    if (st == FG_OK && is_blank(b.data, b.len))
        st = fg_error_set(err, FG_ERR_FORMAT, "%s: empty file", path);
    if (st == FG_OK) {
        if (fmt == FG_STRUCT_AUTO)
            fmt = fg_struct_format_from_path(path);
        if (fmt == FG_STRUCT_AUTO)
            fmt = sniff_format(b.data, b.len);
        if (fmt == FG_STRUCT_PDB)
            st = check_pdb_tail(b.data, b.len, path, err);
    }
    if (st == FG_OK)
        st = fg_gemmi_parse(b.data, b.len, path, fmt, model, out, n_models, err);
    free(b.data);
    return st;
}
