/* An experiment config: one JSON file with the model's architecture, the
 * sampling settings, the weights to use and the checkpoint's status line:
 *
 *   { "name": "...", "description": "...", "status": "...",
 *     "weights": "path relative to this file",
 *     "esm_weights": "ESM-2 safetensors (fair-esm or HF names), when the model uses ESM",
 *     "sequence_head_trained": true,
 *     "model": { ... see framegen/model_config.h ... },
 *     "sampling": { ... fg_sampler_fields ... } }
 *
 * Every key is checked: unknown keys, wrong types and out-of-range values are
 * errors naming the key path. */
#ifndef FRAMEGEN_CONFIG_H
#define FRAMEGEN_CONFIG_H

#include <stdbool.h>

#include "framegen/model_config.h"
#include "framegen/sampler.h"
#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_CONFIG_TEXT_MAX 1024

typedef struct fg_config {
    char path[4096];                  /* the file it was read from */
    char name[256];
    char description[FG_CONFIG_TEXT_MAX];
    char status[FG_CONFIG_TEXT_MAX];  /* the checkpoint's status line; "" if none */
    char weights[4096];               /* resolved against the config's directory; "" if none */
    char esm_weights[4096];           /* ESM-2 weights for the ESM combiner, resolved; "" if none */
    bool sequence_head_trained;       /* write sampled sequences (else poly-Gly) */
    fg_model_config model;
    fg_sampler_config sampling;
} fg_config;

fg_status fg_config_load(const char *path, fg_config *cfg, fg_error *err);
void fg_config_free(fg_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
