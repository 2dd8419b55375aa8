/* Register-blocked matrix products for the pair-track modules, with the
 * element-wise step that follows each product (gate, SwiGLU, residual) done
 * on the block while it is still in registers. Single-threaded: the modules
 * parallelise over their own fixed tiles.
 *
 * Why not OpenBLAS here: single-threaded sgemm packs both operands on every
 * call, and at the pair track's sizes (K = 32..512, a few hundred rows per
 * tile) packing the weights costs 15-35% of the multiply time. These
 * products take the weights pre-packed once at create time (or, for the
 * triangle contractions, operands that are already laid out for them), read
 * the other operand in place with arbitrary strides, and write through the
 * epilogue. Each output element is one fused multiply-add chain over k in
 * increasing order, whatever the tiling, so results never depend on how the
 * caller splits the work. The plain twin is in tests/test_pf_mm.c. */
#ifndef FG_BLOCKS_PF_MM_H
#define FG_BLOCKS_PF_MM_H

#include <stdint.h>

/* What happens to acc = sum_k x[i][k] w[k][j] (y and aux indexed [i][j] with
 * their row strides unless said otherwise). */
typedef enum fg_mm_epi {
    FG_MM_STORE,     /* y = acc */
    FG_MM_ADD,       /* y = y + acc */
    FG_MM_SIGMOID,   /* y = sigmoid(acc) */
    FG_MM_MUL,       /* y = acc * aux */
    FG_MM_MUL_ADD,   /* y = y + acc * aux */
    /* Column pairs: in each 32-column block, columns 0..15 are a and 16..31
     * are b of the same 16 outputs: y[i][j0/2 + l] = silu(a_l) * b_l.
     * J must be a multiple of 32 (pad the packed weights with zeros). */
    FG_MM_SWIGLU,
    /* Row pairs: in each 8-row block, rows 0..3 are p and 4..7 are g of the
     * same 4 outputs: y[i0/2 + r][j] = p_r * sigmoid(g_r) * aux[j] (aux: one
     * value per column, e.g. a mask, or NULL for 1). M must be a multiple of 8. */
    FG_MM_GATE_ROWS,
} fg_mm_epi;

typedef struct fg_mm {
    const float *x;    /* x[i][k] = x[i * xs_i + k * xs_k] */
    int64_t xs_i, xs_k;
    const float *w;    /* w[k][j] = w[k * ldw + j]: rows contiguous */
    int64_t ldw;
    int64_t M, K, J;
    float *y;          /* output rows ldy apart */
    int64_t ldy;
    fg_mm_epi epi;
    const float *aux;  /* FG_MM_MUL / MUL_ADD: [M][J], ld_aux apart; FG_MM_GATE_ROWS: [J] or NULL */
    int64_t ld_aux;
} fg_mm;

/* Runs the product and its epilogue. y must not overlap x or w (nor aux,
 * except that aux may equal y for the element-wise modes). */
void fg_mm_run(const fg_mm *p);

/* dst[k * ldd + j] = W[j * cols + k] for j < rows, k < cols: an nn.Linear
 * weight [rows, cols] transposed into the w layout of fg_mm. */
void fg_mm_pack_t(float *dst, int64_t ldd, const float *W, int64_t rows, int64_t cols);

/* Rounds n up to a multiple of m. */
static inline int64_t fg_mm_round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

#endif
