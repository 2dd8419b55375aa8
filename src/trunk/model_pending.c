/* Placeholder until the model composition lands (src/trunk/model.c): the
 * sampler links against fg_model_forward; this one refuses every call. */
#include "framegen/model.h"

fg_status fg_model_forward(fg_model *m, const fg_model_batch *in, fg_model_output *out, fg_error *err)
{
    (void)m, (void)in, (void)out;
    return fg_error_set(err, FG_ERR_UNSUPPORTED, "the flow model is not built yet");
}
