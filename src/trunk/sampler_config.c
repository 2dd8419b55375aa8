/* The "sampling" section of a config: fields, defaults and checks. Defaults
 * are the reference's public MultiFlow inference settings. */
#include <stdio.h>

#include "framegen/sampler.h"

static const char *const ROTS_SCHEDULES[] = {"exp", "linear", NULL};

#define S fg_sampler_config
const fg_field fg_sampler_fields[] = {
    FG_FIELD_INT_(S, num_timesteps, 100, 1, 100000, "grid points of linspace(min_t, 1, T); T-1 Euler steps + a final call"),
    FG_FIELD_FLOAT_(S, min_t, 0.01, 0.0, 0.999, "first time of the grid"),
    FG_FIELD_BOOL_(S, self_condition, true, "feed the previous prediction back as self-conditioning"),
    FG_FIELD_ENUM_(S, rots_schedule, FG_ROTS_SCHEDULE_EXP, ROTS_SCHEDULES, "rotation schedule: exp or linear"),
    FG_FIELD_FLOAT_(S, rots_exp_rate, 10.0, 1e-6, 1000.0, "rate of the exponential rotation schedule"),
    FG_FIELD_FLOAT_(S, trans_prior_scale, 10.0, 1e-6, 1000.0, "Angstrom per unit normal of the translation prior"),
    FG_FIELD_FLOAT_(S, aatypes_temp, 0.25, 1e-6, 1000.0, "softmax temperature of the amino-acid drift"),
    FG_FIELD_FLOAT_(S, aatypes_gain_max, 10.0, 1.0, 1e6, "cap of the amino-acid drift gain"),
    FG_FIELD_FLOAT_(S, aatypes_leave_cap, 0.25, 0.0, 1.0, "largest probability of leaving a token per step"),
    FG_FIELD_BOOL_(S, aatypes_gating, true, "uncertainty gate 1 - p(current) on unmasked residues"),
    FG_FIELD_FLOAT_(S, aatypes_gating_gamma, 1.0, 0.0, 100.0, "exponent of the uncertainty gate"),
    FG_FIELD_INT_(S, max_length, 2048, 1, 100000, "longest chain a run may ask for"),
};
#undef S
const size_t fg_sampler_n_fields = sizeof fg_sampler_fields / sizeof fg_sampler_fields[0];

fg_sampler_config fg_sampler_default_config(void)
{
    fg_sampler_config c;
    fg_fields_defaults(fg_sampler_fields, fg_sampler_n_fields, &c);
    return c;
}

fg_status fg_sampler_config_check(const fg_sampler_config *c, fg_error *err)
{
    /* Field ranges hold after reading; only values set in code need the same checks. */
    for (size_t i = 0; i < fg_sampler_n_fields; i++) {
        const fg_field *f = &fg_sampler_fields[i];
        const char *p = (const char *)c + f->offset;
        double v = f->kind == FG_FIELD_INT ? *(const int *)p : f->kind == FG_FIELD_FLOAT ? *(const double *)p : 0;
        if ((f->kind == FG_FIELD_INT || f->kind == FG_FIELD_FLOAT) && !(v >= f->min && v <= f->max))
            return fg_error_set(err, FG_ERR_CONFIG, "sampling.%s: %g is out of range [%g, %g]", f->key, v,
                                f->min, f->max);
    }
    return FG_OK;
}

fg_sampler_params fg_sampler_default_params(void)
{
    fg_sampler_params p = {0};
    p.cfg = fg_sampler_default_config();
    return p;
}

uint64_t fg_sampler_stream(int length, int index)
{
    return ((uint64_t)(uint32_t)length << 32) | (uint32_t)index;
}
