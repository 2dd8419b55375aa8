/* fg_small_gemm: see core/small_gemm.h. Plain C that GCC vectorises: an
 * SG_R x SG_JB block of accumulators lives in vector registers (16 of them)
 * while k runs; each step broadcasts SG_R values of x and loads SG_JB values
 * of w. Sizes per vector ISA so the block fits the register file. Rows and
 * columns that do not fill a block take the same loop with runtime bounds. */
#include <math.h>
#include <stddef.h>

#include "core/small_gemm.h"

#if defined(__AVX512F__)
#define SG_R 8   /* rows per block */
#define SG_JB 32 /* columns per block: 2 x 16 lanes */
#else
#define SG_R 4
#define SG_JB 16 /* 2 x 8 lanes (AVX2) */
#endif

#ifdef __FMA__
#define MADD(a, b, c) fmaf((a), (b), (c))
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif

typedef struct sg_args {
    int64_t ldy, xs_i, xs_k, ldw, K;
    const float *bias; /* already offset to the block's first column, or NULL */
    bool acc;
} sg_args;

static inline float init_value(const sg_args *a, const float *y, int64_t r, int64_t j)
{
    float b = a->bias ? a->bias[j] : 0.0f;
    return a->acc ? y[r * a->ldy + j] + b : b;
}

static void block_full(float *restrict y, const float *restrict x, const float *restrict w, const sg_args *a)
{
    float acc[SG_R][SG_JB]; /* accumulators: [rows, columns] of the block */
    for (int r = 0; r < SG_R; r++)
        for (int j = 0; j < SG_JB; j++)
            acc[r][j] = init_value(a, y, r, j);
    for (int64_t k = 0; k < a->K; k++) {
        const float *wk = w + k * a->ldw, *xk = x + k * a->xs_k;
        for (int r = 0; r < SG_R; r++) {
            float xv = xk[r * a->xs_i];
#pragma omp simd
            for (int j = 0; j < SG_JB; j++)
                acc[r][j] = MADD(xv, wk[j], acc[r][j]);
        }
    }
    for (int r = 0; r < SG_R; r++)
#pragma omp simd
        for (int j = 0; j < SG_JB; j++)
            y[r * a->ldy + j] = acc[r][j];
}

static void block_part(float *restrict y, const float *restrict x, const float *restrict w, const sg_args *a,
                       int rows, int cols)
{
    float acc[SG_R][SG_JB]; /* [rows, cols] used */
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++)
            acc[r][j] = init_value(a, y, r, j);
    for (int64_t k = 0; k < a->K; k++) {
        const float *wk = w + k * a->ldw, *xk = x + k * a->xs_k;
        for (int r = 0; r < rows; r++) {
            float xv = xk[r * a->xs_i];
            for (int j = 0; j < cols; j++)
                acc[r][j] = MADD(xv, wk[j], acc[r][j]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++)
            y[r * a->ldy + j] = acc[r][j];
}

void fg_small_gemm(float *y, int64_t ldy, const float *x, int64_t xs_i, int64_t xs_k, const float *w, int64_t ldw,
                   const float *bias, bool accumulate, int64_t M, int64_t K, int64_t J)
{
    sg_args a = {ldy, xs_i, xs_k, ldw, K, NULL, accumulate};
    /* Row blocks outer: the block's rows of x stay in L1 across column blocks. */
    for (int64_t i0 = 0; i0 < M; i0 += SG_R) {
        int rows = M - i0 < SG_R ? (int)(M - i0) : SG_R;
        for (int64_t j0 = 0; j0 < J; j0 += SG_JB) {
            int cols = J - j0 < SG_JB ? (int)(J - j0) : SG_JB;
            a.bias = bias ? bias + j0 : NULL;
            float *yb = y + i0 * ldy + j0;
            const float *xb = x + i0 * xs_i, *wb = w + j0;
            if (rows == SG_R && cols == SG_JB)
                block_full(yb, xb, wb, &a);
            else
                block_part(yb, xb, wb, &a, rows, cols);
        }
    }
}
