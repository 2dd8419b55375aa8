/* Element-wise kernels. LayerNorm, softmax and the exp/erf activations here
 * are the plain reference twins (libm calls, double accumulation) of the
 * vectorised public versions in ops_vec.c; relu and the arithmetic helpers
 * vectorise as they are and are the public ones. */
#include <math.h>
#include <omp.h>

#include "core/ops_ref.h"
#include "framegen/ops.h"

/* Below this many values a parallel region costs more than it saves. */
#define PAR_MIN 32768

void fg_ref_layernorm(float *y, const float *x, const float *g, const float *b, int64_t M, int64_t C, float eps)
{
#pragma omp parallel for schedule(static) if (M * C > PAR_MIN)
    for (int64_t i = 0; i < M; i++) {
        const float *xr = x + i * C;
        float *yr = y + i * C;
        double mean = 0.0, var = 0.0;
        for (int64_t c = 0; c < C; c++)
            mean += xr[c];
        mean /= (double)C;
        for (int64_t c = 0; c < C; c++) {
            double d = xr[c] - mean;
            var += d * d;
        }
        var /= (double)C;
        double inv = 1.0 / sqrt(var + (double)eps);
        for (int64_t c = 0; c < C; c++) {
            float v = (float)((xr[c] - mean) * inv); /* normalised in double: the twin is the exact side */
            yr[c] = g ? v * g[c] + (b ? b[c] : 0.0f) : v + (b ? b[c] : 0.0f);
        }
    }
}

void fg_ref_softmax_rows(float *x, int64_t M, int64_t N)
{
#pragma omp parallel for schedule(static) if (M * N > PAR_MIN)
    for (int64_t i = 0; i < M; i++) {
        float *r = x + i * N;
        float mx = -INFINITY;
        for (int64_t j = 0; j < N; j++)
            mx = r[j] > mx ? r[j] : mx;
        if (mx == -INFINITY) {
            /* Every entry masked with -inf: PyTorch yields NaN; keep NaN so callers see it. */
            for (int64_t j = 0; j < N; j++)
                r[j] = NAN;
            continue;
        }
        float s = 0.0f;
        for (int64_t j = 0; j < N; j++) {
            r[j] = expf(r[j] - mx);
            s += r[j];
        }
        float inv = 1.0f / s;
        for (int64_t j = 0; j < N; j++)
            r[j] *= inv;
    }
}

void fg_relu(float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void fg_ref_gelu(float *x, int64_t n)
{
    const float inv_sqrt2 = 0.70710678118654752440f;
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * inv_sqrt2));
}

void fg_ref_sigmoid(float *x, int64_t n)
{
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        x[i] = 1.0f / (1.0f + expf(-x[i]));
}

void fg_ref_silu(float *x, int64_t n)
{
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] / (1.0f + expf(-x[i]));
}

void fg_add(float *y, const float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        y[i] += x[i];
}

void fg_scale(float *y, float s, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        y[i] *= s;
}

void fg_mul(float *y, const float *a, const float *b, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        y[i] = a[i] * b[i];
}
