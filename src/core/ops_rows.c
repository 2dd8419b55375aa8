/* Fused row passes (core/rowops.h). */
#include "core/rowops.h"

#include <stddef.h>

/* Below this many values one thread does the pass (as ops_vec.c). */
#define ROWS_PAR_MIN 32768

static void add_layernorm_row(float *xr, float *tr, float ts, const float *g, const float *b, const float *mr,
                              int64_t c, float eps)
{
#pragma omp simd
    for (int64_t o = 0; o < c; o++)
        tr[o] = xr[o] + tr[o] * ts;
    fg_layernorm_row(xr, tr, g, b, c, eps);
    if (mr) {
        const float m = *mr;
#pragma omp simd
        for (int64_t o = 0; o < c; o++)
            xr[o] *= m;
    }
}

void fg_rows_add_layernorm(float *x, float *t, const float *t_scale, const float *g, const float *b,
                           const float *mask, int64_t rows, int64_t c, float eps)
{
#pragma omp parallel if (rows * c > ROWS_PAR_MIN)
    fg_rows_add_layernorm_team(x, t, t_scale, g, b, mask, rows, c, eps);
}

void fg_rows_add_layernorm_team(float *x, float *t, const float *t_scale, const float *g, const float *b,
                                const float *mask, int64_t rows, int64_t c, float eps)
{
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++)
        add_layernorm_row(x + r * c, t + r * c, t_scale ? t_scale[r] : 1.0f, g, b, mask ? mask + r : NULL, c, eps);
}
