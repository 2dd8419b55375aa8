/* Positional and time embeddings and the distogram that feed the node and edge
 * feature nets. Every value is computed in float32 the way the reference
 * computes it (same operation order and roundings), so that large angles such
 * as t * 2056 * freq stay within the fixtures' tolerances. Frequencies are the
 * correctly rounded float32 values; the reference's vectorised exp/pow may
 * differ from them by one ulp for some widths (not those of the fixtures). */
#ifndef FRAMEGEN_EMBED_H
#define FRAMEGEN_EMBED_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Positional embedding methods, in the order of fg_pos_embed_names. */
typedef enum fg_pos_embed {
    FG_POS_EMBED_ROTARY = 0,      /* [cos(i * L^(-2k/D)), sin(...)] */
    FG_POS_EMBED_SINE_COSINE = 1  /* [sin(i * pi / L^(2k/D)), cos(...)] */
} fg_pos_embed;

/* {"rotary", "sine_cosine", NULL}: the config spellings (FG_FIELD_ENUM choices). */
extern const char *const fg_pos_embed_names[];

/* Per-frequency factor f[D/2] (float32) of an index embedding: rotary
 * f_k = L^(-2k/D) (angle i * f_k), sine_cosine f_k = L^(2k/D) (angle i * pi / f_k). */
void fg_index_embed_freqs(float *f, int D, int max_len, fg_pos_embed method);

/* out[n,D] = index embedding of integer positions idx[n]; D even, max_len >= 1. */
void fg_index_embedding(float *out, const int64_t *idx, int64_t n, int D, int max_len,
                        fg_pos_embed method);

/* out[n,D] = sinusoidal time embedding of t[n] (flow time in [0,1]):
 * [sin(t*P*f_k), cos(t*P*f_k)], f_k = exp(-k ln(P)/(D/2-1)), P = max_positions,
 * a zero column appended when D is odd. D >= 4. */
void fg_time_embedding(float *out, const float *t, int64_t n, int D, int max_positions);

/* Bin edges of the distogram: lower = linspace(min_bin, max_bin, nb) in float32,
 * upper = [lower[1:], 1e8]; lower[nb], upper[nb]. nb >= 2. */
void fg_distogram_edges(float *lower, float *upper, float min_bin, float max_bin, int nb);

/* Bin k with lower[k] < d < upper[k] (strict), or -1 when d lies in none
 * (d <= lower[0], exactly on an edge, >= 1e8, NaN). */
int fg_distogram_bin(float d, const float *lower, const float *upper, int nb);

/* |a - b| of two 3-vectors in float32, summed x, y, z in that order. */
float fg_dist3(const float *a, const float *b);

/* out[B,N,N,nb] one-hot distogram of the pairwise distances of pos[B,N,3]. */
void fg_distogram(float *out, const float *pos, int B, int N, float min_bin, float max_bin, int nb);

#ifdef __cplusplus
}
#endif
#endif
