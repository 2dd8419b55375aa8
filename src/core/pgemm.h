/* Products with a panel-packed right operand, for the trunk's hot loops:
 * no packing of the left operand (its rows are read in place with any
 * stride), bias and ReLU applied in registers, single-threaded blocks that
 * callers run over their own row ranges (fg_pgemm_rows), and a threaded
 * linear layer for the few-row node products (fg_plinear).
 *
 * BLAS packs both operands on every call: at the trunk's shapes (a few
 * hundred rows against a weight of a few hundred columns) the packing of the
 * weight cost 15-40% of the product. Here a weight is packed once (at model
 * load), or for the node products the few rows of the activation are.
 *
 * Every output element is one register accumulator over k = 0..K-1 in order,
 * whatever the block it falls in: results do not depend on how rows are split
 * among threads. Library internal; the reference twin is a plain triple loop
 * (tests/test_pgemm.c, which also compares with fg_gemm). */
#ifndef FG_CORE_PGEMM_H
#define FG_CORE_PGEMM_H

#include <stdbool.h>
#include <stdint.h>

#include "framegen/arena.h"

/* Register block: rows of the left operand per block, columns per panel. */
#if defined(__AVX512F__)
#define FG_PGEMM_MR 8
#define FG_PGEMM_NR 32
#else
#define FG_PGEMM_MR 4
#define FG_PGEMM_NR 16
#endif

/* Floats of a packed [K, N] operand: N rounded up to whole panels. */
int64_t fg_pgemm_packed_floats(int64_t K, int64_t N);

/* bp <- B[K, N] in panels of FG_PGEMM_NR columns (bp[(n / NR) K NR + k NR +
 * n % NR], zero padded), from b[k * ldb + n], or from b[n * ldb + k] when
 * trans (an nn.Linear weight W[N, K] gives B = W^T). */
void fg_pgemm_pack(float *bp, const float *b, int64_t ldb, bool trans, int64_t K, int64_t N);

/* A packed copy in new 64-byte aligned memory (free() it), or NULL when out of memory. */
float *fg_pgemm_pack_new(const float *b, int64_t ldb, bool trans, int64_t K, int64_t N);

/* What a block does with its sums before storing them. */
typedef struct fg_pgemm_epi {
    const float *col_bias; /* [N] added per column, or NULL */
    const float *row_bias; /* [rows] added per row (indexed from the first row given), or NULL */
    bool relu;             /* max(0, .) after the biases */
} fg_pgemm_epi;

/* y[r, n] = epi(sum_k a[r * lda + k] * B[k, n]) for r < rows, n < N; bp packed
 * by fg_pgemm_pack. Single-threaded; y must not overlap a or bp. */
void fg_pgemm_rows(float *y, int64_t ldy, const float *a, int64_t lda, int64_t rows, const float *bp,
                   int64_t K, int64_t N, const fg_pgemm_epi *epi);

/* y[M, N] = act(x[M, K] W[N, K]^T + b), act = ReLU when relu, W and b (may be
 * NULL) read in place: the product is formed transposed (W's rows against
 * the packed x), so only M x K values are packed, in scratch (restored on
 * return). Threaded over a fixed grid of blocks; inside a parallel region it
 * runs on the calling thread. Returns false when scratch runs out (y untouched). */
bool fg_plinear(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N,
                bool relu, fg_arena *scratch);

#endif
