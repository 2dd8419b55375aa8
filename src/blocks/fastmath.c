#include "core/wide.h"

#include "blocks/fastmath.h"

#include <math.h>

#include "core/transpose.h"

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

/* Sums the 16 lanes of a in a fixed order (halving tree). */
static inline float sum16(float *a)
{
    for (int w = 8; w > 0; w /= 2)
        for (int l = 0; l < w; l++)
            a[l] += a[l + w];
    return a[0];
}

/* Four rows at a time when C is a multiple of 16: the four rows' sums run as
 * independent lane-wise chains, and each pass over a row serves four heads,
 * so the horizontal sums (the latency of a row-at-a-time form) overlap. */
static void ln_proj_4rows(float *y, int64_t y_row, int64_t y_head, const float *x, int64_t x_stride, int C,
                          const float *Wg, const float *t, int H, float eps)
{
    float x0[4], mean[4], inv[4];
    float s1[4][16] = {{0.0f}}, s2[4][16] = {{0.0f}}; /* [row][lane] shifted sums, squares */
    for (int r = 0; r < 4; r++)
        x0[r] = x[r * x_stride];
    for (int c0 = 0; c0 < C; c0 += 16)
        for (int r = 0; r < 4; r++) {
            const float *xr = x + r * x_stride + c0;
#pragma omp simd
            for (int l = 0; l < 16; l++) {
                const float d = xr[l] - x0[r];
                s1[r][l] += d;
                s2[r][l] += d * d;
            }
        }
    for (int r = 0; r < 4; r++) {
        const float md = sum16(s1[r]) / (float)C, var = sum16(s2[r]) / (float)C - md * md;
        inv[r] = 1.0f / sqrtf((var > 0.0f ? var : 0.0f) + eps);
        mean[r] = x0[r] + md;
    }
    for (int h0 = 0; h0 < H; h0 += 4) {
        const int hn = H - h0 < 4 ? H - h0 : 4;
        float acc[4][4][16] = {{{0.0f}}}; /* [row][head][lane] */
        for (int c0 = 0; c0 < C; c0 += 16)
            for (int hh = 0; hh < 4; hh++) {
                const float *w = Wg + (size_t)(h0 + (hh < hn ? hh : 0)) * C + c0;
                for (int r = 0; r < 4; r++) {
                    const float *xr = x + r * x_stride + c0;
#pragma omp simd
                    for (int l = 0; l < 16; l++)
                        acc[r][hh][l] += (xr[l] - mean[r]) * w[l];
                }
            }
        for (int r = 0; r < 4; r++)
            for (int hh = 0; hh < hn; hh++)
                y[r * y_row + (h0 + hh) * y_head] = inv[r] * sum16(acc[r][hh]) + t[h0 + hh];
    }
}

/* Per row: one pass for the shifted sums (two independent chains), then the
 * dot products two heads per pass, so each pass has two reductions in flight.
 * Shifting by x[0] keeps var and the centred dots exact when the mean is
 * large against the spread. */
static void ln_proj_row(float *y, int64_t y_head, const float *xr, int C, const float *Wg, const float *t, int H,
                        float eps)
{
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
        y[h * y_head] = inv * d0 + t[h];
        if (h + 1 < H)
            y[(h + 1) * y_head] = inv * d1 + t[h + 1];
    }
}

#if defined(__AVX512F__)
#define LNP16_MAX_H 8

/* Lane i of the result = the sum of the 16 lanes of v[i], in a fixed order
 * (pairs of lanes, then pairs of those, ...): four rounds of interleaves. */
static inline __m512 sum16_lanes(const __m512 v[16])
{
    __m512 a[8], b[4], c[2];
    for (int k = 0; k < 8; k++)
        a[k] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]), _mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]));
    for (int k = 0; k < 4; k++) {
        const __m512d x = _mm512_castps_pd(a[2 * k]), y = _mm512_castps_pd(a[2 * k + 1]);
        b[k] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)), _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
    }
    for (int k = 0; k < 2; k++)
        c[k] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * k], b[2 * k + 1], 0x88),
                             _mm512_shuffle_f32x4(b[2 * k], b[2 * k + 1], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], 0x88), _mm512_shuffle_f32x4(c[0], c[1], 0xDD));
}

/* Sixteen rows at a time, one row per lane of the result: each row is read
 * once, front to back, into lane-wise partial sums of the shifted values
 * (x - x0), their squares and their dots with the H folded weight rows, and
 * sum16_lanes then puts one row per lane. Reading rows whole and in order
 * keeps the access a plain stream for the hardware prefetchers, with no tile
 * transpose (half the time per edge of transposing 16 x 16 tiles first).
 * The centred dots are formed as sum (x - x0) Wg - (mean - x0) sum Wg, with
 * wsum[h] = sum_c Wg[h][c]. H is a constant where the caller can make it one,
 * so that the accumulators stay in registers. Each row also asks for its row
 * in the next 16 (next, NULL where those are not readable): with few
 * operations per byte this is bound by the cache misses in flight, and the
 * hardware streamer alone stops at every 4 KB page (a pair-bias layer
 * 10-20 % faster on 1-2 threads of the benchmark machine). */
static inline __attribute__((always_inline)) void ln_proj_16rows(float *y, int64_t y_row, int64_t y_head,
                                                                 const float *x, const float *next,
                                                                 int64_t x_stride, int C,
                                                                 const float *Wg, const float *t,
                                                                 const float *wsum, const int H, float eps)
{
    __m512 part[2 + LNP16_MAX_H][16]; /* [sum, squares, dot per head][row]: lane-wise partial sums */
    for (int r = 0; r < 16; r++) {
        const float *xr = x + (int64_t)r * x_stride;
        for (int c = 0; next && c < C; c += 16)
            __builtin_prefetch(next + (int64_t)r * x_stride + c, 0, 3);
        const __m512 x0 = _mm512_set1_ps(xr[0]);
        __m512 acc[2 + LNP16_MAX_H];
#pragma GCC unroll 10
        for (int q = 0; q < 2 + LNP16_MAX_H; q++)
            acc[q] = _mm512_setzero_ps();
        for (int c = 0; c < C; c += 16) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(xr + c), x0);
            acc[0] = _mm512_add_ps(acc[0], d);
            acc[1] = _mm512_fmadd_ps(d, d, acc[1]);
#pragma GCC unroll 8
            for (int h = 0; h < H; h++)
                acc[2 + h] = _mm512_fmadd_ps(d, _mm512_loadu_ps(Wg + (int64_t)h * C + c), acc[2 + h]);
        }
#pragma GCC unroll 10
        for (int q = 0; q < 2 + H; q++)
            part[q][r] = acc[q];
    }
    const __m512 rc = _mm512_set1_ps(1.0f / (float)C);
    const __m512 md = _mm512_mul_ps(sum16_lanes(part[0]), rc); /* mean - x0 */
    const __m512 var = _mm512_max_ps(_mm512_fnmadd_ps(md, md, _mm512_mul_ps(sum16_lanes(part[1]), rc)),
                                     _mm512_setzero_ps());
    const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_sqrt_ps(_mm512_add_ps(var, _mm512_set1_ps(eps))));
    for (int h = 0; h < H; h++) {
        const __m512 centred = _mm512_fnmadd_ps(md, _mm512_set1_ps(wsum[h]), sum16_lanes(part[2 + h]));
        const __m512 v = _mm512_fmadd_ps(inv, centred, _mm512_set1_ps(t[h]));
        if (y_row == 1) {
            _mm512_storeu_ps(y + h * y_head, v);
        } else {
            float lanes[16];
            _mm512_storeu_ps(lanes, v);
            for (int r = 0; r < 16; r++)
                y[r * y_row + h * y_head] = lanes[r];
        }
    }
}

/* Rows [0, rows / 16 * 16) by ln_proj_16rows; returns how many were done. */
static int64_t ln_proj_rows16(float *y, int64_t y_row, int64_t y_head, const float *x, int64_t rows,
                              int64_t readable, int64_t x_stride, int C, const float *Wg, const float *t, int H,
                              float eps)
{
    if (C % 16 != 0 || H > LNP16_MAX_H || rows < 16)
        return 0;
    float wsum[LNP16_MAX_H];
    for (int h = 0; h < H; h++) {
        float a = 0.0f;
        for (int c = 0; c < C; c++)
            a += Wg[(size_t)h * C + c];
        wsum[h] = a;
    }
    int64_t i = 0;
    for (; i + 16 <= rows; i += 16) {
        float *yi = y + i * y_row;
        const float *xi = x + i * x_stride;
        const float *next = i + 32 <= readable ? xi + 16 * x_stride : NULL;
        if (H == 4) /* the Pairformer's pair-bias and triangle-attention heads */
            ln_proj_16rows(yi, y_row, y_head, xi, next, x_stride, C, Wg, t, wsum, 4, eps);
        else
            ln_proj_16rows(yi, y_row, y_head, xi, next, x_stride, C, Wg, t, wsum, H, eps);
    }
    return i;
}
#else
static int64_t ln_proj_rows16(float *y, int64_t y_row, int64_t y_head, const float *x, int64_t rows,
                              int64_t readable, int64_t x_stride, int C, const float *Wg, const float *t, int H,
                              float eps)
{
    (void)y, (void)y_row, (void)y_head, (void)x, (void)rows, (void)readable, (void)x_stride, (void)C, (void)Wg,
        (void)t, (void)H, (void)eps;
    return 0;
}
#endif

void fg_ln_proj_rows(float *y, int64_t y_row, int64_t y_head, const float *x, int64_t rows, int64_t readable,
                     int64_t x_stride, int C, const float *Wg, const float *t, int H, float eps)
{
    int64_t i = ln_proj_rows16(y, y_row, y_head, x, rows, readable, x_stride, C, Wg, t, H, eps);
    if (C % 16 == 0)
        for (; i + 4 <= rows; i += 4)
            ln_proj_4rows(y + i * y_row, y_row, y_head, x + i * x_stride, x_stride, C, Wg, t, H, eps);
    for (; i < rows; i++)
        ln_proj_row(y + i * y_row, y_head, x + i * x_stride, C, Wg, t, H, eps);
}
