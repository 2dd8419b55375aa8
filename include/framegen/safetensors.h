/* safetensors files: read by mmap with a validated header, write atomically.
 * Format: u64 little-endian header length, JSON header, raw little-endian data. */
#ifndef FRAMEGEN_SAFETENSORS_H
#define FRAMEGEN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "framegen/status.h"
#include "framegen/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_st_tensor {
    char *name;
    fg_dtype dtype;
    int ndim;
    int64_t shape[FG_MAX_DIMS];
    size_t nbytes;
    const void *data;      /* into the mapping; may be unaligned */
} fg_st_tensor;

typedef struct fg_st_file fg_st_file;

/* Opens and validates: offsets inside the data area, no overlaps, sizes equal
 * to dtype size x numel, unique names, known dtypes, metadata of strings. */
fg_status fg_st_open(const char *path, fg_st_file **out, fg_error *err);
void fg_st_close(fg_st_file *f);

const char *fg_st_path(const fg_st_file *f);
size_t fg_st_count(const fg_st_file *f);
const fg_st_tensor *fg_st_at(const fg_st_file *f, size_t i);   /* in header order */
const fg_st_tensor *fg_st_find(const fg_st_file *f, const char *name);
size_t fg_st_metadata_count(const fg_st_file *f);
void fg_st_metadata_at(const fg_st_file *f, size_t i, const char **key, const char **value);
const char *fg_st_metadata(const fg_st_file *f, const char *key); /* NULL if absent */

/* Convert a floating tensor (F32, F16, BF16, F64) to float32 into dst[numel]. */
fg_status fg_st_read_f32(const fg_st_file *f, const fg_st_tensor *t, float *dst, fg_error *err);
/* Convert an integer or bool tensor to int64 into dst[numel]. */
fg_status fg_st_read_i64(const fg_st_file *f, const fg_st_tensor *t, int64_t *dst, fg_error *err);

/* One tensor to write; data is read-only and little-endian of dtype. */
typedef struct fg_st_entry {
    const char *name;
    fg_dtype dtype;
    int ndim;
    int64_t shape[FG_MAX_DIMS];
    const void *data;
} fg_st_entry;

/* Writes a complete file to a temporary name next to path and renames it, so an
 * interrupted write never leaves a partial file. meta: key, value pairs, n_meta pairs. */
fg_status fg_st_write(const char *path, const fg_st_entry *entries, size_t n,
                      const char *const *meta, size_t n_meta, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
