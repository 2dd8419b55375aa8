/* fg_mm: see blocks/pf_mm.h. Plain C that GCC vectorises: an R x JB block
 * of accumulators (16 vector registers with AVX-512) stays in registers
 * while k runs; each step broadcasts R values of x and loads JB values of w.
 * Blocks that do not fill R rows or JB columns take the same loop with
 * runtime bounds. Full-width vectors: see blocks/pf_wide.h. */
#include "blocks/pf_wide.h"

#include "blocks/pf_mm.h"

#include <math.h>

#include "blocks/fastmath.h"

#define R 8           /* rows per register block */
#define JB 32         /* columns per register block */
#define HALF (JB / 2) /* outputs per column pair block (FG_MM_SWIGLU) */
#define PANEL_FLOATS (64 * 1024) /* w panel: 256 KB */

#ifdef __FMA__
#define MADD(a, b, c) fmaf((a), (b), (c))
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif

/* Writes a rows x cols block of acc at (i0, j0) through the epilogue. */
static inline void epilogue(const fg_mm *p, int64_t i0, int64_t j0, float acc[R][JB], int rows, int cols)
{
    switch (p->epi) {
    case FG_MM_STORE:
        for (int r = 0; r < rows; r++) {
            float *y = p->y + (i0 + r) * p->ldy + j0;
#pragma omp simd
            for (int j = 0; j < cols; j++)
                y[j] = acc[r][j];
        }
        break;
    case FG_MM_ADD:
        for (int r = 0; r < rows; r++) {
            float *y = p->y + (i0 + r) * p->ldy + j0;
#pragma omp simd
            for (int j = 0; j < cols; j++)
                y[j] = y[j] + acc[r][j];
        }
        break;
    case FG_MM_SIGMOID:
        for (int r = 0; r < rows; r++) {
            float *y = p->y + (i0 + r) * p->ldy + j0;
#pragma omp simd
            for (int j = 0; j < cols; j++)
                y[j] = fg_fast_sigmoidf(acc[r][j]);
        }
        break;
    case FG_MM_MUL:
        for (int r = 0; r < rows; r++) {
            float *y = p->y + (i0 + r) * p->ldy + j0;
            const float *a = p->aux + (i0 + r) * p->ld_aux + j0;
#pragma omp simd
            for (int j = 0; j < cols; j++)
                y[j] = acc[r][j] * a[j];
        }
        break;
    case FG_MM_MUL_ADD:
        for (int r = 0; r < rows; r++) {
            float *y = p->y + (i0 + r) * p->ldy + j0;
            const float *a = p->aux + (i0 + r) * p->ld_aux + j0;
#pragma omp simd
            for (int j = 0; j < cols; j++)
                y[j] = y[j] + acc[r][j] * a[j];
        }
        break;
    case FG_MM_SWIGLU:
        for (int r = 0; r < rows; r++) {
            float *y = p->y + (i0 + r) * p->ldy + j0 / 2;
#pragma omp simd
            for (int l = 0; l < HALF; l++)
                y[l] = acc[r][l] * fg_fast_sigmoidf(acc[r][l]) * acc[r][HALF + l];
        }
        break;
    case FG_MM_GATE_ROWS:
        for (int r = 0; r < R / 2; r++) {
            float *y = p->y + (i0 / 2 + r) * p->ldy + j0;
            const float *m = p->aux ? p->aux + j0 : NULL;
            if (m) {
#pragma omp simd
                for (int j = 0; j < cols; j++)
                    y[j] = acc[r][j] * fg_fast_sigmoidf(acc[R / 2 + r][j]) * m[j];
            } else {
#pragma omp simd
                for (int j = 0; j < cols; j++)
                    y[j] = acc[r][j] * fg_fast_sigmoidf(acc[R / 2 + r][j]);
            }
        }
        break;
    }
}

static void block_full(const fg_mm *p, int64_t i0, int64_t j0)
{
    float acc[R][JB]; /* [rows, columns] of the block */
    const float *xb = p->x + i0 * p->xs_i, *wb = p->w + j0;
    const int64_t xs_i = p->xs_i, xs_k = p->xs_k, ldw = p->ldw;
    for (int r = 0; r < R; r++)
#pragma omp simd
        for (int j = 0; j < JB; j++)
            acc[r][j] = 0.0f;
    for (int64_t k = 0; k < p->K; k++) {
        const float *wk = wb + k * ldw, *xk = xb + k * xs_k;
        for (int r = 0; r < R; r++) {
            const float xv = xk[r * xs_i];
#pragma omp simd
            for (int j = 0; j < JB; j++)
                acc[r][j] = MADD(xv, wk[j], acc[r][j]);
        }
    }
    epilogue(p, i0, j0, acc, R, JB);
}

static void block_part(const fg_mm *p, int64_t i0, int64_t j0, int rows, int cols)
{
    float acc[R][JB] = {{0.0f}}; /* [rows, cols] used; the rest stays 0 */
    const float *xb = p->x + i0 * p->xs_i, *wb = p->w + j0;
    for (int64_t k = 0; k < p->K; k++) {
        const float *wk = wb + k * p->ldw, *xk = xb + k * p->xs_k;
        for (int r = 0; r < rows; r++) {
            const float xv = xk[r * p->xs_i];
            for (int j = 0; j < cols; j++)
                acc[r][j] = MADD(xv, wk[j], acc[r][j]);
        }
    }
    epilogue(p, i0, j0, acc, rows, cols);
}

void fg_mm_run(const fg_mm *p)
{
    /* Panels of w of at most ~PANEL_FLOATS stay in L2 while every row block
     * passes over them; within a panel the block's rows of x stay in L1. */
    int64_t jp = p->K > 0 ? PANEL_FLOATS / p->K / JB * JB : p->J;
    jp = jp < JB ? JB : jp;
    for (int64_t p0 = 0; p0 < p->J; p0 += jp) {
        const int64_t p1 = p->J - p0 < jp ? p->J : p0 + jp;
        for (int64_t i0 = 0; i0 < p->M; i0 += R) {
            const int rows = p->M - i0 < R ? (int)(p->M - i0) : R;
            for (int64_t j0 = p0; j0 < p1; j0 += JB) {
                const int cols = p1 - j0 < JB ? (int)(p1 - j0) : JB;
                if (rows == R && cols == JB)
                    block_full(p, i0, j0);
                else
                    block_part(p, i0, j0, rows, cols);
            }
        }
    }
}

void fg_mm_pack_t(float *dst, int64_t ldd, const float *W, int64_t rows, int64_t cols)
{
    for (int64_t k = 0; k < cols; k++)
        for (int64_t j = 0; j < rows; j++)
            dst[k * ldd + j] = W[j * cols + k];
}
