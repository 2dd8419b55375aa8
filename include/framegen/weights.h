/* Weight store: named float32 tensors looked up by exact upstream state_dict
 * name, with shape checks that name the tensor on failure. Backed by a
 * memory-mapped safetensors file (F32 used in place; F16/BF16 converted once on
 * first access) and/or tensors added from memory (tests, dequantised weights).
 * Every lookup marks the tensor used, so unexpected tensors can be reported. */
#ifndef FRAMEGEN_WEIGHTS_H
#define FRAMEGEN_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framegen/status.h"
#include "framegen/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_weights fg_weights;

/* Opens a safetensors file; names are looked up as prefix + name (prefix may be
 * NULL or "", fixtures use "param."). Only tensors whose stored name starts with
 * the prefix take part (lookups, counts, unused reports). */
fg_status fg_weights_open(const char *path, const char *prefix, fg_weights **out, fg_error *err);
/* An empty store to fill with fg_weights_add. */
fg_status fg_weights_create(fg_weights **out, fg_error *err);
/* Adds a copy of data under name (no prefix applied). */
fg_status fg_weights_add(fg_weights *w, const char *name, int ndim, const int64_t *shape,
                         const float *data, fg_error *err);
void fg_weights_free(fg_weights *w);

const char *fg_weights_source(const fg_weights *w); /* file path or "(memory)" */

/* Lookup with shape check; shape entries < 0 match any size. Returns NULL and
 * fills err naming the tensor when it is missing, misshapen or not a float. */
const float *fg_weights_get(fg_weights *w, const char *name, int ndim, const int64_t *shape,
                            fg_error *err);
/* Lookup without a shape check; fills *t (data converted to f32). */
fg_status fg_weights_find(fg_weights *w, const char *name, fg_tensor *t, fg_error *err);
bool fg_weights_has(const fg_weights *w, const char *name);
/* Tells the store that the caller has made its own copy of the tensor whose
 * data fg_weights_get returned (packed for a kernel, say) and will not read
 * it for a while: the pages of a memory-mapped tensor go back to the OS
 * (read again from the file if it is touched later), so that the copy does
 * not double its resident memory. No effect on tensors held in memory or on
 * pointers the store did not hand out. */
void fg_weights_release(fg_weights *w, const float *data);

/* Iteration over the tensors of the store (names without the prefix). */
size_t fg_weights_count(const fg_weights *w);
const char *fg_weights_name_at(const fg_weights *w, size_t i);
void fg_weights_shape_at(const fg_weights *w, size_t i, int *ndim, int64_t *shape);
bool fg_weights_used_at(const fg_weights *w, size_t i);
void fg_weights_clear_used(fg_weights *w);
int64_t fg_weights_total_params(const fg_weights *w);

/* Synthesising store (random-weight tools, listing what a model expects): once
 * set, a lookup (fg_weights_get) of a missing name creates the tensor with the
 * requested shape and fills it with `fill`. fg_weights_has, which models use
 * to probe optional parts, answers true for present names and for names that
 * `claims` accepts (claims may be NULL: present names only). A lookup with a
 * wildcard dimension (< 0) cannot be synthesised and stays an error. */
typedef void (*fg_weights_fill_fn)(const char *name, int ndim, const int64_t *shape, float *data, void *user);
typedef bool (*fg_weights_claim_fn)(const char *name, void *user);
void fg_weights_set_synth(fg_weights *w, fg_weights_fill_fn fill, fg_weights_claim_fn claims, void *user);

/* Loader: a prefix plus the first error of a sequence of lookups, so that
 * block constructors read as a list of tensors and check once at the end. */
typedef struct fg_wload {
    fg_weights *w;
    char prefix[256];   /* prepended to every name, e.g. "trunk.trunk.layers.0." */
    fg_error *err;
    fg_status st;       /* first failure, FG_OK while all lookups succeeded */
} fg_wload;

void fg_wload_init(fg_wload *l, fg_weights *w, fg_error *err, const char *prefix_fmt, ...)
    __attribute__((format(printf, 4, 5)));
const float *fg_wl_1d(fg_wload *l, const char *name, int64_t d0);
const float *fg_wl_2d(fg_wload *l, const char *name, int64_t d0, int64_t d1);
const float *fg_wl_3d(fg_wload *l, const char *name, int64_t d0, int64_t d1, int64_t d2);
/* Like fg_wl_1d/2d but absence is not an error (returns NULL); a wrong shape still is. */
const float *fg_wl_opt_1d(fg_wload *l, const char *name, int64_t d0);
const float *fg_wl_opt_2d(fg_wload *l, const char *name, int64_t d0, int64_t d1);
bool fg_wl_has(const fg_wload *l, const char *name);

#ifdef __cplusplus
}
#endif
#endif
