/* Torsion head of the IPA trunk (cogeneration TorsionAngles): K torsion
 * angles per residue as (sin, cos) pairs from the final node features.
 * The 2K outputs are normalised jointly (one unit 2K-vector per residue), not
 * per pair, exactly as the reference; its linear_3 exists in checkpoints but
 * is unused. */
#ifndef FRAMEGEN_TORSION_HEAD_H
#define FRAMEGEN_TORSION_HEAD_H

#include "framegen/arena.h"
#include "framegen/status.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_torsion_head fg_torsion_head;

/* prefix: the module's prefix, e.g. "ipa_trunk.torsion_pred.". K = 7 (all
 * torsions) or 1 (psi only) upstream; any K >= 1 is accepted. */
fg_status fg_torsion_head_create(fg_weights *w, const char *prefix, int c_s, int num_torsions,
                                 fg_torsion_head **out, fg_error *err);
void fg_torsion_head_destroy(fg_torsion_head *h);
int fg_torsion_head_count(const fg_torsion_head *h); /* K */
double fg_torsion_head_flops(const fg_torsion_head *h, int B, int N);

/* out[B,N,K,2] = normalised (sin, cos) * node_mask from s[B,N,c_s]. */
fg_status fg_torsion_head_forward(const fg_torsion_head *h, const float *s, const float *node_mask,
                                  int B, int N, float *out, fg_arena *scratch, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
