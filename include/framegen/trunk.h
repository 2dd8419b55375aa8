/* A trunk: a list of stages of registered block types inside the wrapper of
 * the reference's attention trunk (optional averaging with the initial
 * embeddings and LayerNorms before and after the blocks).
 *
 * Config (one JSON object, e.g. the value of "model.trunk"):
 *   {
 *     "pre_add_init_embed": false,  "pre_node_layer_norm": false,  "pre_edge_layer_norm": false,
 *     "post_add_init_embed": true,  "post_node_layer_norm": true,  "post_edge_layer_norm": true,
 *     "stages": [ { "type": "double_pair", "num_layers": 2, "use_film": true, ... } ]
 *   }
 * A stage takes "type", "num_layers", an optional "weights_prefix" and the
 * hyperparameters of its type (defaults in the type's field table).
 *
 * Weights, under the reference's state_dict names below the trunk's prefix P
 * (e.g. "trunk."): P + "pre_node_ln.", "pre_edge_ln.", "post_node_ln.",
 * "post_edge_ln." (weight, bias); stage s's layers under P + weights_prefix,
 * default "trunk." for stage 0 (the reference's single trunk module) and
 * "stages.<s>." for later stages (no upstream counterpart). */
#ifndef FRAMEGEN_TRUNK_H
#define FRAMEGEN_TRUNK_H

#include <stdbool.h>

#include "framegen/block.h"
#include "framegen/status.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

typedef struct fg_trunk_stage {
    const fg_block_type *type;
    int num_layers;
    bool has_weights_prefix;                /* false: the default above */
    char weights_prefix[FG_FIELD_STR_MAX];  /* below the trunk's prefix */
    void *params;                           /* type->params_size bytes, filled via type->fields */
} fg_trunk_stage;

typedef struct fg_trunk_config {
    bool pre_add_init_embed;     /* s = 0.5 (s + s_init) m, z likewise, before the blocks */
    bool pre_node_layer_norm;
    bool pre_edge_layer_norm;
    bool post_add_init_embed;    /* the same after the blocks */
    bool post_node_layer_norm;
    bool post_edge_layer_norm;
    int n_stages;
    fg_trunk_stage *stages;      /* owned */
} fg_trunk_config;

/* The wrapper's field table (the six flags, default false). */
const fg_field *fg_trunk_config_fields(size_t *n);

/* Reads a trunk object; path names it in messages ("model.trunk"). Errors
 * name the key path: unknown block type (with the known ones), a key the
 * stage's type does not take, wrong types, out-of-range values. On failure
 * cfg is left empty. */
fg_status fg_trunk_config_read(const struct cJSON *obj, const char *path, fg_trunk_config *cfg, fg_error *err);
/* Adds one stage with the type's default hyperparameters (programmatic use). */
fg_status fg_trunk_config_add_stage(fg_trunk_config *cfg, const fg_block_type *type, int num_layers,
                                    fg_error *err);
void fg_trunk_config_free(fg_trunk_config *cfg);

typedef struct fg_trunk fg_trunk;

/* Creates every layer of every stage; prefix is prepended to every weight
 * name ("" or e.g. "trunk."). A missing or misshapen tensor names itself. */
fg_status fg_trunk_create(const fg_trunk_config *cfg, const fg_block_dims *dims, fg_weights *w, const char *prefix,
                          fg_trunk **out, fg_error *err);
/* Runs the wrapper and the blocks on io in place. init_s [B,N,c_s] and
 * init_z [B,N,N,c_z] are the embeddings the averaging uses (NULL when the
 * config averages nothing); io->node_mask / edge_mask mask the averages. */
fg_status fg_trunk_forward(fg_trunk *t, fg_block_io *io, const float *init_s, const float *init_z, fg_error *err);
void fg_trunk_destroy(fg_trunk *t);

/* FLOPs of one forward of all blocks for B items of N residues. */
double fg_trunk_flops(const fg_trunk *t, int B, int N);
/* FG_BLOCK_* that the trunk's blocks read / write (the wrapper itself reads
 * and writes nodes and edges when a flag is on). */
unsigned fg_trunk_reads(const fg_trunk *t);
unsigned fg_trunk_writes(const fg_trunk *t);

#ifdef __cplusplus
}
#endif
#endif
