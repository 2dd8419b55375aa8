/* Optimised Pairformer kernels against their plain twins on random inputs of
 * odd sizes: the vectorised exp / softmax / LayerNorm rows against libm and
 * double sums, and each module's blocked / chunked forward against its
 * reference loops (pairformer_ref.c) for several block sizes, both
 * directions, padded masks (incl. fully masked rows), and the in-place
 * residual form. No fixture: the twins are the reference, tolerances are the
 * module cases' (atol 2e-5 .. 5e-5, rtol 1e-4) scaled to these sizes. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/fastmath.h"
#include "blocks/pairformer_modules.h"
#include "fixture.h"
#include "framegen/ops.h"
#include "framegen/rng.h"

#define ATOL 5e-5
#define RTOL 1e-4

static void normals(float *x, int64_t n, uint64_t stream)
{
    fg_rng r;
    fg_rng_init(&r, 42, stream);
    fg_rng_normals(&r, x, n);
}

/* Worst |got - ref| / (ATOL + RTOL |ref|); <= 1 passes. */
static double excess(const float *got, const float *ref, int64_t n)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - ref[i]) / (ATOL + RTOL * fabs(ref[i]));
        worst = (e > worst || e != e) ? e : worst;
    }
    return worst;
}

/* fg_vexpf itself is core's (tests/test_ops_vec.c); the gate built on it here. */
static void test_fast_sigmoid(fx_suite *s)
{
    float sg[6] = {-100.0f, -3.0f, 0.0f, 2.5f, 100.0f, -1e9f};
    double w2 = 0;
    for (int i = 0; i < 6; i++)
        w2 = fmax(w2, fabs(fg_fast_sigmoidf(sg[i]) - 1.0 / (1.0 + exp(-(double)sg[i]))));
    fx_ok(s, w2 < 1e-7, "fast sigmoid incl. +-100, -1e9: max abs err %.2e", w2);
}

static void test_rows(fx_suite *s)
{
    const int rows = 7, C = 37, stride = 45;
    float *x = malloc(sizeof(float) * rows * stride), *y = malloc(sizeof(float) * rows * C);
    float *g = malloc(sizeof(float) * C), *b = malloc(sizeof(float) * C), *ref = malloc(sizeof(float) * rows * C);
    normals(x, rows * stride, 1), normals(g, C, 2), normals(b, C, 3);
    for (int i = 0; i < rows; i++) {
        double mean = 0, var = 0;
        for (int c = 0; c < C; c++)
            mean += x[i * stride + c] * 3.0 + 100.0;
        mean /= C;
        for (int c = 0; c < C; c++) {
            x[i * stride + c] = x[i * stride + c] * 3.0f + 100.0f; /* offset: cancellation */
            var += (x[i * stride + c] - mean) * (x[i * stride + c] - mean);
        }
        var /= C;
        for (int c = 0; c < C; c++)
            ref[i * C + c] = (float)((x[i * stride + c] - mean) / sqrt(var + 1e-5) * g[c] + b[c]);
    }
    fg_ln_rows(y, x, rows, stride, C, g, b, 1e-5f);
    double e = excess(y, ref, rows * C);
    fx_ok(s, e <= 1, "LayerNorm rows (C=37, strided, mean 100): error/tolerance %.3f", e);

    const int n = 53;
    float row[53], b1[53], b2[53], sref[53];
    normals(row, n, 4), normals(b2, n, 5);
    for (int j = 0; j < n; j++)
        b1[j] = (j == 3 || j == 9) ? -1e9f : 0.0f; /* masked entries */
    double mx = -INFINITY, sum = 0;
    for (int j = 0; j < n; j++)
        mx = fmax(mx, row[j] * 10.0 + b1[j] + b2[j]);
    for (int j = 0; j < n; j++)
        sum += exp(row[j] * 10.0 + b1[j] + b2[j] - mx);
    for (int j = 0; j < n; j++) {
        sref[j] = (float)(exp(row[j] * 10.0 + b1[j] + b2[j] - mx) / sum);
        row[j] *= 10.0f;
    }
    float inv = fg_fast_softmax_biased_row(row, b1, b2, n);
    for (int j = 0; j < n; j++)
        row[j] *= inv;
    e = excess(row, sref, n);
    fx_ok(s, e <= 1 && row[3] == 0.0f, "biased softmax row (n=53, masked entries): error/tolerance %.3f", e);

    /* Linear(LN x) with the affine folded: rows of x (strided), 3 outputs, head-major y. */
    const int H = 3;
    float W[3 * 37], fold[3 * 37 + 3], yp[7 * 3], yref[7 * 3];
    normals(W, H * C, 6);
    for (int i = 0; i < rows; i++) {
        double mean = 0, var = 0;
        for (int c = 0; c < C; c++)
            mean += x[i * stride + c];
        mean /= C;
        for (int c = 0; c < C; c++)
            var += (x[i * stride + c] - mean) * (x[i * stride + c] - mean);
        var /= C;
        for (int h = 0; h < H; h++) {
            double acc = 0;
            for (int c = 0; c < C; c++)
                acc += ((x[i * stride + c] - mean) / sqrt(var + 1e-5) * g[c] + b[c]) * W[h * C + c];
            yref[h * rows + i] = (float)acc;
        }
    }
    fg_ln_proj_fold(fold, fold + H * C, W, g, b, H, C);
    fg_ln_proj_rows(yp, 1, rows, x, rows, rows, stride, C, fold, fold + H * C, H, 1e-5f);
    e = excess(yp, yref, rows * H);
    fx_ok(s, e <= 1, "Linear(LayerNorm) folded (C=37, 3 outputs, strided rows): error/tolerance %.3f", e);
    free(x), free(y), free(g), free(b), free(ref);
}

/* Linear(LN x) at the Pairformer's widths (C = 128, 4 and 6 outputs): rows
 * in groups of 16, 4 and singly (37 rows), strided input with mean 100, and
 * both output layouts (head-major, as the pair bias writes; row-major). */
static void test_ln_proj_wide(fx_suite *s)
{
    enum { C = 128, ROWS = 37, STRIDE = 133, HMAX = 6 };
    float *x = malloc(sizeof(float) * ROWS * STRIDE), *W = malloc(sizeof(float) * HMAX * C);
    float g[C], b[C], fold[HMAX * C + HMAX], y[ROWS * HMAX], ref[ROWS * HMAX];
    normals(x, ROWS * STRIDE, 11), normals(W, HMAX * C, 12), normals(g, C, 13), normals(b, C, 14);
    for (int i = 0; i < ROWS * STRIDE; i++)
        x[i] = x[i] * 2.0f + 100.0f; /* offset: cancellation */
    for (int H = 4; H <= HMAX; H += 2) {
        for (int i = 0; i < ROWS; i++) {
            const float *xi = x + i * STRIDE;
            double mean = 0, var = 0;
            for (int c = 0; c < C; c++)
                mean += xi[c];
            mean /= C;
            for (int c = 0; c < C; c++)
                var += (xi[c] - mean) * (xi[c] - mean);
            var /= C;
            for (int h = 0; h < H; h++) {
                double acc = 0;
                for (int c = 0; c < C; c++)
                    acc += ((xi[c] - mean) / sqrt(var + 1e-5) * g[c] + b[c]) * W[h * C + c];
                ref[h * ROWS + i] = (float)acc;
            }
        }
        fg_ln_proj_fold(fold, fold + H * C, W, g, b, H, C);
        fg_ln_proj_rows(y, 1, ROWS, x, ROWS, ROWS, STRIDE, C, fold, fold + H * C, H, 1e-5f);
        double e = excess(y, ref, (int64_t)ROWS * H);
        fx_ok(s, e <= 1, "Linear(LayerNorm) folded (C=128, %d outputs, 37 strided rows, mean 100, head-major): "
              "error/tolerance %.3f", H, e);
        fg_ln_proj_rows(y, H, 1, x, ROWS, ROWS, STRIDE, C, fold, fold + H * C, H, 1e-5f);
        float first[ROWS * HMAX], ahead[ROWS * HMAX]; /* the first 21 rows, alone and with 16 more readable */
        fg_ln_proj_rows(first, H, 1, x, ROWS - 16, ROWS - 16, STRIDE, C, fold, fold + H * C, H, 1e-5f);
        fg_ln_proj_rows(ahead, H, 1, x, ROWS - 16, ROWS, STRIDE, C, fold, fold + H * C, H, 1e-5f);
        fx_ok(s, !memcmp(ahead, first, sizeof(float) * (ROWS - 16) * H),
              "Linear(LayerNorm) folded (%d outputs): rows readable past the last computed leave it bit-identical", H);
        double worst = 0;
        for (int i = 0; i < ROWS; i++)
            for (int h = 0; h < H; h++) {
                const double d = fabs((double)y[i * H + h] - ref[h * ROWS + i]) / (ATOL + RTOL * fabs(ref[h * ROWS + i]));
                worst = d > worst || d != d ? d : worst;
            }
        fx_ok(s, worst <= 1, "Linear(LayerNorm) folded (C=128, %d outputs, row-major): error/tolerance %.3f", H,
              worst);
    }
    free(x), free(W);
}

/* A random Pairformer layer store to take modules from. */
static fg_weights *layer_weights(const fg_block_dims *dims, int heads, int dh, int pair_bias_heads, bool pb)
{
    fg_pairformer_params hp = {0};
    hp.num_heads = pair_bias_heads;
    hp.pairwise_head_width = dh;
    hp.pairwise_num_heads = heads;
    hp.transition_expansion = 3;
    hp.compute_pair_bias = pb;
    fg_weights *w = NULL;
    fg_error err;
    fg_weights_create(&w, &err);
    if (fg_pf_random_weights(w, "pairformer", "t.", 0, dims, &hp, 9, &err) != FG_OK) {
        fg_weights_free(w);
        return NULL;
    }
    return w;
}

/* mask: [n,n] = m_i m_j with the last `pad` residues padded. */
static float *pair_mask(int n, int pad)
{
    float *m = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            m[i * n + j] = (i < n - pad && j < n - pad) ? 1.0f : 0.0f;
    return m;
}

/* Runs fwd out-of-place and in place (z += update) and compares both with ref. */
typedef fg_status (*pair_fwd)(const void *m, const float *z, const float *mask, int n, float *out, bool acc,
                              fg_arena *a, fg_error *err);

static fg_status tri_mul_fwd(const void *m, const float *z, const float *mask, int n, float *out, bool acc,
                             fg_arena *a, fg_error *err)
{
    return fg_tri_mul_forward(m, z, mask, n, out, acc, a, err);
}
static fg_status tri_att_fwd(const void *m, const float *z, const float *mask, int n, float *out, bool acc,
                             fg_arena *a, fg_error *err)
{
    return fg_tri_att_forward(m, z, mask, n, out, acc, a, err);
}

static void compare_pair(fx_suite *s, const char *what, pair_fwd fwd, const void *m, const float *ref,
                         const float *z, const float *mask, int n, int c)
{
    const int64_t len = (int64_t)n * n * c;
    float *out = malloc(sizeof(float) * len), *zz = malloc(sizeof(float) * len), *zref = malloc(sizeof(float) * len);
    fg_arena a;
    fg_arena_init(&a, 1 << 16);
    fg_error err = {0};
    fg_status st = fwd(m, z, mask, n, out, false, &a, &err);
    memcpy(zz, z, sizeof(float) * len);
    if (st == FG_OK)
        st = fwd(m, zz, mask, n, zz, true, &a, &err);
    for (int64_t i = 0; i < len; i++)
        zref[i] = z[i] + ref[i];
    double e1 = excess(out, ref, len), e2 = excess(zz, zref, len);
    fx_ok(s, st == FG_OK && e1 <= 1 && e2 <= 1 && a.in_use == 0,
          "%s: update error/tolerance %.3f, in-place residual %.3f%s%s", what, e1, e2, st ? " " : "",
          st ? err.msg : "");
    fg_arena_free(&a);
    free(out), free(zz), free(zref);
}

static void test_tri_mul(fx_suite *s)
{
    static const int ns[] = {1, 7, 13, 33};
    const fg_block_dims dims = {12, 9};
    fg_weights *w = layer_weights(&dims, 2, 5, 3, true);
    for (size_t k = 0; w && k < sizeof ns / sizeof ns[0]; k++) {
        const int n = ns[k], c = dims.c_z, pad = n > 3 ? 3 : 0;
        float *z = malloc(sizeof(float) * n * n * c), *ref = malloc(sizeof(float) * n * n * c);
        float *mask = pair_mask(n, pad);
        normals(z, (int64_t)n * n * c, 10 + k);
        for (int dir = 0; dir < 2; dir++) {
            fg_tri_mul m;
            fg_wload l;
            fg_error err;
            fg_wload_init(&l, w, &err, "t.layers.0.");
            fg_tri_mul_init(&m, &l, dir ? "tri_mul_in" : "tri_mul_out", c, !dir);
            fg_tri_mul_ref(&m, z, mask, n, ref);
            static const int blocks[] = {0, 1, 3, 1000};
            for (int b = 0; b < 4; b++) {
                char what[96];
                m.block_rows = blocks[b];
                snprintf(what, sizeof what, "tri_mul %s n=%d c=%d block_rows=%d", dir ? "in" : "out", n, c, blocks[b]);
                compare_pair(s, what, tri_mul_fwd, &m, ref, z, mask, n, c);
            }
            fg_tri_mul_free(&m);
        }
        free(z), free(ref), free(mask);
    }
    fg_weights_free(w);
}

static void test_tri_att(fx_suite *s)
{
    static const int ns[] = {1, 7, 13, 37};
    const fg_block_dims dims = {12, 11};
    fg_weights *w = layer_weights(&dims, 3, 5, 3, true);
    for (size_t k = 0; w && k < sizeof ns / sizeof ns[0]; k++) {
        const int n = ns[k], c = dims.c_z, pad = n > 3 ? 4 : 0;
        float *z = malloc(sizeof(float) * n * n * c), *ref = malloc(sizeof(float) * n * n * c);
        float *mask = pair_mask(n, pad); /* padded rows are fully masked */
        normals(z, (int64_t)n * n * c, 20 + k);
        for (int dir = 0; dir < 2; dir++) {
            fg_tri_att m;
            fg_wload l;
            fg_error err;
            fg_wload_init(&l, w, &err, "t.layers.0.");
            fg_tri_att_init(&m, &l, dir ? "tri_att_end" : "tri_att_start", c, 3, 5, !dir);
            fg_tri_att_ref(&m, z, mask, n, ref);
            static const int blocks[] = {0, 1, 4, 1000};
            for (int b = 0; b < 4; b++) {
                char what[96];
                m.query_block = blocks[b];
                snprintf(what, sizeof what, "tri_att %s n=%d c=%d query_block=%d", dir ? "end" : "start", n, c,
                         blocks[b]);
                compare_pair(s, what, tri_att_fwd, &m, ref, z, mask, n, c);
            }
            fg_tri_att_free(&m);
        }
        free(z), free(ref), free(mask);
    }
    fg_weights_free(w);
}

static void test_transition(fx_suite *s)
{
    static const int64_t rows[] = {1, 77, 128, 301};
    const fg_block_dims dims = {12, 9};
    fg_weights *w = layer_weights(&dims, 2, 5, 3, true);
    for (size_t k = 0; w && k < sizeof rows / sizeof rows[0]; k++) {
        const int c = dims.c_z;
        const int64_t n = rows[k] * c;
        float *x = malloc(sizeof(float) * n), *ref = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * n);
        normals(x, n, 30 + k);
        fg_transition m;
        fg_wload l;
        fg_error err = {0};
        fg_wload_init(&l, w, &err, "t.layers.0.");
        fg_transition_init(&m, &l, "edge_transition", c, 3 * c);
        fg_transition_ref(&m, x, rows[k], ref);
        fg_arena a;
        fg_arena_init(&a, 0);
        fg_status st = fg_transition_forward(&m, x, rows[k], out, false, &a, &err);
        double e1 = excess(out, ref, n);
        for (int64_t i = 0; i < n; i++)
            ref[i] += x[i];
        if (st == FG_OK)
            st = fg_transition_forward(&m, x, rows[k], x, true, &a, &err);
        double e2 = excess(x, ref, n);
        fx_ok(s, st == FG_OK && e1 <= 1 && e2 <= 1 && a.in_use == 0,
              "transition rows=%lld: error/tolerance %.3f, in-place residual %.3f", (long long)rows[k], e1, e2);
        fg_transition_free(&m);
        fg_arena_free(&a);
        free(x), free(ref), free(out);
    }
    fg_weights_free(w);
}

/* One forward of m with `threads` OpenMP threads into out; false on failure. */
static bool apb_run(const fg_attn_pair_bias *m, const float *sv, const float *z, const float *nm, int n, float *out,
                    int threads)
{
    const int before = fg_get_threads();
    fg_set_threads(threads);
    fg_arena a;
    fg_arena_init(&a, 0);
    fg_error err = {0};
    const bool ok = fg_attn_pair_bias_forward(m, sv, z, nm, n, out, false, &a, &err) == FG_OK && a.in_use == 0;
    fg_arena_free(&a);
    fg_set_threads(before);
    return ok;
}

/* Edge widths 10 and 3 take the generic pair-bias rows; 32, 16 and 128 (the
 * production width) the 16-edge row kernel, with 4 heads (its unrolled form)
 * and 3. The
 * result must not depend on the thread count, which picks the schedule (one
 * unit per query block, or three phases when there are fewer blocks than
 * threads): compared bit for bit. */
static void test_attn_pair_bias(fx_suite *s)
{
    static const int ns[] = {1, 13, 37, 70, 131};
    static const struct {
        int cs, cz, heads, pb;
    } cfg[] = {{24, 10, 3, 1}, {24, 3, 3, 0}, {32, 32, 4, 1}, {24, 16, 3, 1}, {32, 128, 4, 1}};
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        const fg_block_dims dims = {cfg[c].cs, cfg[c].cz};
        const int cs = dims.c_s, cz = dims.c_z, heads = cfg[c].heads, pb = cfg[c].pb;
        fg_weights *w = layer_weights(&dims, 2, 5, heads, pb);
        for (size_t k = 0; w && k < sizeof ns / sizeof ns[0]; k++) {
            const int n = ns[k];
            float *sv = malloc(sizeof(float) * n * cs), *z = malloc(sizeof(float) * n * n * cz);
            float *ref = malloc(sizeof(float) * n * cs), *out = malloc(sizeof(float) * n * cs);
            float *out2 = malloc(sizeof(float) * n * cs), *nm = malloc(sizeof(float) * n);
            normals(sv, (int64_t)n * cs, 40 + k), normals(z, (int64_t)n * n * cz, 50 + k);
            for (int i = 0; i < n; i++)
                nm[i] = i < n - n / 4 ? 1.0f : 0.0f;
            fg_attn_pair_bias m;
            fg_wload l;
            fg_error err = {0};
            fg_wload_init(&l, w, &err, "t.layers.0.");
            fg_attn_pair_bias_init(&m, &l, "attention", cs, cz, heads, pb);
            fg_attn_pair_bias_ref(&m, sv, z, nm, n, ref);
            bool ok = apb_run(&m, sv, z, nm, n, out, 1);
            double e = excess(out, ref, (int64_t)n * cs);
            fx_ok(s, ok && e <= 1, "attention pair bias n=%d c_z=%d heads=%d compute_pair_bias=%d: error/tolerance %.3f",
                  n, cz, heads, pb, e);
            static const int threads[] = {2, 3, 5};
            ok = true;
            for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++)
                ok = ok && apb_run(&m, sv, z, nm, n, out2, threads[t]) && !memcmp(out, out2, sizeof(float) * n * cs);
            fx_ok(s, ok, "attention pair bias n=%d c_z=%d: 2, 3 and 5 threads give the 1-thread result bit for bit", n,
                  cz);
            fg_attn_pair_bias_free(&m);
            free(sv), free(z), free(ref), free(out), free(out2), free(nm);
        }
        fg_weights_free(w);
    }
}

int main(void)
{
    fx_suite s = {"pairformer kernels vs reference twins", 0, 0};
    test_fast_sigmoid(&s);
    test_rows(&s);
    test_ln_proj_wide(&s);
    test_tri_mul(&s);
    test_tri_att(&s);
    test_transition(&s);
    test_attn_pair_bias(&s);
    return fx_suite_finish(&s);
}
