/* Reading a trunk section of the model config in either form: framegen's
 * ({pre/post flags, "stages": [...]}, framegen/trunk.h) or the reference's
 * ({attn_type, num_layers, node_dim, edge_dim, pre/post flags} with the block
 * settings under model.attention.<pairformer | pair_bias |
 * double_attention_pair | ipa>). */
#ifndef FG_TRUNK_REFERENCE_H
#define FG_TRUNK_REFERENCE_H

#include <cjson/cJSON.h>

#include "framegen/trunk.h"

/* model: the model object; key: "trunk" or "seq_trunk"; a missing section is
 * an empty trunk. */
fg_status fg_trunk_section_read(const cJSON *model, const char *key, const char *path, int c_s, int c_z,
                                fg_trunk_config *cfg, fg_error *err);

#endif
