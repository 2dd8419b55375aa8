/* Structure files of generated samples: the backbone (N, CA, C, O) of the final
 * state, and optionally every state of the trajectory as one model each. The
 * sequence is the sampled one when the model's sequence head is trained,
 * otherwise poly-glycine (a backbone without side chains says nothing more). */
#ifndef FRAMEGEN_SAMPLE_OUTPUT_H
#define FRAMEGEN_SAMPLE_OUTPUT_H

#include <stdbool.h>

#include "framegen/sampler.h"
#include "framegen/status.h"
#include "framegen/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* bb4[N,4,3]: N, CA, C, O of the final state (O re-placed as the reference). */
fg_status fg_sample_backbone(const fg_sample *s, float *bb4, fg_error *err);

/* One file; written atomically (no partial file on failure). */
fg_status fg_sample_write(const fg_sample *s, const char *path, fg_struct_format fmt, bool sequence,
                          fg_error *err);
/* Every kept state (prior, each step, final) as MODEL 1..n_frames. */
fg_status fg_sample_write_trajectory(const fg_sample *s, const char *path, fg_struct_format fmt,
                                     bool sequence, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
