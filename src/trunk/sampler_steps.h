/* The pieces of one sampler step, exposed to the tests so that each can be
 * checked against the reference with teacher forcing (inputs of step k taken
 * from the recording, not from our own previous step). */
#ifndef FG_SAMPLER_STEPS_H
#define FG_SAMPLER_STEPS_H

#include <stdint.h>

#include "framegen/sampler.h"

/* ts[T] = float32 linspace(min_t, 1, T) computed as torch does (first half
 * from the start, second half back from the end). T >= 1 (T = 1: [min_t]). */
void fg_time_grid(int T, float min_t, float *ts);

/* Sub-streams of one sample's randomness. */
enum { FG_RNG_PRIOR_TRANS = 0, FG_RNG_PRIOR_ROTS = 1, FG_RNG_CTMC = 2 };
uint64_t fg_sampler_substream(uint64_t stream, int purpose);

/* Prior of one chain: trans[N,3] = centred standard normals x scale (Angstrom),
 * rots[N,3,3] uniform rotations. */
void fg_prior_draw(uint64_t seed, uint64_t stream, int N, float scale, float *trans, float *rots);

/* Per-step categorical probabilities of the masking CTMC for N rows:
 * drift p = softmax(logits / temp), gated by 1 - p(current) on unmasked rows,
 * scaled by d_t and the gain clamp(1/(1 - t + 0.01), 1, gain_max), the mass of
 * leaving capped at leave_cap, and the current token given 1 - sum(others). */
void fg_ctmc_step_probs(const fg_sampler_config *c, int N, const float *logits /* [N,21] */,
                        const int64_t *cur /* [N] */, float t, float d_t, float *probs /* [N,21] */);
/* Torsions of N residues [N,7,2] (sin, cos): one Euler step in angle space
 * towards the prediction pred [N,K,2] (K = 7, or 1 = psi placed at index 2;
 * the other angles' targets are 0), angles wrapped to (-pi, pi]. */
void fg_torsions_step(int N, float t, float d_t, const float *pred, int K, float *tors);

/* Inverse-CDF draw per row: the number of k with cumsum(p)_k <= u sum(p), the
 * cumulative sum in double (as the reference's replay of torch.multinomial). */
void fg_ctmc_draw(int N, const float *probs /* [N,21] */, const float *u /* [N] */, int64_t *next);

#endif
