/* TorsionAngles: s0 = s; h = linear_2(relu(linear_1(s))) + s0;
 * u = linear_final(h); out = u / sqrt(max(sum u^2, 1e-8)) over all 2K values. */
#include <math.h>
#include <stdlib.h>

#include "framegen/ops.h"
#include "framegen/torsion_head.h"

#define TORSION_EPS 1e-8f

struct fg_torsion_head {
    int c_s, K;
    const float *w1, *b1, *w2, *b2;   /* [c_s, c_s], [c_s] */
    const float *wf, *bf;             /* [2K, c_s], [2K] */
};

fg_status fg_torsion_head_create(fg_weights *w, const char *prefix, int c_s, int num_torsions,
                                 fg_torsion_head **out, fg_error *err)
{
    if (c_s <= 0 || num_torsions <= 0)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: invalid torsion head (c_s %d, torsions %d)", prefix,
                            c_s, num_torsions);
    fg_torsion_head *h = calloc(1, sizeof *h);
    if (!h)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", prefix);
    h->c_s = c_s, h->K = num_torsions;
    fg_wload l;
    fg_wload_init(&l, w, err, "%s", prefix);
    h->w1 = fg_wl_2d(&l, "linear_1.weight", c_s, c_s);
    h->b1 = fg_wl_1d(&l, "linear_1.bias", c_s);
    h->w2 = fg_wl_2d(&l, "linear_2.weight", c_s, c_s);
    h->b2 = fg_wl_1d(&l, "linear_2.bias", c_s);
    h->wf = fg_wl_2d(&l, "linear_final.weight", 2 * num_torsions, c_s);
    h->bf = fg_wl_1d(&l, "linear_final.bias", 2 * num_torsions);
    /* linear_3 is part of the reference's state_dict but unused: look it up so
     * it is not reported as an unexpected tensor (absence is fine). */
    fg_wl_opt_2d(&l, "linear_3.weight", c_s, c_s);
    fg_wl_opt_1d(&l, "linear_3.bias", c_s);
    if (l.st != FG_OK) {
        free(h);
        return l.st;
    }
    *out = h;
    return FG_OK;
}

void fg_torsion_head_destroy(fg_torsion_head *h) { free(h); }

int fg_torsion_head_count(const fg_torsion_head *h) { return h->K; }

double fg_torsion_head_flops(const fg_torsion_head *h, int B, int N)
{
    const double BN = (double)B * N, c = h->c_s;
    return BN * (2.0 * c * c * 2.0 + 2.0 * c * 2 * h->K + 3.0 * c + 8.0 * h->K);
}

fg_status fg_torsion_head_forward(const fg_torsion_head *h, const float *s, const float *node_mask,
                                  int B, int N, float *out, fg_arena *scratch, fg_error *err)
{
    const int c = h->c_s, K2 = 2 * h->K;
    const int64_t BN = (int64_t)B * N;
    const fg_arena_mark mark = fg_arena_save(scratch);
    float *t1 = fg_arena_floats(scratch, (size_t)BN * c); /* [B*N, c_s] */
    float *t2 = fg_arena_floats(scratch, (size_t)BN * c); /* [B*N, c_s] */
    if (!t1 || !t2) {
        fg_arena_restore(scratch, mark);
        return fg_error_set(err, FG_ERR_NOMEM, "torsion head: out of scratch memory");
    }
    fg_linear(t1, s, h->w1, h->b1, BN, c, c);
    fg_relu(t1, BN * c);
    fg_linear(t2, t1, h->w2, h->b2, BN, c, c);
    fg_add(t2, s, BN * c);
    fg_linear(out, t2, h->wf, h->bf, BN, c, K2);
    for (int64_t r = 0; r < BN; r++) {
        float *u = out + r * K2, ss = 0.0f;
        for (int k = 0; k < K2; k++)
            ss += u[k] * u[k];
        const float denom = sqrtf(ss > TORSION_EPS ? ss : TORSION_EPS);
        const float m = node_mask ? node_mask[r] : 1.0f;
        for (int k = 0; k < K2; k++)
            u[k] = u[k] / denom * m;
    }
    fg_arena_restore(scratch, mark);
    return FG_OK;
}
