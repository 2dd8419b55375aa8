/* Fused row passes for the node-sized tensors of the trunk blocks (a few
 * hundred rows of c_s values): one pass where the plain sequence made two or
 * three, threaded over rows only when the tensor is large enough to pay for a
 * parallel region. Library internal; the reference twin is the unfused
 * sequence of ops.h calls (tests/test_mm_panels.c). */
#ifndef FG_CORE_ROWOPS_H
#define FG_CORE_ROWOPS_H

#include <stdint.h>

/* One row of fg_layernorm (y may equal x), without its parallel region: for
 * loops that are already inside one, or over rows one at a time. */
void fg_layernorm_row(float *y, const float *x, const float *g, const float *b, int64_t c, float eps);

/* For each row r of c values: t[r] <- x[r] + t[r] * (t_scale ? t_scale[r] : 1),
 * x[r] <- LayerNorm(t[r]) (g, b as fg_layernorm) * (mask ? mask[r] : 1). */
void fg_rows_add_layernorm(float *x, float *t, const float *t_scale, const float *g, const float *b,
                           const float *mask, int64_t rows, int64_t c, float eps);

/* fg_rows_add_layernorm shared among the threads of the enclosing parallel
 * region (every one must call it; ends in a barrier). */
void fg_rows_add_layernorm_team(float *x, float *t, const float *t_scale, const float *g, const float *b,
                                const float *mask, int64_t rows, int64_t c, float eps);

#endif
