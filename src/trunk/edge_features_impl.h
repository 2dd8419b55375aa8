/* Internals of the edge feature net shared by the optimised forward
 * (edge_features.c) and its plain reference twin (edge_features_ref.c). */
#ifndef FG_TRUNK_EDGE_FEATURES_IMPL_H
#define FG_TRUNK_EDGE_FEATURES_IMPL_H

#include "framegen/features.h"

#define FG_EDGE_DGRAM_MIN 1e-4f  /* Angstrom, first distogram edge */
#define FG_EDGE_DGRAM_MAX 20.0f  /* Angstrom, last distogram edge */

struct fg_edge_features {
    fg_edge_features_params p;
    int in_dim;                    /* K = 3 F + 2 nb (+1 chain) (+2 diffuse) */
    const float *sp_W, *sp_b;      /* linear_s_p [F, c_s], [F] */
    const float *rel_W, *rel_b;    /* linear_relpos [F, F], [F] */
    const float *W0, *b0;          /* edge_embedder.0 [c_p, K], [c_p] */
    const float *W1, *b1;          /* edge_embedder.2 [c_p, c_p], [c_p] */
    const float *W2, *b2;          /* edge_embedder.4 [c_p, c_p], [c_p] */
    const float *ln_g, *ln_b;      /* edge_embedder.5 [c_p] */
    const float *cc_w, *cc_b;      /* contact fourier.proj [fd, 1], [fd] */
    const float *cc_W, *cc_bias;   /* contact encoder [c_p, fd], [c_p] */
    const float *cc_g, *cc_beta;   /* contact layer_norm [c_p] */
    /* Derived at create time (owned), see edge_features.c. */
    float *lower, *upper;          /* [nb] distogram edges, Angstrom */
    float *dgram_T;                /* [nb, c_p] W0 columns of the trans distogram, transposed */
    float *sc_T;                   /* [nb, c_p] W0 columns of the trans_sc distogram, transposed */
    float *w_chain;                /* [c_p] W0 column of the same-chain indicator (embed_chain) */
    float *w_diff_i, *w_diff_j;    /* [c_p] W0 columns of diffuse_i, diffuse_j (embed_diffuse_mask) */
    float *cc_row0, *cc_row1;      /* [c_p] conditioning term at c = 0 and c = 1 (enabled) */
    float *zero_row;               /* [c_p] zeros: the term of an absent feature */
};

/* Column offsets of the feature groups in W0 / the concatenated features. */
static inline int fg_edge_col_relpos(const struct fg_edge_features *e) { return 2 * e->p.feat_dim; }
static inline int fg_edge_col_dgram(const struct fg_edge_features *e) { return 3 * e->p.feat_dim; }
static inline int fg_edge_col_sc(const struct fg_edge_features *e) { return 3 * e->p.feat_dim + e->p.num_bins; }
static inline int fg_edge_col_chain(const struct fg_edge_features *e) { return 3 * e->p.feat_dim + 2 * e->p.num_bins; }
static inline int fg_edge_col_diffuse(const struct fg_edge_features *e)
{
    return fg_edge_col_chain(e) + e->p.embed_chain;
}

/* Normalised contact c = clamp((d - dist_min)/(dist_max - dist_min), 0, 1) in float32. */
float fg_edge_contact_norm(const struct fg_edge_features *e, float d);
/* four[fd] = cos(2 pi (w c + b)): the Fourier features of one normalised contact. */
void fg_edge_contact_fourier(const struct fg_edge_features *e, float c, float *four);

/* Input checks shared by both forwards (required pointers, finite values). */
fg_status fg_edge_check_inputs(const struct fg_edge_features *e, const fg_edge_features_in *in, fg_error *err);

/* Plain reference twin of fg_edge_features_forward: builds the concatenated
 * pair features in the upstream order and applies each layer with plain loops.
 * Slow (O(B N^2 K c_p)); for tests only. */
fg_status fg_edge_features_forward_ref(const struct fg_edge_features *e, const fg_edge_features_in *in,
                                       float *edge_embed, fg_error *err);

#endif
