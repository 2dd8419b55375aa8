/* Parity of the IPA trunk (case `ipa_trunk`): two "ipa" blocks created through
 * the block registry from a config section, composed by fg_ipa_trunk exactly
 * as the model does, then the torsion head. Every output is checked: node and
 * edge features, frames (rotations, nm translations) and torsions; and every
 * tensor of the checkpoint must have been used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/arena.h"
#include "framegen/block.h"
#include "framegen/config_json.h"
#include "framegen/ipa_trunk.h"

/* The "ipa" type's config section built from the case's hyperparameters. */
static void *read_params(fx_case *c, const fg_block_type *t)
{
    static const char *const keys[] = {"c_hidden", "no_heads", "no_qk_points", "no_v_points",
                                       "seq_tfmr_num_heads", "seq_tfmr_num_layers", "dropout",
                                       "transformer_dropout", "use_flash_attn", "z_factor_rank", NULL};
    cJSON *obj = cJSON_CreateObject();
    for (int k = 0; keys[k]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(fx_hparams(c), keys[k]);
        if (fx_expect(c, v != NULL, "hyperparameter %s present", keys[k]))
            cJSON_AddItemToObject(obj, keys[k], cJSON_Duplicate(v, 1));
    }
    void *p = calloc(1, t->params_size);
    fg_error err = {0};
    fg_status st = fg_json_read_fields(obj, "ipa", t->fields, t->n_fields, NULL, p, &err);
    fx_expect(c, st == FG_OK, "config section read: %s", err.msg);
    cJSON_Delete(obj);
    return p;
}

static void check_all_used(fx_case *c, fg_weights *w)
{
    int unused = 0;
    for (size_t i = 0; i < fg_weights_count(w); i++)
        if (!fg_weights_used_at(w, i) && unused++ < 5)
            fprintf(stderr, "  unused tensor: %s\n", fg_weights_name_at(w, i));
    fx_expect(c, unused == 0, "every checkpoint tensor used (%d unused)", unused);
}

int main(void)
{
    fx_case c;
    if (fx_open(&c, "ipa_trunk") != 0)
        return 1;
    const fg_block_type *type = fg_block_type_find("ipa");
    if (!fx_expect(&c, type != NULL, "block type \"ipa\" registered"))
        return fx_finish(&c);
    int64_t shp[4];
    fx_shape(&c, "input.edge_embed", shp);
    const int B = (int)shp[0], N = (int)shp[1], BN = B * N;
    const fg_block_dims dims = {(int)fx_hp_num(&c, "c_s", 0), (int)fx_hp_num(&c, "c_z", 0)};
    const int K = fx_hp_bool(&c, "predict_all_torsions", 0) ? 7 : 1;
    void *params = read_params(&c, type);
    fg_weights *w = fx_params(&c);
    fg_ipa_trunk *trunk = NULL;
    fg_error err = {0};
    if (!w || !fx_expect(&c, fg_ipa_trunk_create(params, &dims, w, "", (int)fx_hp_num(&c, "num_blocks", 0), K,
                                                  &trunk, &err) == FG_OK, "trunk create: %s", err.msg))
        goto out;
    fg_arena ar;
    fg_arena_init(&ar, 1 << 20);
    float *nm = fx_f32(&c, "input.node_mask"), *dm = fx_f32(&c, "input.diffuse_mask");
    float *um = malloc((size_t)BN * sizeof(float)), *quats = malloc((size_t)BN * 4 * sizeof(float));
    float *tors = malloc((size_t)BN * K * 2 * sizeof(float));
    for (int r = 0; nm && dm && r < BN; r++)
        um[r] = nm[r] * dm[r];
    fg_block_io io = {.B = B, .N = N, .s = fx_f32(&c, "input.node_embed"), .z = fx_f32(&c, "input.edge_embed"),
                      .node_mask = nm, .edge_mask = fx_f32(&c, "input.edge_mask"), .update_mask = um,
                      .rots = fx_f32(&c, "input.rotmats"), .trans = fx_f32(&c, "input.trans_nm"),
                      .quats = quats, .quats_valid = 0, .scratch = &ar};
    if (io.s && io.z && nm && dm && io.edge_mask && io.rots && io.trans) {
        fg_status st = fg_ipa_trunk_forward(trunk, &io, tors, &err);
        if (fx_expect(&c, st == FG_OK, "trunk forward: %s", err.msg)) {
            fx_check(&c, "output.node_embed", io.s, (int64_t)BN * dims.c_s);
            fx_check(&c, "output.edge_embed", io.z, (int64_t)BN * N * dims.c_z);
            fx_check(&c, "output.rotmats", io.rots, (int64_t)BN * 9);
            fx_check(&c, "output.trans_nm", io.trans, (int64_t)BN * 3);
            fx_check(&c, "output.torsions", tors, (int64_t)BN * K * 2);
            fx_expect(&c, io.quats_valid == 1, "frames are quaternion-based after the update");
            fx_expect(&c, ar.in_use == 0, "scratch restored (%zu bytes left)", ar.in_use);
        }
        check_all_used(&c, w);
    }
    free((void *)io.node_mask), free(dm), free((void *)io.edge_mask), free(um), free(quats), free(tors);
    free(io.s), free(io.z), free(io.rots), free(io.trans);
    fg_arena_free(&ar);
    fg_ipa_trunk_destroy(trunk);
out:
    free(params);
    return fx_finish(&c);
}
