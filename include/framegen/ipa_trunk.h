/* The IPA trunk of the reference (cogeneration AttentionIPATrunk) composed
 * from the block contract: num_blocks blocks of type "ipa" under
 * "<prefix>trunk." followed by the torsion head "<prefix>torsion_pred.".
 * Translations are in nm (the model scales Angstrom by 0.1 around it). */
#ifndef FRAMEGEN_IPA_TRUNK_H
#define FRAMEGEN_IPA_TRUNK_H

#include "framegen/block.h"
#include "framegen/status.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_ipa_trunk fg_ipa_trunk;

/* ipa_params: the "ipa" block type's parameter struct (its fields filled from
 * a config section, or fg_fields_defaults). num_torsions 0 = no torsion head. */
fg_status fg_ipa_trunk_create(const void *ipa_params, const fg_block_dims *dims, fg_weights *w,
                              const char *prefix, int num_blocks, int num_torsions,
                              fg_ipa_trunk **out, fg_error *err);
void fg_ipa_trunk_destroy(fg_ipa_trunk *t);

/* Runs every block on io (s, z, frames updated in place; io->quats must have
 * room for [B,N,4]), then the torsion head into torsions [B,N,K,2] (ignored
 * when the trunk has none). */
fg_status fg_ipa_trunk_forward(fg_ipa_trunk *t, fg_block_io *io, float *torsions, fg_error *err);

double fg_ipa_trunk_flops(const fg_ipa_trunk *t, int B, int N);

#ifdef __cplusplus
}
#endif
#endif
