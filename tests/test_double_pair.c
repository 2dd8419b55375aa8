/* double_pair block: parity with the three DoubleAttention fixture cases
 * (batch 2 with padding), a plain op-for-op twin checked against the same
 * fixtures and against the tiled block on random inputs (tail tiles, a fully
 * masked item), thread-count independence, and weight errors that name the
 * tensor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/block.h"
#include "framegen/config_json.h"
#include "framegen/ops.h"
#include "framegen/rng.h"

typedef struct twin_params {
    int C, D, H;
    int film;
} twin_params;

static const float *tensor(fg_weights *w, const char *pfx, const char *n)
{
    char name[256];
    fg_tensor t;
    snprintf(name, sizeof name, "%s%s", pfx, n);
    return fg_weights_find(w, name, &t, NULL) == FG_OK ? t.data : NULL;
}

/* Upstream DoubleAttentionPairBlock.forward, one op at a time, in double. */
static void twin_forward(const twin_params *tp, fg_weights *w, const char *pfx, int B, int N, float *z,
                         const float *mask, const float *t)
{
    int C = tp->C, D = tp->D, H = tp->H;
    int64_t P = (int64_t)N * N;
#define W(n) tensor(w, pfx, n)
    const float *Wf = W("gather_proj.weight"), *bf = W("gather_proj.bias");
    const float *Wg = W("value_proj.weight"), *bg = W("value_proj.bias");
    const float *Wh = W("distribute_proj.weight"), *bh = W("distribute_proj.bias");
    const float *Wo = W("output_proj.weight"), *bo = W("output_proj.bias");
    const float *Wt0 = tp->film ? W("time_mlp.0.weight") : NULL, *bt0 = tp->film ? W("time_mlp.0.bias") : NULL;
    const float *Wt2 = tp->film ? W("time_mlp.2.weight") : NULL, *bt2 = tp->film ? W("time_mlp.2.bias") : NULL;
#undef W
    double *f = malloc(sizeof(double) * P * D), *g = malloc(sizeof(double) * P * D);
    double *h = malloc(sizeof(double) * P * D), *V = malloc(sizeof(double) * D * D);
    double *o = malloc(sizeof(double) * D), *film = malloc(sizeof(double) * 2 * C), *hid = malloc(sizeof(double) * H);
    for (int b = 0; b < B; b++) {
        float *zb = z + (size_t)b * P * C;
        const float *mb = mask + (size_t)b * P;
        for (int64_t p = 0; p < P; p++)
            for (int d = 0; d < D; d++) {
                double af = bf[d], ag = bg[d], ah = bh[d];
                for (int c = 0; c < C; c++) {
                    af += (double)Wf[d * C + c] * zb[p * C + c];
                    ag += (double)Wg[d * C + c] * zb[p * C + c];
                    ah += (double)Wh[d * C + c] * zb[p * C + c];
                }
                f[p * D + d] = mb[p] == 0.0f ? -1e8 : af;
                g[p * D + d] = ag, h[p * D + d] = ah;
            }
        for (int d = 0; d < D; d++) { /* softmax over edges, mask, renormalise */
            double mx = -INFINITY, s = 0, s2 = 0;
            for (int64_t p = 0; p < P; p++)
                mx = fmax(mx, f[p * D + d]);
            for (int64_t p = 0; p < P; p++)
                s += exp(f[p * D + d] - mx);
            for (int64_t p = 0; p < P; p++) {
                f[p * D + d] = exp(f[p * D + d] - mx) / s * mb[p];
                s2 += f[p * D + d];
            }
            for (int64_t p = 0; p < P; p++)
                f[p * D + d] /= s2 + 1e-8;
        }
        for (int d = 0; d < D; d++)
            for (int e = 0; e < D; e++) {
                double acc = 0;
                for (int64_t p = 0; p < P; p++)
                    acc += f[p * D + d] * g[p * D + e];
                V[d * D + e] = acc;
            }
        for (int c = 0; c < 2 * C; c++)
            film[c] = 0;
        if (tp->film) {
            for (int k = 0; k < H; k++) {
                double x = Wt0[k] * (double)t[b] + bt0[k];
                hid[k] = 0.5 * x * (1 + erf(x / sqrt(2.0)));
            }
            for (int c = 0; c < 2 * C; c++) {
                film[c] = bt2[c];
                for (int k = 0; k < H; k++)
                    film[c] += Wt2[c * H + k] * hid[k];
            }
        }
        for (int64_t p = 0; p < P; p++) {
            double mx = -INFINITY, s = 0;
            for (int d = 0; d < D; d++)
                mx = fmax(mx, h[p * D + d]);
            for (int d = 0; d < D; d++)
                s += exp(h[p * D + d] - mx);
            for (int e = 0; e < D; e++) {
                o[e] = 0;
                for (int d = 0; d < D; d++)
                    o[e] += exp(h[p * D + d] - mx) / s * V[d * D + e];
            }
            for (int c = 0; c < C; c++) {
                double out = bo[c];
                for (int e = 0; e < D; e++)
                    out += Wo[c * D + e] * o[e];
                out = out * (1 + film[c]) + film[C + c];
                zb[p * C + c] = (float)(zb[p * C + c] + out);
            }
        }
    }
    free(f), free(g), free(h), free(V), free(o), free(film), free(hid);
}

/* The block's parameters from the case's hyperparameters through the type's field table. */
static int read_params(fx_case *c, const fg_block_type *ty, void *params)
{
    static const char *const extra[] = {"num_layers", "edge_embed_size", "param_init", NULL};
    fg_error err = {0};
    fg_status st = fg_json_read_fields(fx_hparams(c), "hyperparameters", ty->fields, ty->n_fields, extra, params, &err);
    return fx_expect(c, st == FG_OK, "hyperparameters read through the field table: %s", st ? err.msg : "ok");
}

/* Copy of the weights with "blocks.0." in front (single-block cases store bare names). */
static fg_weights *with_prefix(fg_weights *src, const char *pfx)
{
    fg_weights *w;
    if (fg_weights_create(&w, NULL) != FG_OK)
        return NULL;
    for (size_t i = 0; i < fg_weights_count(src); i++) {
        const char *n = fg_weights_name_at(src, i);
        int nd;
        int64_t sh[FG_MAX_DIMS];
        fg_weights_shape_at(src, i, &nd, sh);
        fg_tensor t;
        char full[512];
        snprintf(full, sizeof full, "%s%s", pfx, n);
        if (fg_weights_find(src, n, &t, NULL) != FG_OK || fg_weights_add(w, full, nd, sh, t.data, NULL) != FG_OK) {
            fg_weights_free(w);
            return NULL;
        }
    }
    return w;
}

/* Runs `layers` blocks of the type on z in place. */
static fg_status run_blocks(const fg_block_type *ty, const void *params, int C, fg_weights *w, const char *prefix,
                            int layers, int B, int N, float *z, const float *mask, const float *t, fg_error *err)
{
    fg_block_dims dims = {.c_s = 0, .c_z = C};
    fg_arena arena;
    fg_arena_init(&arena, 0);
    fg_block_io io = {.B = B, .N = N, .z = z, .edge_mask = mask, .t = t, .scratch = &arena};
    fg_status st = FG_OK;
    for (int l = 0; l < layers && st == FG_OK; l++) {
        void *self;
        st = ty->create(params, &dims, w, prefix, l, &self, err);
        if (st == FG_OK) {
            st = ty->forward(self, &io, err);
            ty->destroy(self);
        }
    }
    fg_arena_free(&arena);
    return st;
}

static int run_case(const char *name, int layers)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    const fg_block_type *ty = fg_block_type_find("double_pair");
    if (!fx_expect(&c, ty != NULL, "double_pair is registered"))
        return fx_finish(&c);
    void *params = calloc(1, ty->params_size);
    read_params(&c, ty, params);
    int64_t sh[4];
    fx_shape(&c, "input.edge_embed", sh);
    int B = (int)sh[0], N = (int)sh[1], C = (int)sh[3];
    int64_t n = fx_numel(&c, "input.edge_embed");
    float *z = fx_f32(&c, "input.edge_embed"), *mask = fx_f32(&c, "input.edge_mask"), *t = fx_f32(&c, "input.r3_t");
    fg_weights *w = layers == 1 ? with_prefix(fx_params(&c), "blocks.0.") : fx_params(&c);
    float *z2 = malloc(sizeof(float) * n);
    memcpy(z2, z, sizeof(float) * n);

    fg_error err = {0};
    fg_status st = run_blocks(ty, params, C, w, "", layers, B, N, z, mask, t, &err);
    if (fx_expect(&c, st == FG_OK, "forward: %s", st ? err.msg : "ok"))
        fx_check(&c, "output.edge_embed", z, n);

    twin_params tp = {C, C / (int)fx_hp_num(&c, "bottleneck_scale", 4), (int)fx_hp_num(&c, "time_mlp_hidden_dim", 0),
                      fx_hp_bool(&c, "use_film", 0)};
    for (int l = 0; l < layers; l++) {
        char pfx[64];
        snprintf(pfx, sizeof pfx, "blocks.%d.", l);
        twin_forward(&tp, w, pfx, B, N, z2, mask, t);
    }
    printf("  (plain twin)\n");
    fx_check(&c, "output.edge_embed", z2, n);

    if (layers == 1)
        fg_weights_free(w);
    free(z), free(z2), free(mask), free(t), free(params);
    return fx_finish(&c);
}

static void fill_normal(float *x, int64_t n, uint64_t stream, float sd)
{
    fg_rng r;
    fg_rng_init(&r, 11, stream);
    for (int64_t i = 0; i < n; i++)
        x[i] = sd * (float)fg_rng_normal(&r);
}

static fg_weights *random_weights(int C, int D, int H, int film)
{
    struct { const char *n; int d0, d1; float sd; } spec[] = {
        {"blocks.0.gather_proj.weight", D, C, 1.0f}, {"blocks.0.gather_proj.bias", D, 0, 0.1f},
        {"blocks.0.value_proj.weight", D, C, 1.0f}, {"blocks.0.value_proj.bias", D, 0, 0.1f},
        {"blocks.0.distribute_proj.weight", D, C, 1.0f}, {"blocks.0.distribute_proj.bias", D, 0, 0.1f},
        {"blocks.0.output_proj.weight", C, D, 1.0f}, {"blocks.0.output_proj.bias", C, 0, 0.1f},
        {"blocks.0.time_mlp.0.weight", H, 1, 1.0f}, {"blocks.0.time_mlp.0.bias", H, 0, 0.1f},
        {"blocks.0.time_mlp.2.weight", 2 * C, H, 1.0f}, {"blocks.0.time_mlp.2.bias", 2 * C, 0, 0.1f}};
    fg_weights *w;
    fg_weights_create(&w, NULL);
    for (int i = 0; i < (film ? 12 : 8); i++) {
        int64_t shape[2] = {spec[i].d0, spec[i].d1};
        int nd = spec[i].d1 ? 2 : 1;
        int64_t n = spec[i].d0 * (int64_t)(nd == 2 ? spec[i].d1 : 1);
        float *v = malloc(sizeof(float) * n);
        /* N(0, 1/fan_in) for matrices, as the fixtures do */
        fill_normal(v, n, 100 + (uint64_t)i, nd == 2 ? spec[i].sd / sqrtf((float)spec[i].d1) : spec[i].sd);
        fg_weights_add(w, spec[i].n, nd, shape, v, NULL);
        free(v);
    }
    return w;
}

/* Tiled block vs the twin on inputs that exercise partial tiles, padding and
 * a fully masked item; then the same with 1 and several threads. */
static int random_checks(void)
{
    fx_case c;
    if (fx_open(&c, "double_attention_block_film") != 0)
        return 1;
    double atol, rtol;
    fx_tolerance(&c, "output.edge_embed", &atol, &rtol);
    const fg_block_type *ty = fg_block_type_find("double_pair");
    const int B = 3, N = 37, C = 64, D = 16, H = 24;
    int64_t P = (int64_t)N * N, n = B * P * C;
    float *z = malloc(sizeof(float) * n), *z2 = malloc(sizeof(float) * n), *z3 = malloc(sizeof(float) * n);
    float *mask = malloc(sizeof(float) * B * P), t[3] = {0.05f, 0.5f, 0.97f};
    int len[3] = {37, 23, 0}; /* item 2 fully masked: upstream gives V = 0 */
    fill_normal(z, n, 1, 1.0f);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                mask[b * P + i * N + j] = (i < len[b] && j < len[b]) ? 1.0f : 0.0f;
    for (int film = 0; film <= 1; film++) {
        fg_weights *w = random_weights(C, D, H, film);
        void *params = calloc(1, ty->params_size);
        char js[160];
        snprintf(js, sizeof js, "{\"bottleneck_scale\": 4, \"use_film\": %s, \"time_mlp_hidden_dim\": %d}",
                 film ? "true" : "false", H);
        cJSON *o = cJSON_Parse(js);
        fg_json_read_fields(o, "", ty->fields, ty->n_fields, NULL, params, NULL);
        cJSON_Delete(o);
        memcpy(z2, z, sizeof(float) * n);
        memcpy(z3, z, sizeof(float) * n);
        fg_error err = {0};
        int threads = fg_get_threads();
        fg_set_threads(1);
        fg_status st = run_blocks(ty, params, C, w, "", 1, B, N, z2, mask, t, &err);
        fg_set_threads(threads > 1 ? threads : 3);
        st = st ? st : run_blocks(ty, params, C, w, "", 1, B, N, z3, mask, t, &err);
        fg_set_threads(threads);
        fx_expect(&c, st == FG_OK, "random forward (film %d): %s", film, st ? err.msg : "ok");
        fx_expect(&c, memcmp(z2, z3, sizeof(float) * n) == 0, "film %d: 1 thread and %d threads agree bit for bit",
                  film, threads > 1 ? threads : 3);
        twin_params tp = {C, D, H, film};
        float *zt = malloc(sizeof(float) * n);
        memcpy(zt, z, sizeof(float) * n);
        twin_forward(&tp, w, "blocks.0.", B, N, zt, mask, t);
        char label[64];
        snprintf(label, sizeof label, "random B=3 N=37 C=64 film=%d vs twin", film);
        fx_check_with(&c, label, z2, zt, n, atol, rtol);
        free(zt), free(params);
        fg_weights_free(w);
    }
    free(z), free(z2), free(z3), free(mask);
    return fx_finish(&c);
}

/* Missing and misshapen tensors name themselves; impossible sizes are config errors. */
static int error_checks(void)
{
    fx_suite s = {"double_pair errors", 0, 0};
    const fg_block_type *ty = fg_block_type_find("double_pair");
    void *params = calloc(1, ty->params_size);
    fg_fields_defaults(ty->fields, ty->n_fields, params);
    fg_weights *w = random_weights(32, 8, 128, 0); /* no time MLP although use_film defaults to true */
    fg_block_dims dims = {0, 32};
    void *self = NULL;
    fg_error err = {0};
    fg_status st = ty->create(params, &dims, w, "", 0, &self, &err);
    fx_ok(&s, st == FG_ERR_SHAPE && strstr(err.msg, "blocks.0.time_mlp.0.weight"), "missing tensor: %s", err.msg);
    fg_block_dims bad = {0, 48}; /* 48 / 4 = 12 but stored tensors are [8, 32] */
    st = ty->create(params, &bad, w, "", 0, &self, &err);
    fx_ok(&s, st == FG_ERR_SHAPE && strstr(err.msg, "blocks.0.gather_proj.weight"), "misshapen tensor: %s", err.msg);
    fg_block_dims odd = {0, 30};
    st = ty->create(params, &odd, w, "", 0, &self, &err);
    fx_ok(&s, st == FG_ERR_CONFIG && strstr(err.msg, "bottleneck_scale"), "c_z not divisible: %s", err.msg);
    st = ty->create(params, &dims, w, "", 1, &self, &err);
    fx_ok(&s, st == FG_ERR_SHAPE && strstr(err.msg, "blocks.1.gather_proj.weight"), "layer index in names: %s",
          err.msg);
    /* an empty batch is a no-op, not a crash */
    const fg_field *film = fg_fields_find(ty->fields, ty->n_fields, "use_film");
    *(bool *)((char *)params + film->offset) = false; /* the weights have no time MLP */
    st = ty->create(params, &dims, w, "", 0, &self, &err);
    fg_arena arena;
    fg_arena_init(&arena, 0);
    fg_block_io io = {.B = 1, .N = 0, .z = (float[1]){0}, .scratch = &arena};
    if (st == FG_OK) {
        st = ty->forward(self, &io, &err);
        ty->destroy(self);
    }
    fx_ok(&s, st == FG_OK, "N = 0: %s", st ? err.msg : "ok");
    fg_arena_free(&arena);
    fg_weights_free(w);
    free(params);
    return fx_suite_finish(&s);
}

int main(void)
{
    int rc = 0;
    rc |= run_case("double_attention_block_nofilm", 1);
    rc |= run_case("double_attention_block_film", 1);
    rc |= run_case("double_attention_trunk", 2);
    rc |= random_checks();
    rc |= error_checks();
    return rc;
}
