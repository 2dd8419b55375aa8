/* fg_mm (core/mm.h) against its plain twin on random inputs: every
 * epilogue, odd sizes (partial row and column blocks), x read row-major and
 * transposed, K = 0, and fg_mm_pack_t. The twin sums in double, so the
 * tolerance is float rounding of a K-term sum: |err| <= 1e-5 (1 + sum |x w|). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "fixture.h"
#include "framegen/rng.h"

static void normals(float *x, int64_t n, uint64_t stream)
{
    fg_rng r;
    fg_rng_init(&r, 7, stream);
    fg_rng_normals(&r, x, n);
}

static double sigm(double v) { return 1.0 / (1.0 + exp(-v)); }

/* The plain twin: acc[i][j] in double (and sum |x w| for the tolerance). */
static void acc_ref(const fg_mm *p, int64_t i, int64_t j, double *acc, double *mag)
{
    *acc = 0, *mag = 0;
    for (int64_t k = 0; k < p->K; k++) {
        double t = (double)p->x[i * p->xs_i + k * p->xs_k] * p->w[k * p->ldw + j];
        *acc += t, *mag += fabs(t);
    }
}

/* Expected y (initial contents y0) into ref; per-element tolerance into tol. */
static void mm_ref(const fg_mm *p, const float *y0, double *ref, double *tol, int64_t ylen)
{
    for (int64_t t = 0; t < ylen; t++)
        ref[t] = y0[t], tol[t] = 0;
    for (int64_t i = 0; i < p->M; i++)
        for (int64_t j = 0; j < p->J; j++) {
            double a, ma, g, mg;
            acc_ref(p, i, j, &a, &ma);
            int64_t at = i * p->ldy + j;
            double v = a, err = 1e-5 * (1 + ma);
            switch (p->epi) {
            case FG_MM_STORE: break;
            case FG_MM_ADD: v = y0[at] + a; break;
            case FG_MM_SIGMOID: v = sigm(a); break;
            case FG_MM_MUL: v = a * p->aux[i * p->ld_aux + j], err *= fabs(p->aux[i * p->ld_aux + j]); break;
            case FG_MM_MUL_ADD:
                v = y0[at] + a * p->aux[i * p->ld_aux + j], err *= fabs(p->aux[i * p->ld_aux + j]);
                break;
            case FG_MM_SWIGLU:
                if (j % 32 >= 16)
                    continue;
                acc_ref(p, i, j + 16, &g, &mg);
                v = a * sigm(a) * g, err = 1e-5 * (1 + ma) * (1 + mg) * 2;
                at = i * p->ldy + (j / 32) * 16 + j % 32;
                break;
            case FG_MM_GATE_ROWS:
                if (i % 8 >= 4)
                    continue;
                acc_ref(p, i + 4, j, &g, &mg);
                v = a * sigm(g) * (p->aux ? p->aux[j] : 1.0), err = 1e-5 * (1 + ma) * (1 + mg);
                at = ((i / 8) * 4 + i % 8) * p->ldy + j;
                break;
            }
            ref[at] = v, tol[at] = err;
        }
}

static const char *const NAMES[] = {"store", "add", "sigmoid", "mul", "mul_add", "swiglu", "gate_rows"};

/* One case: M x K x J with epilogue epi; x transposed when trans. */
static void run_case(fx_suite *s, fg_mm_epi epi, int64_t M, int64_t K, int64_t J, int trans, uint64_t seed)
{
    const int64_t ldy = J + 3, ldw = J + 5, ylen = M * ldy;
    float *x = malloc(sizeof(float) * (M * K + 1)), *w = malloc(sizeof(float) * (K * ldw + 1));
    float *y = malloc(sizeof(float) * ylen), *y0 = malloc(sizeof(float) * ylen);
    float *aux = malloc(sizeof(float) * (M * ldy + 1));
    double *ref = malloc(sizeof(double) * ylen), *tol = malloc(sizeof(double) * ylen);
    normals(x, M * K + 1, seed), normals(w, K * ldw + 1, seed + 1), normals(y0, ylen, seed + 2);
    normals(aux, M * ldy + 1, seed + 3);
    memcpy(y, y0, sizeof(float) * ylen);
    fg_mm p = {x, trans ? 1 : K, trans ? M : 1, w, ldw, M, K, J, y, ldy, epi, aux, ldy, 0, {NULL, NULL, false}};
    if (epi == FG_MM_GATE_ROWS && seed % 2)
        p.aux = NULL;
    fg_mm_run(&p);
    mm_ref(&p, y0, ref, tol, ylen);
    double worst = 0;
    for (int64_t t = 0; t < ylen; t++) {
        double e = fabs(y[t] - ref[t]) / (tol[t] > 0 ? tol[t] : 1e-30);
        if (tol[t] == 0)
            e = y[t] == y0[t] ? 0 : INFINITY; /* outside the output: untouched */
        worst = (e > worst || e != e) ? e : worst;
    }
    fx_ok(s, worst <= 1, "%s M=%lld K=%lld J=%lld%s: error/tolerance %.3f", NAMES[epi], (long long)M,
          (long long)K, (long long)J, trans ? " (x transposed)" : "", worst);
    free(x), free(w), free(y), free(y0), free(aux), free(ref), free(tol);
}

static void test_pack(fx_suite *s)
{
    float W[5 * 7], d[7 * 9];
    normals(W, 35, 99);
    fg_mm_pack_t(d, 9, W, 5, 7);
    int ok = 1;
    for (int k = 0; k < 7; k++)
        for (int j = 0; j < 5; j++)
            ok &= d[k * 9 + j] == W[j * 7 + k];
    fx_ok(s, ok, "fg_mm_pack_t: [5,7] transposed into rows of 9");
}

int main(void)
{
    fx_suite s = {"fg_mm register-blocked products vs plain twin", 0, 0};
    static const int64_t shapes[][3] = {{8, 16, 32}, {19, 37, 45}, {1, 5, 7}, {64, 128, 96}, {13, 0, 33}};
    uint64_t seed = 1;
    for (int e = FG_MM_STORE; e <= FG_MM_MUL_ADD; e++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
            for (int trans = 0; trans < 2; trans++, seed += 4)
                run_case(&s, (fg_mm_epi)e, shapes[k][0], shapes[k][1], shapes[k][2], trans, seed);
    static const int64_t paired[][3] = {{8, 16, 32}, {21, 37, 64}, {3, 9, 96}};
    for (size_t k = 0; k < 3; k++, seed += 4)
        run_case(&s, FG_MM_SWIGLU, paired[k][0], paired[k][1], paired[k][2], (int)(k % 2), seed);
    static const int64_t rowpaired[][3] = {{8, 16, 32}, {24, 37, 45}, {16, 9, 7}};
    for (size_t k = 0; k < 3; k++, seed += 4)
        for (int trans = 0; trans < 2; trans++, seed += 1)
            run_case(&s, FG_MM_GATE_ROWS, rowpaired[k][0], rowpaired[k][1], rowpaired[k][2], trans, seed);
    test_pack(&s);
    return fx_suite_finish(&s);
}
