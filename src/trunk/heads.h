/* The model's output heads on the final representations: the amino-acid head
 * (aa_pred MLP, or noop = one-hot of the input tokens), and the confidence
 * heads of the default preset (B-factor and pLDDT bins from the nodes, PAE
 * bins from the edges, with pTM and ipTM from the PAE distribution). */
#ifndef FG_HEADS_H
#define FG_HEADS_H

#include <stdint.h>

#include "framegen/arena.h"
#include "framegen/model_config.h"
#include "framegen/weights.h"

typedef struct fg_heads {
    int c_s, c_z, seq_type;
    const float *aa_w[3], *aa_b[3];  /* aatype_pred_net.{0,2,4}: [c_s,c_s], [c_s,c_s], [21,c_s] */
    fg_head_config bfactor, plddt, pae;
    const float *bf_w, *bf_b;        /* bfactor_net.bfactor [bins,c_s] */
    const float *pl_w, *pl_b;        /* plddt_net.plddt [bins,c_s] */
    const float *pae_w, *pae_b;      /* pae_net.linear [bins,c_z] */
} fg_heads;

fg_status fg_heads_init(fg_heads *h, const fg_model_config *c, fg_weights *w, fg_error *err);

/* logits[BN,21] and the argmax with the mask token excluded; s[BN,c_s]. */
fg_status fg_heads_sequence(const fg_heads *h, const float *s, const int64_t *aatypes_t, int64_t BN,
                            float *logits, int64_t *aatypes, fg_arena *scratch, fg_error *err);
/* bfactor[BN,bins], lddt[BN,bins] from s (each skipped when its head is off or NULL). */
void fg_heads_node_confidence(const fg_heads *h, const float *s, int64_t BN, float *bfactor, float *lddt);
/* pae[B,N,N,bins] from z[B,N,N,c_z]; ptm[B], iptm[B] over res_mask [B,N] and chains [B,N]. */
fg_status fg_heads_pae(const fg_heads *h, const float *z, const float *res_mask, const int64_t *chain, int B,
                       int N, float *pae, float *ptm, float *iptm, fg_arena *scratch, fg_error *err);

double fg_heads_flops(const fg_heads *h, int B, int N);

#endif
