/* Panel products (core/mm.h) against plain double loops and their BLAS
 * twins: packing (both layouts, partial panels), fg_mm_rows with every
 * epilogue over shapes that leave partial row blocks and panels, fg_mm_linear
 * against fg_linear, and fg_mm_linear bit-identical at 1 and 3 threads;
 * fg_mm_linear_run into strided rows, accumulating, over several row chunks
 * and k slices, with stacked parts and a post step; fg_mm_wt (weights
 * packed once) against double loops and fg_mm_linear. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "fixture.h"
#include "framegen/ops.h"
#include "framegen/rng.h"

static void fill(float *x, int64_t n, uint64_t stream)
{
    fg_rng r;
    fg_rng_init(&r, 5, stream);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)fg_rng_normal(&r);
}

static float *floats(int64_t n) { return malloc(sizeof(float) * (size_t)(n > 0 ? n : 1)); }

/* Packing: every element lands at its panel position, padding is zero. */
static int check_pack(int64_t K, int64_t N, bool trans)
{
    const int64_t ld = (trans ? K : N) + 3, NR = FG_MM_NR;
    float *b = floats((trans ? N : K) * ld), *bp = floats(fg_mm_panel_floats(K, N));
    fill(b, (trans ? N : K) * ld, 1);
    fg_mm_pack_panels(bp, b, ld, trans, K, N);
    int bad = 0;
    for (int64_t n = 0; n < (N + NR - 1) / NR * NR; n++)
        for (int64_t k = 0; k < K; k++) {
            float want = n < N ? (trans ? b[n * ld + k] : b[k * ld + n]) : 0.0f;
            bad += bp[(n / NR) * K * NR + k * NR + n % NR] != want;
        }
    free(b), free(bp);
    return bad;
}

/* fg_mm_rows against double loops; returns max |err| / sqrt(K + 1). */
static double check_rows(int64_t rows, int64_t K, int64_t N, int variant)
{
    const int64_t lda = K + 2, ldy = N + 5;
    float *a = floats(rows * lda), *w = floats(N * K), *bp = floats(fg_mm_panel_floats(K, N));
    float *cb = floats(N), *rb = floats(rows), *y = floats(rows * ldy), *y0 = floats(rows * ldy);
    fill(a, rows * lda, 2), fill(w, N * K, 3), fill(cb, N, 4), fill(rb, rows, 5), fill(y, rows * ldy, 6);
    memcpy(y0, y, sizeof(float) * (size_t)(rows * ldy));
    fg_mm_pack_panels(bp, w, K, true, K, N);
    const fg_mm_bias e = {variant & 1 ? cb : NULL, variant & 2 ? rb : NULL, (variant & 4) != 0};
    fg_mm_rows(y, ldy, a, lda, rows, bp, K, N, &e);
    double worst = 0;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t n = 0; n < N; n++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (double)a[r * lda + k] * w[n * K + k];
            s += (e.col ? cb[n] : 0.0) + (e.row ? rb[r] : 0.0);
            s = e.relu && s < 0 ? 0 : s;
            worst = fmax(worst, fabs(y[r * ldy + n] - s));
        }
        for (int64_t n = N; n < ldy; n++) /* past the last column: untouched */
            worst = fmax(worst, y[r * ldy + n] != y0[r * ldy + n] ? 1e9 : 0.0);
    }
    free(a), free(w), free(bp), free(cb), free(rb), free(y), free(y0);
    return worst / sqrt((double)K + 1.0);
}

/* fg_mm_linear against fg_linear (+ReLU) and double loops; identical at 1 and 3 threads. */
static void check_linear(fx_suite *s, fg_arena *ar, int64_t M, int64_t K, int64_t N, bool bias, bool relu)
{
    float *x = floats(M * K), *W = floats(N * K), *b = floats(N), *y1 = floats(M * N), *y3 = floats(M * N);
    float *yb = floats(M * N);
    fill(x, M * K, 7), fill(W, N * K, 8), fill(b, N, 9);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    bool ok = fg_mm_linear(y1, x, W, bias ? b : NULL, M, K, N, relu, ar);
    omp_set_num_threads(3);
    ok = ok && fg_mm_linear(y3, x, W, bias ? b : NULL, M, K, N, relu, ar);
    omp_set_num_threads(saved);
    fg_linear(yb, x, W, bias ? b : NULL, M, K, N);
    if (relu)
        fg_relu(yb, M * N);
    double d_blas = 0, d_ref = 0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t n = 0; n < N; n++) {
            double r = bias ? b[n] : 0.0;
            for (int64_t k = 0; k < K; k++)
                r += (double)x[i * K + k] * W[n * K + k];
            r = relu && r < 0 ? 0 : r;
            d_ref = fmax(d_ref, fabs(y1[i * N + n] - r));
            d_blas = fmax(d_blas, fabs(y1[i * N + n] - yb[i * N + n]));
        }
    const double scale = sqrt((double)K + 1.0);
    fx_ok(s, ok && d_ref / scale < 1e-5 && d_blas / scale < 1e-5 && !memcmp(y1, y3, sizeof(float) * (size_t)(M * N)),
          "fg_mm_linear M=%lld K=%lld N=%lld%s%s: vs double %.2e, vs fg_linear %.2e (/sqrt K), 1 vs 3 threads %s",
          (long long)M, (long long)K, (long long)N, bias ? " bias" : "", relu ? " relu" : "", d_ref / scale,
          d_blas / scale, memcmp(y1, y3, sizeof(float) * (size_t)(M * N)) ? "DIFFER" : "identical");
    free(x), free(W), free(b), free(y1), free(y3), free(yb);
}

/* Runs p1 on one thread and p3 on three (the thread count must not change a bit). */
static bool run_1_and_3(const fg_mm_lin *p1, const fg_mm_lin *p3, fg_arena *ar)
{
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    bool ok = fg_mm_linear_run(p1, ar);
    omp_set_num_threads(3);
    ok = ok && fg_mm_linear_run(p3, ar);
    omp_set_num_threads(saved);
    return ok;
}

/* fg_mm_linear_run with add into y rows ldy = N + 5 apart: y0 + x W^T + b,
 * the padding columns untouched, identical at 1 and 3 threads. */
static void check_linear_add(fx_suite *s, fg_arena *ar, int64_t M, int64_t K, int64_t N)
{
    const int64_t ldy = N + 5;
    float *x = floats(M * K), *W = floats(N * K), *b = floats(N), *y0 = floats(M * ldy), *y1 = floats(M * ldy);
    float *y3 = floats(M * ldy);
    fill(x, M * K, 11), fill(W, N * K, 12), fill(b, N, 13), fill(y0, M * ldy, 14);
    memcpy(y1, y0, sizeof(float) * (size_t)(M * ldy));
    memcpy(y3, y0, sizeof(float) * (size_t)(M * ldy));
    const fg_mm_lin p1 = {y1, ldy, true, x, W, b, M, K, N, false, NULL, 0, NULL},
                     p3 = {y3, ldy, true, x, W, b, M, K, N, false, NULL, 0, NULL};
    bool ok = run_1_and_3(&p1, &p3, ar);
    double d_ref = 0;
    int64_t pad_changed = 0;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t n = 0; n < N; n++) {
            double r = (double)y0[i * ldy + n] + b[n];
            for (int64_t k = 0; k < K; k++)
                r += (double)x[i * K + k] * W[n * K + k];
            d_ref = fmax(d_ref, fabs(y1[i * ldy + n] - r));
        }
        for (int64_t n = N; n < ldy; n++)
            pad_changed += y1[i * ldy + n] != y0[i * ldy + n];
    }
    const double scale = sqrt((double)K + 1.0);
    const bool same = !memcmp(y1, y3, sizeof(float) * (size_t)(M * ldy));
    fx_ok(s, ok && d_ref / scale < 1e-5 && pad_changed == 0 && same,
          "fg_mm_linear_run add M=%lld K=%lld N=%lld ldy=%lld: vs double %.2e (/sqrt K), %lld padding values "
          "changed, 1 vs 3 threads %s", (long long)M, (long long)K, (long long)N, (long long)ldy, d_ref / scale,
          (long long)pad_changed, same ? "identical" : "DIFFER");
    free(x), free(W), free(b), free(y0), free(y1), free(y3);
}

/* A post step for the test: y = 2y - 1 (any element-wise map would do). */
static void twice_minus_one(float *y, int64_t ldy, int rows, int cols)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            y[r * ldy + c] = 2.0f * y[r * ldy + c] - 1.0f;
}

/* Three stacked parts (sizes off the 32-row task grid, one without bias) and
 * a post step, into rows ldy = N + 3 apart: equal to double loops, bitwise
 * equal to the three products run alone and post-processed, padding columns
 * untouched, identical at 1 and 3 threads. */
static void check_linear_parts(fx_suite *s, fg_arena *ar, int64_t M, int64_t K)
{
    const int64_t Np[3] = {40, 33, 64}, N = 40 + 33 + 64, ldy = N + 3;
    float *x = floats(M * K), *W[3], *b[3] = {floats(Np[0]), NULL, floats(Np[2])};
    fill(x, M * K, 21);
    fg_mm_lin_part parts[3];
    for (int k = 0; k < 3; k++) {
        W[k] = floats(Np[k] * K);
        fill(W[k], Np[k] * K, 22 + (uint64_t)k);
        if (b[k])
            fill(b[k], Np[k], 25 + (uint64_t)k);
        parts[k] = (fg_mm_lin_part){W[k], b[k], Np[k]};
    }
    float *y1 = floats(M * ldy), *y3 = floats(M * ldy), *ys = floats(M * ldy);
    for (int64_t i = 0; i < M * ldy; i++)
        y1[i] = y3[i] = ys[i] = 7.0f;
    const fg_mm_lin p1 = {y1, ldy, false, x, NULL, NULL, M, K, N, false, parts, 3, twice_minus_one};
    fg_mm_lin p3 = p1;
    p3.y = y3;
    bool ok = run_1_and_3(&p1, &p3, ar);
    int64_t col = 0;
    for (int k = 0; k < 3; k++) { /* alone, then the post step by hand */
        const fg_mm_lin one = {ys + col, ldy, false, x, W[k], b[k], M, K, Np[k], false, NULL, 0, NULL};
        ok = ok && fg_mm_linear_run(&one, ar);
        col += Np[k];
    }
    twice_minus_one(ys, ldy, (int)M, (int)N);
    double d_ref = 0;
    int64_t pad_changed = 0;
    for (int64_t i = 0; i < M; i++) {
        col = 0;
        for (int k = 0; k < 3; k++) {
            for (int64_t n = 0; n < Np[k]; n++) {
                double r = b[k] ? b[k][n] : 0.0;
                for (int64_t kk = 0; kk < K; kk++)
                    r += (double)x[i * K + kk] * W[k][n * K + kk];
                d_ref = fmax(d_ref, fabs(y1[i * ldy + col + n] - (2.0 * r - 1.0)));
            }
            col += Np[k];
        }
        for (int64_t n = N; n < ldy; n++)
            pad_changed += y1[i * ldy + n] != 7.0f;
    }
    const double scale = 2.0 * sqrt((double)K + 1.0);
    const bool same3 = !memcmp(y1, y3, sizeof(float) * (size_t)(M * ldy)),
               alone = !memcmp(y1, ys, sizeof(float) * (size_t)(M * ldy));
    /* parts that do not add up to N, or too many: refused, y untouched */
    float *y_bad = floats(M * ldy);
    memcpy(y_bad, y1, sizeof(float) * (size_t)(M * ldy));
    fg_mm_lin bad = p1;
    bad.y = y_bad, bad.N = N - 1;
    const bool short_refused = !fg_mm_linear_run(&bad, ar);
    bad.N = N, bad.n_parts = FG_MM_LIN_MAX_PARTS + 1;
    const bool many_refused = !fg_mm_linear_run(&bad, ar);
    const bool untouched = !memcmp(y_bad, y1, sizeof(float) * (size_t)(M * ldy));
    free(y_bad);
    fx_ok(s, short_refused && many_refused && untouched,
          "fg_mm_linear_run refuses parts that do not add up to N (%s) or exceed %d (%s), y untouched (%s)",
          short_refused ? "yes" : "NO", FG_MM_LIN_MAX_PARTS, many_refused ? "yes" : "NO", untouched ? "yes" : "NO");
    fx_ok(s, ok && d_ref / scale < 1e-5 && pad_changed == 0 && same3 && alone,
          "fg_mm_linear_run 3 parts (40, 33, 64) + post M=%lld K=%lld: vs double %.2e (/2 sqrt K), %lld padding "
          "values changed, vs parts alone %s, 1 vs 3 threads %s", (long long)M, (long long)K, d_ref / scale,
          (long long)pad_changed, alone ? "identical" : "DIFFER", same3 ? "identical" : "DIFFER");
    free(x), free(y1), free(y3), free(ys);
    for (int k = 0; k < 3; k++)
        free(W[k]), free(b[k]);
}

/* fg_mm_wt against double loops into rows ldy = N + 5 apart (padding
 * untouched), store or add, bias or none, ReLU or none; equal to
 * fg_mm_linear's result bit for bit (same sums in the same order); the same
 * at 1 and 3 threads, and when shared by the threads of a region. */
static void check_wt(fx_suite *s, fg_arena *ar, int64_t M, int64_t K, int64_t N, bool bias, bool relu, bool add)
{
    const int64_t ldy = N + 5, n_y = M * ldy;
    float *x = floats(M * K), *W = floats(N * K), *b = floats(N), *y0 = floats(n_y), *y[3], *yl = floats(M * N);
    fill(x, M * K, 21), fill(W, N * K, 22), fill(b, N, 23), fill(y0, n_y, 24);
    for (int v = 0; v < 3; v++) {
        y[v] = floats(n_y);
        memcpy(y[v], y0, sizeof(float) * (size_t)n_y);
    }
    fg_mm_wt w;
    bool ok = fg_mm_wt_init(&w, W, bias ? b : NULL, N, K);
    const fg_mm_epi epi = add ? FG_MM_ADD : FG_MM_STORE;
    const int saved = omp_get_max_threads();
    if (ok) {
        omp_set_num_threads(1);
        fg_mm_wt_run(&w, y[0], ldy, x, K, M, relu, epi);
        omp_set_num_threads(3);
        fg_mm_wt_run(&w, y[1], ldy, x, K, M, relu, epi);
#pragma omp parallel num_threads(3)
        fg_mm_wt_team(&w, y[2], ldy, x, K, M, relu, epi);
        omp_set_num_threads(saved);
        fg_mm_wt_free(&w);
    }
    ok = ok && fg_mm_linear(yl, x, W, bias ? b : NULL, M, K, N, relu, ar);
    double d_ref = 0;
    int64_t pad_changed = 0, differ_lin = 0;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t n = 0; n < N; n++) {
            double r = bias ? b[n] : 0.0;
            for (int64_t k = 0; k < K; k++)
                r += (double)x[i * K + k] * W[n * K + k];
            r = relu && r < 0 ? 0 : r;
            r += add ? y0[i * ldy + n] : 0.0;
            d_ref = fmax(d_ref, fabs(y[0][i * ldy + n] - r));
            differ_lin += !add && y[0][i * ldy + n] != yl[i * N + n];
        }
        for (int64_t n = N; n < ldy; n++)
            pad_changed += y[0][i * ldy + n] != y0[i * ldy + n];
    }
    const double scale = sqrt((double)K + 1.0);
    const bool same = !memcmp(y[0], y[1], sizeof(float) * (size_t)n_y) &&
                      !memcmp(y[0], y[2], sizeof(float) * (size_t)n_y);
    fx_ok(s, ok && d_ref / scale < 1e-5 && pad_changed == 0 && differ_lin == 0 && same,
          "fg_mm_wt M=%lld K=%lld N=%lld%s%s%s: vs double %.2e (/sqrt K), %lld values differ from fg_mm_linear, "
          "%lld padding values changed, 1 / 3 threads / shared by a region %s", (long long)M, (long long)K,
          (long long)N, bias ? " bias" : "", relu ? " relu" : "", add ? " add" : "", d_ref / scale,
          (long long)differ_lin, (long long)pad_changed, same ? "identical" : "DIFFER");
    for (int v = 0; v < 3; v++)
        free(y[v]);
    free(x), free(W), free(b), free(y0), free(yl);
}

int main(void)
{
    fx_suite s = {"mm_panels", 0, 0};
    const int64_t Ks[] = {1, 7, 16, 33, 128}, Ns[] = {1, 15, 16, 17, 32, 33, 100};
    int bad = 0;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 7; j++)
            bad += check_pack(Ks[i], Ns[j], false) + check_pack(Ks[i], Ns[j], true);
    fx_ok(&s, bad == 0, "packing, both layouts, %d shapes: %d misplaced values", 35, bad);

    const int64_t Rs[] = {1, 3, 8, 9, 17, 64};
    double worst = 0;
    int n = 0;
    for (size_t r = 0; r < 6; r++)
        for (size_t i = 0; i < 5; i++)
            for (size_t j = 0; j < 7; j++, n++)
                worst = fmax(worst, check_rows(Rs[r], Ks[i], Ns[j], (int)(r + i + j) % 8));
    fx_ok(&s, worst < 1e-5, "fg_mm_rows, %d shapes x epilogues vs double loops: max |err| / sqrt(K) %.2e", n,
          worst);

    fg_arena ar;
    fg_arena_init(&ar, 0);
    check_linear(&s, &ar, 64, 256, 256, true, false);
    check_linear(&s, &ar, 37, 70, 129, true, true);
    check_linear(&s, &ar, 5, 3, 300, false, false);
    check_linear(&s, &ar, 100, 33, 6, true, false);
    check_linear(&s, &ar, 1, 256, 40, false, true);
    check_linear(&s, &ar, 1100, 40, 70, true, false); /* three row chunks, the last partial */
    check_linear_add(&s, &ar, 1100, 48, 100);
    check_linear(&s, &ar, 70, 600, 90, true, true); /* three k slices, ReLU after the last */
    check_linear_add(&s, &ar, 530, 600, 64);
    check_linear_add(&s, &ar, 9, 20, 7); /* fewer outputs than a panel */
    check_linear_parts(&s, &ar, 600, 50);  /* two row chunks */
    check_linear_parts(&s, &ar, 3, 17);
    check_wt(&s, &ar, 64, 256, 768, true, false, false);
    check_wt(&s, &ar, 37, 70, 129, true, true, false);
    check_wt(&s, &ar, 5, 3, 20, false, false, true);
    check_wt(&s, &ar, 100, 33, 64, false, true, true);
    check_wt(&s, &ar, 1, 256, 40, true, false, true);
    fg_arena_free(&ar);
    return fx_suite_finish(&s);
}
