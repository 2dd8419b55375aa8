#include "esm_math.h"

void esm_gelu_inplace(float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++)
        x[i] = esm_gelu(x[i]);
}
