/* Panel products (core/pgemm.h). A block is FG_PGEMM_MR rows of the left
 * operand against one panel of FG_PGEMM_NR packed columns: its sums live in
 * registers for the whole k loop (16 AVX-512 registers on x86-64 with
 * AVX-512, written with intrinsics so that the compiler's preferred vector
 * width cannot split them; plain C elsewhere), then get the biases and ReLU
 * and are stored under a column mask. Rows past the end of a partial block
 * repeat the last row and are not stored. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/pgemm.h"
#include "framegen/ops.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define MR FG_PGEMM_MR
#define NR FG_PGEMM_NR

/* fg_plinear: output rows (of W) per task, and work below which one thread does it all. */
#define PL_TASK_ROWS (4 * MR)
#define PL_SERIAL_MACS ((int64_t)1 << 17)
#define PL_PACK_K 64 /* k values per packing task */

int64_t fg_pgemm_packed_floats(int64_t K, int64_t N) { return (N + NR - 1) / NR * NR * K; }

/* dst[j * ldd + i] = src[i * lds + j] for i < ni, j < nj (ni, nj <= 16). */
static void transpose_tile(float *dst, int64_t ldd, const float *src, int64_t lds, int ni, int nj)
{
#if defined(__AVX512F__)
    if (ni == 16 && nj == 16) {
        /* 16 x 16 in registers: 32-bit, 64-bit, 128-bit and 256-bit interleaves */
        __m512 r[16], t[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            r[i] = _mm512_loadu_ps(src + i * lds);
#pragma GCC unroll 8
        for (int i = 0; i < 16; i += 2) {
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < 16; i += 4)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                r[i + h] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + h]), _mm512_castps_pd(t[i + 2 + h])));
                r[i + 2 + h] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + h]), _mm512_castps_pd(t[i + 2 + h])));
            }
#pragma GCC unroll 2
        for (int i = 0; i < 16; i += 8)
#pragma GCC unroll 4
            for (int h = 0; h < 4; h++) {
                t[i + h] = _mm512_shuffle_f32x4(r[i + h], r[i + 4 + h], 0x88);
                t[i + 4 + h] = _mm512_shuffle_f32x4(r[i + h], r[i + 4 + h], 0xDD);
            }
#pragma GCC unroll 8
        for (int h = 0; h < 8; h++) {
            r[h] = _mm512_shuffle_f32x4(t[h], t[8 + h], 0x88);
            r[8 + h] = _mm512_shuffle_f32x4(t[h], t[8 + h], 0xDD);
        }
        /* r[q] now holds column col_of[q] of src (the pd interleave swaps the middle two of each four) */
        static const int col_of[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
#pragma GCC unroll 16
        for (int q = 0; q < 16; q++)
            _mm512_storeu_ps(dst + col_of[q] * ldd, r[q]);
        return;
    }
#endif
    for (int j = 0; j < nj; j++)
        for (int i = 0; i < ni; i++)
            dst[j * ldd + i] = src[i * lds + j];
}

/* Panels p0..p1-1, k values k0..k1-1 of fg_pgemm_pack. */
static void pack_part(float *bp, const float *b, int64_t ldb, bool trans, int64_t K, int64_t N, int64_t p0,
                      int64_t p1, int64_t k0, int64_t k1)
{
    for (int64_t p = p0; p < p1; p++) {
        float *dst = bp + p * K * NR;
        const int64_t n0 = p * NR, w = N - n0 < NR ? N - n0 : NR;
        if (trans) {
            for (int64_t j = 0; j < NR; j += 16)
                for (int64_t k = k0; k < k1; k += 16) {
                    const int nj = w - j < 16 ? (int)(w - j) : 16, nk = k1 - k < 16 ? (int)(k1 - k) : 16;
                    if (nj > 0)
                        transpose_tile(dst + k * NR + j, NR, b + (n0 + j) * ldb + k, ldb, nj, nk);
                    for (int kk = 0; kk < nk; kk++)
                        for (int jj = nj > 0 ? nj : 0; jj < 16; jj++)
                            dst[(k + kk) * NR + j + jj] = 0.0f;
                }
        } else {
            for (int64_t k = k0; k < k1; k++)
                for (int64_t j = 0; j < NR; j++)
                    dst[k * NR + j] = j < w ? b[k * ldb + n0 + j] : 0.0f;
        }
    }
}

void fg_pgemm_pack(float *bp, const float *b, int64_t ldb, bool trans, int64_t K, int64_t N)
{
    pack_part(bp, b, ldb, trans, K, N, 0, (N + NR - 1) / NR, 0, K);
}

float *fg_pgemm_pack_new(const float *b, int64_t ldb, bool trans, int64_t K, int64_t N)
{
    const size_t bytes = ((size_t)fg_pgemm_packed_floats(K, N) * sizeof(float) + 63) / 64 * 64;
    float *bp = aligned_alloc(64, bytes ? bytes : 64);
    if (bp)
        fg_pgemm_pack(bp, b, ldb, trans, K, N);
    return bp;
}

#if defined(__AVX512F__)

/* Sums and store of one block: rows a (stride lda), `rows` <= MR of them, one
 * panel bp [K, NR], `cols` <= NR columns stored at y (stride ldy). cb: the
 * panel's column biases or NULL; rb: the block's row biases or NULL. */
static inline void block(float *y, int64_t ldy, const float *a, int64_t lda, int rows, const float *bp, int64_t K,
                         int cols, const float *cb, const float *rb, bool relu)
{
    const float *ar[MR];
    for (int r = 0; r < MR; r++)
        ar[r] = a + (r < rows ? r : rows - 1) * lda;
    __m512 c[MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k++) {
        const __m512 b0 = _mm512_loadu_ps(bp + k * NR), b1 = _mm512_loadu_ps(bp + k * NR + 16);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            const __m512 av = _mm512_set1_ps(ar[r][k]);
            c[r][0] = _mm512_fmadd_ps(av, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps(av, b1, c[r][1]);
        }
    }
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1u);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1u);
    const __m512 zero = _mm512_setzero_ps();
    const __m512 cb0 = cb ? _mm512_maskz_loadu_ps(m0, cb) : zero, cb1 = cb ? _mm512_maskz_loadu_ps(m1, cb + 16) : zero;
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
        if (r >= rows)
            break;
        __m512 v0 = c[r][0], v1 = c[r][1];
        if (cb)
            v0 = _mm512_add_ps(v0, cb0), v1 = _mm512_add_ps(v1, cb1);
        if (rb) {
            const __m512 rv = _mm512_set1_ps(rb[r]);
            v0 = _mm512_add_ps(v0, rv), v1 = _mm512_add_ps(v1, rv);
        }
        if (relu) /* max(v, 0) gives 0 for NaN, as v > 0 ? v : 0 */
            v0 = _mm512_max_ps(v0, zero), v1 = _mm512_max_ps(v1, zero);
        _mm512_mask_storeu_ps(y + r * ldy, m0, v0);
        _mm512_mask_storeu_ps(y + r * ldy + 16, m1, v1);
    }
}

#else

static inline void block(float *y, int64_t ldy, const float *a, int64_t lda, int rows, const float *bp, int64_t K,
                         int cols, const float *cb, const float *rb, bool relu)
{
    const float *ar[MR];
    for (int r = 0; r < MR; r++)
        ar[r] = a + (r < rows ? r : rows - 1) * lda;
    float c[MR][NR]; /* the block's sums */
    memset(c, 0, sizeof c);
    for (int64_t k = 0; k < K; k++) {
        const float *bk = bp + k * NR;
        for (int r = 0; r < MR; r++) {
            const float av = ar[r][k];
#pragma omp simd
            for (int j = 0; j < NR; j++)
                c[r][j] += av * bk[j];
        }
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) {
            float v = c[r][j];
            if (cb)
                v += cb[j];
            if (rb)
                v += rb[r];
            y[r * ldy + j] = relu ? (v > 0.0f ? v : 0.0f) : v;
        }
}

#endif

/* Rows [0, rows) of a against panels [p0, p1) (columns clipped to N). Panel
 * outer: a panel is loaded from L2 once and serves every row block. */
static void rows_panels(float *y, int64_t ldy, const float *a, int64_t lda, int64_t rows, const float *bp, int64_t K,
                        int64_t N, int64_t p0, int64_t p1, const fg_pgemm_epi *e)
{
    for (int64_t p = p0; p < p1; p++) {
        const int64_t n0 = p * NR;
        const int nc = N - n0 < NR ? (int)(N - n0) : NR;
        const float *cb = e && e->col_bias ? e->col_bias + n0 : NULL;
        for (int64_t r0 = 0; r0 < rows; r0 += MR) {
            const int nr = rows - r0 < MR ? (int)(rows - r0) : MR;
            const float *rb = e && e->row_bias ? e->row_bias + r0 : NULL;
            block(y + r0 * ldy + n0, ldy, a + r0 * lda, lda, nr, bp + p * K * NR, K, nc, cb, rb, e && e->relu);
        }
    }
}

void fg_pgemm_rows(float *y, int64_t ldy, const float *a, int64_t lda, int64_t rows, const float *bp,
                   int64_t K, int64_t N, const fg_pgemm_epi *epi)
{
    rows_panels(y, ldy, a, lda, rows, bp, K, N, 0, (N + NR - 1) / NR, epi);
}

/* y[i0.., :] <- yT[:, i0..] for a block of `ni` <= 16 rows of y. */
static void transpose_rows(float *y, const float *yT, int64_t M, int64_t N, int64_t i0, int ni)
{
    for (int64_t n = 0; n < N; n += 16)
        transpose_tile(y + i0 * N + n, N, yT + n * M + i0, M, N - n < 16 ? (int)(N - n) : 16, ni);
}

bool fg_plinear(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N,
                bool relu, fg_arena *scratch)
{
    if (M <= 0 || N <= 0)
        return true;
    if (N < NR) { /* packing x would cost more than the product (e.g. the 6 backbone-update outputs) */
        fg_linear(y, x, W, b, M, K, N);
        if (relu)
            fg_relu(y, M * N);
        return true;
    }
    const fg_arena_mark mark = fg_arena_save(scratch);
    const int64_t np = (M + NR - 1) / NR, nkb = (K + PL_PACK_K - 1) / PL_PACK_K;
    float *xp = fg_arena_floats(scratch, (size_t)(np * NR * (K > 0 ? K : 1))); /* [np, K, NR] x^T in panels */
    float *yT = fg_arena_floats(scratch, (size_t)(N * M));                     /* [N, M] */
    if (!xp || !yT) {
        fg_arena_restore(scratch, mark);
        return false;
    }
    const int64_t ngroups = (N + PL_TASK_ROWS - 1) / PL_TASK_ROWS, ntasks = ngroups * np;
    const int64_t nib = (M + 15) / 16;
#pragma omp parallel if (M * N * K >= PL_SERIAL_MACS)
    {
#pragma omp for schedule(static)
        for (int64_t t = 0; t < np * nkb; t++) {
            const int64_t p = t / nkb, k0 = (t % nkb) * PL_PACK_K;
            pack_part(xp, x, K, true, K, M, p, p + 1, k0, K - k0 < PL_PACK_K ? K : k0 + PL_PACK_K);
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t n0 = (t / np) * PL_TASK_ROWS, p = t % np;
            const int64_t rows = N - n0 < PL_TASK_ROWS ? N - n0 : PL_TASK_ROWS;
            const fg_pgemm_epi et = {NULL, b ? b + n0 : NULL, relu};
            rows_panels(yT + n0 * M, M, W + n0 * K, K, rows, xp, K, M, p, p + 1, &et);
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < nib; t++)
            transpose_rows(y, yT, M, N, t * 16, M - t * 16 < 16 ? (int)(M - t * 16) : 16);
    }
    fg_arena_restore(scratch, mark);
    return true;
}
