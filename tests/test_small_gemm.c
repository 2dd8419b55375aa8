/* fg_small_gemm (register-blocked, unpacked) against plain double loops and
 * against its BLAS twin fg_gemm, over shapes that leave partial row and
 * column blocks, both layouts of x, with and without bias, set and accumulate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/small_gemm.h"
#include "fixture.h"
#include "framegen/ops.h"
#include "framegen/rng.h"

static void fill(float *x, int64_t n, uint64_t stream)
{
    fg_rng r;
    fg_rng_init(&r, 3, stream);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)fg_rng_normal(&r);
}

/* One shape: returns the max |err| relative to sqrt(K) (the size of the sums). */
static double check(int64_t M, int64_t K, int64_t J, int transposed, bool acc, int with_bias)
{
    int64_t ldy = J + 3, ldw = J + 5;
    float *x = malloc(sizeof(float) * (size_t)(M * K)), *w = malloc(sizeof(float) * (size_t)(K * ldw));
    float *b = malloc(sizeof(float) * (size_t)J), *y = malloc(sizeof(float) * (size_t)(M * ldy));
    fill(x, M * K, 1), fill(w, K * ldw, 2), fill(b, J, 3), fill(y, M * ldy, 4);
    double *ref = malloc(sizeof(double) * (size_t)(M * J));
    /* x[i, k] at i*xs_i + k*xs_k: row-major [M, K] or stored transposed [K, M] */
    int64_t xs_i = transposed ? 1 : K, xs_k = transposed ? M : 1;
    const float *bias = with_bias ? b : NULL;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < J; j++) {
            double r = acc ? y[i * ldy + j] : 0.0;
            if (bias)
                r += bias[j];
            for (int64_t k = 0; k < K; k++)
                r += (double)x[i * xs_i + k * xs_k] * w[k * ldw + j];
            ref[i * J + j] = r;
        }
    fg_small_gemm(y, ldy, x, xs_i, xs_k, w, ldw, bias, acc, M, K, J);
    double worst = 0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < J; j++)
            worst = fmax(worst, fabs(y[i * ldy + j] - ref[i * J + j]));
    free(x), free(w), free(b), free(y), free(ref);
    return worst / sqrt((double)K + 1.0);
}

int main(void)
{
    fx_suite s = {"small_gemm", 0, 0};
    const int64_t Ms[] = {1, 7, 8, 9, 100}, Ks[] = {1, 5, 128}, Js[] = {1, 8, 16, 31, 32, 33, 64, 128};
    double worst = 0;
    int n = 0;
    for (size_t a = 0; a < 5; a++)
        for (size_t b = 0; b < 3; b++)
            for (size_t c = 0; c < 8; c++)
                for (int t = 0; t < 2; t++)
                    for (int init = 0; init < 2; init++) {
                        worst = fmax(worst, check(Ms[a], Ks[b], Js[c], t, init, (a + c + (size_t)t) % 2));
                        n++;
                    }
    /* float sums of K terms of size ~1: rounding grows like eps K (partial sums ~sqrt K) */
    fx_ok(&s, worst < 1e-5, "%d shapes x layouts x (set, accumulate) x bias vs double loops: max |err| / sqrt(K) %.2e", n, worst);

    /* Against the BLAS twin on a tile of the double_pair shape: [256, 128] x [128, 64]. */
    const int64_t M = 256, K = 128, J = 64;
    float *x = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * J * K), *WT = malloc(sizeof(float) * K * J);
    float *y1 = malloc(sizeof(float) * M * J), *y2 = malloc(sizeof(float) * M * J);
    fill(x, M * K, 5), fill(W, J * K, 6);
    for (int64_t j = 0; j < J; j++)
        for (int64_t k = 0; k < K; k++)
            WT[k * J + j] = W[j * K + k];
    fg_small_gemm(y1, J, x, K, 1, WT, J, NULL, false, M, K, J);
    fg_gemm(false, true, M, J, K, 1.0f, x, K, W, K, 0.0f, y2, J);
    double d = 0;
    for (int64_t i = 0; i < M * J; i++)
        d = fmax(d, fabs(y1[i] - y2[i]));
    fx_ok(&s, d < 1e-4, "tile [256,128] x [128,64] vs fg_gemm: max |err| %.2e", d);
    free(x), free(W), free(WT), free(y1), free(y2);
    return fx_suite_finish(&s);
}
