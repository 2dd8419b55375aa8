/* Interleaved A/B of product-kernel variants on the edge transition's three
 * layers (64-row tasks over L*L pairs), in one process, so that the machine's
 * drift hits every variant alike. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/mm.h"

typedef void (*rows_fn)(float *, int64_t, const float *, int64_t, int64_t, const float *, int64_t, int64_t, const fg_mm_bias *);
#define DECL(v) void v##_fg_mm_rows(float *, int64_t, const float *, int64_t, int64_t, const float *, int64_t, int64_t, const fg_mm_bias *);
VARIANTS_DECL
static const struct { const char *name; rows_fn f; } V[] = { VARIANTS_LIST };
#define NV ((int)(sizeof V / sizeof V[0]))

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv)
{
    const int L = argc > 1 ? atoi(argv[1]) : 128, reps = argc > 2 ? atoi(argv[2]) : 9;
    int trs[8], ntr = 0, only = argc > 4 ? atoi(argv[4]) : -1; /* only: run just that layer (0..2) */
    for (char *s = argc > 3 ? argv[3] : "64"; *s && ntr < 8; ntr++) { trs[ntr] = (int)strtol(s, &s, 10); if (*s == ',') s++; }
    const int cz = 128, hid = 384, nth = omp_get_max_threads();
    const int64_t P = (int64_t)L * L;
    float *z = aligned_alloc(64, P * cz * 4), *w[3], *b = calloc(hid, 4);
    int K[3] = {cz, hid, hid}, N[3] = {hid, hid, cz};
    for (int64_t i = 0; i < P * cz; i++) z[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    for (int l = 0; l < 3; l++) {
        float *W = malloc((size_t)N[l] * K[l] * 4);
        for (int64_t i = 0; i < (int64_t)N[l] * K[l]; i++) W[i] = (float)((i * 40503u) % 997) * 1e-4f - 0.05f;
        w[l] = fg_mm_pack_panels_new(W, K[l], true, K[l], N[l]);
        free(W);
    }
    float *tb = aligned_alloc(64, (size_t)nth * 512 * (2 * hid + cz) * 4);
    float *outs[64];
    double t[64][64];
    const double flop = 2.0 * P * ((double)cz * hid + (double)hid * hid + (double)hid * cz);
    const int NS = NV * ntr;
    for (int v = 0; v < NS; v++) outs[v] = aligned_alloc(64, P * cz * 4);
    for (int r = -1; r < reps; r++)
        for (int sl = 0; sl < NS; sl++) {
            const int v = sl / ntr, TR = trs[sl % ntr];
            const double t0 = now();
            const int64_t ntask = (P + TR - 1) / TR;
#pragma omp parallel for schedule(dynamic, 1)
            for (int64_t k = 0; k < ntask; k++) {
                float *h1 = tb + (size_t)omp_get_thread_num() * 256 * (2 * hid + cz), *h2 = h1 + 256 * hid, *o = h2 + 256 * hid;
                const int64_t p0 = k * TR;
                const int m = P - p0 < TR ? (int)(P - p0) : TR;
                const fg_mm_bias rb = {b, NULL, true};
                if (only < 0 || only == 0) V[v].f(h1, hid, z + p0 * cz, cz, m, w[0], cz, hid, &rb);
                if (only < 0 || only == 1) V[v].f(h2, hid, h1, hid, m, w[1], hid, hid, &rb);
                if (only < 0 || only == 2) V[v].f(o, cz, h2, hid, m, w[2], hid, cz, &rb);
                memcpy(outs[sl] + p0 * cz, o, (size_t)m * cz * 4);
            }
            if (r >= 0) t[sl][r] = now() - t0;
        }
    const double fl[3] = {2.0 * P * cz * hid, 2.0 * P * hid * hid, 2.0 * P * hid * cz};
    const double flop_run = only < 0 ? flop : fl[only];
    for (int v = 0; v < NS; v++) {
        double rat[64];
        for (int r = 0; r < reps; r++) rat[r] = t[0][r] / t[v][r];
        qsort(rat, reps, sizeof(double), cmp);
        double s[64]; memcpy(s, t[v], reps * sizeof(double)); qsort(s, reps, sizeof(double), cmp);
        printf("{\"L\": %d, \"threads\": %d, \"rows\": %d, \"layer\": %d, \"var\": \"%s\", \"median_ms\": %.2f, \"min_ms\": %.2f, \"gflops\": %.1f, \"speedup_vs_first_median\": %.3f, \"identical\": %d}\n",
               L, nth, trs[v % ntr], only, V[v / ntr].name, s[reps / 2] * 1e3, s[0] * 1e3, flop_run / s[reps / 2] * 1e-9, rat[reps / 2], !memcmp(outs[0], outs[v], P * cz * 4));
    }
    return 0;
}
