/* Core kernels at the shapes the model uses, one JSON line each, then a
 * summary line with the peak sgemm GFLOP/s: the machine's practical limit that
 * every later speed figure is compared with.
 *
 *   bench_core [--threads N] [--sizes 64,128,256,512] [--min-seconds S]
 *
 * Threads: --threads, else OMP_NUM_THREADS, else all cores.
 * sgemm shapes for L residues (c_z 128, c_s 256):
 *   pair_proj   M = L*L pairs, K = 128, N = 128 / 256 / 512   (linears on edges)
 *   node_proj   M = L, K = 256, N = 256                       (linears on nodes)
 *   tri_mul     128 batched L x L x L products                (triangle multiplication)
 * Element-wise ops run over the pair tensor (L*L*128 values): bytes moved
 * count one read and one write of each value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "framegen/ops.h"

typedef struct gemm_ctx {
    int64_t batch, M, N, K;
    const float *A, *B, *bias;
    float *C;
    int linear; /* 1: fg_linear (x W^T + b), 0: fg_gemm / fg_gemm_batched A B */
} gemm_ctx;

static void run_gemm(void *p)
{
    gemm_ctx *g = p;
    if (g->linear)
        fg_linear(g->C, g->A, g->B, g->bias, g->M, g->K, g->N);
    else if (g->batch > 1)
        fg_gemm_batched(g->batch, false, false, g->M, g->N, g->K, 1.0f, g->A, g->K, g->M * g->K, g->B, g->N,
                        g->K * g->N, 0.0f, g->C, g->N, g->M * g->N);
    else
        fg_gemm(false, true, g->M, g->N, g->K, 1.0f, g->A, g->K, g->B, g->K, 0.0f, g->C, g->N);
}

typedef struct ew_ctx {
    const char *op;
    float *x, *g, *b;
    int64_t n, rows, cols;
} ew_ctx;

static void run_ew(void *p)
{
    ew_ctx *e = p;
    if (!strcmp(e->op, "layernorm"))
        fg_layernorm(e->x, e->x, e->g, e->b, e->rows, e->cols, 1e-5f);
    else if (!strcmp(e->op, "softmax"))
        fg_softmax_rows(e->x, e->rows, e->cols);
    else if (!strcmp(e->op, "gelu"))
        fg_gelu(e->x, e->n);
    else if (!strcmp(e->op, "sigmoid"))
        fg_sigmoid(e->x, e->n);
    else if (!strcmp(e->op, "silu"))
        fg_silu(e->x, e->n);
    else if (!strcmp(e->op, "relu"))
        fg_relu(e->x, e->n);
}

static double time_it(void (*fn)(void *), void *ctx, double min_seconds, int *reps)
{
    return fgb_time(fn, ctx, 1, 3, 10000, min_seconds, reps);
}

static float *buf(size_t n, unsigned seed)
{
    float *x = malloc(n * sizeof *x);
    if (!x) {
        fprintf(stderr, "out of memory (%zu floats)\n", n);
        exit(1);
    }
    fgb_fill(x, n, seed);
    return x;
}

/* Returns the GFLOP/s. */
static double bench_gemm(double min_seconds, const char *shape, int L, int64_t batch, int64_t M, int64_t N, int64_t K, int linear)
{
    float *A = buf((size_t)(batch * M * K), 1), *B = buf((size_t)(batch * K * N), 2), *bias = buf((size_t)N, 3);
    float *C = buf((size_t)(batch * M * N), 4);
    gemm_ctx g = {batch, M, N, K, A, B, bias, C, linear};
    int reps;
    double sec = time_it(run_gemm, &g, min_seconds, &reps);
    double gf = 2.0 * (double)batch * (double)M * (double)N * (double)K / sec * 1e-9;
    printf("{\"bench\": \"core\", \"op\": \"%s\", \"shape\": \"%s\", \"L\": %d, \"batch\": %lld, \"M\": %lld, "
           "\"N\": %lld, \"K\": %lld, \"threads\": %d, \"median_ms\": %.4f, \"gflops\": %.2f, \"reps\": %d}\n",
           linear ? "fg_linear" : "sgemm", shape, L, (long long)batch, (long long)M, (long long)N, (long long)K,
           fg_get_threads(), sec * 1e3, gf, reps);
    fflush(stdout);
    free(A), free(B), free(bias), free(C);
    return gf;
}

static void bench_ew(double min_seconds, const char *op, int L, int64_t rows, int64_t cols)
{
    int64_t n = rows * cols;
    ew_ctx e = {op, buf((size_t)n, 5), buf((size_t)cols, 6), buf((size_t)cols, 7), n, rows, cols};
    /* keep the activations in a range where none of them saturates */
    for (int64_t i = 0; i < n; i++)
        e.x[i] *= 3.0f;
    int reps;
    double sec = time_it(run_ew, &e, min_seconds, &reps);
    printf("{\"bench\": \"core\", \"op\": \"%s\", \"L\": %d, \"rows\": %lld, \"cols\": %lld, \"threads\": %d, "
           "\"median_ms\": %.4f, \"gbps\": %.2f, \"gelems\": %.3f, \"reps\": %d}\n",
           op, L, (long long)rows, (long long)cols, fg_get_threads(), sec * 1e3, 8.0 * (double)n / sec * 1e-9,
           (double)n / sec * 1e-9, reps);
    fflush(stdout);
    free(e.x), free(e.g), free(e.b);
}

int main(int argc, char **argv)
{
    fgb_args args = {.threads = 0, .sizes = "64,128,256,512", .min_seconds = 0.25};
    if (fgb_parse_args(argc, argv, &args) != 0)
        return 2;
    fg_set_threads(args.threads); /* <= 0 keeps OMP_NUM_THREADS / the default */

    double peak = 0.0;
    char peak_at[128] = "";
    const char *ew_ops[] = {"layernorm", "softmax", "gelu", "sigmoid", "silu", "relu"};
    for (char *tok = strtok(args.sizes, ","); tok; tok = strtok(NULL, ",")) {
        int L = atoi(tok);
        int64_t P = (int64_t)L * L;
        struct { const char *shape; int64_t batch, M, N, K; int linear; } shapes[] = {
            {"pair_proj", 1, P, 128, 128, 0}, {"pair_proj", 1, P, 256, 128, 0}, {"pair_proj", 1, P, 512, 128, 0},
            {"pair_proj", 1, P, 128, 128, 1}, {"node_proj", 1, L, 256, 256, 0}, {"tri_mul", 128, L, L, L, 0}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            double gf = bench_gemm(args.min_seconds, shapes[s].shape, L, shapes[s].batch, shapes[s].M, shapes[s].N, shapes[s].K,
                                   shapes[s].linear);
            if (!shapes[s].linear && gf > peak) {
                peak = gf;
                snprintf(peak_at, sizeof peak_at, "%s L=%d M=%lld N=%lld K=%lld", shapes[s].shape, L,
                         (long long)shapes[s].M, (long long)shapes[s].N, (long long)shapes[s].K);
            }
        }
        for (size_t o = 0; o < sizeof ew_ops / sizeof ew_ops[0]; o++) {
            /* LayerNorm over c_z channels; softmax over rows of L (attention over residues). */
            int64_t cols = !strcmp(ew_ops[o], "softmax") ? L : 128;
            bench_ew(args.min_seconds, ew_ops[o], L, P * 128 / cols, cols);
        }
    }
    printf("{\"bench\": \"core\", \"summary\": true, \"threads\": %d, \"peak_sgemm_gflops\": %.2f, "
           "\"peak_at\": \"%s\", \"peak_rss_mb\": %.1f}\n",
           fg_get_threads(), peak, peak_at, fgb_peak_rss_mb());
    return 0;
}
