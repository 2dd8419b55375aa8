/* EdgeFeatureNet parity on both presets (batch 2, item 1 padded) for the
 * optimised forward and its reference twin; the two compared on random inputs
 * at a larger N (every distogram bin, interior contact values, padding, no
 * trans_sc); results independent of the thread count; error messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/config_json.h"
#include "framegen/features.h"
#include "framegen/ops.h"
#include "framegen/rng.h"
#include "trunk/edge_features_impl.h"

static int read_params(fx_case *c, fg_edge_features_params *p)
{
    cJSON *hp = cJSON_Duplicate(fx_hparams(c), 1);
    cJSON_DeleteItemFromObjectCaseSensitive(hp, "param_init");
    fg_error err = {0};
    fg_status st = fg_edge_features_read(hp, "hyperparameters", p, &err);
    cJSON_Delete(hp);
    return fx_expect(c, st == FG_OK, "hyperparameters read as edge_features config (%s)", err.msg);
}

typedef struct inputs {
    fg_edge_features_in in;
    float *f[7];
    int64_t *chain;
} inputs;

static void load_inputs(inputs *x, fx_case *c, int with_contact)
{
    int64_t shape[4];
    memset(x, 0, sizeof *x);
    fx_shape(c, "input.node_embed", shape);
    x->in.B = (int)shape[0], x->in.N = (int)shape[1];
    x->in.node_embed = x->f[0] = fx_f32(c, "input.node_embed");
    x->in.trans = x->f[1] = fx_f32(c, "input.trans");
    x->in.trans_sc = x->f[2] = fx_f32(c, "input.trans_sc");
    x->in.edge_mask = x->f[3] = fx_f32(c, "input.edge_mask");
    x->in.diffuse_mask = x->f[4] = fx_f32(c, "input.diffuse_mask");
    x->in.chain_idx = x->chain = fx_i64(c, "input.chain_index");
    if (with_contact)
        x->in.contact = x->f[5] = fx_f32(c, "input.contact_conditioning");
}

static void free_inputs(inputs *x)
{
    for (int i = 0; i < 7; i++)
        free(x->f[i]);
    free(x->chain);
}

/* Random inputs for B items of N residues: item 1 padded after n1 residues,
 * CA positions spread so that distances cover every bin, contacts in and out
 * of the (dist_min, dist_max) window. Buffers are malloc'd into x. */
static void random_inputs(inputs *x, int B, int N, int n1, int c_s, int no_sc)
{
    fg_rng r;
    fg_rng_init(&r, 99, 7);
    memset(x, 0, sizeof *x);
    x->in.B = B, x->in.N = N;
    const int64_t BN = (int64_t)B * N;
    float *ne = x->f[0] = malloc((size_t)(BN * c_s) * sizeof *ne);
    float *tr = x->f[1] = malloc((size_t)(BN * 3) * sizeof *tr);
    float *sc = x->f[2] = malloc((size_t)(BN * 3) * sizeof *sc);
    float *em = x->f[3] = malloc((size_t)(BN * N) * sizeof *em);
    float *dm = x->f[4] = malloc((size_t)BN * sizeof *dm);
    float *ct = x->f[5] = malloc((size_t)(BN * N) * sizeof *ct);
    int64_t *ch = x->chain = malloc((size_t)BN * sizeof *ch);
    for (int64_t k = 0; k < BN * c_s; k++)
        ne[k] = (float)fg_rng_normal(&r);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++) {
            const int64_t q = (int64_t)b * N + i;
            const int valid = b == 0 || i < n1;
            for (int k = 0; k < 3; k++) {
                tr[q * 3 + k] = valid ? (float)(8.0 * fg_rng_normal(&r)) : 0.0f;
                sc[q * 3 + k] = valid ? (float)(8.0 * fg_rng_normal(&r)) : 0.0f;
            }
            dm[q] = valid ? (float)(fg_rng_uniform(&r) < 0.7) : 0.0f;
            ch[q] = valid ? 1 + (i >= N / 2) : 0;
        }
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                const int64_t q = ((int64_t)b * N + i) * N + j;
                const int vi = b == 0 || i < n1, vj = b == 0 || j < n1;
                em[q] = (float)(vi && vj);
                const double u = fg_rng_uniform(&r);
                ct[q] = u < 0.5 ? 0.0f : (float)(30.0 * fg_rng_uniform(&r)); /* some < 4, some > 20 */
            }
    x->in.node_embed = ne, x->in.trans = tr, x->in.trans_sc = no_sc ? NULL : sc, x->in.edge_mask = em;
    x->in.diffuse_mask = dm, x->in.chain_idx = ch, x->in.contact = ct;
}

static double max_abs_diff(const float *a, const float *b, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* Optimised forward vs the reference twin on random inputs, within the case's tolerance,
 * and bit-identical across thread counts. */
static void check_twin(fx_case *c, const fg_edge_features *e, const fg_edge_features_params *p, int no_sc)
{
    double atol, rtol;
    if (!fx_tolerance(c, "output.edge_embed", &atol, &rtol))
        return;
    const int B = 2, N = 37;
    inputs x;
    random_inputs(&x, B, N, 23, p->c_s, no_sc);
    const int64_t n = (int64_t)B * N * N * p->c_p;
    float *got = malloc((size_t)n * sizeof *got), *ref = malloc((size_t)n * sizeof *ref);
    float *one = malloc((size_t)n * sizeof *one);
    fg_arena a;
    fg_arena_init(&a, 0);
    fg_error err = {0};
    const int threads = fg_get_threads();
    fg_status st = fg_edge_features_forward(e, &x.in, got, &a, &err);
    fg_status st_ref = fg_edge_features_forward_ref(e, &x.in, ref, &err);
    fg_set_threads(1);
    fg_status st_one = fg_edge_features_forward(e, &x.in, one, &a, &err);
    fg_set_threads(threads > 1 ? threads : 3);
    fg_status st_many = fg_edge_features_forward(e, &x.in, got, &a, &err);
    fg_set_threads(threads);
    if (fx_expect(c, st == FG_OK && st_ref == FG_OK && st_one == FG_OK && st_many == FG_OK,
                  "random inputs run (%s)", err.msg)) {
        char label[96];
        snprintf(label, sizeof label, "optimised vs reference twin, N=%d%s", N, no_sc ? ", no trans_sc" : "");
        fx_check_with(c, label, got, ref, n, atol, rtol);
        fx_expect(c, memcmp(got, one, (size_t)n * sizeof *got) == 0,
                  "same bits with 1 and %d threads (max diff %.1e)", threads > 1 ? threads : 3,
                  max_abs_diff(got, one, n));
    }
    fg_arena_free(&a);
    free(got), free(ref), free(one);
    free_inputs(&x);
}

static void check_errors(fx_case *c, const fg_edge_features_params *p, const fg_edge_features *e,
                         inputs *x, fg_arena *a, float *out)
{
    fg_error err = {0};
    fg_edge_features *bad = NULL;
    fg_status st = fg_edge_features_create(p, fx_params(c), "edge_feature_net.", &bad, &err);
    fx_expect(c, st == FG_ERR_SHAPE && strstr(err.msg, "edge_feature_net.linear_s_p.weight") && !bad,
              "missing tensor under a wrong prefix -> \"%s\"", err.msg);
    fg_edge_features_params q = *p;
    q.embed_chain = !p->embed_chain;
    st = fg_edge_features_create(&q, fx_params(c), "", &bad, &err);
    fx_expect(c, st == FG_ERR_SHAPE && strstr(err.msg, "edge_embedder.0.weight"),
              "feature switch inconsistent with the weights -> \"%s\"", err.msg);
    fg_edge_features_in in2 = x->in;
    in2.edge_mask = NULL;
    st = fg_edge_features_forward(e, &in2, out, a, &err);
    fx_expect(c, st == FG_ERR_INVALID && strstr(err.msg, "edge_mask"), "missing edge_mask -> \"%s\"", err.msg);
    float *tr = (float *)x->in.trans;
    const float saved = tr[4];
    tr[4] = NAN;
    st = fg_edge_features_forward(e, &x->in, out, a, &err);
    fx_expect(c, st == FG_ERR_NUMERIC && strstr(err.msg, "trans"), "NaN translation -> \"%s\"", err.msg);
    tr[4] = saved;
}

static int run_case(const char *name)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    fg_edge_features_params p;
    fg_edge_features *e = NULL;
    fg_error err = {0};
    if (!read_params(&c, &p) || !fx_params(&c))
        return fx_finish(&c);
    fg_status st = fg_edge_features_create(&p, fx_params(&c), "", &e, &err);
    if (!fx_expect(&c, st == FG_OK, "create (%s)", err.msg))
        return fx_finish(&c);
    inputs x;
    load_inputs(&x, &c, p.contact_conditioning.enabled);
    const int64_t n = (int64_t)x.in.B * x.in.N * x.in.N * p.c_p;
    float *out = malloc((size_t)n * sizeof *out); /* [B,N,N,c_p] */
    fg_arena a;
    fg_arena_init(&a, 0);
    st = fg_edge_features_forward(e, &x.in, out, &a, &err);
    if (fx_expect(&c, st == FG_OK, "forward (%s)", err.msg))
        fx_check(&c, "output.edge_embed", out, n);
    fx_expect(&c, a.in_use == 0, "scratch restored");
    st = fg_edge_features_forward_ref(e, &x.in, out, &err);
    if (fx_expect(&c, st == FG_OK, "reference forward (%s)", err.msg))
        fx_check(&c, "output.edge_embed", out, n);
    check_twin(&c, e, &p, 0);
    check_twin(&c, e, &p, 1);
    check_errors(&c, &p, e, &x, &a, out);
    fg_arena_free(&a);
    free(out);
    free_inputs(&x);
    fg_edge_features_destroy(e);
    return fx_finish(&c);
}

int main(void)
{
    int rc = run_case("edge_features_public");
    rc |= run_case("edge_features_default");
    return rc;
}
