/* The vectorised kernels (ops_vec.c, core/vmath.h) against their plain twins
 * (fg_ref_*: libm, double accumulation) on random inputs of several scales
 * and on special values (masked -1e8 logits, -inf rows, NaN, overflow); the
 * row-blocked fg_linear against plain loops. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops_ref.h"
#include "core/vmath.h"
#include "fixture.h"
#include "framegen/ops.h"
#include "framegen/rng.h"

static void fill(float *x, int64_t n, uint64_t stream, float scale)
{
    fg_rng r;
    fg_rng_init(&r, 9, stream);
    for (int64_t i = 0; i < n; i++)
        x[i] = scale * (float)fg_rng_normal(&r);
}

/* Largest |a-b| / max(|b|, floor) over n values; NaN placement must agree. */
static double max_rel(const float *a, const float *b, int64_t n, double floor_, int *nan_mismatch)
{
    double m = 0;
    *nan_mismatch = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) || isnan(b[i])) {
            *nan_mismatch += isnan(a[i]) != isnan(b[i]);
            continue;
        }
        if (a[i] == b[i])
            continue; /* also equal infinities */
        m = fmax(m, fabs((double)a[i] - b[i]) / fmax(fabs((double)b[i]), floor_));
    }
    return m;
}

static void test_exp(fx_suite *s)
{
    /* Sweep the whole finite range of e^x: relative error against double exp. */
    double worst = 0;
    float at = 0;
    for (float x = -87.0f; x < 88.7f; x += 0.00173f) {
        double e = exp((double)x), r = fabs(fg_vexpf(x) - e) / e;
        if (r > worst)
            worst = r, at = x;
    }
    fx_ok(s, worst < 4e-7, "vexp relative error over [-87, 88.7]: %.2e (at %g; float ulp 6e-8)", worst, at);
    fx_ok(s, fg_vexpf(-1e8f) == 0.0f && fg_vexpf(-88.0f) == 0.0f && fg_vexpf(-INFINITY) == 0.0f,
          "vexp of masked logits is exactly 0");
    fx_ok(s, isinf(fg_vexpf(89.0f)) && isinf(fg_vexpf(INFINITY)) && isnan(fg_vexpf(NAN)),
          "vexp overflows to inf, propagates NaN");
    fx_ok(s, fg_vexpf(0.0f) == 1.0f, "vexp(0) = 1 exactly");
}

static void test_normcdf(fx_suite *s)
{
    double worst_abs = 0, worst_tail = 0;
    for (float x = -12.0f; x <= 12.0f; x += 0.0007f) {
        double ref = 0.5 * erfc(-(double)x / sqrt(2.0)), got = fg_vnormcdff(x);
        worst_abs = fmax(worst_abs, fabs(got - ref));
        if (x < 0 && x > -8)
            worst_tail = fmax(worst_tail, fabs(got - ref) / ref);
    }
    fx_ok(s, worst_abs < 2e-7, "normal CDF absolute error over [-12, 12]: %.2e", worst_abs);
    fx_ok(s, worst_tail < 5e-6, "normal CDF relative error in the left tail (-8, 0): %.2e", worst_tail);
}

typedef void (*act_fn)(float *, int64_t);

static void test_activations(fx_suite *s)
{
    const int64_t n = 100003; /* above the parallel threshold, odd length */
    float *x = malloc(n * sizeof *x), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    /* floor: below it the error counts as absolute. GELU's twin computes
     * 1 + erf(x/sqrt 2), which cancels in the left tail (the fast one goes
     * through erfc and is closer to the true value there, see test_normcdf),
     * so its tail is compared in absolute terms. */
    struct { const char *name; act_fn fast, ref; double floor_; } acts[] = {
        {"gelu", fg_gelu, fg_ref_gelu, 1.0}, {"sigmoid", fg_sigmoid, fg_ref_sigmoid, 1e-3},
        {"silu", fg_silu, fg_ref_silu, 1e-3}};
    const float scales[] = {0.1f, 1.0f, 4.0f, 30.0f};
    for (int k = 0; k < 3; k++)
        for (int sc = 0; sc < 4; sc++) {
            fill(x, n, 10 + (uint64_t)sc, scales[sc]);
            x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = 0.0f, x[4] = -100.0f, x[5] = 100.0f;
            memcpy(a, x, n * sizeof *a);
            memcpy(b, x, n * sizeof *b);
            acts[k].fast(a, n);
            acts[k].ref(b, n);
            int nanm;
            /* 1e-6 ~ 8 float ulps */
            double r = max_rel(a, b, n, acts[k].floor_, &nanm);
            fx_ok(s, r < 1e-6 && nanm == 0, "%s vs twin, inputs ~N(0, %g^2): max err %.2e, NaN mismatches %d",
                  acts[k].name, scales[sc], r, nanm);
        }
    free(x), free(a), free(b);
}

static void test_softmax(fx_suite *s)
{
    const int64_t M = 301, N = 131;
    float *x = malloc(M * N * sizeof *x), *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
    fill(x, M * N, 20, 5.0f);
    for (int64_t j = 0; j < N; j += 3)
        x[1 * N + j] = -1e8f; /* masked logits */
    for (int64_t j = 0; j < N; j++)
        x[2 * N + j] = -INFINITY; /* fully masked: NaN like PyTorch */
    x[3 * N + 7] = INFINITY;
    memcpy(a, x, M * N * sizeof *a);
    memcpy(b, x, M * N * sizeof *b);
    fg_softmax_rows(a, M, N);
    fg_ref_softmax_rows(b, M, N);
    int nanm;
    double r = max_rel(a, b, M * N, 1e-6, &nanm);
    fx_ok(s, r < 1e-5 && nanm == 0, "softmax rows vs twin: max err %.2e (abs below 1e-6), NaN mismatches %d", r, nanm);
    fx_ok(s, isnan(a[2 * N]) && a[1 * N] == 0.0f, "-inf row gives NaN, -1e8 logits give exactly 0");
    free(x), free(a), free(b);
}

static void test_layernorm(fx_suite *s)
{
    const int64_t M = 517, C = 128;
    float *x = malloc(M * C * sizeof *x), *g = malloc(C * sizeof *g), *bb = malloc(C * sizeof *bb);
    float *a = malloc(M * C * sizeof *a), *b = malloc(M * C * sizeof *b);
    fill(x, M * C, 30, 3.0f);
    for (int64_t c = 0; c < C; c++)
        x[5 * C + c] += 1000.0f; /* large common offset */
    fill(g, C, 31, 1.0f), fill(bb, C, 32, 1.0f);
    const float *gs[] = {g, g, NULL, NULL}, *bs[] = {bb, NULL, bb, NULL};
    for (int v = 0; v < 4; v++) {
        fg_layernorm(a, x, gs[v], bs[v], M, C, 1e-5f);
        fg_ref_layernorm(b, x, gs[v], bs[v], M, C, 1e-5f);
        int nanm;
        double r = max_rel(a, b, M * C, 1.0, &nanm);
        fx_ok(s, r < 2e-5 && nanm == 0, "layernorm (gain %d, bias %d) vs twin: max err %.2e", gs[v] != NULL,
              bs[v] != NULL, r);
    }
    memcpy(a, x, M * C * sizeof *a);
    fg_layernorm(a, a, g, bb, M, C, 1e-5f); /* in place */
    fg_ref_layernorm(b, x, g, bb, M, C, 1e-5f);
    int nanm;
    fx_ok(s, max_rel(a, b, M * C, 1.0, &nanm) < 2e-5, "layernorm in place");
    free(x), free(g), free(bb), free(a), free(b);
}

static void test_threads(fx_suite *s)
{
    const int64_t M = 700, C = 128;
    float *x = malloc(M * C * sizeof *x), *a = malloc(M * C * sizeof *a), *b = malloc(M * C * sizeof *b);
    fill(x, M * C, 40, 2.0f);
    int t0 = fg_get_threads();
    act_fn fns[] = {fg_gelu, fg_sigmoid, fg_silu};
    int same = 1;
    for (int k = 0; k < 4; k++) {
        memcpy(a, x, M * C * sizeof *a);
        memcpy(b, x, M * C * sizeof *b);
        fg_set_threads(1);
        k < 3 ? fns[k](a, M * C) : fg_softmax_rows(a, M, C);
        fg_set_threads(t0 > 1 ? t0 : 3);
        k < 3 ? fns[k](b, M * C) : fg_softmax_rows(b, M, C);
        same &= memcmp(a, b, M * C * sizeof *a) == 0;
    }
    fg_set_threads(t0);
    fx_ok(s, same, "activations and softmax identical with 1 and %d threads", t0 > 1 ? t0 : 3);
    free(x), free(a), free(b);
}

/* The row-blocked path of fg_linear (many rows) against plain loops, and
 * independent of the thread count. */
static void test_linear_tall(fx_suite *s)
{
    const int64_t M = 3001, K = 96, N = 40;
    float *x = malloc(M * K * sizeof *x), *W = malloc(N * K * sizeof *W), *b = malloc(N * sizeof *b);
    float *y1 = malloc(M * N * sizeof *y1), *y2 = malloc(M * N * sizeof *y2);
    fill(x, M * K, 50, 1.0f), fill(W, N * K, 51, 0.1f), fill(b, N, 52, 1.0f);
    int t0 = fg_get_threads();
    fg_set_threads(1);
    fg_linear(y1, x, W, b, M, K, N);
    fg_set_threads(t0 > 1 ? t0 : 3);
    fg_linear(y2, x, W, b, M, K, N);
    fg_set_threads(t0);
    double worst = 0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = b[j];
            for (int64_t k = 0; k < K; k++)
                acc += (double)x[i * K + k] * W[j * K + k];
            worst = fmax(worst, fabs(y1[i * N + j] - acc));
        }
    fx_ok(s, worst < 1e-5, "fg_linear with %lld rows vs plain loops: max |err| %.2e", (long long)M, worst);
    fx_ok(s, memcmp(y1, y2, M * N * sizeof *y1) == 0, "fg_linear with many rows: 1 and %d threads agree",
          t0 > 1 ? t0 : 3);
    fg_linear(y2, x, W, NULL, M, K, N);
    worst = 0;
    for (int64_t i = 0; i < M * N; i++)
        worst = fmax(worst, fabs(y1[i] - b[i % N] - y2[i]));
    fx_ok(s, worst < 1e-5, "fg_linear without bias: max |err| %.2e", worst);
    free(x), free(W), free(b), free(y1), free(y2);
}

int main(void)
{
    fx_suite s = {"ops_vec", 0, 0};
    test_exp(&s);
    test_normcdf(&s);
    test_activations(&s);
    test_softmax(&s);
    test_layernorm(&s);
    test_threads(&s);
    test_linear_tall(&s);
    return fx_suite_finish(&s);
}
