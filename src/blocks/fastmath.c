#include "blocks/pf_wide.h"

#include "blocks/fastmath.h"

#include <math.h>

/* `omp simd` lets the compiler vectorise the float reductions below without
 * -ffast-math; the summation order is fixed by the build, not by threads. */

void fg_fast_sigmoid(float *x, int64_t n)
{
#pragma omp simd
    for (int64_t i = 0; i < n; i++)
        x[i] = fg_fast_sigmoidf(x[i]);
}

void fg_fast_mul_sigmoid(float *y, const float *a, const float *b, int64_t n)
{
#pragma omp simd
    for (int64_t i = 0; i < n; i++)
        y[i] = a[i] * fg_fast_sigmoidf(b[i]);
}

void fg_fast_silu_mul(float *y, const float *a, const float *b, int64_t n)
{
#pragma omp simd
    for (int64_t i = 0; i < n; i++)
        y[i] = a[i] * fg_fast_sigmoidf(a[i]) * b[i];
}

float fg_fast_softmax_biased_row(float *r, const float *b1, const float *b2, int64_t n)
{
    float mx = -INFINITY;
    if (b2) {
#pragma omp simd reduction(max : mx)
        for (int64_t j = 0; j < n; j++) {
            r[j] = (r[j] + b1[j]) + b2[j];
            mx = r[j] > mx ? r[j] : mx;
        }
    } else {
#pragma omp simd reduction(max : mx)
        for (int64_t j = 0; j < n; j++) {
            r[j] = r[j] + b1[j];
            mx = r[j] > mx ? r[j] : mx;
        }
    }
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; j++) {
        r[j] = fg_vexpf(r[j] - mx);
        s += r[j];
    }
    return 1.0f / s;
}

void fg_ln_rows(float *y, const float *x, int64_t rows, int64_t x_stride, int64_t C, const float *g,
                const float *b, float eps)
{
    for (int64_t i = 0; i < rows; i++) {
        const float *xr = x + i * x_stride;
        float *yr = y + i * C;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t c = 0; c < C; c++)
            sum += xr[c];
        float mean = sum / (float)C, var = 0.0f;
#pragma omp simd reduction(+ : var)
        for (int64_t c = 0; c < C; c++)
            var += (xr[c] - mean) * (xr[c] - mean);
        float inv = 1.0f / sqrtf(var / (float)C + eps);
        if (g && b) {
#pragma omp simd
            for (int64_t c = 0; c < C; c++)
                yr[c] = (xr[c] - mean) * inv * g[c] + b[c];
        } else {
#pragma omp simd
            for (int64_t c = 0; c < C; c++)
                yr[c] = (xr[c] - mean) * inv * (g ? g[c] : 1.0f) + (b ? b[c] : 0.0f);
        }
    }
}

void fg_ln_rows_t(float *y, int64_t ldy, const float *x, int64_t rows, int64_t x_stride, int64_t C, const float *g,
                  const float *b, float eps, float *tmp)
{
    for (int64_t i0 = 0; i0 < rows; i0 += FG_LN_T_ROWS) {
        const int cnt = rows - i0 < FG_LN_T_ROWS ? (int)(rows - i0) : FG_LN_T_ROWS;
        fg_ln_rows(tmp, x + i0 * x_stride, cnt, x_stride, C, g, b, eps);
        for (int64_t c = 0; c < C; c++) {
            float *yc = y + c * ldy + i0;
            for (int r = 0; r < cnt; r++)
                yc[r] = tmp[r * C + c];
        }
    }
}

void fg_ln_proj_fold(float *Wg, float *t, const float *W, const float *g, const float *b, int H, int C)
{
    for (int h = 0; h < H; h++) {
        float acc = 0.0f;
        for (int c = 0; c < C; c++) {
            Wg[(size_t)h * C + c] = W[(size_t)h * C + c] * (g ? g[c] : 1.0f);
            acc += W[(size_t)h * C + c] * (b ? b[c] : 0.0f);
        }
        t[h] = acc;
    }
}

/* Per row: one pass for the shifted sums (two independent chains), then the
 * dot products two heads per pass, so each pass has two reductions in flight.
 * Shifting by x[0] keeps var and the centred dots exact when the mean is
 * large against the spread. */
void fg_ln_proj_rows(float *y, int64_t y_row, int64_t y_head, const float *x, int64_t rows, int64_t x_stride,
                     int C, const float *Wg, const float *t, int H, float eps)
{
    for (int64_t i = 0; i < rows; i++) {
        const float *xr = x + i * x_stride;
        const float x0 = xr[0];
        float s1 = 0.0f, s2 = 0.0f;
#pragma omp simd reduction(+ : s1, s2)
        for (int c = 0; c < C; c++) {
            const float d = xr[c] - x0;
            s1 += d;
            s2 += d * d;
        }
        const float md = s1 / (float)C; /* mean - x0 */
        const float var = s2 / (float)C - md * md;
        const float inv = 1.0f / sqrtf((var > 0.0f ? var : 0.0f) + eps);
        const float mean = x0 + md;
        for (int h = 0; h < H; h += 2) {
            const float *w0 = Wg + (size_t)h * C, *w1 = h + 1 < H ? w0 + C : w0;
            float d0 = 0.0f, d1 = 0.0f;
#pragma omp simd reduction(+ : d0, d1)
            for (int c = 0; c < C; c++) {
                const float d = xr[c] - mean;
                d0 += d * w0[c];
                d1 += d * w1[c];
            }
            y[i * y_row + h * y_head] = inv * d0 + t[h];
            if (h + 1 < H)
                y[i * y_row + (h + 1) * y_head] = inv * d1 + t[h + 1];
        }
    }
}
