/* Random checkpoints of IPA trunk blocks under their upstream names, for the
 * kernel tests and the benchmark (header-only; included by tests/test_ipa_kernels.c
 * and bench/bench_ipa.c). Same rule as the fixtures: >=2-D weights
 * N(0, 1/fan_in), biases N(0, 0.1^2), LayerNorm gains 1 + N(0, 0.1^2),
 * head_weights N(0, 0.5^2). One tensor may be left out (`skip`) or given a
 * wrong first dimension (`bad`) to test error messages. */
#ifndef FG_TESTS_IPA_RANDOM_H
#define FG_TESTS_IPA_RANDOM_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/rigid.h"
#include "framegen/rng.h"
#include "framegen/weights.h"

typedef struct ipa_rand_dims {
    int c_s, c_z, C, H, Pq, Pv;
    int seq_layers;
    int edge_layers;  /* Linear+ReLU layers of the edge transition; 0 = block without one */
    int dilation;
} ipa_rand_dims;

typedef struct ipa_rand {
    fg_weights *w;
    fg_rng rng;
    const char *skip, *bad;  /* full names, or NULL */
    int multiflow_names;     /* IPA tensors as "ipa_<i>.<name>" (no ".impl." level) */
    fg_status st;
    fg_error *err;
} ipa_rand;

enum { IR_W, IR_BIAS, IR_GAIN, IR_HEADW };

static void ipa_rand_tensor(ipa_rand *r, int kind, int64_t d0, int64_t d1, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void ipa_rand_tensor(ipa_rand *r, int kind, int64_t d0, int64_t d1, const char *fmt, ...)
{
    char name[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    if (r->st != FG_OK || (r->skip && strcmp(name, r->skip) == 0))
        return;
    const int64_t n = kind == IR_W ? d0 * d1 : d0;
    float *v = malloc((size_t)n * sizeof(float));
    fg_rng_normals(&r->rng, v, n);
    const float sd = kind == IR_W ? 1.0f / sqrtf((float)d1) : kind == IR_HEADW ? 0.5f : 0.1f;
    for (int64_t i = 0; i < n; i++)
        v[i] = (kind == IR_GAIN ? 1.0f : 0.0f) + sd * v[i];
    int64_t shape[2] = {d0, d1};
    if (r->bad && strcmp(name, r->bad) == 0) {
        const int64_t extra = kind == IR_W ? d1 : 1;
        shape[0] = d0 + 1, v = realloc(v, (size_t)(n + extra) * sizeof(float));
        memset(v + n, 0, (size_t)extra * sizeof(float));
    }
    r->st = fg_weights_add(r->w, name, kind == IR_W ? 2 : 1, shape, v, r->err);
    free(v);
}

static void ipa_rand_linear(ipa_rand *r, int out, int in, const char *name)
{
    ipa_rand_tensor(r, IR_W, out, in, "%s.weight", name);
    ipa_rand_tensor(r, IR_BIAS, out, 0, "%s.bias", name);
}

static void ipa_rand_ln(ipa_rand *r, int c, const char *name)
{
    ipa_rand_tensor(r, IR_GAIN, c, 0, "%s.weight", name);
    ipa_rand_tensor(r, IR_BIAS, c, 0, "%s.bias", name);
}

/* The IPA module alone under prefix (e.g. "" or "trunk.ipa_0.impl."). */
static void ipa_rand_attention(ipa_rand *r, const char *prefix, const ipa_rand_dims *d)
{
    char n[512];
    const int hc = d->H * d->C, F = d->H * (d->C + 4 * d->Pv + d->c_z / 4);
#define IRN(s) (snprintf(n, sizeof n, "%s%s", prefix, s), n)
    ipa_rand_linear(r, hc, d->c_s, IRN("linear_q"));
    ipa_rand_linear(r, 2 * hc, d->c_s, IRN("linear_kv"));
    ipa_rand_linear(r, 3 * d->H * d->Pq, d->c_s, IRN("linear_q_points"));
    ipa_rand_linear(r, 3 * d->H * (d->Pq + d->Pv), d->c_s, IRN("linear_kv_points"));
    ipa_rand_linear(r, d->H, d->c_z, IRN("linear_b"));
    ipa_rand_linear(r, d->c_z / 4, d->c_z, IRN("down_z"));
    ipa_rand_tensor(r, IR_HEADW, d->H, 0, "%shead_weights", prefix);
    ipa_rand_linear(r, d->c_s, F, IRN("linear_out"));
#undef IRN
}

/* The edge transition under prefix (e.g. "trunk.edge_transition_0."). */
static void ipa_rand_edge(ipa_rand *r, const char *prefix, const ipa_rand_dims *d)
{
    char n[512];
    const int dn = d->c_s / d->dilation, hid = d->c_z + 2 * dn;
    snprintf(n, sizeof n, "%sinitial_embed", prefix);
    ipa_rand_linear(r, dn, d->c_s, n);
    for (int k = 0; k < d->edge_layers; k++) {
        snprintf(n, sizeof n, "%strunk.%d", prefix, 2 * k);
        ipa_rand_linear(r, hid, hid, n);
    }
    snprintf(n, sizeof n, "%sfinal_layer", prefix);
    ipa_rand_linear(r, d->c_z, hid, n);
    snprintf(n, sizeof n, "%slayer_norm", prefix);
    ipa_rand_ln(r, d->c_z, n);
}

/* Block `layer` of a trunk whose blocks live under prefix (e.g. "trunk."). */
static void ipa_rand_block(ipa_rand *r, const char *prefix, int layer, const ipa_rand_dims *d)
{
    char n[256];
    const int c = d->c_s;
    snprintf(n, sizeof n, "%sipa_%d.%s", prefix, layer, r->multiflow_names ? "" : "impl.");
    ipa_rand_attention(r, n, d);
    snprintf(n, sizeof n, "%sipa_ln_%d", prefix, layer);
    ipa_rand_ln(r, c, n);
    for (int k = 0; k < d->seq_layers; k++) {
        snprintf(n, sizeof n, "%sseq_tfmr_%d.layers.%d.", prefix, layer, k);
        ipa_rand_tensor(r, IR_W, 3 * c, c, "%sself_attn.in_proj_weight", n);
        ipa_rand_tensor(r, IR_BIAS, 3 * c, 0, "%sself_attn.in_proj_bias", n);
        static const char *const lin[] = {"self_attn.out_proj", "linear1", "linear2"};
        static const char *const ln[] = {"norm1", "norm2"};
        char m[600];
        for (int t = 0; t < 3; t++)
            snprintf(m, sizeof m, "%s%s", n, lin[t]), ipa_rand_linear(r, c, c, m);
        for (int t = 0; t < 2; t++)
            snprintf(m, sizeof m, "%s%s", n, ln[t]), ipa_rand_ln(r, c, m);
    }
    snprintf(n, sizeof n, "%spost_tfmr_%d", prefix, layer);
    ipa_rand_linear(r, c, c, n);
    for (int t = 1; t <= 3; t++) {
        snprintf(n, sizeof n, "%snode_transition_%d.linear_%d", prefix, layer, t);
        ipa_rand_linear(r, c, c, n);
    }
    snprintf(n, sizeof n, "%snode_transition_%d.ln", prefix, layer);
    ipa_rand_ln(r, c, n);
    snprintf(n, sizeof n, "%sbb_update_%d.linear", prefix, layer);
    ipa_rand_linear(r, 6, c, n);
    if (d->edge_layers > 0) {
        snprintf(n, sizeof n, "%sedge_transition_%d.", prefix, layer);
        ipa_rand_edge(r, n, d);
    }
}

/* Random unit-quaternion frames and translations (sd `spread`) for B*N residues. */
static void ipa_rand_frames(fg_rng *g, int64_t BN, float spread, float *rots, float *trans)
{
    for (int64_t r = 0; r < BN; r++) {
        float q[4], nq = 0.0f;
        fg_rng_normals(g, q, 4);
        for (int k = 0; k < 4; k++)
            nq += q[k] * q[k];
        for (int k = 0; k < 4; k++)
            q[k] /= sqrtf(nq);
        fg_quat_to_rot(q, rots + 9 * r);
        fg_rng_normals(g, trans + 3 * r, 3);
        for (int k = 0; k < 3; k++)
            trans[3 * r + k] *= spread;
    }
}

#endif
