/* A packed variable-length batch gives each sequence the same outputs as
 * running it alone (hidden states, attention maps, logits), with and without
 * attention maps; padding inside a sequence changes nothing at its non-pad
 * rows. The attention kernel is exactly independent of the batch; the matrix
 * products' tile grid (and for over 512 tokens their kernel) depends on the
 * number of rows, so the outputs agree to float rounding: max |diff| <= 1e-5 max |value|. Independent of the thread
 * count, they are bit-identical. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esm/esm_internal.h"
#include "fixture.h"
#include "framegen/esm.h"
#include "framegen/esm_tokens.h"
#include "framegen/ops.h"
#include "framegen/rng.h"

/* Tokens incl. <cls>/<eos>; 543 in all, so the packed batch takes the BLAS
 * products and every sequence alone the register-blocked ones (esm_forward.c). */
#define NSEQ 6
static const int LENS[NSEQ] = {7, 40, 1 + 2, 33, 130, 330};

typedef struct result {
    float *repr, *attn, *logits;
    int64_t rows, attn_n;
    int64_t scratch, bound; /* the forward's arena high-water mark; fg_esm_scratch_bytes */
} result;

static int run(fg_esm *m, int n, const int32_t *tok, const int64_t *off, int maps, result *r)
{
    const fg_esm_config *c = fg_esm_get_config(m);
    fg_esm_batch in = {n, tok, off};
    fg_error err;
    fg_esm_output_size(m, &in, NULL, &r->rows, &r->attn_n, &err);
    int layers[] = {0, 3, c->n_layers};
    r->repr = malloc(sizeof(float) * (size_t)(3 * r->rows * c->d_model));
    r->logits = malloc(sizeof(float) * (size_t)(r->rows * c->vocab));
    r->attn = maps ? malloc(sizeof(float) * (size_t)r->attn_n) : NULL;
    fg_esm_outputs o = {.n_repr = 3, .repr_layers = layers, .repr = r->repr,
                        .repr_row_stride = 3 * c->d_model, .repr_layer_stride = c->d_model,
                        .attn = r->attn, .logits = r->logits};
    int64_t max_len = 0;
    for (int q = 0; q < n; q++)
        max_len = off[q + 1] - off[q] > max_len ? off[q + 1] - off[q] : max_len;
    m->arena.peak = 0;
    if (fg_esm_forward(m, &in, &o, &err) != FG_OK) {
        printf("  forward: %s\n", err.msg);
        return 0;
    }
    r->scratch = (int64_t)m->arena.peak;
    r->bound = fg_esm_scratch_bytes(m, off[n], max_len);
    return 1;
}

static void free_result(result *r) { free(r->repr), free(r->attn), free(r->logits); }

#define REL 1e-5

/* max |a - b| / max(max |b|, 1e-30): the deviation relative to the output's scale. */
static double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0, s = 1e-30;
    for (int64_t i = 0; i < n; i++) {
        m = fmax(m, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    return m / s;
}

int main(void)
{
    fx_suite s = {"esm_packed", 0, 0};
    fx_case ce;
    if (fx_open(&ce, "esm") != 0)
        return 1;
    fg_esm *m = NULL;
    fg_error err;
    if (!fx_ok(&s, fx_params(&ce) && fg_esm_create(fx_params(&ce), NULL, &m, &err) == FG_OK, "model"))
        return fx_suite_finish(&s);
    const fg_esm_config *c = fg_esm_get_config(m);
    int32_t tok[1024]; /* >= the sum of LENS */
    int64_t off[NSEQ + 1] = {0};
    fg_rng rng;
    fg_rng_init(&rng, 11, 0);
    for (int q = 0; q < NSEQ; q++) {
        off[q + 1] = off[q] + LENS[q];
        for (int i = 0; i < LENS[q]; i++)
            tok[off[q] + i] = i == 0 ? FG_ESM_TOK_CLS : i == LENS[q] - 1 ? FG_ESM_TOK_EOS
                              : fg_rng_uniform(&rng) < 0.2 ? FG_ESM_TOK_MASK
                                                           : 4 + (int32_t)(fg_rng_u32(&rng) % 25);
    }
    int64_t over = 0, loose = 0, n_runs = 0; /* scratch bound exceeded; bound over 2x + 64 KB */
    double tightest = 1e30;
    for (int maps = 0; maps <= 1; maps++) {
        result all;
        if (!run(m, NSEQ, tok, off, maps, &all))
            break;
        int64_t row = 0, ablock = 0;
        double dr = 0, dl = 0, da = 0;
        for (int q = 0; q < NSEQ; q++) {
            result one;
            int64_t o1[2] = {0, LENS[q]};
            if (!run(m, 1, tok + off[q], o1, maps, &one))
                break;
            dr = fmax(dr, max_diff(all.repr + row * 3 * c->d_model, one.repr, one.rows * 3 * c->d_model));
            dl = fmax(dl, max_diff(all.logits + row * c->vocab, one.logits, one.rows * c->vocab));
            if (maps)
                da = fmax(da, max_diff(all.attn + ablock, one.attn, one.attn_n));
            row += one.rows;
            ablock += one.attn_n;
            over += one.scratch > one.bound, loose += one.bound > 2 * one.scratch + 65536, n_runs++;
            tightest = fmin(tightest, (double)one.bound / (double)one.scratch);
            free_result(&one);
        }
        fx_ok(&s, dr <= REL && dl <= REL && da <= REL,
              "%s: packed = one by one (max |diff| / max |value|: hidden %.2e, logits %.2e, maps %.2e)",
              maps ? "attention maps" : "fused attention", dr, dl, da);
        over += all.scratch > all.bound, loose += all.bound > 2 * all.scratch + 65536, n_runs++;
        tightest = fmin(tightest, (double)all.bound / (double)all.scratch);
        free_result(&all);
    }
    fx_ok(&s, over == 0 && loose == 0 && n_runs == 2 * (NSEQ + 1),
          "fg_esm_scratch_bytes bounds the forward's scratch in all %lld runs (maps or not, packed or alone; "
          "%lld over, %lld looser than 2x + 64 KB; tightest bound / used %.3f)",
          (long long)n_runs, (long long)over, (long long)loose, tightest);
    /* The whole forward does not depend on the thread count (fixed GEMM tiles,
     * attention items computed whole by one thread): bit-identical outputs. */
    {
        result many, one;
        fg_set_threads(2);
        fx_ok(&s, fg_get_threads() == 2, "fg_set_threads(2): %d OpenMP threads", fg_get_threads());
        int nt = omp_get_max_threads();
        int ok = run(m, NSEQ, tok, off, 1, &many);
        omp_set_num_threads(1);
        ok = ok && run(m, NSEQ, tok, off, 1, &one);
        omp_set_num_threads(nt);
        fx_ok(&s, ok && !memcmp(many.repr, one.repr, sizeof(float) * (size_t)(3 * one.rows * c->d_model)) &&
                      !memcmp(many.logits, one.logits, sizeof(float) * (size_t)(one.rows * c->vocab)) &&
                      !memcmp(many.attn, one.attn, sizeof(float) * (size_t)one.attn_n),
              "%d threads == 1 thread, bit for bit (hidden states, logits, maps)", nt);
        free_result(&many), free_result(&one);
    }
    /* The 40-token sequence right-padded to 64: non-pad rows unchanged. */
    {
        int32_t padded[64];
        memcpy(padded, tok + off[1], sizeof(int32_t) * 40);
        for (int i = 40; i < 64; i++)
            padded[i] = FG_ESM_TOK_PAD;
        int64_t op[2] = {0, 64}, o1[2] = {0, 40};
        result a, b;
        if (run(m, 1, padded, op, 1, &a) && run(m, 1, tok + off[1], o1, 1, &b)) {
            double dr = max_diff(a.repr, b.repr, 40 * 3 * c->d_model), da = 0, zero = 0;
            int64_t C = (int64_t)c->n_layers * c->n_heads;
            for (int i = 0; i < 64; i++)
                for (int j = 0; j < 64; j++)
                    for (int64_t ch = 0; ch < C; ch++) {
                        float v = a.attn[(i * 64 + j) * C + ch];
                        if (i >= 40 || j >= 40)
                            zero = fmax(zero, fabs(v));
                        else
                            da = fmax(da, fabs(v - b.attn[(i * 40 + j) * C + ch]));
                    }
            fx_ok(&s, dr <= REL && da <= REL && zero == 0,
                  "trailing pads: non-pad rows as unpadded (hidden %.2e, maps |diff| %.2e), pad rows/cols 0",
                  dr, da);
        }
        free_result(&a), free_result(&b);
    }
    /* Bad batches are errors, not crashes. */
    int32_t badpad[4] = {FG_ESM_TOK_CLS, FG_ESM_TOK_PAD, 5, FG_ESM_TOK_EOS};
    int32_t badtok[3] = {FG_ESM_TOK_CLS, 40, FG_ESM_TOK_EOS};
    int32_t allmask[2] = {FG_ESM_TOK_MASK, FG_ESM_TOK_MASK};
    int64_t o4[2] = {0, 4}, o3[2] = {0, 3}, o2[2] = {0, 2};
    fg_esm_outputs none = {0};
    fg_esm_batch b1 = {1, badpad, o4}, b2 = {1, badtok, o3}, b3 = {1, allmask, o2};
    fx_ok(&s, fg_esm_forward(m, &b1, &none, &err) == FG_ERR_INVALID, "pad inside a sequence: %s", err.msg);
    fx_ok(&s, fg_esm_forward(m, &b2, &none, &err) == FG_ERR_INVALID, "token outside vocabulary: %s", err.msg);
    fx_ok(&s, fg_esm_forward(m, &b3, &none, &err) == FG_ERR_INVALID, "all <mask>: %s", err.msg);
    fg_esm_destroy(m);
    fx_close(&ce);
    return fx_suite_finish(&s);
}
