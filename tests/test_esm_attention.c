/* The tiled online-softmax attention (no maps) and the map-writing kernel
 * against their plain twin (full L x L scores, libm expf) on random inputs:
 * several lengths around the tile sizes (32 query rows, 512 keys), trailing
 * pads, head sizes with specialised (16, 24, 64) and generic (40) loops, maps
 * with dropped rows. Also: results independent of the thread count. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esm/esm_attention.h"
#include "fixture.h"
#include "framegen/rng.h"

#define NSEQ 12
static const int LENS[NSEQ] = {1, 2, 31, 32, 33, 127, 128, 129, 257, 300, 600, 1030};
static const int PADS[NSEQ] = {0, 0, 0, 5, 0, 0, 1, 0, 130, 0, 70, 0}; /* trailing pads */

typedef struct setup {
    int H, hd;
    int64_t T, off[NSEQ + 1], ld;
    int32_t nk[NSEQ], map_row[4096], map_n[NSEQ];
    int64_t map_block[NSEQ], map_floats;
    float *qkv;
} setup;

static void make(setup *s, int H, int hd, uint64_t seed)
{
    s->H = H;
    s->hd = hd;
    s->off[0] = 0;
    for (int q = 0; q < NSEQ; q++) {
        s->off[q + 1] = s->off[q] + LENS[q];
        s->nk[q] = LENS[q] - PADS[q];
    }
    s->T = s->off[NSEQ];
    s->ld = 3 * (int64_t)H * hd;
    s->qkv = malloc(sizeof(float) * (size_t)(s->T * s->ld));
    fg_rng r;
    fg_rng_init(&r, seed, 1);
    for (int64_t i = 0; i < s->T * s->ld; i++)
        s->qkv[i] = (float)(1.5 * fg_rng_normal(&r)) / sqrtf((float)hd) * 2.0f;
    /* maps keep every row except each sequence's first and last (as BOS/EOS) */
    int64_t block = 0;
    for (int q = 0; q < NSEQ; q++) {
        int n = 0;
        for (int i = 0; i < LENS[q]; i++)
            s->map_row[s->off[q] + i] = LENS[q] > 2 && (i == 0 || i == LENS[q] - 1) ? -1 : n++;
        s->map_n[q] = n;
        s->map_block[q] = block;
        block += (int64_t)n * n * (2 * H);
    }
    s->map_floats = block;
}

static esm_attn args(const setup *s, float *out, float *maps)
{
    esm_attn a = {.n_seqs = NSEQ, .offsets = s->off, .n_keys = s->nk, .n_heads = s->H,
                  .head_dim = s->hd, .q = s->qkv, .k = s->qkv + s->H * s->hd,
                  .v = s->qkv + 2 * s->H * s->hd, .ld = s->ld, .out = out, .ldo = s->H * s->hd,
                  .maps = maps, .map_block = s->map_block, .map_row = s->map_row, .map_n = s->map_n,
                  .map_channels = 2 * s->H, .map_channel0 = s->H};
    return a;
}

static void run_fast(const esm_attn *a, const setup *s)
{
    int nt = omp_get_max_threads();
    size_t bytes = (esm_attn_ws_bytes(a, nt) + 63) / 64 * 64;
    void *mem = aligned_alloc(64, bytes);
    esm_attn_ws ws;
    esm_attn_ws_bind(&ws, mem, a, nt);
    esm_attention(a, &ws);
    free(mem);
}

static double max_abs(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* Deviation relative to the reference's scale. */
static double max_rel(const float *a, const float *b, int64_t n)
{
    double s = 1e-30;
    for (int64_t i = 0; i < n; i++)
        s = fmax(s, fabs((double)b[i]));
    return max_abs(a, b, n) / s;
}

static void check_hd(fx_suite *su, int H, int hd)
{
    setup s;
    make(&s, H, hd, (uint64_t)hd);
    int64_t n = s.T * H * hd;
    float *ref = calloc((size_t)n, sizeof(float)), *got = calloc((size_t)n, sizeof(float));
    float *ref_maps = calloc((size_t)s.map_floats, sizeof(float));
    float *got_maps = calloc((size_t)s.map_floats, sizeof(float));
    esm_attn a = args(&s, ref, ref_maps);
    esm_attention_ref(&a);

    a = args(&s, got, NULL);
    run_fast(&a, &s);
    double d_fused = max_rel(got, ref, n);
    float *one = calloc((size_t)n, sizeof(float));
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    a = args(&s, one, NULL);
    run_fast(&a, &s);
    omp_set_num_threads(nt);
    int same_threads = memcmp(one, got, sizeof(float) * (size_t)n) == 0;

    memset(got, 0, sizeof(float) * (size_t)n);
    a = args(&s, got, got_maps);
    run_fast(&a, &s);
    double d_maps_out = max_rel(got, ref, n), d_maps = max_abs(got_maps, ref_maps, s.map_floats);
    /* this call's channels only: the others must be untouched (zero) */
    double other = 0;
    for (int q = 0; q < NSEQ; q++)
        for (int64_t e = 0; e < (int64_t)s.map_n[q] * s.map_n[q]; e++)
            for (int ch = 0; ch < H; ch++)
                other = fmax(other, fabs(got_maps[s.map_block[q] + e * 2 * H + ch]));

    /* outputs within 3e-6 of their scale, maps (<= 1) within 3e-6 absolute:
     * float sums over up to 1030 keys (~1e-6 up to 300 keys) */
    fx_ok(su, d_fused <= 3e-6, "head_dim %d: fused online softmax vs plain: max |diff| / max |ref| %.2e",
          hd, d_fused);
    fx_ok(su, same_threads, "head_dim %d: fused kernel, 1 thread == %d threads (bitwise)", hd, nt);
    fx_ok(su, d_maps_out <= 3e-6 && d_maps <= 3e-6 && other == 0,
          "head_dim %d: map kernel vs plain: output %.2e, maps %.2e, other channels untouched", hd,
          d_maps_out, d_maps);
    free(ref), free(got), free(one), free(ref_maps), free(got_maps), free(s.qkv);
}

int main(void)
{
    fx_suite s = {"esm_attention", 0, 0};
    check_hd(&s, 3, 16);
    check_hd(&s, 2, 24);
    check_hd(&s, 2, 64);
    check_hd(&s, 2, 40);
    return fx_suite_finish(&s);
}
