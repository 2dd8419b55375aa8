/* The IPA block's optimised kernels against their plain reference twins on
 * random inputs (odd sizes, partial masks), thread-count independence of the
 * whole block, and the error messages for bad weights, config and inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/ipa_parts.h"
#include "fixture.h"
#include "framegen/arena.h"
#include "framegen/block.h"
#include "framegen/config_json.h"
#include "framegen/ipa_trunk.h"
#include "framegen/ops.h"
#include "ipa_random.h"

static float *rand_vec(fg_rng *g, int64_t n, float sd)
{
    float *v = malloc((size_t)n * sizeof(float));
    fg_rng_normals(g, v, n);
    for (int64_t i = 0; i < n; i++)
        v[i] *= sd;
    return v;
}

/* Item 0 fully present, the others padded after 2/3 of N. */
static float *make_mask(int B, int N)
{
    float *m = malloc((size_t)B * N * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            m[b * N + i] = (b == 0 || i < 2 * N / 3) ? 1.0f : 0.0f;
    return m;
}

static fg_weights *new_store(void)
{
    fg_weights *w = NULL;
    fg_weights_create(&w, NULL);
    return w;
}

static void test_attention(fx_suite *su, int B, int N, ipa_rand_dims d)
{
    fg_weights *w = new_store();
    fg_error err = {0};
    ipa_rand r = {.w = w, .err = &err};
    fg_rng_init(&r.rng, 11, (uint64_t)N);
    ipa_rand_attention(&r, "", &d);
    fg_ipa_attn a;
    if (!fx_ok(su, fg_ipa_attn_init(&a, w, "", d.c_s, d.c_z, d.C, d.H, d.Pq, d.Pv, &err) == FG_OK,
               "IPA init (N=%d): %s", N, err.msg))
        return;
    const int64_t BN = (int64_t)B * N;
    fg_rng g;
    fg_rng_init(&g, 12, (uint64_t)N);
    float *s = rand_vec(&g, BN * d.c_s, 1.0f), *z = rand_vec(&g, BN * N * d.c_z, 1.0f);
    float *rots = malloc((size_t)BN * 9 * sizeof(float)), *trans = malloc((size_t)BN * 3 * sizeof(float));
    ipa_rand_frames(&g, BN, 1.5f, rots, trans);
    float *mask = make_mask(B, N);
    float *out = malloc((size_t)BN * d.c_s * sizeof(float)), *ref = malloc((size_t)BN * d.c_s * sizeof(float));
    fg_arena ar;
    fg_arena_init(&ar, 1 << 16);
    fg_status st = fg_ipa_attn_forward(&a, s, z, rots, trans, mask, B, N, out, &ar, &err);
    fg_status st2 = fg_ipa_attn_forward_ref(&a, s, z, rots, trans, mask, B, N, ref, &err);
    double md = 0.0, mr = 0.0;
    for (int64_t row = 0; row < BN; row++)
        for (int o = 0; mask[row] == 1.0f && o < d.c_s; o++) {
            md = fmax(md, fabs(out[row * d.c_s + o] - ref[row * d.c_s + o]));
            mr = fmax(mr, fabs(ref[row * d.c_s + o]));
        }
    fx_ok(su, st == FG_OK && st2 == FG_OK && md <= 2e-5 * fmax(1.0, mr),
          "blocked IPA = reference (B=%d N=%d H=%d C=%d Pq=%d Pv=%d): max |diff| %.2e (max |ref| %.2f)", B, N,
          d.H, d.C, d.Pq, d.Pv, md, mr);
    fx_ok(su, ar.in_use == 0, "IPA scratch restored");
    fg_arena_free(&ar);
    fg_ipa_attn_free(&a);
    fg_weights_free(w);
    free(s), free(z), free(rots), free(trans), free(mask), free(out), free(ref);
}

static void test_edge(fx_suite *su, int B, int N, ipa_rand_dims d, int with_mask)
{
    fg_weights *w = new_store();
    fg_error err = {0};
    ipa_rand r = {.w = w, .err = &err};
    fg_rng_init(&r.rng, 21, (uint64_t)N);
    ipa_rand_edge(&r, "et.", &d);
    fg_edge_trans e;
    if (!fx_ok(su, fg_edge_trans_init(&e, w, "et.", d.c_s, d.c_z, d.dilation, d.edge_layers, &err) == FG_OK,
               "edge transition init: %s", err.msg))
        return;
    const int64_t BN = (int64_t)B * N, n = BN * N * d.c_z;
    fg_rng g;
    fg_rng_init(&g, 22, (uint64_t)N);
    float *s = rand_vec(&g, BN * d.c_s, 1.0f), *z = rand_vec(&g, n, 1.0f);
    float *z2 = malloc((size_t)n * sizeof(float)), *nm = make_mask(B, N);
    float *em = malloc((size_t)BN * N * sizeof(float));
    for (int64_t p = 0; p < BN * N; p++)
        em[p] = nm[p / N] * nm[(p / (N * (int64_t)N)) * N + p % N];
    memcpy(z2, z, (size_t)n * sizeof(float));
    fg_arena ar;
    fg_arena_init(&ar, 1 << 16);
    fg_status st = fg_edge_trans_forward(&e, s, z, with_mask ? em : NULL, B, N, &ar, &err);
    fg_status st2 = fg_edge_trans_forward_ref(&e, s, z2, with_mask ? em : NULL, B, N, &err);
    double md = 0.0;
    for (int64_t i = 0; i < n; i++)
        md = fmax(md, fabs(z[i] - z2[i]));
    fx_ok(su, st == FG_OK && st2 == FG_OK && md <= 2e-5,
          "blocked edge transition = reference (B=%d N=%d hid=%d layers=%d mask=%d): max |diff| %.2e", B, N,
          e.hid, d.edge_layers, with_mask, md);
    fx_ok(su, ar.in_use == 0, "edge transition scratch restored");
    fg_arena_free(&ar);
    fg_edge_trans_free(&e);
    fg_weights_free(w);
    free(s), free(z), free(z2), free(nm), free(em);
}

/* ---- whole blocks through the registry ---- */

static const ipa_rand_dims SMALL = {.c_s = 24, .c_z = 12, .C = 5, .H = 3, .Pq = 4, .Pv = 5,
                                    .seq_layers = 2, .edge_layers = 2, .dilation = 2};
static const char *SMALL_CFG = "{\"c_hidden\": 5, \"no_heads\": 3, \"no_qk_points\": 4, \"no_v_points\": 5,"
                               " \"seq_tfmr_num_heads\": 4, \"seq_tfmr_num_layers\": 2}";

/* Two-block trunk checkpoint (edge transition on block 0 only) + torsion head. */
static fg_weights *small_trunk(const char *skip, const char *bad, int multiflow_names)
{
    fg_weights *w = new_store();
    fg_error err = {0};
    ipa_rand r = {.w = w, .err = &err, .skip = skip, .bad = bad, .multiflow_names = multiflow_names};
    fg_rng_init(&r.rng, 31, 0);
    ipa_rand_dims d = SMALL;
    ipa_rand_block(&r, "t.trunk.", 0, &d);
    d.edge_layers = 0;
    ipa_rand_block(&r, "t.trunk.", 1, &d);
    static const char *const tl[] = {"linear_1", "linear_2", "linear_3"};
    char n[64];
    for (int k = 0; k < 3; k++)
        snprintf(n, sizeof n, "t.torsion_pred.%s", tl[k]), ipa_rand_linear(&r, 24, 24, n);
    ipa_rand_linear(&r, 14, 24, "t.torsion_pred.linear_final");
    return w;
}

/* The small trunk built from a config section and its random checkpoint. */
typedef struct small_trunk_set {
    void *params;
    fg_weights *w;
    fg_ipa_trunk *t;
    fg_arena ar;
} small_trunk_set;

static fg_status small_open(small_trunk_set *k, const char *cfg, const char *skip, const char *bad, int multiflow,
                            fg_error *err)
{
    const fg_block_type *type = fg_block_type_find("ipa");
    const fg_block_dims dims = {SMALL.c_s, SMALL.c_z};
    k->params = calloc(1, type->params_size);
    k->w = small_trunk(skip, bad, multiflow);
    k->t = NULL;
    fg_arena_init(&k->ar, 1 << 16);
    cJSON *obj = cJSON_Parse(cfg);
    fg_status st = fg_json_read_fields(obj, "ipa", type->fields, type->n_fields, NULL, k->params, err);
    cJSON_Delete(obj);
    return st == FG_OK ? fg_ipa_trunk_create(k->params, &dims, k->w, "t.", 2, 7, &k->t, err) : st;
}

static void small_close(small_trunk_set *k)
{
    fg_ipa_trunk_destroy(k->t);
    fg_weights_free(k->w);
    fg_arena_free(&k->ar);
    free(k->params);
}

typedef struct run_state {
    int B, N;
    float *s, *z, *rots, *trans, *quats, *mask, *tors;
} run_state;

static void state_init(run_state *x, int B, int N)
{
    const int64_t BN = (int64_t)B * N;
    fg_rng g;
    fg_rng_init(&g, 41, 0);
    x->B = B, x->N = N;
    x->s = rand_vec(&g, BN * SMALL.c_s, 1.0f), x->z = rand_vec(&g, BN * N * SMALL.c_z, 1.0f);
    x->rots = malloc((size_t)BN * 9 * sizeof(float)), x->trans = malloc((size_t)BN * 3 * sizeof(float));
    x->quats = malloc((size_t)BN * 4 * sizeof(float)), x->tors = malloc((size_t)BN * 14 * sizeof(float));
    ipa_rand_frames(&g, BN, 1.5f, x->rots, x->trans);
    x->mask = make_mask(B, N);
}

static void state_free(run_state *x)
{
    free(x->s), free(x->z), free(x->rots), free(x->trans), free(x->quats), free(x->mask), free(x->tors);
}

static fg_status run_trunk(fg_ipa_trunk *t, run_state *x, fg_arena *ar, fg_error *err)
{
    fg_block_io io = {.B = x->B, .N = x->N, .s = x->s, .z = x->z, .node_mask = x->mask, .rots = x->rots,
                      .trans = x->trans, .quats = x->quats, .scratch = ar};
    return fg_ipa_trunk_forward(t, &io, x->tors, err);
}

static int same(const float *a, const float *b, int64_t n) { return memcmp(a, b, (size_t)n * sizeof(float)) == 0; }

static void test_threads(fx_suite *su)
{
    fg_error err = {0};
    small_trunk_set k;
    if (!fx_ok(su, small_open(&k, SMALL_CFG, NULL, NULL, 0, &err) == FG_OK, "small trunk: %s", err.msg)) {
        small_close(&k);
        return;
    }
    run_state x1, x2;
    const int B = 2, N = 150;
    const int64_t BN = (int64_t)B * N;
    state_init(&x1, B, N), state_init(&x2, B, N);
    const int nth = fg_get_threads();
    fg_set_threads(1);
    fg_status s1 = run_trunk(k.t, &x1, &k.ar, &err);
    fg_set_threads(nth > 1 ? nth : 2);
    fg_status s2 = run_trunk(k.t, &x2, &k.ar, &err);
    fg_set_threads(nth);
    fx_ok(su, s1 == FG_OK && s2 == FG_OK, "trunk runs with 1 and %d threads: %s", nth > 1 ? nth : 2, err.msg);
    fx_ok(su, same(x1.s, x2.s, BN * SMALL.c_s) && same(x1.z, x2.z, BN * N * SMALL.c_z) &&
                  same(x1.rots, x2.rots, BN * 9) && same(x1.trans, x2.trans, BN * 3) &&
                  same(x1.tors, x2.tors, BN * 14),
          "bitwise identical results with 1 and %d threads", nth > 1 ? nth : 2);
    state_free(&x1), state_free(&x2);
    small_close(&k);
}

/* Creating the small trunk must fail with `want` and a message containing `needle`. */
static void expect_create_error(fx_suite *su, const char *cfg, const char *skip, const char *bad,
                                fg_status want, const char *needle)
{
    fg_error err = {0};
    small_trunk_set k;
    fg_status st = small_open(&k, cfg, skip, bad, 0, &err);
    fx_ok(su, st == want && strstr(err.msg, needle) != NULL, "error %s naming '%s': %s", fg_status_name(want),
          needle, err.msg);
    small_close(&k);
}

static void test_errors(fx_suite *su)
{
    expect_create_error(su, SMALL_CFG, "t.trunk.ipa_0.impl.linear_b.weight", NULL, FG_ERR_SHAPE,
                        "t.trunk.ipa_0.impl.linear_b.weight");
    expect_create_error(su, SMALL_CFG, "t.trunk.seq_tfmr_1.layers.1.norm2.bias", NULL, FG_ERR_SHAPE,
                        "t.trunk.seq_tfmr_1.layers.1.norm2.bias");
    expect_create_error(su, SMALL_CFG, "t.trunk.edge_transition_0.trunk.2.bias", NULL, FG_ERR_SHAPE,
                        "t.trunk.edge_transition_0.trunk.2.bias");
    expect_create_error(su, SMALL_CFG, "t.torsion_pred.linear_final.weight", NULL, FG_ERR_SHAPE,
                        "t.torsion_pred.linear_final.weight");
    expect_create_error(su, SMALL_CFG, NULL, "t.trunk.edge_transition_0.trunk.2.weight", FG_ERR_SHAPE,
                        "t.trunk.edge_transition_0.trunk.2.weight' has shape [37, 36], expected [36, 36]");
    expect_create_error(su, SMALL_CFG, NULL, "t.trunk.bb_update_1.linear.weight", FG_ERR_SHAPE,
                        "bb_update_1.linear.weight");
    expect_create_error(su, "{\"c_hidden\": 5, \"no_heads\": 3, \"no_qk_points\": 4, \"no_v_points\": 5,"
                            " \"seq_tfmr_num_layers\": 2, \"edge_transition\": \"on\"}",
                        NULL, NULL, FG_ERR_SHAPE, "t.trunk.edge_transition_1.initial_embed.weight");
    expect_create_error(su, "{\"use_flash_attn\": true}", NULL, NULL, FG_ERR_UNSUPPORTED, "use_flash_attn");
    expect_create_error(su, "{\"z_factor_rank\": 2}", NULL, NULL, FG_ERR_UNSUPPORTED, "z_factor_rank");
    expect_create_error(su, "{\"seq_tfmr_num_heads\": 5}", NULL, NULL, FG_ERR_CONFIG, "seq_tfmr_num_heads");
    expect_create_error(su, "{\"no_heads\": 4}", NULL, NULL, FG_ERR_SHAPE, "linear_q.weight");
    expect_create_error(su, "{\"num_heads\": 4}", NULL, NULL, FG_ERR_CONFIG, "num_heads");
    fg_error err = {0};
    small_trunk_set k;
    fx_ok(su, small_open(&k, SMALL_CFG, NULL, NULL, 1, &err) == FG_OK,
          "MultiFlow names (ipa_<i>.linear_q.weight, no .impl.) load: %s", err.msg);
    small_close(&k);
}

/* Forward-time errors: missing frame storage, NaN in the inputs. */
static void test_forward_errors(fx_suite *su)
{
    fg_error err = {0};
    small_trunk_set k;
    fg_status st = small_open(&k, SMALL_CFG, NULL, NULL, 0, &err);
    fg_ipa_trunk *t = st == FG_OK ? k.t : NULL;
    run_state x;
    state_init(&x, 1, 9);
    float *q = x.quats;
    x.quats = NULL;
    st = t ? run_trunk(t, &x, &k.ar, &err) : FG_ERR_INVALID;
    fx_ok(su, st == FG_ERR_INVALID && strstr(err.msg, "quats"), "no quaternion storage: %s", err.msg);
    x.quats = q;
    x.s[5] = NAN;
    st = t ? run_trunk(t, &x, &k.ar, &err) : FG_ERR_INVALID;
    fx_ok(su, st == FG_ERR_NUMERIC && strstr(err.msg, "ipa layer 0"), "NaN input: %s", err.msg);
    fx_ok(su, k.ar.in_use == 0, "scratch restored after errors");
    state_free(&x);
    small_close(&k);
}

/* configs/trunk_ipa.json: its stage reads through the type's fields and
 * spells out exactly the defaults; fg_linear is thread-count independent. */
static void test_config_and_linear(fx_suite *su)
{
    const fg_block_type *t = fg_block_type_find("ipa");
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/trunk_ipa.json", FG_SOURCE_DIR);
    cJSON *root = NULL;
    fg_error err = {0};
    if (fx_ok(su, fg_json_load_file(path, &root, &err) == FG_OK, "example config loads: %s", err.msg)) {
        const cJSON *stage = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "stages"), 0);
        static const char *const extra[] = {"type", "num_layers", NULL};
        void *p = calloc(1, t->params_size), *def = calloc(1, t->params_size);
        fg_fields_defaults(t->fields, t->n_fields, def);
        fg_status st = fg_json_read_fields(stage, "stages[0]", t->fields, t->n_fields, extra, p, &err);
        fx_ok(su, st == FG_OK && memcmp(p, def, t->params_size) == 0,
              "example stage reads and equals the defaults: %s", err.msg);
        free(p), free(def);
        cJSON_Delete(root);
    }
    const int64_t M = 300, K = 24, N = 72;
    fg_rng g;
    fg_rng_init(&g, 51, 0);
    float *x = rand_vec(&g, M * K, 1.0f), *W = rand_vec(&g, N * K, 1.0f), *b = rand_vec(&g, N, 1.0f);
    float *y1 = malloc((size_t)(M * N) * sizeof(float)), *y2 = malloc((size_t)(M * N) * sizeof(float));
    const int nth = fg_get_threads();
    fg_set_threads(1);
    fg_linear(y1, x, W, b, M, K, N);
    fg_set_threads(2);
    fg_linear(y2, x, W, b, M, K, N);
    fg_set_threads(nth);
    double md = 0.0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = b[j];
            for (int64_t k = 0; k < K; k++)
                acc += (double)x[i * K + k] * W[j * K + k];
            md = fmax(md, fabs(acc - y1[i * N + j]));
        }
    fx_ok(su, md < 1e-4 && same(y1, y2, M * N), "fg_linear: max |err| %.2e, 1 and 2 threads identical", md);
    free(x), free(W), free(b), free(y1), free(y2);
}

int main(void)
{
    fx_suite su = {"ipa_kernels", 0, 0};
    ipa_rand_dims d = SMALL;
    test_attention(&su, 2, 37, d);
    d = (ipa_rand_dims){.c_s = 32, .c_z = 16, .C = 16, .H = 4, .Pq = 8, .Pv = 12};
    test_attention(&su, 1, 150, d);
    d = SMALL;
    test_edge(&su, 2, 37, d, 1);
    test_edge(&su, 1, 29, d, 0);
    d.edge_layers = 1;
    test_edge(&su, 1, 20, d, 1);
    d.edge_layers = 3, d.dilation = 4;
    test_edge(&su, 2, 13, d, 1);
    test_threads(&su);
    test_errors(&su);
    test_forward_errors(&su);
    test_config_and_linear(&su);
    return fx_suite_finish(&su);
}
