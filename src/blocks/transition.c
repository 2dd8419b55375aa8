/* SwiGLU transition, in chunks of rows that stay in cache: LayerNorm, then
 * one product with fc1 and fc2 side by side whose epilogue forms
 * silu(a) * b, then fc3 straight into the output rows (added for the
 * residual form). fc1|fc2 and fc3 are re-laid out once at init for fg_mm;
 * the hidden activations exist only per chunk. Chunks are a fixed function
 * of the row count, so the threads only decide who computes which chunk. */
#include "core/wide.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "core/mm.h"

#define CHUNK 64 /* most rows per chunk */

/* Rows per chunk: a multiple of 8 (the product's row block), small enough
 * that small inputs (node features) still make ~16 chunks to share out. */
static int chunk_rows(int64_t rows)
{
    int64_t t = fg_mm_round_up(rows / 16, 8);
    return (int)(t < 8 ? 8 : t > CHUNK ? CHUNK : t);
}

/* w12: panels of 32 columns (fg_mm's panel layout, [c][32] each), 16 fc1
 * rows then the same 16 fc2 rows (zero past hidden), so that FG_MM_SWIGLU
 * pairs them; panels rather than one [c][2 hp] matrix, whose rows 4 KB apart
 * cost a quarter of the product rate. w3t: fc3 transposed. */
static void pack(fg_transition *m)
{
    const int c = m->c, hid = m->hidden, hp = m->hidden_pad;
    float *w12 = m->packed, *w3t = w12 + (size_t)c * 2 * hp; /* hp / 16 panels of [c][32], [hp][c] */
    memset(m->packed, 0, sizeof(float) * (size_t)c * 3 * hp);
    for (int h = 0; h < hid; h++) {
        float *panel = w12 + (size_t)(h / 16) * c * FG_MM_NR;
        for (int k = 0; k < c; k++) {
            panel[(size_t)k * FG_MM_NR + h % 16] = m->w1[(size_t)h * c + k];
            panel[(size_t)k * FG_MM_NR + h % 16 + 16] = m->w2[(size_t)h * c + k];
        }
    }
    fg_mm_pack_t(w3t, c, m->w3, c, hid);
    m->w12 = w12, m->w3t = w3t;
}

fg_status fg_transition_init(fg_transition *m, fg_wload *l, const char *name, int c, int hidden)
{
    char b[256];
    memset(m, 0, sizeof *m);
    m->c = c;
    m->hidden = hidden;
    m->hidden_pad = (int)fg_mm_round_up(hidden, 16);
    m->ln_w = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm.weight"), c);
    m->ln_b = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm.bias"), c);
    m->w1 = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "fc1.weight"), hidden, c);
    m->w2 = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "fc2.weight"), hidden, c);
    m->w3 = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "fc3.weight"), c, hidden);
    if (l->st != FG_OK)
        return l->st;
    m->packed = malloc(sizeof(float) * (size_t)c * 3 * m->hidden_pad);
    if (!m->packed)
        return l->st = fg_error_set(l->err, FG_ERR_NOMEM, "%s%s: out of memory for packed weights", l->prefix, name);
    pack(m);
    fg_pf_release(l, (const float *const[]){m->w1, m->w2, m->w3}, 3);
    return FG_OK;
}

void fg_transition_free(fg_transition *m)
{
    free(m->packed);
    m->packed = NULL;
}

double fg_transition_flops(const fg_transition *m, int64_t rows)
{
    return 2.0 * (double)rows * m->c * m->hidden * 3.0;
}

/* Rows r0 .. r0 + cnt - 1: ln [cnt][c] and h [cnt][hp] are the thread's scratch. */
static void run_chunk(const fg_transition *m, const float *x, int64_t r0, int cnt, float *out, bool accumulate,
                      float *ln, float *h)
{
    const int c = m->c, hp = m->hidden_pad;
    fg_ln_rows(ln, x + r0 * c, cnt, c, c, m->ln_w, m->ln_b, FG_PF_LN_EPS);
    fg_mm up = {ln, c, 1, m->w12, FG_MM_NR, cnt, c, 2 * hp, h, hp, FG_MM_SWIGLU, NULL, 0, (int64_t)c * FG_MM_NR,
                {NULL, NULL, false}};
    fg_mm_run(&up);
    fg_mm down = {h, hp, 1, m->w3t, c, cnt, hp, c, out + r0 * c, c, accumulate ? FG_MM_ADD : FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&down);
}

/* Few rows (node features): chunks of rows would each stream all the
 * weights, so the hidden activations of all rows are formed first, split by
 * columns, then fc3 is split by output columns. Same products, same bits. */
#define FEW_ROWS 256
#define UP_COLS 128  /* fc1 | fc2 columns per unit (64 hidden units) */
_Static_assert(UP_COLS % FG_MM_NR == 0, "units start on panel boundaries");
#define DOWN_COLS 32 /* output columns per unit */

static fg_status forward_few(const fg_transition *m, const float *x, int rows, float *out, bool accumulate,
                             fg_arena *a, fg_error *err)
{
    const int c = m->c, hp = m->hidden_pad;
    float *ln = fg_arena_floats(a, (size_t)rows * c);  /* [rows][c] */
    float *h = fg_arena_floats(a, (size_t)rows * hp);  /* [rows][hp] */
    if (!ln || !h)
        return fg_error_set(err, FG_ERR_NOMEM, "transition: out of memory (%d rows)", rows);
    const int nup = (2 * hp + UP_COLS - 1) / UP_COLS, ndown = (c + DOWN_COLS - 1) / DOWN_COLS;
#pragma omp parallel
    {
#pragma omp for schedule(static)
        for (int r = 0; r < rows; r++)
            fg_ln_rows(ln + (size_t)r * c, x + (size_t)r * c, 1, c, c, m->ln_w, m->ln_b, FG_PF_LN_EPS);
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < nup; u++) {
            const int j0 = u * UP_COLS, cols = 2 * hp - j0 < UP_COLS ? 2 * hp - j0 : UP_COLS;
            const int64_t panel = (int64_t)c * FG_MM_NR;
            fg_mm up = {ln, c, 1, m->w12 + j0 / FG_MM_NR * panel, FG_MM_NR, rows, c, cols, h + j0 / 2, hp, FG_MM_SWIGLU,
                        NULL, 0, panel, {NULL, NULL, false}};
            fg_mm_run(&up);
        }
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < ndown; u++) {
            const int j0 = u * DOWN_COLS, cols = c - j0 < DOWN_COLS ? c - j0 : DOWN_COLS;
            fg_mm down = {h, hp, 1, m->w3t + j0, c, rows, hp, cols, out + j0, c,
                          accumulate ? FG_MM_ADD : FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
            fg_mm_run(&down);
        }
    }
    return FG_OK;
}

fg_status fg_transition_forward(const fg_transition *m, const float *x, int64_t rows, float *out,
                                bool accumulate, fg_arena *a, fg_error *err)
{
    if (rows < 1)
        return FG_OK;
    const int c = m->c, hp = m->hidden_pad, cr = chunk_rows(rows);
    fg_arena_mark mk = fg_arena_save(a);
    if (rows <= FEW_ROWS) {
        fg_status st = forward_few(m, x, (int)rows, out, accumulate, a, err);
        fg_arena_restore(a, mk);
        return st;
    }
    const size_t per_thread = (size_t)cr * (c + (size_t)hp); /* ln [cr][c], h [cr][hp] */
    float *bufs = fg_arena_floats(a, (size_t)fg_pf_threads() * per_thread);
    if (!bufs)
        return fg_error_set(err, FG_ERR_NOMEM, "transition: out of memory (%lld rows)", (long long)rows);
    const int64_t nchunks = (rows + cr - 1) / cr;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t t = 0; t < nchunks; t++) {
        float *ln = bufs + (size_t)omp_get_thread_num() * per_thread;
        const int64_t r0 = t * cr;
        const int cnt = (int)(rows - r0 < cr ? rows - r0 : cr);
        run_chunk(m, x, r0, cnt, out, accumulate, ln, ln + (size_t)cr * c);
    }
    fg_arena_restore(a, mk);
    return FG_OK;
}
