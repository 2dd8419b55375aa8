/* SwiGLU transition, in tiles of rows: LayerNorm, fc1 and fc2, silu(a) * b,
 * fc3 straight into the output rows (beta = 1 for the residual form). The
 * hidden activations exist only per tile. */
#include <omp.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "framegen/ops.h"

#define TILE 128 /* most rows per tile */

/* Rows per tile: small inputs (node features) still make enough tiles to
 * share out. A function of the size only, never of the thread count. */
static int tile_rows(int64_t rows)
{
    int64_t t = rows / 32;
    return (int)(t < 16 ? 16 : t > TILE ? TILE : t);
}

fg_status fg_transition_init(fg_transition *m, fg_wload *l, const char *name, int c, int hidden)
{
    char b[256];
    memset(m, 0, sizeof *m);
    m->c = c;
    m->hidden = hidden;
    m->ln_w = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm.weight"), c);
    m->ln_b = fg_wl_1d(l, fg_pf_name(b, sizeof b, name, "norm.bias"), c);
    m->w1 = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "fc1.weight"), hidden, c);
    m->w2 = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "fc2.weight"), hidden, c);
    m->w3 = fg_wl_2d(l, fg_pf_name(b, sizeof b, name, "fc3.weight"), c, hidden);
    return l->st;
}

double fg_transition_flops(const fg_transition *m, int64_t rows)
{
    return 2.0 * (double)rows * m->c * m->hidden * 3.0;
}

fg_status fg_transition_forward(const fg_transition *m, const float *x, int64_t rows, float *out,
                                bool accumulate, fg_arena *a, fg_error *err)
{
    if (rows < 1)
        return FG_OK;
    const int c = m->c, hid = m->hidden;
    const size_t per_thread = (size_t)TILE * (c + 2 * (size_t)hid);
    fg_arena_mark mk = fg_arena_save(a);
    float *bufs = fg_arena_floats(a, (size_t)fg_pf_threads() * per_thread);
    if (!bufs)
        return fg_error_set(err, FG_ERR_NOMEM, "transition: out of memory (%lld rows)", (long long)rows);
    const int tr = tile_rows(rows);
    const int64_t ntiles = (rows + tr - 1) / tr;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < ntiles; t++) {
        float *ln = bufs + (size_t)omp_get_thread_num() * per_thread; /* [TILE][c] */
        float *h1 = ln + (size_t)TILE * c;                             /* [TILE][hid] */
        float *h2 = h1 + (size_t)TILE * hid;                           /* [TILE][hid] */
        const int64_t r0 = t * tr;
        const int cnt = (int)(rows - r0 < tr ? rows - r0 : tr);
        fg_ln_rows(ln, x + r0 * c, cnt, c, c, m->ln_w, m->ln_b, FG_PF_LN_EPS);
        fg_gemm(false, true, cnt, hid, c, 1.0f, ln, c, m->w1, c, 0.0f, h1, hid);
        fg_gemm(false, true, cnt, hid, c, 1.0f, ln, c, m->w2, c, 0.0f, h2, hid);
        fg_fast_silu_mul(h1, h1, h2, (int64_t)cnt * hid);
        fg_gemm(false, true, cnt, c, hid, 1.0f, h1, hid, m->w3, hid, accumulate ? 1.0f : 0.0f,
                out + r0 * c, c);
    }
    fg_arena_restore(a, mk);
    return FG_OK;
}
