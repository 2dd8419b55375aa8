/* Node-sized linear layers on weights packed once (core/mm.h, fg_mm_wt). */
#include <stdlib.h>

#include "core/mm.h"

bool fg_mm_wt_init(fg_mm_wt *w, const float *W, const float *b, int64_t N, int64_t K)
{
    w->wp = fg_mm_pack_panels_new(W, K, true, K, N);
    w->b = b, w->N = N, w->K = K;
    return w->wp != NULL;
}

void fg_mm_wt_free(fg_mm_wt *w)
{
    free(w->wp);
    w->wp = NULL;
}

void fg_mm_wt_team(const fg_mm_wt *w, float *y, int64_t ldy, const float *x, int64_t ldx, int64_t M, bool relu,
                   fg_mm_epi epi)
{
    const int64_t NR = FG_MM_NR, MR = FG_MM_MR, K = w->K;
    const int64_t nrb = (M + MR - 1) / MR, npn = (w->N + NR - 1) / NR;
    /* Blocks in panel-major order, so that a thread's contiguous share walks
     * down one panel of W^T (kept in L1) before moving to the next. */
#pragma omp for schedule(static)
    for (int64_t t = 0; t < nrb * npn; t++) {
        const int64_t pn = t / nrb, i0 = t % nrb * MR, j0 = pn * NR;
        const fg_mm mm = {x + i0 * ldx, ldx, 1, w->wp + pn * K * NR, NR,
                          M - i0 < MR ? M - i0 : MR, K, w->N - j0 < NR ? w->N - j0 : NR,
                          y + i0 * ldy + j0, ldy, epi, NULL, 0, K * NR,
                          {w->b ? w->b + j0 : NULL, NULL, relu}};
        fg_mm_run(&mm);
    }
}

void fg_mm_wt_run(const fg_mm_wt *w, float *y, int64_t ldy, const float *x, int64_t ldx, int64_t M, bool relu,
                  fg_mm_epi epi)
{
#pragma omp parallel if (M * w->N * w->K >= FG_MM_SERIAL_MACS)
    fg_mm_wt_team(w, y, ldy, x, ldx, M, relu, epi);
}
