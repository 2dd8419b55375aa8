/* Frozen ESM as cogeneration's FrozenEsmModel uses it: an AF2-order batch
 * [B, N] (aatypes, chain_idx, res_mask) becomes ESM token sequences (see
 * fg_esm_tokens_from_af2: BOS/EOS, <eos> linkers where the chain changes,
 * 20 -> <mask>, res_mask 0 -> X kept in the input), packed without padding
 * and run once; the outputs are gathered at the residue tokens:
 *   single [B, N, n_layers + 1, d_model]   every layer's hidden state
 *   pair   [B, N, N, n_layers * n_heads]   attention maps, channel = layer * n_heads + head
 *   logits [B, N, 21]                      AF2 order, then the 'X' logit
 * Each is produced only when its pointer is non-NULL (pair switches the
 * attention-map path on). */
#ifndef FRAMEGEN_ESM_FROZEN_H
#define FRAMEGEN_ESM_FROZEN_H

#include <stdint.h>

#include "framegen/esm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_frozen_esm_out {
    float *single; /* [B, N, n_layers + 1, d_model] or NULL */
    float *pair;   /* [B, N, N, n_layers * n_heads] or NULL */
    float *logits; /* [B, N, 21] or NULL */
} fg_frozen_esm_out;

fg_status fg_frozen_esm_forward(fg_esm *esm, int B, int N, const int64_t *aatypes,
                                const int64_t *chain_idx, const float *res_mask,
                                const fg_frozen_esm_out *out, fg_error *err);

/* Floats per sample of each output. */
int64_t fg_frozen_esm_single_size(const fg_esm *esm, int N);
int64_t fg_frozen_esm_pair_size(const fg_esm *esm, int N);
#define FG_FROZEN_ESM_LOGITS 21

#ifdef __cplusplus
}
#endif
#endif
