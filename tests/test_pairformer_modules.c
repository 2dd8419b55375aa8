/* Parity of the Pairformer modules against their fixture cases (tri_mul_out,
 * tri_mul_in, tri_att_start, tri_att_end, attention_pair_bias, transition):
 * batch of 2 incl. padded positions, tolerances from each case's JSON. The
 * plain reference twins are checked against the same fixtures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks/pairformer_modules.h"
#include "fixture.h"

typedef enum { TRI_MUL, TRI_ATT, TRANSITION, APB } kind;

typedef struct module {
    kind k;
    fg_tri_mul mul;
    fg_tri_att att;
    fg_transition tr;
    fg_attn_pair_bias apb;
} module;

static int load(fx_case *c, module *m, kind k, int ending_or_incoming)
{
    fg_error err = {0};
    fg_wload l;
    fg_wload_init(&l, fx_params(c), &err, "%s", "");
    m->k = k;
    fg_status st = FG_OK;
    switch (k) {
    case TRI_MUL:
        st = fg_tri_mul_init(&m->mul, &l, "", (int)fx_hp_num(c, "dim", 0), !ending_or_incoming);
        break;
    case TRI_ATT:
        st = fg_tri_att_init(&m->att, &l, "", (int)fx_hp_num(c, "c_in", 0), (int)fx_hp_num(c, "no_heads", 0),
                             (int)fx_hp_num(c, "c_hidden", 0), fx_hp_bool(c, "starting", 1));
        break;
    case TRANSITION:
        st = fg_transition_init(&m->tr, &l, "", (int)fx_hp_num(c, "dim", 0), (int)fx_hp_num(c, "hidden", 0));
        break;
    case APB:
        st = fg_attn_pair_bias_init(&m->apb, &l, "", (int)fx_hp_num(c, "node_dim", 0),
                                    (int)fx_hp_num(c, "edge_dim", 0), (int)fx_hp_num(c, "num_heads", 0),
                                    fx_hp_bool(c, "compute_pair_bias", 1));
        break;
    }
    return fx_expect(c, st == FG_OK, "load weights: %s", st == FG_OK ? "ok" : err.msg);
}

/* Runs the optimised (ref = 0) or reference (ref = 1) module on every batch item. */
static float *run(fx_case *c, const module *m, int ref)
{
    const char *xkey = m->k == APB ? "input.edge_embed" : "input.x";
    int64_t shape[8];
    int nd = fx_shape(c, xkey, shape);
    if (nd < 0)
        return NULL;
    const int B = (int)shape[0], n = (int)shape[1];
    float *x = fx_f32(c, xkey), *mask = m->k == TRANSITION ? NULL : fx_f32(c, m->k == APB ? "input.node_mask" : "input.mask");
    float *s = m->k == APB ? fx_f32(c, "input.node_embed") : NULL;
    const int64_t out_item = m->k == APB ? (int64_t)n * m->apb.c_s : (int64_t)n * n * shape[3];
    float *out = calloc((size_t)(B * out_item), sizeof *out);
    fg_arena a;
    fg_arena_init(&a, 0);
    fg_error err = {0};
    fg_status st = FG_OK;
    for (int b = 0; b < B && st == FG_OK && x; b++) {
        const float *xb = x + (int64_t)b * n * n * shape[3];
        const float *mb = m->k == APB ? (mask ? mask + (int64_t)b * n : NULL) : (mask ? mask + (int64_t)b * n * n : NULL);
        float *ob = out + b * out_item;
        switch (m->k) {
        case TRI_MUL:
            if (ref)
                fg_tri_mul_ref(&m->mul, xb, mb, n, ob);
            else
                st = fg_tri_mul_forward(&m->mul, xb, mb, n, ob, false, &a, &err);
            break;
        case TRI_ATT:
            if (ref)
                fg_tri_att_ref(&m->att, xb, mb, n, ob);
            else
                st = fg_tri_att_forward(&m->att, xb, mb, n, ob, false, &a, &err);
            break;
        case TRANSITION:
            if (ref)
                fg_transition_ref(&m->tr, xb, (int64_t)n * n, ob);
            else
                st = fg_transition_forward(&m->tr, xb, (int64_t)n * n, ob, false, &a, &err);
            break;
        case APB:
            if (ref)
                fg_attn_pair_bias_ref(&m->apb, s + (int64_t)b * n * m->apb.c_s, xb, mb, n, ob);
            else
                st = fg_attn_pair_bias_forward(&m->apb, s + (int64_t)b * n * m->apb.c_s, xb, mb, n, ob,
                                               false, &a, &err);
            break;
        }
    }
    fx_expect(c, st == FG_OK, "forward: %s", st == FG_OK ? "ok" : err.msg);
    fx_expect(c, a.in_use == 0, "arena restored after forward (%zu bytes still in use)", a.in_use);
    fg_arena_free(&a);
    free(x), free(mask), free(s);
    return out;
}

static int run_case(const char *name, kind k, int variant)
{
    fx_case c;
    if (fx_open(&c, name) != 0)
        return 1;
    module m;
    memset(&m, 0, sizeof m);
    if (load(&c, &m, k, variant)) {
        const int64_t n = fx_numel(&c, "output.update");
        float *got = run(&c, &m, 0), *ref = run(&c, &m, 1);
        printf("  optimised:\n");
        if (got)
            fx_check(&c, "output.update", got, n);
        printf("  reference twin:\n");
        if (ref)
            fx_check(&c, "output.update", ref, n);
        free(got), free(ref);
    }
    fg_tri_mul_free(&m.mul), fg_tri_att_free(&m.att), fg_transition_free(&m.tr), fg_attn_pair_bias_free(&m.apb);
    return fx_finish(&c);
}

int main(void)
{
    int fails = 0;
    fails += run_case("tri_mul_out", TRI_MUL, 0);
    fails += run_case("tri_mul_in", TRI_MUL, 1);
    fails += run_case("tri_att_start", TRI_ATT, 0);
    fails += run_case("tri_att_end", TRI_ATT, 0);
    fails += run_case("attention_pair_bias", APB, 0);
    fails += run_case("transition", TRANSITION, 0);
    return fails ? 1 : 0;
}
