/* Vectorised LayerNorm, softmax and exp/erf activations (the public ones of
 * ops.h). glibc's expf/erff are scalar calls that keep these loops scalar;
 * core/vmath.h gives branch-free forms the compiler vectorises. Reductions
 * stay inside one row (one thread), so results do not depend on the thread
 * count. Reference twins: ops_elementwise.c (fg_ref_*), compared in
 * tests/test_ops_vec.c. */
#include <math.h>

#include "core/rowops.h"
#include "core/vmath.h"
#include "framegen/ops.h"

/* Below this many values a parallel region costs more than it saves. */
#define PAR_MIN 32768

void fg_layernorm_row(float *yr, const float *xr, const float *g, const float *b, int64_t C, float eps)
{
    /* Statistics of x - x[0]: exact differences for rows with a large common
     * offset, so float sums keep the precision of the spread. */
    const float k = xr[0];
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t c = 0; c < C; c++)
        s += xr[c] - k;
    float mu = s / (float)C; /* mean of x - k */
    float v = 0.0f;
#pragma omp simd reduction(+ : v)
    for (int64_t c = 0; c < C; c++) {
        float d = (xr[c] - k) - mu;
        v += d * d;
    }
    float inv = 1.0f / sqrtf(v / (float)C + eps);
    if (g && b) {
#pragma omp simd
        for (int64_t c = 0; c < C; c++)
            yr[c] = ((xr[c] - k) - mu) * inv * g[c] + b[c];
    } else if (g) {
#pragma omp simd
        for (int64_t c = 0; c < C; c++)
            yr[c] = ((xr[c] - k) - mu) * inv * g[c];
    } else {
#pragma omp simd
        for (int64_t c = 0; c < C; c++)
            yr[c] = ((xr[c] - k) - mu) * inv + (b ? b[c] : 0.0f);
    }
}

void fg_layernorm(float *y, const float *x, const float *g, const float *b, int64_t M, int64_t C, float eps)
{
#pragma omp parallel for schedule(static) if (M * C > PAR_MIN)
    for (int64_t i = 0; i < M; i++)
        fg_layernorm_row(y + i * C, x + i * C, g, b, C, eps);
}

static void softmax_row(float *r, int64_t N)
{
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int64_t j = 0; j < N; j++)
        mx = r[j] > mx ? r[j] : mx;
    if (mx == -INFINITY) {
        /* Every entry masked with -inf: PyTorch yields NaN; keep NaN so callers see it. */
        for (int64_t j = 0; j < N; j++)
            r[j] = NAN;
        return;
    }
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < N; j++) {
        r[j] = fg_vexpf(r[j] - mx);
        s += r[j];
    }
    float inv = 1.0f / s;
#pragma omp simd
    for (int64_t j = 0; j < N; j++)
        r[j] *= inv;
}

void fg_softmax_rows(float *x, int64_t M, int64_t N)
{
#pragma omp parallel for schedule(static) if (M * N > PAR_MIN)
    for (int64_t i = 0; i < M; i++)
        softmax_row(x + i * N, N);
}

void fg_gelu(float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] * fg_vnormcdff(x[i]);
}

void fg_sigmoid(float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        x[i] = 1.0f / (1.0f + fg_vexpf(-x[i]));
}

void fg_silu(float *x, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] / (1.0f + fg_vexpf(-x[i]));
}
