/* Core kernels against plain double-precision reference loops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/arena.h"
#include "framegen/ops.h"
#include "framegen/rng.h"

static void fill(float *x, int64_t n, uint64_t stream)
{
    fg_rng r;
    fg_rng_init(&r, 5, stream);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)fg_rng_normal(&r);
}

static double max_diff(const float *a, const double *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void test_linear(fx_suite *s)
{
    const int64_t M = 37, K = 53, N = 29;
    float *x = malloc(M * K * 4), *W = malloc(N * K * 4), *b = malloc(N * 4), *y = malloc(M * N * 4);
    double *ref = malloc(M * N * 8);
    fill(x, M * K, 1), fill(W, N * K, 2), fill(b, N, 3);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = b[j];
            for (int64_t k = 0; k < K; k++)
                acc += (double)x[i * K + k] * W[j * K + k];
            ref[i * N + j] = acc;
        }
    fg_linear(y, x, W, b, M, K, N);
    double d = max_diff(y, ref, M * N);
    fx_ok(s, d < 1e-4, "linear with bias: max |err| %.2e", d);
    fg_linear_acc(y, x, W, NULL, M, K, N);
    for (int64_t i = 0; i < M * N; i++)
        ref[i] = 2 * ref[i] - b[i % N];
    d = max_diff(y, ref, M * N);
    fx_ok(s, d < 2e-4, "linear accumulate without bias: max |err| %.2e", d);
    free(x), free(W), free(b), free(y), free(ref);
}

static void test_batched(fx_suite *s)
{
    const int64_t B = 5, M = 7, N = 6, K = 9;
    float *A = malloc(B * K * M * 4), *Bm = malloc(B * K * N * 4), *C = malloc(B * M * N * 4);
    double *ref = malloc(B * M * N * 8);
    fill(A, B * K * M, 4), fill(Bm, B * K * N, 5);
    /* C_b = A_b^T (K x M stored) times B_b (K x N) */
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++)
                    acc += (double)A[b * K * M + k * M + i] * Bm[b * K * N + k * N + j];
                ref[b * M * N + i * N + j] = acc;
            }
    fg_gemm_batched(B, true, false, M, N, K, 1.0f, A, M, K * M, Bm, N, K * N, 0.0f, C, N, M * N);
    double d = max_diff(C, ref, B * M * N);
    fx_ok(s, d < 1e-4, "batched transposed gemm: max |err| %.2e", d);
    free(A), free(Bm), free(C), free(ref);
}

static void test_norm_softmax_act(fx_suite *s)
{
    const int64_t M = 11, C = 40;
    float *x = malloc(M * C * 4), *y = malloc(M * C * 4), *g = malloc(C * 4), *b = malloc(C * 4);
    double *ref = malloc(M * C * 8);
    fill(x, M * C, 6), fill(g, C, 7), fill(b, C, 8);
    for (int64_t i = 0; i < M; i++) {
        double mu = 0, var = 0;
        for (int64_t c = 0; c < C; c++)
            mu += x[i * C + c];
        mu /= C;
        for (int64_t c = 0; c < C; c++)
            var += (x[i * C + c] - mu) * (x[i * C + c] - mu);
        var /= C;
        for (int64_t c = 0; c < C; c++)
            ref[i * C + c] = (x[i * C + c] - mu) / sqrt(var + 1e-5) * g[c] + b[c];
    }
    fg_layernorm(y, x, g, b, M, C, 1e-5f);
    double d = max_diff(y, ref, M * C);
    fx_ok(s, d < 1e-5, "layernorm: max |err| %.2e", d);

    for (int64_t i = 0; i < M; i++) {
        double mx = -INFINITY, sum = 0;
        for (int64_t c = 0; c < C; c++)
            mx = fmax(mx, x[i * C + c]);
        for (int64_t c = 0; c < C; c++)
            sum += exp(x[i * C + c] - mx);
        for (int64_t c = 0; c < C; c++)
            ref[i * C + c] = exp(x[i * C + c] - mx) / sum;
    }
    for (int64_t i = 0; i < M * C; i++)
        y[i] = x[i];
    fg_softmax_rows(y, M, C);
    d = max_diff(y, ref, M * C);
    fx_ok(s, d < 1e-6, "softmax rows: max |err| %.2e", d);

    struct { const char *name; void (*fn)(float *, int64_t); int kind; } acts[] = {
        {"relu", fg_relu, 0}, {"gelu", fg_gelu, 1}, {"sigmoid", fg_sigmoid, 2}, {"silu", fg_silu, 3}};
    for (int a = 0; a < 4; a++) {
        for (int64_t i = 0; i < M * C; i++) {
            double v = x[i];
            ref[i] = acts[a].kind == 0 ? fmax(v, 0) : acts[a].kind == 1 ? 0.5 * v * (1 + erf(v / sqrt(2)))
                   : acts[a].kind == 2 ? 1 / (1 + exp(-v)) : v / (1 + exp(-v));
            y[i] = x[i];
        }
        acts[a].fn(y, M * C);
        d = max_diff(y, ref, M * C);
        fx_ok(s, d < 2e-6, "%s: max |err| %.2e", acts[a].name, d);
    }
    free(x), free(y), free(g), free(b), free(ref);
}

static void test_arena(fx_suite *s)
{
    fg_arena a;
    fg_arena_init(&a, 1024);
    float *p = fg_arena_floats(&a, 10);
    fg_arena_mark m = fg_arena_save(&a);
    float *q = fg_arena_floats(&a, 1000); /* larger than a chunk: gets its own */
    float *r = fg_arena_floats(&a, 3);
    fx_ok(s, p && q && r && ((uintptr_t)q % FG_ARENA_ALIGN) == 0, "arena allocations aligned");
    q[999] = 1.0f, r[2] = 2.0f;
    size_t peak = a.peak;
    fg_arena_restore(&a, m);
    float *q2 = fg_arena_floats(&a, 1000);
    fx_ok(s, q2 == q, "restore to a mark reuses the same memory");
    fg_arena_reset(&a);
    float *p2 = fg_arena_floats(&a, 10);
    fx_ok(s, p2 == p && a.in_use <= peak, "reset reuses the first chunk");
    fg_arena_free(&a);
}

/* Bitwise identical products at 1, 2 and 3 threads, over shapes that take
 * the serial path, the tiled path and tail tiles. */
static void test_thread_independence(fx_suite *s)
{
    static const int64_t shapes[][3] = {{300, 72, 24}, {4099, 128, 128}, {512, 1030, 320}, {7, 5, 3}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int64_t M = shapes[k][0], N = shapes[k][1], K = shapes[k][2];
        float *x = malloc(M * K * 4), *W = malloc(N * K * 4), *b = malloc(N * 4);
        float *y[3];
        fill(x, M * K, 10 + k), fill(W, N * K, 20 + k), fill(b, N, 30 + k);
        int same = 1, nth = fg_get_threads();
        for (int t = 0; t < 3; t++) {
            y[t] = malloc(M * N * 4);
            fg_set_threads(t + 1);
            fg_linear(y[t], x, W, b, M, K, N);
            fg_gemm(false, true, M, N, K, 0.5f, x, K, W, K, 1.0f, y[t], N);
            if (t)
                same &= memcmp(y[0], y[t], M * N * 4) == 0;
        }
        fg_set_threads(nth);
        fx_ok(s, same, "fg_linear + fg_gemm %lldx%lldx%lld identical at 1, 2, 3 threads", (long long)M,
              (long long)N, (long long)K);
        free(x), free(W), free(b), free(y[0]), free(y[1]), free(y[2]);
    }
}

int main(void)
{
    fx_suite s = {"ops", 0, 0};
    test_linear(&s);
    test_batched(&s);
    test_norm_softmax_act(&s);
    test_arena(&s);
    test_thread_independence(&s);
    return fx_suite_finish(&s);
}
