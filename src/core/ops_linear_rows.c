#include <omp.h>
#include <string.h>

#include "framegen/ops.h"

/* Rows per block: fixed, so the partition (and each row's arithmetic) is the
 * same for every thread count. */
#define ROWS 64

void fg_linear_rows(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N)
{
    const int64_t nblk = (M + ROWS - 1) / ROWS;
#pragma omp parallel for schedule(dynamic, 1) if (nblk > 1 && !omp_in_parallel())
    for (int64_t k = 0; k < nblk; k++) {
        const int64_t r0 = k * ROWS, m = M - r0 < ROWS ? M - r0 : ROWS;
        float *yb = y + r0 * N;
        for (int64_t i = 0; i < m; i++) {
            if (b)
                memcpy(yb + i * N, b, (size_t)N * sizeof(float));
            else
                memset(yb + i * N, 0, (size_t)N * sizeof(float));
        }
        fg_gemm(false, true, m, N, K, 1.0f, x + r0 * K, K, W, K, 1.0f, yb, N);
    }
}
