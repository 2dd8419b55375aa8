#include <omp.h>
#include <string.h>

#include "framegen/ops.h"

/* Output tiles: fixed sizes, so the partition (and each element's arithmetic)
 * is the same for every thread count; small enough that node-sized products
 * (a few hundred rows) still spread over many threads. */
#define ROWS 32
#define COLS 128

void fg_linear_rows(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N)
{
    const int64_t nr = (M + ROWS - 1) / ROWS, nc = (N + COLS - 1) / COLS;
#pragma omp parallel for schedule(dynamic, 1) if (nr * nc > 1 && !omp_in_parallel())
    for (int64_t k = 0; k < nr * nc; k++) {
        const int64_t r0 = (k / nc) * ROWS, c0 = (k % nc) * COLS;
        const int64_t m = M - r0 < ROWS ? M - r0 : ROWS, n = N - c0 < COLS ? N - c0 : COLS;
        float *yt = y + r0 * N + c0;
        for (int64_t i = 0; i < m; i++) {
            if (b)
                memcpy(yt + i * N, b + c0, (size_t)n * sizeof(float));
            else
                memset(yt + i * N, 0, (size_t)n * sizeof(float));
        }
        fg_gemm(false, true, m, n, K, 1.0f, x + r0 * K, K, W + c0 * K, K, 1.0f, yt, N);
    }
}

void fg_gemm_nt_rows(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                     int64_t ldb, float beta, float *C, int64_t ldc)
{
    const int64_t nr = (M + ROWS - 1) / ROWS, nc = (N + COLS - 1) / COLS;
#pragma omp parallel for schedule(dynamic, 1) if (!omp_in_parallel())
    for (int64_t k = 0; k < nr * nc; k++) {
        const int64_t r0 = (k / nc) * ROWS, c0 = (k % nc) * COLS;
        const int64_t m = M - r0 < ROWS ? M - r0 : ROWS, n = N - c0 < COLS ? N - c0 : COLS;
        fg_gemm(false, true, m, n, K, alpha, A + r0 * lda, lda, B + c0 * ldb, ldb, beta, C + r0 * ldc + c0, ldc);
    }
}
