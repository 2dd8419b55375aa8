/* Output heads: amino-acid logits, B-factor / pLDDT / PAE bins, pTM and ipTM. */
#include "heads.h"

#include <math.h>
#include <string.h>

#include "framegen/model.h"
#include "framegen/ops.h"

fg_status fg_heads_init(fg_heads *h, const fg_model_config *c, fg_weights *w, fg_error *err)
{
    memset(h, 0, sizeof *h);
    h->c_s = c->c_s, h->c_z = c->c_z, h->seq_type = c->sequence_pred_type;
    h->bfactor = c->bfactor, h->plddt = c->plddt, h->pae = c->pae;
    fg_wload l;
    if (h->seq_type == FG_SEQ_PRED_AA) {
        fg_wload_init(&l, w, err, "aa_pred_net.aatype_pred_net.");
        static const char *const names[3][2] = {{"0.weight", "0.bias"}, {"2.weight", "2.bias"}, {"4.weight", "4.bias"}};
        for (int k = 0; k < 3; k++) {
            int out = k == 2 ? FG_AA_TOKENS : h->c_s;
            h->aa_w[k] = fg_wl_2d(&l, names[k][0], out, h->c_s);
            h->aa_b[k] = fg_wl_1d(&l, names[k][1], out);
        }
        if (l.st != FG_OK)
            return l.st;
    }
    struct { bool on; const char *prefix; int bins, width; const float **wt, **b; } heads[] = {
        {h->bfactor.enabled, "bfactor_net.bfactor.", h->bfactor.num_bins, h->c_s, &h->bf_w, &h->bf_b},
        {h->plddt.enabled, "plddt_net.plddt.", h->plddt.num_bins, h->c_s, &h->pl_w, &h->pl_b},
        {h->pae.enabled, "pae_net.linear.", h->pae.num_bins, h->c_z, &h->pae_w, &h->pae_b},
    };
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        if (!heads[k].on)
            continue;
        fg_wload_init(&l, w, err, "%s", heads[k].prefix);
        *heads[k].wt = fg_wl_2d(&l, "weight", heads[k].bins, heads[k].width);
        *heads[k].b = fg_wl_1d(&l, "bias", heads[k].bins);
        if (l.st != FG_OK)
            return l.st;
    }
    return FG_OK;
}

fg_status fg_heads_sequence(const fg_heads *h, const float *s, const int64_t *aatypes_t, int64_t BN,
                            float *logits, int64_t *aatypes, fg_arena *scratch, fg_error *err)
{
    if (h->seq_type == FG_SEQ_PRED_NOOP) { /* the input tokens, as one-hot logits */
        memset(logits, 0, (size_t)BN * FG_AA_TOKENS * sizeof *logits);
        for (int64_t r = 0; r < BN; r++) {
            aatypes[r] = aatypes_t[r];
            if (aatypes_t[r] >= 0 && aatypes_t[r] < FG_AA_TOKENS)
                logits[r * FG_AA_TOKENS + aatypes_t[r]] = 1.0f;
        }
        return FG_OK;
    }
    const int c = h->c_s;
    fg_arena_mark m = fg_arena_save(scratch);
    float *a = fg_arena_floats(scratch, (size_t)BN * c); /* [BN,c_s] */
    float *b = fg_arena_floats(scratch, (size_t)BN * c); /* [BN,c_s] */
    if (!a || !b) {
        fg_arena_restore(scratch, m);
        return fg_error_set(err, FG_ERR_NOMEM, "aa_pred: out of scratch memory");
    }
    fg_linear(a, s, h->aa_w[0], h->aa_b[0], BN, c, c);
    fg_relu(a, BN * c);
    fg_linear(b, a, h->aa_w[1], h->aa_b[1], BN, c, c);
    fg_relu(b, BN * c);
    fg_linear(logits, b, h->aa_w[2], h->aa_b[2], BN, c, FG_AA_TOKENS);
    fg_arena_restore(scratch, m);
    for (int64_t r = 0; r < BN; r++) { /* argmax with the mask logit set to -1e9 (first maximum wins) */
        const float *x = logits + r * FG_AA_TOKENS;
        int best = 0;
        for (int k = 1; k < FG_AA_TOKENS; k++)
            if (k != FG_AA_MASK && x[k] > x[best])
                best = k;
        aatypes[r] = best;
    }
    return FG_OK;
}

void fg_heads_node_confidence(const fg_heads *h, const float *s, int64_t BN, float *bfactor, float *lddt)
{
    if (h->bfactor.enabled && bfactor)
        fg_linear(bfactor, s, h->bf_w, h->bf_b, BN, h->c_s, h->bfactor.num_bins);
    if (h->plddt.enabled && lddt)
        fg_linear(lddt, s, h->pl_w, h->pl_b, BN, h->c_s, h->plddt.num_bins);
}

/* Expected TM-score of each pair from its PAE distribution: sum_k softmax_k tm_k. */
static void expected_tm(const float *logits, int nb, const float *tm, float *p, float *out)
{
    memcpy(p, logits, (size_t)nb * sizeof *p);
    fg_softmax_rows(p, 1, nb);
    float e = 0.0f;
    for (int k = 0; k < nb; k++)
        e += p[k] * tm[k];
    *out = e;
}

/* pTM and ipTM of one item: best residue's mean expected TM over its (inter-chain) pairs. */
static void ptm_item(const float *tm_exp, const float *m, const int64_t *ch, int N, float *ptm, float *iptm)
{
    float best = -INFINITY, ibest = -INFINITY;
    for (int i = 0; i < N; i++) {
        float num = 0, den = 0, inum = 0, iden = 0;
        for (int j = 0; j < N; j++) {
            float pm = m[i] * m[j], im = ch[i] != ch[j] ? pm : 0.0f;
            num += tm_exp[(int64_t)i * N + j] * pm, den += pm;
            inum += tm_exp[(int64_t)i * N + j] * im, iden += im;
        }
        best = fmaxf(best, num / (den + 1e-5f));
        ibest = fmaxf(ibest, inum / (iden + 1e-5f));
    }
    *ptm = best, *iptm = ibest;
}

fg_status fg_heads_pae(const fg_heads *h, const float *z, const float *res_mask, const int64_t *chain, int B,
                       int N, float *pae, float *ptm, float *iptm, fg_arena *scratch, fg_error *err)
{
    if (!h->pae.enabled)
        return FG_OK;
    const int nb = h->pae.num_bins;
    const int64_t NN = (int64_t)N * N;
    fg_linear(pae, z, h->pae_w, h->pae_b, (int64_t)B * NN, h->c_z, nb);
    fg_arena_mark mk = fg_arena_save(scratch);
    float *tm = fg_arena_floats(scratch, (size_t)nb);         /* [bins] TM kernel at the bin centres */
    float *tm_exp = fg_arena_floats(scratch, (size_t)NN);     /* [N,N] expected TM per pair */
    float *p = fg_arena_floats(scratch, (size_t)nb * N);      /* [N,bins] softmax rows, one per j */
    if (!tm || !tm_exp || !p) {
        fg_arena_restore(scratch, mk);
        return fg_error_set(err, FG_ERR_NOMEM, "pae: out of scratch memory");
    }
    const float width = 32.0f / (float)nb;
    for (int b = 0; b < B; b++) {
        float n_res = 0.0f;
        for (int i = 0; i < N; i++)
            n_res += res_mask[(int64_t)b * N + i];
        float d0 = 1.24f * cbrtf(fmaxf(n_res, 19.0f) - 15.0f) - 1.8f;
        for (int k = 0; k < nb; k++) {
            float d = (0.5f * width + (float)k * width) / d0;
            tm[k] = 1.0f / (1.0f + d * d);
        }
#pragma omp parallel for schedule(static)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                expected_tm(pae + ((int64_t)b * NN + (int64_t)i * N + j) * nb, nb, tm, p + (int64_t)i * nb,
                            &tm_exp[(int64_t)i * N + j]);
        ptm_item(tm_exp, res_mask + (int64_t)b * N, chain + (int64_t)b * N, N, &ptm[b], &iptm[b]);
    }
    fg_arena_restore(scratch, mk);
    return FG_OK;
}

double fg_heads_flops(const fg_heads *h, int B, int N)
{
    double BN = (double)B * N, c = h->c_s, f = 0;
    if (h->seq_type == FG_SEQ_PRED_AA)
        f += 2 * BN * c * (2 * c + FG_AA_TOKENS);
    if (h->bfactor.enabled)
        f += 2 * BN * c * h->bfactor.num_bins;
    if (h->plddt.enabled)
        f += 2 * BN * c * h->plddt.num_bins;
    if (h->pae.enabled)
        f += BN * N * h->pae.num_bins * (2.0 * h->c_z + 6);
    return f;
}
