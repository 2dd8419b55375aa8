/* Register-blocked matrix products for the trunk's hot loops, with the
 * element-wise step that follows a product (bias, ReLU, gate, SwiGLU,
 * residual) applied to each block while it is still in registers.
 * Single-threaded except fg_mm_linear: callers split the work over their own
 * fixed tiles.
 *
 * Why not BLAS here: single-threaded sgemm packs both operands on every call,
 * and at the trunk's shapes (K = 32..512, a few hundred rows per tile)
 * packing the weight costs 15-40% of the multiply. These products take the
 * right operand as it is laid out (weights packed once at load, or
 * activations already written in a usable layout), read the left operand in
 * place with any strides, and write through the epilogue.
 *
 * A block is FG_MM_MR rows x FG_MM_NR columns; every output element is one
 * fused multiply-add chain over k = 0..K-1 in order, whatever the block it
 * falls in, so results never depend on how callers split rows or columns
 * among threads. Library internal; the plain twins are the double loops of
 * tests/test_mm.c and tests/test_mm_panels.c. */
#ifndef FG_CORE_MM_H
#define FG_CORE_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "framegen/arena.h"

#define FG_MM_MR 8  /* rows per register block */
#define FG_MM_NR 32 /* columns per register block, and per packed panel */
/* Below this many multiply-adds a product (or a node-sized pass built of
 * them) runs on one thread: a parallel region would cost more than it saves. */
#define FG_MM_SERIAL_MACS ((int64_t)1 << 17)

/* What happens to a block's sums acc[i][j] = sum_k x[i][k] w[k][j], after
 * the column / row biases and ReLU of fg_mm_bias. y and aux are indexed
 * [i][j] with their row strides unless said otherwise. */
typedef enum fg_mm_epi {
    FG_MM_STORE,   /* y = acc */
    FG_MM_ADD,     /* y = y + acc */
    FG_MM_SIGMOID, /* y = sigmoid(acc) */
    FG_MM_MUL,     /* y = acc * aux */
    FG_MM_MUL_ADD, /* y = y + acc * aux */
    /* Column pairs: in each 32-column block, columns 0..15 are a and 16..31
     * are b of the same 16 outputs: y[i][j0/2 + l] = silu(a_l) * b_l.
     * J must be a multiple of 32 (pad the packed weights with zeros). */
    FG_MM_SWIGLU,
    /* Row pairs: in each 8-row block, rows 0..3 are p and 4..7 are g of the
     * same 4 outputs: y[i0/2 + r][j] = p_r * sigmoid(g_r) * aux[j] (aux: one
     * value per column, e.g. a mask, or NULL for 1). M must be a multiple of 8. */
    FG_MM_GATE_ROWS,
} fg_mm_epi;

/* Applied to the sums first, in this order: + col[j], + row[i], max(., 0). */
typedef struct fg_mm_bias {
    const float *col; /* [J], or NULL */
    const float *row; /* [M] (from the first row of the product), or NULL */
    bool relu;
} fg_mm_bias;

typedef struct fg_mm {
    const float *x; /* x[i][k] = x[i * xs_i + k * xs_k] */
    int64_t xs_i, xs_k;
    /* w[k][j] = w[k * ldw + j] when w_panel is 0; otherwise w is in panels
     * of FG_MM_NR columns, panel p at w + p * w_panel, w[k][j] at
     * panel(j / NR)[k * ldw + j % NR] (fg_mm_pack_panels: ldw = NR,
     * w_panel = K * NR). */
    const float *w;
    int64_t ldw;
    int64_t M, K, J;
    float *y; /* output rows ldy apart */
    int64_t ldy;
    fg_mm_epi epi;
    const float *aux; /* FG_MM_MUL / MUL_ADD: [M][J], ld_aux apart; FG_MM_GATE_ROWS: [J] or NULL */
    int64_t ld_aux;
    int64_t w_panel;
    fg_mm_bias bias;
} fg_mm;

/* Runs the product and its epilogue. y must not overlap x or w (nor aux,
 * except that aux may equal y for the element-wise modes). */
void fg_mm_run(const fg_mm *p);

/* dst[k * ldd + j] = W[j * cols + k] for j < rows, k < cols: an nn.Linear
 * weight [rows, cols] transposed into the plain w layout. */
void fg_mm_pack_t(float *dst, int64_t ldd, const float *W, int64_t rows, int64_t cols);

/* Floats of a [K, N] operand packed in panels: N rounded up to whole panels. */
int64_t fg_mm_panel_floats(int64_t K, int64_t N);

/* bp <- B[K, N] in panels of FG_MM_NR columns, zero padded, from
 * b[k * ldb + n], or from b[n * ldb + k] when trans (an nn.Linear weight
 * W[N, K] gives B = W^T). */
void fg_mm_pack_panels(float *bp, const float *b, int64_t ldb, bool trans, int64_t K, int64_t N);

/* A panel-packed copy in new 64-byte aligned memory (free() it), or NULL when out of memory. */
float *fg_mm_pack_panels_new(const float *b, int64_t ldb, bool trans, int64_t K, int64_t N);

/* y[r, n] = bias(sum_k a[r * lda + k] * B[k, n]) for r < rows, n < N, with bp
 * from fg_mm_pack_panels (bias may be NULL). Single-threaded. */
void fg_mm_rows(float *y, int64_t ldy, const float *a, int64_t lda, int64_t rows, const float *bp, int64_t K,
                int64_t N, const fg_mm_bias *bias);

/* y[M, N] = act(x[M, K] W[N, K]^T + b), act = ReLU when relu, W and b (may be
 * NULL) read in place: the product is formed transposed (W's rows against
 * the packed x), so only the activations are packed, in scratch (restored
 * on return), and a weight is never copied. Rows of x go through in chunks
 * of at most 512, which bounds the scratch at 512 (K + N) floats. Threaded
 * over a fixed grid of blocks; inside a parallel region it runs on the
 * calling thread. Returns false when scratch runs out, or when the parts
 * are more than FG_MM_LIN_MAX_PARTS or do not add up to N (y untouched).
 *
 * Several products of the same x (attention's q, k and v) run as one when
 * given as parts: W and b then stacked by rows, part after part, without a
 * copy; x is packed once and the outputs are the parts' columns in order. */
#define FG_MM_LIN_MAX_PARTS 4
typedef struct fg_mm_lin_part {
    const float *W, *b; /* [N, K] nn.Linear layout, [N] or NULL */
    int64_t N;
} fg_mm_lin_part;

/* Called on every block of y once it holds its final values (rows ldy apart,
 * at most 16 x 16), on the thread that wrote it: an element-wise step the
 * product has no epilogue for (a GELU), applied while the block is in cache. */
typedef void (*fg_mm_block_fn)(float *y, int64_t ldy, int rows, int cols);

typedef struct fg_mm_lin {
    float *y;             /* [M] rows ldy apart, N values each */
    int64_t ldy;
    bool add;             /* y += act(...) instead of y = act(...) */
    const float *x;       /* [M, K] */
    const float *W, *b;   /* [N, K] nn.Linear layout, [N] or NULL; unused with parts */
    int64_t M, K, N;      /* N: the sum of the parts' N with parts */
    bool relu;
    const fg_mm_lin_part *parts; /* NULL, or n_parts (<= FG_MM_LIN_MAX_PARTS) stacked products */
    int n_parts;
    fg_mm_block_fn post;  /* NULL, or applied to every block of y */
} fg_mm_lin;
bool fg_mm_linear_run(const fg_mm_lin *p, fg_arena *scratch);

/* The parts of p: its n_parts, or one made of W, b and N when it has none. */
static inline int fg_mm_lin_n_parts(const fg_mm_lin *p) { return p->parts ? p->n_parts : 1; }
static inline fg_mm_lin_part fg_mm_lin_part_at(const fg_mm_lin *p, int k)
{
    return p->parts ? p->parts[k] : (fg_mm_lin_part){p->W, p->b, p->N};
}

/* Scratch floats fg_mm_linear_run takes for these sizes (arena alignment aside). */
int64_t fg_mm_linear_scratch_floats(int64_t M, int64_t K, int64_t N);

/* fg_mm_linear_run into a dense y [M, N]. */
bool fg_mm_linear(float *y, const float *x, const float *W, const float *b, int64_t M, int64_t K, int64_t N,
                  bool relu, fg_arena *scratch);

/* A linear layer for node-sized products (tens to hundreds of rows): W^T
 * packed once into panels, so that a product reads x in place and writes y
 * through the epilogue, with no per-call packing of x or unpacking of y and
 * a single barrier. fg_mm_linear_run packs x on every call instead, which
 * pays off for large M or for weights that must not be copied (ESM's). */
typedef struct fg_mm_wt {
    float *wp;      /* [ceil(N / NR), K, NR] W^T in panels, owned */
    const float *b; /* [N] or NULL, borrowed */
    int64_t N, K;
} fg_mm_wt;

/* W [N, K] (nn.Linear layout) and b [N] (may be NULL; must outlive w).
 * Returns false when out of memory (w then holds nothing to free). */
bool fg_mm_wt_init(fg_mm_wt *w, const float *W, const float *b, int64_t N, int64_t K);
void fg_mm_wt_free(fg_mm_wt *w);

/* y[M, N] (rows ldy apart) = relu?(x[M, K] (rows ldx apart) W^T + b), or
 * y += that with FG_MM_ADD (the only other mode taken). Shared among the
 * threads of the enclosing parallel region, every one of which must call it
 * (a static split of the blocks, ending in a barrier); outside a region the
 * caller does it all. */
void fg_mm_wt_team(const fg_mm_wt *w, float *y, int64_t ldy, const float *x, int64_t ldx, int64_t M, bool relu,
                   fg_mm_epi epi);

/* fg_mm_wt_team in a parallel region of its own (one thread for small products). */
void fg_mm_wt_run(const fg_mm_wt *w, float *y, int64_t ldy, const float *x, int64_t ldx, int64_t M, bool relu,
                  fg_mm_epi epi);

/* Rounds n up to a multiple of m. */
static inline int64_t fg_mm_round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

#endif
