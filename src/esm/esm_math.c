#include "esm_math.h"

void esm_gelu_inplace(float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++)
        x[i] = esm_gelu(x[i]);
}

void esm_bias_gelu_inplace(float *x, const float *b, int64_t M, int64_t N)
{
#pragma omp parallel for schedule(static) if (M * N > 32768)
    for (int64_t i = 0; i < M; i++) {
        float *r = x + i * N;
#pragma omp simd
        for (int64_t j = 0; j < N; j++)
            r[j] = esm_gelu(r[j] + b[j]);
    }
}
