/* Fused row passes (core/rowops.h). */
#include "core/rowops.h"

/* Below this many values one thread does the pass (as ops_vec.c). */
#define ROWS_PAR_MIN 32768

void fg_rows_add_layernorm(float *x, float *t, const float *t_scale, const float *g, const float *b,
                           const float *mask, int64_t rows, int64_t c, float eps)
{
#pragma omp parallel for schedule(static) if (rows * c > ROWS_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        float *xr = x + r * c, *tr = t + r * c;
        const float ts = t_scale ? t_scale[r] : 1.0f;
        if (t_scale) {
#pragma omp simd
            for (int64_t o = 0; o < c; o++)
                tr[o] = xr[o] + tr[o] * ts;
        } else {
#pragma omp simd
            for (int64_t o = 0; o < c; o++)
                tr[o] = xr[o] + tr[o];
        }
        fg_layernorm_row(xr, tr, g, b, c, eps);
        if (mask) {
            const float m = mask[r];
#pragma omp simd
            for (int64_t o = 0; o < c; o++)
                xr[o] *= m;
        }
    }
}
