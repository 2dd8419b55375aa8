/* Matrix products over OpenBLAS with results that never depend on the thread
 * count: OpenBLAS runs every call on one thread, and framegen splits the
 * output C into a fixed grid of tiles (sizes depend only on M, N, K) that run
 * in parallel. A multi-threaded BLAS call would pick kernels and partitions by
 * thread count, and its last bits would change with it. */
#include <cblas.h>
#include <omp.h>
#include <string.h>

#include "framegen/ops.h"

/* Below this many multiply-adds a product is one tile. */
#define GEMM_SERIAL_MACS ((int64_t)1 << 18)
/* Tiles are split until there are this many (enough to keep 16 threads busy) ... */
#define GEMM_TARGET_TILES 32
/* ... and at most this size along each dimension ... */
#define GEMM_MAX_TILE 256
/* ... but not below this size (where the dimension allows); a product that
 * stays under GEMM_FEW_TILES tiles may go down to GEMM_SMALL_TILE. Single-threaded
 * OpenBLAS packs both operands of every tile: narrow tiles spend as long packing
 * as multiplying (64x64 tiles of ESM-sized products ran 20-25% slower than
 * 128x128 ones, measured at K = 128..5120). */
#define GEMM_MIN_TILE 128
#define GEMM_FEW_TILES 8
#define GEMM_SMALL_TILE 64

/* The OpenMP build of OpenBLAS also sets the OpenMP thread count in
 * openblas_set_num_threads; keep the program's own count. */
__attribute__((constructor)) static void blas_single_threaded(void)
{
    int omp_threads = omp_get_max_threads();
    openblas_set_num_threads(1);
    omp_set_num_threads(omp_threads);
}

typedef struct gemm_job {
    bool ta, tb;
    int64_t M, N, K;
    float alpha;
    const float *A;
    int64_t lda;
    const float *B;
    int64_t ldb;
    float beta;
    float *C;
    int64_t ldc;
    const float *bias; /* [N] added to C before the product (linear layers), or NULL */
} gemm_job;

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Adds tiles along the dimension with the larger tiles while tiles stay >= min. */
static void split_until(int64_t M, int64_t N, int64_t target, int64_t min, int64_t *tr, int64_t *tc)
{
    while (*tr * *tc < target) {
        bool can_r = cdiv(M, *tr + 1) >= min, can_c = cdiv(N, *tc + 1) >= min;
        if (can_r && (cdiv(M, *tr) >= cdiv(N, *tc) || !can_c))
            (*tr)++;
        else if (can_c)
            (*tc)++;
        else
            break;
    }
}

/* Tile sizes from the shape alone: balanced counts per dimension, sizes rounded
 * up to 16 (the kernels' register blocking). */
static void choose_tiles(int64_t M, int64_t N, int64_t K, int64_t *mt, int64_t *nt)
{
    if (M * N * K <= GEMM_SERIAL_MACS) {
        *mt = M, *nt = N;
        return;
    }
    int64_t tr = cdiv(M, GEMM_MAX_TILE), tc = cdiv(N, GEMM_MAX_TILE);
    split_until(M, N, GEMM_TARGET_TILES, GEMM_MIN_TILE, &tr, &tc);
    if (tr * tc < GEMM_FEW_TILES)
        split_until(M, N, GEMM_FEW_TILES, GEMM_SMALL_TILE, &tr, &tc);
    *mt = (cdiv(M, tr) + 15) / 16 * 16;
    *nt = (cdiv(N, tc) + 15) / 16 * 16;
    *mt = *mt > M ? M : *mt;
    *nt = *nt > N ? N : *nt;
}

static void run_tile(const gemm_job *j, int64_t r0, int64_t c0, int64_t m, int64_t n)
{
    float *c = j->C + r0 * j->ldc + c0;
    float beta = j->beta;
    if (j->bias) {
        for (int64_t i = 0; i < m; i++) {
            float *cr = c + i * j->ldc;
            if (beta == 0.0f)
                memcpy(cr, j->bias + c0, (size_t)n * sizeof(float));
            else
                for (int64_t k = 0; k < n; k++)
                    cr[k] = beta * cr[k] + j->bias[c0 + k];
        }
        beta = 1.0f;
    }
    const float *a = j->ta ? j->A + r0 : j->A + r0 * j->lda;
    const float *b = j->tb ? j->B + c0 * j->ldb : j->B + c0;
    if (j->K <= 0) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t k = 0; k < n; k++)
                c[i * j->ldc + k] = beta == 0.0f ? 0.0f : beta * c[i * j->ldc + k];
        return;
    }
    cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans,
                (blasint)m, (blasint)n, (blasint)j->K, j->alpha, a, (blasint)j->lda, b, (blasint)j->ldb,
                beta, c, (blasint)j->ldc);
}

static void run_job(const gemm_job *j)
{
    if (j->M <= 0 || j->N <= 0)
        return;
    int64_t mt, nt;
    choose_tiles(j->M, j->N, j->K, &mt, &nt);
    const int64_t nr = cdiv(j->M, mt), nc = cdiv(j->N, nt);
    if (nr * nc == 1) {
        /* Outside a parallel region the OpenMP build of OpenBLAS threads a call by
         * omp_get_max_threads(), whatever openblas_set_num_threads said. */
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        run_tile(j, 0, 0, j->M, j->N);
        omp_set_num_threads(threads);
        return;
    }
    /* Inside an enclosing parallel region this runs serially over the same tiles. */
#pragma omp parallel for schedule(dynamic, 1) if (nr * nc > 1)
    for (int64_t t = 0; t < nr * nc; t++) {
        int64_t r0 = (t / nc) * mt, c0 = (t % nc) * nt;
        run_tile(j, r0, c0, j->M - r0 < mt ? j->M - r0 : mt, j->N - c0 < nt ? j->N - c0 : nt);
    }
}

void fg_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    gemm_job j = {trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL};
    run_job(&j);
}

void fg_gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                     float alpha, const float *A, int64_t lda, int64_t stride_a, const float *B,
                     int64_t ldb, int64_t stride_b, float beta, float *C, int64_t ldc, int64_t stride_c)
{
    /* Many small products: one per thread (each product's own tiles then run
     * serially, with the same arithmetic). Few large ones: tiles in parallel. */
    if (batch > 1 && M * N * K < ((int64_t)1 << 21)) {
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

void fg_linear(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N)
{
    gemm_job j = {false, true, M, N, K, 1.0f, x, K, W, K, 0.0f, y, N, b};
    run_job(&j);
}

void fg_linear_acc(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N)
{
    gemm_job j = {false, true, M, N, K, 1.0f, x, K, W, K, 1.0f, y, N, b};
    run_job(&j);
}
