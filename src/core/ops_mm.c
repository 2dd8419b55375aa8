/* Register-blocked products (core/mm.h). A block is MR rows of x against
 * NR columns of w: its sums stay in registers for the whole k loop (16
 * AVX-512 registers, written with intrinsics so that the compiler's
 * preferred vector width cannot split them), then get the biases, ReLU and
 * the epilogue. Rows past the end of a partial block repeat the last row and
 * are not stored; columns past the end are masked off on load and store.
 * Without AVX-512 the same block is summed in plain C, in 4 x 16 parts that
 * fit the 16 registers of AVX2. */
#include "core/wide.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "core/transpose.h"
#include "core/vmath.h"
#include "framegen/ops.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define MR FG_MM_MR
#define NR FG_MM_NR
#define HALF (NR / 2)            /* outputs per column-pair block (FG_MM_SWIGLU) */
#define GROUP_FLOATS (64 * 1024) /* w columns that stay in L2 while the row blocks pass: 256 KB */

/* fg_mm_linear: output rows (of W) per task. */
#define LIN_TASK_ROWS (4 * MR)
#define LIN_PACK_K 64 /* k values per packing task */
#define LIN_STATIC_PER_THREAD 8 /* below this many tasks per thread, a static schedule */
#define LIN_CHUNK_ROWS 512 /* rows of x per pass (multiple of NR) */

#ifdef __FMA__
#define MADD(a, b, c) fmaf((a), (b), (c))
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif

static inline float sigmoid(float x) { return 1.0f / (1.0f + fg_vexpf(-x)); }

int64_t fg_mm_panel_floats(int64_t K, int64_t N) { return (N + NR - 1) / NR * NR * K; }

/* Panels p0..p1-1, k values k0..k1-1 of fg_mm_pack_panels. */
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
                        fg_transpose_tile(dst + k * NR + j, NR, b + (n0 + j) * ldb + k, ldb, nj, nk);
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

void fg_mm_pack_panels(float *bp, const float *b, int64_t ldb, bool trans, int64_t K, int64_t N)
{
    pack_part(bp, b, ldb, trans, K, N, 0, (N + NR - 1) / NR, 0, K);
}

float *fg_mm_pack_panels_new(const float *b, int64_t ldb, bool trans, int64_t K, int64_t N)
{
    const size_t bytes = ((size_t)fg_mm_panel_floats(K, N) * sizeof(float) + 63) / 64 * 64;
    float *bp = aligned_alloc(64, bytes ? bytes : 64);
    if (bp)
        fg_mm_pack_panels(bp, b, ldb, trans, K, N);
    return bp;
}


void fg_mm_pack_t(float *dst, int64_t ldd, const float *W, int64_t rows, int64_t cols)
{
    for (int64_t k = 0; k < cols; k++)
        for (int64_t j = 0; j < rows; j++)
            dst[k * ldd + j] = W[j * cols + k];
}

/* One block's position and extent. */
typedef struct mm_block {
    int64_t i0, j0;
    int rows, cols;
} mm_block;

static inline const float *block_w(const fg_mm *p, int64_t j0)
{
    return p->w_panel ? p->w + j0 / NR * p->w_panel : p->w + j0;
}

/* The element-wise modes on sums that already carry the biases and ReLU. */
static void epilogue(const fg_mm *p, const mm_block *b, float acc[MR][NR])
{
    const int64_t i0 = b->i0, j0 = b->j0;
    const int rows = b->rows, cols = b->cols;
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
                y[j] = sigmoid(acc[r][j]);
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
                y[l] = acc[r][l] * sigmoid(acc[r][l]) * acc[r][HALF + l];
        }
        break;
    case FG_MM_GATE_ROWS:
        for (int r = 0; r < MR / 2; r++) {
            float *y = p->y + (i0 / 2 + r) * p->ldy + j0;
            const float *m = p->aux ? p->aux + j0 : NULL;
            if (m) {
#pragma omp simd
                for (int j = 0; j < cols; j++)
                    y[j] = acc[r][j] * sigmoid(acc[MR / 2 + r][j]) * m[j];
            } else {
#pragma omp simd
                for (int j = 0; j < cols; j++)
                    y[j] = acc[r][j] * sigmoid(acc[MR / 2 + r][j]);
            }
        }
        break;
    }
}

#if defined(__AVX512F__)

static void block(const fg_mm *p, const mm_block *b)
{
    const float *xr[MR];
    for (int r = 0; r < MR; r++)
        xr[r] = p->x + (b->i0 + (r < b->rows ? r : b->rows - 1)) * p->xs_i;
    const float *wb = block_w(p, b->j0);
    const int64_t ldw = p->ldw, xs_k = p->xs_k;
    const int cols = b->cols;
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1u);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1u);
    __m512 c[MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < p->K; k++) {
        const float *wk = wb + k * ldw;
        const int64_t o = k * xs_k;
        const __m512 w0 = _mm512_maskz_loadu_ps(m0, wk), w1 = _mm512_maskz_loadu_ps(m1, wk + 16);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            const __m512 xv = _mm512_set1_ps(xr[r][o]);
            c[r][0] = _mm512_fmadd_ps(xv, w0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps(xv, w1, c[r][1]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    const fg_mm_bias *bs = &p->bias;
    if (bs->col) {
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, bs->col + b->j0), b1 = _mm512_maskz_loadu_ps(m1, bs->col + b->j0 + 16);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
            c[r][0] = _mm512_add_ps(c[r][0], b0), c[r][1] = _mm512_add_ps(c[r][1], b1);
    }
    /* Every loop over c below is unrolled with constant indices (a break at
     * the block's last row): an index known only at run time would send the
     * sums to memory for the whole k loop. */
    if (bs->row)
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            if (r >= b->rows)
                break;
            const __m512 rv = _mm512_set1_ps(bs->row[b->i0 + r]);
            c[r][0] = _mm512_add_ps(c[r][0], rv), c[r][1] = _mm512_add_ps(c[r][1], rv);
        }
    if (bs->relu) /* max(v, 0) gives 0 for NaN, as v > 0 ? v : 0 */
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
            c[r][0] = _mm512_max_ps(c[r][0], zero), c[r][1] = _mm512_max_ps(c[r][1], zero);
    if (p->epi == FG_MM_STORE || p->epi == FG_MM_ADD) {
        const bool add = p->epi == FG_MM_ADD;
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            if (r >= b->rows)
                break;
            float *y = p->y + (b->i0 + r) * p->ldy + b->j0;
            __m512 v0 = c[r][0], v1 = c[r][1];
            if (add)
                v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, y), v0),
                v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, y + 16), v1);
            _mm512_mask_storeu_ps(y, m0, v0);
            _mm512_mask_storeu_ps(y + 16, m1, v1);
        }
        return;
    }
    float acc[MR][NR]; /* the block's sums, for the element-wise modes */
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        _mm512_storeu_ps(acc[r], c[r][0]), _mm512_storeu_ps(acc[r] + 16, c[r][1]);
    epilogue(p, b, acc);
}

#else

/* Rows r0..r0+3 and columns c0..c0+nc-1 (nc <= 16) of a block's sums. */
static void part_sums(const fg_mm *p, const float *const xr[MR], const float *wb, int r0, int c0, int nc,
                      float acc[MR][NR])
{
    float s[4][16] = {{0.0f}}; /* [row][column] */
    for (int64_t k = 0; k < p->K; k++) {
        const float *wk = wb + k * p->ldw + c0;
        const int64_t o = k * p->xs_k;
        for (int r = 0; r < 4; r++) {
            const float xv = xr[r0 + r][o];
#pragma omp simd
            for (int j = 0; j < nc; j++)
                s[r][j] = MADD(xv, wk[j], s[r][j]);
        }
    }
    for (int r = 0; r < 4; r++)
        for (int j = 0; j < 16; j++)
            acc[r0 + r][c0 + j] = s[r][j];
}

static void block(const fg_mm *p, const mm_block *b)
{
    const float *xr[MR];
    for (int r = 0; r < MR; r++)
        xr[r] = p->x + (b->i0 + (r < b->rows ? r : b->rows - 1)) * p->xs_i;
    const float *wb = block_w(p, b->j0);
    float acc[MR][NR] = {{0.0f}}; /* the block's sums */
    for (int r0 = 0; r0 < MR; r0 += 4)
        for (int c0 = 0; c0 < b->cols; c0 += 16)
            part_sums(p, xr, wb, r0, c0, b->cols - c0 < 16 ? b->cols - c0 : 16, acc);
    const fg_mm_bias *bs = &p->bias;
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < b->cols; j++) {
            float v = acc[r][j];
            if (bs->col)
                v += bs->col[b->j0 + j];
            if (bs->row && r < b->rows)
                v += bs->row[b->i0 + r];
            acc[r][j] = bs->relu ? (v > 0.0f ? v : 0.0f) : v;
        }
    epilogue(p, b, acc);
}

#endif

void fg_mm_run(const fg_mm *p)
{
    /* Groups of w columns of at most ~GROUP_FLOATS stay in L2 while every
     * row block passes over them; within a group the block's rows of x stay
     * in L1. */
    int64_t jg = p->K > 0 ? GROUP_FLOATS / p->K / NR * NR : p->J;
    jg = jg < NR ? NR : jg;
    for (int64_t g0 = 0; g0 < p->J; g0 += jg) {
        const int64_t g1 = p->J - g0 < jg ? p->J : g0 + jg;
        for (int64_t i0 = 0; i0 < p->M; i0 += MR) {
            mm_block b = {i0, 0, p->M - i0 < MR ? (int)(p->M - i0) : MR, 0};
            for (b.j0 = g0; b.j0 < g1; b.j0 += NR) {
                b.cols = g1 - b.j0 < NR ? (int)(g1 - b.j0) : NR;
                block(p, &b);
            }
        }
    }
}

void fg_mm_rows(float *y, int64_t ldy, const float *a, int64_t lda, int64_t rows, const float *bp, int64_t K,
                int64_t N, const fg_mm_bias *bias)
{
    fg_mm p = {a, lda, 1, bp, NR, rows, K, N, y, ldy, FG_MM_STORE, NULL, 0, K * NR, {NULL, NULL, false}};
    if (bias)
        p.bias = *bias;
    fg_mm_run(&p);
}

/* The parts of a product (one when fg_mm_lin has none), each with its
 * first row in yT and its first block of LIN_TASK_ROWS weight rows. */
typedef struct lin_plan {
    const fg_mm_lin *p;
    fg_mm_lin_part part[FG_MM_LIN_MAX_PARTS];
    int64_t row0[FG_MM_LIN_MAX_PARTS];
    int64_t block0[FG_MM_LIN_MAX_PARTS + 1];
    int n;
} lin_plan;

static bool lin_plan_init(lin_plan *pl, const fg_mm_lin *p)
{
    pl->p = p;
    pl->n = fg_mm_lin_n_parts(p);
    if (pl->n < 1 || pl->n > FG_MM_LIN_MAX_PARTS)
        return false;
    int64_t rows = 0;
    pl->block0[0] = 0;
    for (int k = 0; k < pl->n; k++) {
        pl->part[k] = fg_mm_lin_part_at(p, k);
        pl->row0[k] = rows;
        rows += pl->part[k].N;
        pl->block0[k + 1] = pl->block0[k] + (pl->part[k].N + LIN_TASK_ROWS - 1) / LIN_TASK_ROWS;
    }
    return rows == p->N;
}

/* Rows i0 .. i0 + ni - 1 (ni <= 16) of y from the transposed sums yT [N, ldt]
 * of the chunk that starts at y's row r0. */
static void unpack_rows(const fg_mm_lin *p, const float *yT, int64_t ldt, int64_t r0, int64_t i0, int ni)
{
    for (int64_t n = 0; n < p->N; n += 16) {
        const int nn = p->N - n < 16 ? (int)(p->N - n) : 16;
        float *y = p->y + (r0 + i0) * p->ldy + n;
        if (!p->add) {
            fg_transpose_tile(y, p->ldy, yT + n * ldt + i0, ldt, nn, ni);
        } else {
            float t[16 * 16]; /* [token][column] */
            fg_transpose_tile(t, 16, yT + n * ldt + i0, ldt, nn, ni);
            for (int r = 0; r < ni; r++)
#pragma omp simd
                for (int c = 0; c < nn; c++)
                    y[r * p->ldy + c] += t[r * 16 + c];
        }
        if (p->post)
            p->post(y, p->ldy, ni, nn);
    }
}

/* Task t of a chunk of m rows: LIN_TASK_ROWS rows of one part's W x one panel of x. */
static void lin_task(const lin_plan *pl, int64_t t, int64_t m, const float *xp, float *yT)
{
    const fg_mm_lin *p = pl->p;
    const int64_t K = p->K, np = (m + NR - 1) / NR, blk = t / np, pn = t % np;
    int k = 0;
    while (blk >= pl->block0[k + 1])
        k++;
    const fg_mm_lin_part *pt = &pl->part[k];
    const int64_t n0 = (blk - pl->block0[k]) * LIN_TASK_ROWS;
    const int64_t rows = pt->N - n0 < LIN_TASK_ROWS ? pt->N - n0 : LIN_TASK_ROWS;
    const fg_mm mm = {pt->W + n0 * K, K, 1, xp + pn * K * NR, NR, rows, K, m - pn * NR < NR ? m - pn * NR : NR,
                      yT + (pl->row0[k] + n0) * m + pn * NR, m, FG_MM_STORE, NULL, 0, 0,
                      {NULL, pt->b ? pt->b + n0 : NULL, p->relu}};
    fg_mm_run(&mm);
}

/* Rows r0 .. r0 + m - 1 of the product, by the threads of the enclosing
 * region: x^T packed into xp [np, K, NR], yT [N, m] = W x^T, then y. */
static void lin_chunk(const lin_plan *pl, int64_t r0, int64_t m, float *xp, float *yT)
{
    const fg_mm_lin *p = pl->p;
    const int64_t K = p->K, np = (m + NR - 1) / NR, nkb = (K + LIN_PACK_K - 1) / LIN_PACK_K;
    const float *x = p->x + r0 * K;
#pragma omp for schedule(static)
    for (int64_t t = 0; t < np * nkb; t++) {
        const int64_t pn = t / nkb, k0 = (t % nkb) * LIN_PACK_K;
        pack_part(xp, x, K, true, K, m, pn, pn + 1, k0, K - k0 < LIN_PACK_K ? K : k0 + LIN_PACK_K);
    }
    /* With a few tasks per thread, fixed contiguous shares keep each thread
     * on the same rows of W and skip the shared counter (the model's node
     * products: a step 4-8 % faster at 16 threads); with many (ESM's), the
     * dynamic schedule evens out slow threads (static was 5-13 % slower). */
    const int64_t ntasks = pl->block0[pl->n] * np;
    if (ntasks < LIN_STATIC_PER_THREAD * omp_get_num_threads()) {
#pragma omp for schedule(static)
        for (int64_t t = 0; t < ntasks; t++)
            lin_task(pl, t, m, xp, yT);
    } else {
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++)
            lin_task(pl, t, m, xp, yT);
    }
    const int64_t nib = (m + 15) / 16;
#pragma omp for schedule(static)
    for (int64_t t = 0; t < nib; t++)
        unpack_rows(p, yT, m, r0, t * 16, m - t * 16 < 16 ? (int)(m - t * 16) : 16);
}

static int64_t lin_chunk_rows(int64_t M) { return M < LIN_CHUNK_ROWS ? M : LIN_CHUNK_ROWS; }

int64_t fg_mm_linear_scratch_floats(int64_t M, int64_t K, int64_t N)
{
    const int64_t chunk = lin_chunk_rows(M);
    return fg_mm_round_up(chunk, NR) * (K > 0 ? K : 1) + N * chunk;
}

bool fg_mm_linear_run(const fg_mm_lin *p, fg_arena *scratch)
{
    const int64_t M = p->M, K = p->K, N = p->N;
    lin_plan pl;
    if (!lin_plan_init(&pl, p))
        return false;
    if (M <= 0 || N <= 0)
        return true;
    if (N < NR && !p->add && p->ldy == N && !p->parts && !p->post) { /* packing x would cost more than the product (e.g. the 6 backbone-update outputs) */
        fg_linear(p->y, p->x, p->W, p->b, M, K, N);
        if (p->relu)
            fg_relu(p->y, M * N);
        return true;
    }
    const fg_arena_mark mark = fg_arena_save(scratch);
    const int64_t chunk = lin_chunk_rows(M), np = (chunk + NR - 1) / NR;
    float *xp = fg_arena_floats(scratch, (size_t)(np * NR * (K > 0 ? K : 1))); /* [np, K, NR] x^T in panels */
    float *yT = fg_arena_floats(scratch, (size_t)(N * chunk));                  /* [N, chunk] */
    if (!xp || !yT) {
        fg_arena_restore(scratch, mark);
        return false;
    }
#pragma omp parallel if (M * N * K >= FG_MM_SERIAL_MACS)
    for (int64_t r0 = 0; r0 < M; r0 += chunk)
        lin_chunk(&pl, r0, M - r0 < chunk ? M - r0 : chunk, xp, yT);
    fg_arena_restore(scratch, mark);
    return true;
}

bool fg_mm_linear(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N,
                  bool relu, fg_arena *scratch)
{
    const fg_mm_lin p = {y, N, false, x, W, b, M, K, N, relu, NULL, 0, NULL};
    return fg_mm_linear_run(&p, scratch);
}
