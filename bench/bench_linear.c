/* Three forms of a linear layer at ESM-2's shapes, one JSON line each:
 * fg_mm_linear_run (weight read in place, activations packed per call),
 * fg_mm_wt_run (weight packed once, activations read in place) and BLAS
 * sgemm (fg_linear). The evidence for which form ESM-2 uses
 * (docs/benchmarks.md, device runs lb1 / lb2).
 *
 *   bench_linear [--threads N] [--sizes 256,512] [--min-seconds S] [--cold MB]
 *
 * Sizes are token counts; widths d of t12_35M (480), t30_150M (640) and
 * t33_650M (1280), FFN 4 d: qkv (d -> 3d), out (d -> d), fc1 (d -> 4d),
 * fc2 (4d -> d). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "core/mm.h"
#include "framegen/ops.h"

#define MAX_COPIES 64
static const char *FORMS[] = {"in_place", "packed", "sgemm"};

typedef struct lin_ctx {
    int64_t M, K, N;
    const float *x, *b;
    float *W[MAX_COPIES];
    float *y;
    fg_mm_wt wt[MAX_COPIES];
    int n_copies, next;
    fg_arena *arena;
    int form;
} lin_ctx;

static void run_lin(void *p)
{
    lin_ctx *c = p;
    const int i = c->next;
    c->next = (c->next + 1) % c->n_copies;
    if (c->form == 1)
        fg_mm_wt_run(&c->wt[i], c->y, c->N, c->x, c->K, c->M, false, FG_MM_STORE);
    else if (c->form == 2)
        fg_linear(c->y, c->x, c->W[i], c->b, c->M, c->K, c->N);
    else
        fg_mm_linear(c->y, c->x, c->W[i], c->b, c->M, c->K, c->N, false, c->arena);
}

/* cold_mb > 0: as many copies of the weight as take that much memory, used
 * in turn, so that each product reads its weight from memory, not cache (as
 * in a forward pass through a model larger than the last-level cache). */
static int bench_shape(const char *shape, const char *layer, int64_t M, int64_t K, int64_t N, double min_s,
                       double cold_mb, fg_arena *arena)
{
    lin_ctx c = {.M = M, .K = K, .N = N, .arena = arena, .n_copies = 1};
    const double mb = (double)N * K * 4 / (1 << 20);
    if (cold_mb > 0)
        c.n_copies = (int)(cold_mb / mb) + 1 > MAX_COPIES ? MAX_COPIES : (int)(cold_mb / mb) + 1;
    float *x = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * M * N);
    int ok = x && b && y;
    for (int i = 0; i < c.n_copies && ok; i++) {
        c.W[i] = malloc(sizeof(float) * N * K);
        ok = c.W[i] != NULL;
        if (ok) {
            fgb_fill(c.W[i], (size_t)(N * K), 2 + (unsigned)i);
            ok = fg_mm_wt_init(&c.wt[i], c.W[i], b, N, K);
        }
    }
    if (ok) {
        fgb_fill(x, (size_t)(M * K), 1), fgb_fill(b, (size_t)N, 3);
        c.x = x, c.b = b, c.y = y;
        for (int form = 0; form < 3; form++) {
            c.form = form;
            int reps = 0;
            const double s = fgb_time(run_lin, &c, c.n_copies, 10, 10000, min_s, &reps);
            printf("{\"bench\": \"linear\", \"shape\": \"%s\", \"layer\": \"%s\", \"form\": \"%s\", "
                   "\"cold\": %s, \"M\": %lld, \"K\": %lld, \"N\": %lld, \"threads\": %d, \"median_ms\": %.4f, "
                   "\"reps\": %d, \"gflops\": %.1f, \"peak_rss_mb\": %.1f}\n",
                   shape, layer, FORMS[form], cold_mb > 0 ? "true" : "false", (long long)M, (long long)K,
                   (long long)N, omp_get_max_threads(), s * 1e3, reps, 2.0 * M * K * N / s * 1e-9,
                   fgb_peak_rss_mb());
            fflush(stdout);
        }
    }
    for (int i = 0; i < c.n_copies; i++) {
        if (c.W[i])
            fg_mm_wt_free(&c.wt[i]);
        free(c.W[i]);
    }
    free(x), free(b), free(y);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    /* --cold MB is taken off the command line before the common options */
    double cold_mb = 0;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--cold")) {
            cold_mb = atof(argv[i + 1]);
            for (int j = i; j + 2 < argc + 1; j++)
                argv[j] = argv[j + 2];
            argc -= 2;
            break;
        }
    fgb_args a = {0, "256,512", 0.5};
    if (fgb_parse_args(argc, argv, &a)) {
        fprintf(stderr, "       and [--cold MB]: stream the weights from that many MB of copies\n");
        return 2;
    }
    if (a.threads > 0)
        omp_set_num_threads(a.threads);
    fg_arena arena;
    fg_arena_init(&arena, (size_t)64 << 20);
    static const struct { const char *name; int64_t d; } shapes[] = {{"t12_35M", 480}, {"t30_150M", 640},
                                                                     {"t33_650M", 1280}};
    int rc = 0;
    for (char *tok = strtok(a.sizes, ","); tok && !rc; tok = strtok(NULL, ",")) {
        const int64_t M = atoll(tok);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0] && !rc; s++) {
            const int64_t d = shapes[s].d;
            rc |= bench_shape(shapes[s].name, "qkv", M, d, 3 * d, a.min_seconds, cold_mb, &arena);
            rc |= bench_shape(shapes[s].name, "out", M, d, d, a.min_seconds, cold_mb, &arena);
            rc |= bench_shape(shapes[s].name, "fc1", M, d, 4 * d, a.min_seconds, cold_mb, &arena);
            rc |= bench_shape(shapes[s].name, "fc2", M, 4 * d, d, a.min_seconds, cold_mb, &arena);
        }
    }
    fg_arena_free(&arena);
    if (rc)
        fprintf(stderr, "bench_linear: out of memory\n");
    return rc ? 1 : 0;
}
