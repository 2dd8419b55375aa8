/* The worked example of docs/adding-a-block.md (examples/block_example.c):
 * it builds, runs through fg_trunk without being registered, matches a plain
 * computation, reports bad weights by name, and the doc shows the file as
 * it is. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../examples/block_example.c"
#include "fixture.h"
#include "framegen/rng.h"
#include "framegen/trunk.h"

enum { B = 2, N = 5, C = 8, H = 16 }; /* hidden_scale 2 */

static void add_random(fg_weights *w, const char *name, int d0, int d1, uint64_t stream)
{
    int64_t shape[2] = {d0, d1}, n = (int64_t)d0 * (d1 ? d1 : 1);
    float *v = malloc(sizeof(float) * (size_t)n);
    fg_rng r;
    fg_rng_init(&r, 4, stream);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)fg_rng_normal(&r) * (d1 ? 1.0f / sqrtf((float)d1) : 0.5f);
    fg_weights_add(w, name, d1 ? 2 : 1, shape, v, NULL);
    free(v);
}

static const float *get(fg_weights *w, const char *name)
{
    fg_tensor t;
    return fg_weights_find(w, name, &t, NULL) == FG_OK ? t.data : NULL;
}

/* z += fc2(relu(fc1(LN(z)))) per edge, in double. */
static void twin(fg_weights *w, int layer, float *z)
{
    char p[64], n[96];
    snprintf(p, sizeof p, "trunk.layers.%d.", layer);
#define T(s) (snprintf(n, sizeof n, "%s%s", p, s), get(w, n))
    const float *g = T("norm.weight"), *bb = T("norm.bias"), *W1 = T("fc1.weight"), *b1 = T("fc1.bias");
    const float *W2 = T("fc2.weight"), *b2 = T("fc2.bias");
#undef T
    for (int r = 0; r < B * N * N; r++) {
        float *x = z + r * C;
        double mu = 0, var = 0, xn[C], h[H];
        for (int c = 0; c < C; c++)
            mu += x[c] / (double)C;
        for (int c = 0; c < C; c++)
            var += (x[c] - mu) * (x[c] - mu) / C;
        for (int c = 0; c < C; c++)
            xn[c] = (x[c] - mu) / sqrt(var + 1e-5) * g[c] + bb[c];
        for (int j = 0; j < H; j++) {
            h[j] = b1[j];
            for (int c = 0; c < C; c++)
                h[j] += W1[j * C + c] * xn[c];
            h[j] = h[j] > 0 ? h[j] : 0;
        }
        for (int c = 0; c < C; c++) {
            double o = b2[c];
            for (int j = 0; j < H; j++)
                o += W2[c * H + j] * h[j];
            x[c] = (float)(x[c] + o);
        }
    }
}

static int doc_shows_example(void)
{
    char path[1024];
    const char *files[2] = {"docs/adding-a-block.md", "examples/block_example.c"};
    char *text[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", FG_SOURCE_DIR, files[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            break;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        text[i] = calloc(1, (size_t)len + 1);
        if (fread(text[i], 1, (size_t)len, f) != (size_t)len)
            text[i][0] = '\0';
        fclose(f);
    }
    int ok = text[0] && text[1] && text[1][0] && strstr(text[0], text[1]) != NULL;
    free(text[0]), free(text[1]);
    return ok;
}

int main(void)
{
    fx_suite s = {"block_example", 0, 0};
    fx_ok(&s, fg_block_type_find("edge_mlp") == NULL, "the example is not in the shipped registry");

    fg_weights *w;
    fg_weights_create(&w, NULL);
    const char *names[] = {"norm.weight", "norm.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};
    const int d0[] = {C, C, H, H, C, C}, d1[] = {0, 0, C, 0, H, 0};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < 6; i++) {
            char n[96];
            snprintf(n, sizeof n, "trunk.layers.%d.%s", l, names[i]);
            add_random(w, n, d0[i], d1[i], (uint64_t)(10 * l + i));
        }

    fg_trunk_config cfg = {0};
    fg_error err = {0};
    fg_status st = fg_trunk_config_add_stage(&cfg, &fg_block_edge_mlp, 2, &err);
    fx_ok(&s, st == FG_OK && ((edge_mlp_params *)cfg.stages[0].params)->hidden_scale == 2,
          "stage added with the type's default hidden_scale");
    fg_block_dims dims = {4, C};
    fg_trunk *t = NULL;
    if (st == FG_OK)
        st = fg_trunk_create(&cfg, &dims, w, "", &t, &err);
    fx_ok(&s, st == FG_OK, "trunk of two edge_mlp layers: %s", st ? err.msg : "ok");

    float z[B * N * N * C], z2[B * N * N * C];
    fg_rng r;
    fg_rng_init(&r, 4, 99);
    for (int i = 0; i < B * N * N * C; i++)
        z[i] = z2[i] = (float)fg_rng_normal(&r);
    fg_arena arena;
    fg_arena_init(&arena, 0);
    fg_block_io io = {.B = B, .N = N, .z = z, .scratch = &arena};
    if (st == FG_OK)
        st = fg_trunk_forward(t, &io, NULL, NULL, &err);
    twin(w, 0, z2);
    twin(w, 1, z2);
    double worst = 0;
    for (int i = 0; i < B * N * N * C; i++)
        worst = fmax(worst, fabs(z[i] - z2[i]));
    /* float kernels vs a double twin, sums of at most 16 terms of size ~1 */
    fx_ok(&s, st == FG_OK && worst < 1e-5, "forward matches the plain computation: max |err| %.2e", worst);
    fx_ok(&s, fg_trunk_flops(t, B, N) == 2.0 * B * N * N * 4 * C * H, "flops of two layers");
    fg_trunk_destroy(t);

    /* a misshapen tensor names itself */
    ((edge_mlp_params *)cfg.stages[0].params)->hidden_scale = 3;
    st = fg_trunk_create(&cfg, &dims, w, "", &t, &err);
    fx_ok(&s, st == FG_ERR_SHAPE && strstr(err.msg, "'trunk.layers.0.fc1.weight' has shape [16, 8], expected [24, 8]"),
          "wrong hidden_scale: %s", err.msg);

    fx_ok(&s, doc_shows_example(), "docs/adding-a-block.md contains examples/block_example.c verbatim");
    fg_trunk_config_free(&cfg);
    fg_arena_free(&arena);
    fg_weights_free(w);
    return fx_suite_finish(&s);
}
