/* Config of the feature nets: the default model's model.node_features and
 * model.edge_features sections (copied into tests/data) parse with every key
 * accepted and checked against hyper_params; defaults; errors that name the
 * key. When the shared default model is present its weights must load under
 * "node_feature_net." / "edge_feature_net." and a forward must give finite values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/config_json.h"
#include "framegen/embed.h"
#include "framegen/features.h"

static const cJSON *section(const cJSON *root, const char *a, const char *b)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, a);
    return m ? cJSON_GetObjectItemCaseSensitive(m, b) : NULL;
}

static int hp_int(const cJSON *root, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(section(root, "model", "hyper_params"), key);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static void check_default_model(fx_suite *s, const cJSON *root, fg_node_features_params *np,
                                 fg_edge_features_params *ep)
{
    fg_error err = {0};
    fg_status st = fg_node_features_read(section(root, "model", "node_features"), "model.node_features", np, &err);
    fx_ok(s, st == FG_OK, "model.node_features parses (%s)", err.msg);
    fx_ok(s, np->c_s == 128 && np->c_pos_emb == 128 && np->c_timestep_emb == 128 &&
              np->aatype_pred_num_tokens == 21 && np->pos_embed_method == FG_POS_EMBED_SINE_COSINE &&
              np->pos_embed_max_len == 2056 && !np->embed_chain && np->embed_aatype && !np->embed_torsions &&
              !np->embed_structural_method && !np->embed_stochasticity_scales && !np->embed_hotspots &&
              np->use_mlp,
          "node_features values");
    st = fg_edge_features_read(section(root, "model", "edge_features"), "model.edge_features", ep, &err);
    fx_ok(s, st == FG_OK, "model.edge_features parses (%s)", err.msg);
    const fg_contact_conditioning_params *cc = &ep->contact_conditioning;
    fx_ok(s, ep->c_s == 128 && ep->c_p == 64 && ep->feat_dim == 64 && ep->num_bins == 22 &&
              ep->pos_embed_method == FG_POS_EMBED_SINE_COSINE && ep->pos_embed_max_len == 2056 &&
              ep->embed_self_condition && !ep->embed_chain && ep->embed_diffuse_mask && !cc->enabled &&
              cc->pair_dim == 64 && cc->fourier_dim == 16 && cc->dist_min == 4.0 && cc->dist_max == 20.0,
          "edge_features values");
    const int c_s = hp_int(root, "node_embed_size"), c_z = hp_int(root, "edge_embed_size");
    st = fg_features_check_dims(np, ep, c_s, c_z, "model", &err);
    fx_ok(s, st == FG_OK, "widths agree with hyper_params (%d, %d) (%s)", c_s, c_z, err.msg);
    st = fg_features_check_dims(np, ep, c_s, c_z + 1, "model", &err);
    fx_ok(s, st == FG_ERR_CONFIG && strstr(err.msg, "model.edge_features.c_p: 64 does not match"),
          "edge width mismatch -> \"%s\"", err.msg);
    st = fg_features_check_dims(np, ep, c_s + 2, c_z, "model", &err);
    fx_ok(s, st == FG_ERR_CONFIG && strstr(err.msg, "model.node_features.c_s: 128 does not match"),
          "node width mismatch -> \"%s\"", err.msg);
}

/* Reads json with the node (edge = 0) or edge (edge = 1) reader; expects a config error containing needle. */
static void expect_error(fx_suite *s, int edge, const char *json, const char *needle)
{
    fg_node_features_params np;
    fg_edge_features_params ep;
    fg_error err = {0};
    cJSON *o = cJSON_Parse(json);
    fg_status st = edge ? fg_edge_features_read(o, "model.edge_features", &ep, &err)
                        : fg_node_features_read(o, "model.node_features", &np, &err);
    cJSON_Delete(o);
    fx_ok(s, st == FG_ERR_CONFIG && strstr(err.msg, needle), "%s -> \"%s\"", json, err.msg);
}

static void check_defaults_and_errors(fx_suite *s)
{
    fg_node_features_params np;
    fg_edge_features_params ep;
    fg_node_features_defaults(&np);
    fg_edge_features_defaults(&ep);
    fx_ok(s, np.c_s == 256 && np.pos_embed_method == FG_POS_EMBED_ROTARY && np.pos_embed_max_len == 2048 &&
              np.embed_chain && np.embed_hotspots && fg_node_features_in_dim(&np) == 128 + 1 + 256 + 256 + 128 +
              21 + 4 * 128 + 1,
          "node defaults (upstream default preset), in_dim %d", fg_node_features_in_dim(&np));
    fx_ok(s, ep.c_p == 128 && ep.feat_dim == 64 && ep.contact_conditioning.enabled &&
              ep.contact_conditioning.pair_dim == 128 && fg_edge_features_in_dim(&ep) == 3 * 64 + 44 + 1 + 2,
          "edge defaults, in_dim %d", fg_edge_features_in_dim(&ep));
    expect_error(s, 0, "{\"c_pos_embb\": 8}", "model.node_features.c_pos_embb: unknown key");
    expect_error(s, 0, "{\"c_pos_emb\": 31}", "model.node_features.c_pos_emb: must be even");
    expect_error(s, 0, "{\"pos_embed_method\": \"learned\"}", "model.node_features.pos_embed_method: unknown value");
    expect_error(s, 0, "{\"c_timestep_emb\": 2}", "model.node_features.c_timestep_emb: 2 is out of range");
    expect_error(s, 1, "{\"feat_dim\": 15}", "model.edge_features.feat_dim: must be even");
    expect_error(s, 1, "{\"c_p\": 32, \"contact_conditioning\": {\"enabled\": true, \"pair_dim\": 64}}",
                 "model.edge_features.contact_conditioning.pair_dim: 64 does not match c_p 32");
    expect_error(s, 1, "{\"contact_conditioning\": {\"enabeld\": true}}",
                 "model.edge_features.contact_conditioning.enabeld: unknown key");
    expect_error(s, 1, "{\"contact_conditioning\": {\"dist_min\": 20, \"dist_max\": 4}}",
                 "dist_max 4 must exceed dist_min 20");
    expect_error(s, 1, "{\"num_bins\": 1}", "model.edge_features.num_bins: 1 is out of range");
}

/* The shared default model's weights under the FlowModel prefixes. */
static void check_shared_weights(fx_suite *s, const fg_node_features_params *np, const fg_edge_features_params *ep)
{
    const char *dir = fx_shared_dir();
    char path[2048];
    snprintf(path, sizeof path, "%s/models/default/weights.safetensors", dir ? dir : "");
    FILE *f = dir ? fopen(path, "rb") : NULL;
    if (!f) {
        printf("  SKIP default-model weights (not found: %s); not counted\n", path);
        return;
    }
    fclose(f);
    fg_error err = {0};
    fg_weights *w = NULL;
    fg_node_features *nf = NULL;
    fg_edge_features *ef = NULL;
    fg_status st = fg_weights_open(path, NULL, &w, &err);
    if (st == FG_OK)
        st = fg_node_features_create(np, w, "node_feature_net.", &nf, &err);
    if (st == FG_OK)
        st = fg_edge_features_create(ep, w, "edge_feature_net.", &ef, &err);
    fx_ok(s, st == FG_OK, "default model: feature nets load from %s (%s)", path, err.msg);
    if (st == FG_OK) {
        enum { B = 1, N = 20 };
        float t[B] = {0.3f}, mask[B * N], sc[B * N * 21], trans[B * N * 3], em[B * N * N];
        int64_t idx[B * N], aa[B * N], ch[B * N];
        for (int i = 0; i < N; i++) {
            mask[i] = 1.0f, idx[i] = i + 1, aa[i] = 20, ch[i] = 1;
            for (int k = 0; k < 3; k++)
                trans[i * 3 + k] = 3.8f * (float)i * (k == 0 ? 1.0f : 0.1f * (float)k);
        }
        memset(sc, 0, sizeof sc);
        for (int k = 0; k < N * N; k++)
            em[k] = 1.0f;
        fg_node_features_in nin = {.B = B, .N = N, .so3_t = t, .r3_t = t, .cat_t = t, .res_mask = mask,
                                   .diffuse_mask = mask, .chain_idx = ch, .res_idx = idx, .aatypes = aa,
                                   .aatypes_sc = sc};
        float *node = malloc(sizeof(float) * B * N * (size_t)np->c_s);
        float *edge = malloc(sizeof(float) * B * N * N * (size_t)ep->c_p);
        fg_arena a;
        fg_arena_init(&a, 0);
        st = fg_node_features_forward(nf, &nin, node, &a, &err);
        fg_edge_features_in ein = {.B = B, .N = N, .node_embed = node, .trans = trans, .edge_mask = em,
                                   .diffuse_mask = mask, .chain_idx = ch};
        if (st == FG_OK)
            st = fg_edge_features_forward(ef, &ein, edge, &a, &err);
        int finite = st == FG_OK;
        for (int k = 0; finite && k < B * N * N * ep->c_p; k++)
            finite = isfinite(edge[k]) && (k >= B * N * np->c_s || isfinite(node[k]));
        fx_ok(s, finite, "default model: forward gives finite node/edge features (%s)", err.msg);
        fg_arena_free(&a);
        free(node), free(edge);
    }
    fg_node_features_destroy(nf);
    fg_edge_features_destroy(ef);
    fg_weights_free(w);
}

int main(void)
{
    fx_suite s = {"features_config", 0, 0};
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/default_model_features.json", FG_SOURCE_DIR);
    cJSON *root = NULL;
    fg_error err = {0};
    fg_node_features_params np;
    fg_edge_features_params ep;
    if (fx_ok(&s, fg_json_load_file(path, &root, &err) == FG_OK, "load %s (%s)", path, err.msg)) {
        check_default_model(&s, root, &np, &ep);
        check_shared_weights(&s, &np, &ep);
    }
    cJSON_Delete(root);
    check_defaults_and_errors(&s);
    return fx_suite_finish(&s);
}
