/* The output file of `framegen esm`: tensors named "<record>.<what>" in one
 * safetensors file, written whole and atomically at every checkpoint (the
 * tensors of the previous checkpoint are carried over from its mapping), so
 * the file on disk is always complete; --resume reopens it. */
#ifndef FG_CLI_ESM_OUT_H
#define FG_CLI_ESM_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framegen/status.h"
#include "framegen/tensor.h"

typedef struct esm_out esm_out;

/* meta: key/value pairs describing the run; on resume they must equal the
 * file's (same command, layers, pooling, model). Without resume an existing
 * file is replaced at the first checkpoint. */
fg_status esm_out_open(esm_out **o, const char *path, bool resume, const char *const *meta,
                       size_t n_meta, fg_error *err);
void esm_out_close(esm_out *o);

/* Whether the record's results are already in the file: its "<id>.tokens" is
 * there and equal; present with other tokens is an error. */
fg_status esm_out_has(const esm_out *o, const char *id, const int32_t *tokens, int64_t n, bool *done,
                      fg_error *err);
/* Records carried over from the file. */
size_t esm_out_carried(const esm_out *o);

/* Takes ownership of data (malloc'd). */
fg_status esm_out_add(esm_out *o, const char *name, fg_dtype dt, int ndim, const int64_t *shape,
                      void *data, fg_error *err);
size_t esm_out_pending_bytes(const esm_out *o);
/* Writes everything so far; pending tensors are freed and served from the new file. */
fg_status esm_out_write(esm_out *o, fg_error *err);

#endif
