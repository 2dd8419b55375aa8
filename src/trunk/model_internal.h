/* The flow model's parts and per-forward buffers, shared by model.c (create,
 * destroy) and model_forward.c. */
#ifndef FG_MODEL_INTERNAL_H
#define FG_MODEL_INTERNAL_H

#include "framegen/arena.h"
#include "framegen/esm.h"
#include "framegen/esm_cache.h"
#include "framegen/esm_combiner.h"
#include "framegen/features.h"
#include "framegen/ipa_trunk.h"
#include "framegen/model.h"
#include "framegen/model_config.h"
#include "framegen/trunk.h"
#include "heads.h"

/* Buffers of one forward, sized for B x N and grown on demand. */
typedef struct fg_model_bufs {
    int B, N;                /* capacity */
    float *s;                /* [B,N,c_s] node features */
    float *z;                /* [B,N,N,c_z] edge features */
    float *init_s;           /* [B,N,c_s] feature-net output, when a trunk re-adds it */
    float *init_z;           /* [B,N,N,c_z] */
    float *edge_mask;        /* [B,N,N] */
    float *update_mask;      /* [B,N] res_mask * diffuse_mask */
    float *contact_zero;     /* [B,N,N] zeros: contact conditioning without a map */
    float *rots;             /* [B,N,3,3] frames being refined */
    float *trans;            /* [B,N,3] nm */
    float *quats;            /* [B,N,4] */
    float *pred_trans;       /* [B,N,3] Angstrom */
    float *torsions;         /* [B,N,K,2] */
    float *logits;           /* [B,N,21] */
    int64_t *aatypes;        /* [B,N] */
    float *bfactor, *lddt;   /* [B,N,bins] */
    float *pae;              /* [B,N,N,bins] */
    float *ptm, *iptm;       /* [B] */
} fg_model_bufs;

struct fg_model {
    fg_model_config cfg;     /* copy of the scalars and sections; trunk configs not kept */
    fg_model_params params;
    fg_node_features *node;
    fg_edge_features *edge;
    fg_esm *esm;             /* NULL without the ESM combiner */
    fg_esm_cache *esm_cache;
    fg_esm_combiner *combiner;
    fg_trunk *trunk;         /* NULL: no pre-IPA trunk */
    fg_ipa_trunk *ipa;
    fg_trunk *seq_trunk;     /* NULL: no sequence trunk */
    fg_heads heads;
    bool keep_init;          /* a trunk averages with the feature nets' output */
    fg_arena scratch;
    fg_model_bufs buf;
};

fg_status fg_model_bufs_reserve(fg_model *m, int B, int N, fg_error *err);
void fg_model_bufs_free(fg_model_bufs *b);

#endif
