/* AttentionIPATrunk = "ipa" blocks (through the block registry, as any stage
 * of the model) + the torsion head on the final node features. */
#include <stdio.h>
#include <stdlib.h>

#include "framegen/ipa_trunk.h"
#include "framegen/torsion_head.h"

struct fg_ipa_trunk {
    const fg_block_type *type;
    int n;
    void **blocks;             /* [n] */
    fg_torsion_head *torsion;  /* NULL when num_torsions = 0 */
};

void fg_ipa_trunk_destroy(fg_ipa_trunk *t)
{
    if (!t)
        return;
    for (int i = 0; t->blocks && i < t->n; i++)
        if (t->blocks[i])
            t->type->destroy(t->blocks[i]);
    free(t->blocks);
    fg_torsion_head_destroy(t->torsion);
    free(t);
}

fg_status fg_ipa_trunk_create(const void *ipa_params, const fg_block_dims *dims, fg_weights *w,
                              const char *prefix, int num_blocks, int num_torsions,
                              fg_ipa_trunk **out, fg_error *err)
{
    const fg_block_type *type = fg_block_type_find("ipa");
    if (!type)
        return fg_error_set(err, FG_ERR_UNSUPPORTED, "ipa trunk: block type \"ipa\" is not registered");
    if (num_blocks < 1 || num_torsions < 0)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: invalid IPA trunk (%d blocks, %d torsions)", prefix,
                            num_blocks, num_torsions);
    fg_ipa_trunk *t = calloc(1, sizeof *t);
    if (t)
        t->blocks = calloc((size_t)num_blocks, sizeof *t->blocks);
    if (!t || !t->blocks) {
        free(t);
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", prefix);
    }
    t->type = type, t->n = num_blocks;
    char pre[512];
    snprintf(pre, sizeof pre, "%strunk.", prefix);
    fg_status st = FG_OK;
    for (int i = 0; i < num_blocks && st == FG_OK; i++)
        st = type->create(ipa_params, dims, w, pre, i, &t->blocks[i], err);
    if (st == FG_OK && num_torsions > 0) {
        snprintf(pre, sizeof pre, "%storsion_pred.", prefix);
        st = fg_torsion_head_create(w, pre, dims->c_s, num_torsions, &t->torsion, err);
    }
    if (st != FG_OK) {
        fg_ipa_trunk_destroy(t);
        return st;
    }
    *out = t;
    return FG_OK;
}

fg_status fg_ipa_trunk_forward(fg_ipa_trunk *t, fg_block_io *io, float *torsions, fg_error *err)
{
    for (int i = 0; i < t->n; i++) {
        fg_status st = t->type->forward(t->blocks[i], io, err);
        if (st != FG_OK)
            return st;
    }
    if (!t->torsion)
        return FG_OK;
    if (!torsions)
        return fg_error_set(err, FG_ERR_INVALID, "ipa trunk: no output buffer for the torsions");
    return fg_torsion_head_forward(t->torsion, io->s, io->node_mask, io->B, io->N, torsions,
                                   io->scratch, err);
}

double fg_ipa_trunk_flops(const fg_ipa_trunk *t, int B, int N)
{
    double f = 0.0;
    for (int i = 0; i < t->n; i++)
        f += t->type->flops(t->blocks[i], B, N);
    return t->torsion ? f + fg_torsion_head_flops(t->torsion, B, N) : f;
}
