#include <cblas.h>
#include <omp.h>
#include <string.h>

#include "framegen/ops.h"

void fg_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        /* BLAS leaves C untouched for K = 0 only when beta = 1; make it explicit. */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                (blasint)M, (blasint)N, (blasint)K, alpha, A, (blasint)lda, B, (blasint)ldb, beta, C,
                (blasint)ldc);
}

void fg_gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                     float alpha, const float *A, int64_t lda, int64_t stride_a, const float *B,
                     int64_t ldb, int64_t stride_b, float beta, float *C, int64_t ldc, int64_t stride_c)
{
    /* Many small products: one per thread, each single-threaded inside BLAS
     * (the OpenMP OpenBLAS runs serially inside a parallel region). Few large
     * ones: serial loop, BLAS threads each. */
    int64_t flops_each = M * N * K;
    if (batch > 1 && flops_each < ((int64_t)1 << 21)) {
#pragma omp parallel for schedule(static)
        for (int64_t b = 0; b < batch; b++)
            fg_gemm(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb,
                    beta, C + b * stride_c, ldc);
        return;
    }
    for (int64_t b = 0; b < batch; b++)
        fg_gemm(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
                C + b * stride_c, ldc);
}

/* Rows per block of the tall-skinny path of fg_linear: the product of a
 * block and its bias addition happen while the block is still in cache. */
#define LINEAR_ROWS 256

static void add_bias_rows(float *y, const float *b, int64_t M, int64_t N)
{
    for (int64_t i = 0; i < M; i++) {
        float *yr = y + i * N;
#pragma omp simd
        for (int64_t j = 0; j < N; j++)
            yr[j] += b[j];
    }
}

void fg_linear(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N)
{
    /* Many rows (the edge tensor) times a small weight: blocks of rows on
     * separate threads, each a serial product (re-packing a weight of at most
     * 1 MiB per block is cheap); otherwise one BLAS call on all threads. The
     * partition does not depend on the thread count and neither do the results. */
    if (M >= 8 * LINEAR_ROWS && N * K <= ((int64_t)1 << 18) && !omp_in_parallel()) {
        int64_t nblk = (M + LINEAR_ROWS - 1) / LINEAR_ROWS;
#pragma omp parallel for schedule(static)
        for (int64_t k = 0; k < nblk; k++) {
            int64_t r0 = k * LINEAR_ROWS, m = M - r0 < LINEAR_ROWS ? M - r0 : LINEAR_ROWS;
            fg_gemm(false, true, m, N, K, 1.0f, x + r0 * K, K, W, K, 0.0f, y + r0 * N, N);
            if (b)
                add_bias_rows(y + r0 * N, b, m, N);
        }
        return;
    }
    fg_gemm(false, true, M, N, K, 1.0f, x, K, W, K, 0.0f, y, N);
    if (b) {
#pragma omp parallel for schedule(static) if (M * N > 65536)
        for (int64_t i = 0; i < M; i++)
            add_bias_rows(y + i * N, b, 1, N);
    }
}

void fg_linear_acc(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N)
{
    fg_gemm(false, true, M, N, K, 1.0f, x, K, W, K, 1.0f, y, N);
    if (b) {
#pragma omp parallel for schedule(static) if (M * N > 65536)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                y[i * N + j] += b[j];
    }
}
