/* Generated samples -> structure files (through structure.h / gemmi). */
#include "framegen/sample_output.h"

#include <stdlib.h>
#include <string.h>

#include "framegen/backbone.h"

fg_status fg_sample_backbone(const fg_sample *s, float *bb4, fg_error *err)
{
    return fg_backbone_from_frames(s->N, s->rots, s->trans, s->aatypes, NULL, bb4, err);
}

/* A one-chain structure of the state (rots, trans, aatypes) of N residues. */
static fg_status state_structure(int N, const float *rots, const float *trans, const int64_t *aatypes,
                                 bool sequence, fg_structure **out, fg_error *err)
{
    fg_structure *st;
    fg_status rc = fg_structure_create(1, &N, &st, err);
    if (rc != FG_OK)
        return rc;
    fg_chain *ch = &st->chains[0];
    rc = fg_backbone_from_frames(N, rots, trans, aatypes, NULL, ch->xyz, err);
    if (rc != FG_OK) {
        fg_structure_free(st);
        return rc;
    }
    memset(ch->mask, 1, (size_t)N * FG_BB_ATOMS);
    for (int i = 0; i < N; i++)
        fg_chain_set_residue(ch, i, sequence ? fg_restype_letter((int)aatypes[i]) : 'G');
    *out = st;
    return FG_OK;
}

fg_status fg_sample_write(const fg_sample *s, const char *path, fg_struct_format fmt, bool sequence,
                          fg_error *err)
{
    fg_structure *st;
    fg_status rc = state_structure(s->N, s->rots, s->trans, s->aatypes, sequence, &st, err);
    if (rc == FG_OK)
        rc = fg_structure_write(st, path, fmt, err);
    fg_structure_free(st);
    return rc;
}

fg_status fg_sample_write_trajectory(const fg_sample *s, const char *path, fg_struct_format fmt,
                                     bool sequence, fg_error *err)
{
    if (s->n_frames < 1)
        return fg_error_set(err, FG_ERR_INVALID, "%s: the sample kept no trajectory", path);
    fg_structure **models = calloc((size_t)s->n_frames, sizeof *models);
    if (!models)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
    size_t N = (size_t)s->N;
    fg_status rc = FG_OK;
    for (int f = 0; rc == FG_OK && f < s->n_frames; f++)
        rc = state_structure(s->N, s->traj_rots + f * N * 9, s->traj_trans + f * N * 3,
                             s->traj_aatypes + f * N, sequence, &models[f], err);
    if (rc == FG_OK)
        rc = fg_structure_write_models((const fg_structure *const *)models, s->n_frames, path, fmt, err);
    for (int f = 0; f < s->n_frames; f++)
        fg_structure_free(models[f]);
    free(models);
    return rc;
}
