#include "esm_math.h"

void esm_gelu_inplace(float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++)
        x[i] = esm_gelu(x[i]);
}

void esm_gelu_block(float *y, int64_t ldy, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        float *row = y + r * ldy;
#pragma omp simd
        for (int c = 0; c < cols; c++)
            row[c] = esm_gelu(row[c]);
    }
}
