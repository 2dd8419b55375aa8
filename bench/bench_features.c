/* Node and edge feature nets at production sizes (c_s 256, c_p 128,
 * feat_dim 64, c_pos_emb = c_timestep_emb = 128) over lengths N, random
 * weights. One JSON line per (net, N): median ms, GFLOP/s, peak RSS.
 *   bench_features [--threads T] [--batch B] [--preset public|default] [--lengths 64,128,256,512]
 * "public" = the public preset's switches (sine_cosine, no chain/torsion/...,
 * no contact conditioning); "default" = every switch on, with a contact map in
 * which a tenth of the pairs lie inside the (4, 20) Angstrom window. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "framegen/embed.h"
#include "framegen/features.h"
#include "framegen/ops.h"

static unsigned g_seed = 1;

static void add(fg_weights *w, const char *prefix, const char *name, int64_t d0, int64_t d1)
{
    char full[256];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    const int64_t shape[2] = {d0, d1};
    const int64_t n = d0 * (d1 > 0 ? d1 : 1);
    float *x = malloc((size_t)n * sizeof *x);
    fgb_fill(x, (size_t)n, g_seed++);
    const float s = d1 > 0 ? 1.0f / sqrtf((float)d1) : 0.1f; /* ~N(0, 1/fan_in) scale */
    for (int64_t i = 0; i < n; i++)
        x[i] *= s;
    fg_error err;
    fg_weights_add(w, full, d1 > 0 ? 2 : 1, shape, x, &err);
    free(x);
}

static void add_linear(fg_weights *w, const char *prefix, const char *name, int64_t out, int64_t in)
{
    char n[128];
    snprintf(n, sizeof n, "%s.weight", name), add(w, prefix, n, out, in);
    snprintf(n, sizeof n, "%s.bias", name), add(w, prefix, n, out, 0);
}

static void node_weights(fg_weights *w, const fg_node_features_params *p)
{
    const char *pre = "node_feature_net.";
    const int cs = p->c_s, cp = p->c_pos_emb;
    add(w, pre, "aatype_embedding.weight", FG_FEAT_NUM_AATYPES, cs);
    add_linear(w, pre, "torsion_embedding", cp, 14);
    add(w, pre, "structural_method_embedding.weight", FG_FEAT_NUM_STRUCTURE_METHODS, cp);
    add_linear(w, pre, "stoch_embed", cp, 4);
    add_linear(w, pre, "linear.0", cs, fg_node_features_in_dim(p));
    add_linear(w, pre, "linear.2", cs, cs);
    add_linear(w, pre, "linear.4", cs, cs);
    add_linear(w, pre, "linear.5", cs, 0);
}

static void edge_weights(fg_weights *w, const fg_edge_features_params *p)
{
    const char *pre = "edge_feature_net.";
    const int F = p->feat_dim, cp = p->c_p, fd = p->contact_conditioning.fourier_dim;
    add_linear(w, pre, "linear_s_p", F, p->c_s);
    add_linear(w, pre, "linear_relpos", F, F);
    add_linear(w, pre, "edge_embedder.0", cp, fg_edge_features_in_dim(p));
    add_linear(w, pre, "edge_embedder.2", cp, cp);
    add_linear(w, pre, "edge_embedder.4", cp, cp);
    add_linear(w, pre, "edge_embedder.5", cp, 0);
    add_linear(w, pre, "contact_conditioning.fourier.proj", fd, 1);
    add_linear(w, pre, "contact_conditioning.encoder", cp, fd);
    add_linear(w, pre, "contact_conditioning.layer_norm", cp, 0);
}

typedef struct run_ctx {
    const fg_node_features *nf;
    const fg_edge_features *ef;
    fg_node_features_in nin;
    fg_edge_features_in ein;
    float *node, *edge;
    fg_arena *arena;
} run_ctx;

static void run_node(void *p)
{
    run_ctx *c = p;
    fg_error err;
    if (fg_node_features_forward(c->nf, &c->nin, c->node, c->arena, &err) != FG_OK)
        fprintf(stderr, "node features: %s\n", err.msg), exit(1);
}

static void run_edge(void *p)
{
    run_ctx *c = p;
    fg_error err;
    if (fg_edge_features_forward(c->ef, &c->ein, c->edge, c->arena, &err) != FG_OK)
        fprintf(stderr, "edge features: %s\n", err.msg), exit(1);
}

/* Inputs of B items of N residues: a helix-like CA trace, all residues valid. */
static void make_inputs(run_ctx *c, int B, int N, const fg_node_features_params *np, const fg_edge_features_params *ep,
                        int with_contact)
{
    const int64_t BN = (int64_t)B * N, BNN = BN * N;
    float *t = malloc((size_t)B * sizeof *t), *mask = malloc((size_t)BN * sizeof *mask);
    float *sc = calloc((size_t)(BN * np->aatype_pred_num_tokens), sizeof *sc);
    float *tors = malloc((size_t)BN * 14 * sizeof *tors), *trans = malloc((size_t)BN * 3 * sizeof *trans);
    float *em = malloc((size_t)BNN * sizeof *em), *ct = malloc((size_t)BNN * sizeof *ct);
    int64_t *idx = malloc((size_t)BN * sizeof *idx), *aa = malloc((size_t)BN * sizeof *aa);
    int64_t *ch = malloc((size_t)BN * sizeof *ch), *sm = calloc((size_t)B, sizeof *sm);
    fgb_fill(tors, (size_t)BN * 14, 77);
    for (int b = 0; b < B; b++) {
        t[b] = 0.5f;
        for (int i = 0; i < N; i++) {
            const int64_t r = (int64_t)b * N + i;
            mask[r] = 1.0f, idx[r] = i + 1, aa[r] = (b + i) % 21, ch[r] = 1 + (i >= N / 2);
            trans[r * 3 + 0] = 2.3f * cosf(1.75f * (float)i);
            trans[r * 3 + 1] = 2.3f * sinf(1.75f * (float)i);
            trans[r * 3 + 2] = 1.5f * (float)i;
        }
    }
    for (int64_t q = 0; q < BNN; q++) {
        em[q] = 1.0f;
        ct[q] = q % 10 == 0 ? 4.0f + 16.0f * (float)(q % 97) / 97.0f : 0.0f;
    }
    c->nin = (fg_node_features_in){.B = B, .N = N, .so3_t = t, .r3_t = t, .cat_t = t, .res_mask = mask,
                                   .diffuse_mask = mask, .chain_idx = ch, .res_idx = idx, .aatypes = aa,
                                   .aatypes_sc = sc, .torsions = tors, .structure_method = sm, .hot_spots = mask,
                                   .trans_stoch = t, .rotmats_stoch = t, .torsions_stoch = t, .aatypes_stoch = t};
    c->node = malloc((size_t)BN * np->c_s * sizeof *c->node);
    c->edge = malloc((size_t)BNN * ep->c_p * sizeof *c->edge);
    c->ein = (fg_edge_features_in){.B = B, .N = N, .node_embed = c->node, .trans = trans, .trans_sc = trans,
                                   .edge_mask = em, .diffuse_mask = mask, .chain_idx = ch,
                                   .contact = with_contact ? ct : NULL};
}

static void free_inputs(run_ctx *c)
{
    free((void *)c->nin.so3_t), free((void *)c->nin.res_mask), free((void *)c->nin.aatypes_sc);
    free((void *)c->nin.torsions), free((void *)c->ein.trans), free((void *)c->ein.edge_mask);
    free((void *)c->nin.res_idx), free((void *)c->nin.aatypes), free((void *)c->nin.chain_idx);
    free((void *)c->nin.structure_method);
    if (c->ein.contact)
        free((void *)c->ein.contact);
    free(c->node), free(c->edge);
}

static void presets(const char *preset, fg_node_features_params *np, fg_edge_features_params *ep)
{
    fg_node_features_defaults(np);
    fg_edge_features_defaults(ep);
    np->c_s = ep->c_s = 256, np->c_pos_emb = np->c_timestep_emb = 128;
    ep->c_p = ep->contact_conditioning.pair_dim = 128, ep->feat_dim = 64;
    if (strcmp(preset, "public") == 0) {
        np->pos_embed_method = ep->pos_embed_method = FG_POS_EMBED_SINE_COSINE;
        np->pos_embed_max_len = ep->pos_embed_max_len = 2056;
        np->embed_chain = np->embed_torsions = np->embed_structural_method = false;
        np->embed_stochasticity_scales = np->embed_hotspots = false;
        ep->embed_chain = false, ep->contact_conditioning.enabled = false;
    }
}

int main(int argc, char **argv)
{
    int threads = 0, B = 1;
    const char *preset = "public", *lengths = "64,128,256,512";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) B = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--preset")) preset = argv[i + 1];
        else if (!strcmp(argv[i], "--lengths")) lengths = argv[i + 1];
        else return fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    if (strcmp(preset, "public") && strcmp(preset, "default"))
        return fprintf(stderr, "--preset must be public or default\n"), 2;
    fg_set_threads(threads);
    fg_node_features_params np;
    fg_edge_features_params ep;
    presets(preset, &np, &ep);
    fg_weights *w = NULL;
    fg_node_features *nf = NULL;
    fg_edge_features *ef = NULL;
    fg_error err;
    if (fg_weights_create(&w, &err) != FG_OK)
        return fprintf(stderr, "%s\n", err.msg), 1;
    node_weights(w, &np);
    edge_weights(w, &ep);
    if (fg_node_features_create(&np, w, "node_feature_net.", &nf, &err) != FG_OK ||
        fg_edge_features_create(&ep, w, "edge_feature_net.", &ef, &err) != FG_OK)
        return fprintf(stderr, "%s\n", err.msg), 1;
    fg_arena arena;
    fg_arena_init(&arena, 0);
    for (const char *s = lengths; *s;) {
        const int N = atoi(s);
        run_ctx c = {.nf = nf, .ef = ef, .arena = &arena};
        make_inputs(&c, B, N, &np, &ep, !strcmp(preset, "default"));
        const char *names[2] = {"node_features", "edge_features"};
        void (*fns[2])(void *) = {run_node, run_edge};
        const double flops[2] = {fg_node_features_flops(nf, B, N), fg_edge_features_flops(ef, B, N)};
        for (int k = 0; k < 2; k++) {
            int reps = 0;
            const double sec = fgb_time(fns[k], &c, 2, 5, 200, 1.0, &reps);
            printf("{\"bench\": \"%s\", \"preset\": \"%s\", \"B\": %d, \"N\": %d, \"threads\": %d, "
                   "\"reps\": %d, \"median_ms\": %.3f, \"gflops\": %.2f, \"peak_rss_mb\": %.1f}\n",
                   names[k], preset, B, N, fg_get_threads(), reps, 1e3 * sec, flops[k] / sec * 1e-9,
                   fgb_peak_rss_mb());
            fflush(stdout);
        }
        free_inputs(&c);
        while (*s && *s != ',')
            s++;
        if (*s == ',')
            s++;
    }
    fg_arena_free(&arena);
    fg_node_features_destroy(nf);
    fg_edge_features_destroy(ef);
    fg_weights_free(w);
    return 0;
}
