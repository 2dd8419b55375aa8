/* NodeFeatureNet parity on both presets (batch 2, item 1 padded), config read
 * from the case's hyperparameters, missing-tensor and bad-input errors. */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/config_json.h"
#include "framegen/features.h"
#include "framegen/ops.h"

/* The case's hyperparameters (minus param_init) through the config reader. */
static int read_params(fx_case *c, fg_node_features_params *p)
{
    cJSON *hp = cJSON_Duplicate(fx_hparams(c), 1);
    cJSON_DeleteItemFromObjectCaseSensitive(hp, "param_init");
    fg_error err = {0};
    fg_status st = fg_node_features_read(hp, "hyperparameters", p, &err);
    cJSON_Delete(hp);
    return fx_expect(c, st == FG_OK, "hyperparameters read as node_features config (%s)", err.msg);
}

typedef struct inputs {
    fg_node_features_in in;
    void *owned[16];
    int n_owned;
} inputs;

static const float *keep_f(inputs *x, fx_case *c, const char *key)
{
    float *p = fx_f32(c, key);
    x->owned[x->n_owned++] = p;
    return p;
}

static const int64_t *keep_i(inputs *x, fx_case *c, const char *key)
{
    int64_t *p = fx_i64(c, key);
    x->owned[x->n_owned++] = p;
    return p;
}

static void load_inputs(inputs *x, fx_case *c)
{
    int64_t shape[4];
    memset(x, 0, sizeof *x);
    fx_shape(c, "input.res_mask", shape);
    x->in.B = (int)shape[0], x->in.N = (int)shape[1];
    x->in.so3_t = keep_f(x, c, "input.so3_t");
    x->in.r3_t = keep_f(x, c, "input.r3_t");
    x->in.cat_t = keep_f(x, c, "input.cat_t");
    x->in.res_mask = keep_f(x, c, "input.res_mask");
    x->in.diffuse_mask = keep_f(x, c, "input.diffuse_mask");
    x->in.chain_idx = keep_i(x, c, "input.chain_idx");
    x->in.res_idx = keep_i(x, c, "input.res_idx");
    x->in.aatypes = keep_i(x, c, "input.aatypes_t");
    x->in.aatypes_sc = keep_f(x, c, "input.aatypes_sc");
    x->in.torsions = keep_f(x, c, "input.torsions_t");
    x->in.structure_method = keep_i(x, c, "input.structure_method");
    x->in.hot_spots = keep_f(x, c, "input.hot_spots");
    x->in.trans_stoch = keep_f(x, c, "input.trans_stochasticity");
    x->in.rotmats_stoch = keep_f(x, c, "input.rotmats_stochasticity");
    x->in.torsions_stoch = keep_f(x, c, "input.torsions_stochasticity");
    x->in.aatypes_stoch = keep_f(x, c, "input.aatypes_stochasticity");
}

static void free_inputs(inputs *x)
{
    for (int i = 0; i < x->n_owned; i++)
        free(x->owned[i]);
}

static void check_errors(fx_case *c, const fg_node_features_params *p, const fg_node_features *nf,
                         inputs *x, fg_arena *a, float *out)
{
    fg_error err = {0};
    fg_node_features *bad = NULL;
    fg_status st = fg_node_features_create(p, fx_params(c), "node_feature_net.", &bad, &err);
    fx_expect(c, st == FG_ERR_SHAPE && strstr(err.msg, "node_feature_net.") && bad == NULL,
              "missing tensor under a wrong prefix -> \"%s\"", err.msg);
    fg_node_features_params q = *p;
    q.c_s = p->c_s + 1;
    st = fg_node_features_create(&q, fx_params(c), "", &bad, &err);
    fx_expect(c, st == FG_ERR_SHAPE && strstr(err.msg, "aatype_embedding.weight"),
              "wrong c_s -> \"%s\"", err.msg);
    q = *p;
    q.c_pos_emb = 33;
    st = fg_node_features_create(&q, fx_params(c), "", &bad, &err);
    fx_expect(c, st == FG_ERR_CONFIG && strstr(err.msg, "c_pos_emb"), "odd c_pos_emb -> \"%s\"", err.msg);

    int64_t *aa = (int64_t *)x->in.aatypes;
    int64_t saved = aa[3];
    aa[3] = FG_FEAT_NUM_AATYPES;
    st = fg_node_features_forward(nf, &x->in, out, a, &err);
    fx_expect(c, st == FG_ERR_INVALID && strstr(err.msg, "aatypes[3]"), "aatype out of range -> \"%s\"",
              err.msg);
    aa[3] = saved;
    fg_node_features_in in2 = x->in;
    in2.res_idx = NULL;
    st = fg_node_features_forward(nf, &in2, out, a, &err);
    fx_expect(c, st == FG_ERR_INVALID && strstr(err.msg, "res_idx"), "missing res_idx -> \"%s\"", err.msg);
}

static int run_case(const char *name)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    fg_node_features_params p;
    fg_node_features *nf = NULL;
    fg_error err = {0};
    if (!read_params(&c, &p) || !fx_params(&c))
        return fx_finish(&c);
    fg_status st = fg_node_features_create(&p, fx_params(&c), "", &nf, &err);
    if (!fx_expect(&c, st == FG_OK, "create (%s)", err.msg))
        return fx_finish(&c);
    inputs x;
    load_inputs(&x, &c);
    const int64_t n = (int64_t)x.in.B * x.in.N * p.c_s;
    float *out = malloc((size_t)n * sizeof *out); /* [B,N,c_s] */
    fg_arena a;
    fg_arena_init(&a, 0);
    st = fg_node_features_forward(nf, &x.in, out, &a, &err);
    if (fx_expect(&c, st == FG_OK, "forward (%s)", err.msg))
        fx_check(&c, "output.node_embed", out, n);
    fx_expect(&c, a.in_use == 0, "scratch restored");
    check_errors(&c, &p, nf, &x, &a, out);
    fg_arena_free(&a);
    free(out);
    free_inputs(&x);
    fg_node_features_destroy(nf);
    return fx_finish(&c);
}

int main(void)
{
    int rc = run_case("node_features_public");
    rc |= run_case("node_features_default");
    return rc;
}
