/* Parity of one InvariantPointAttention (case `ipa`, frames in nm) for the
 * blocked kernel and its plain reference twin. Only rows with mask 1 are
 * compared (`compare_only_valid`): masked rows carry the reference's -1e5
 * logit shift and are not reproducible across implementations. */
#include <stdlib.h>

#include "blocks/ipa_parts.h"
#include "fixture.h"
#include "framegen/arena.h"

int main(void)
{
    fx_case c;
    if (fx_open(&c, "ipa") != 0)
        return 1;
    int64_t shp[4];
    fx_shape(&c, "input.z", shp);
    const int B = (int)shp[0], N = (int)shp[1];
    const int c_s = (int)fx_hp_num(&c, "c_s", 0), c_z = (int)fx_hp_num(&c, "c_z", 0);
    float *s = fx_f32(&c, "input.s"), *z = fx_f32(&c, "input.z"), *mask = fx_f32(&c, "input.mask");
    float *rots = fx_f32(&c, "input.rotmats"), *trans = fx_f32(&c, "input.trans_nm");
    float *out = malloc((size_t)B * N * c_s * sizeof(float));
    fg_weights *w = fx_params(&c);
    fg_ipa_attn a;
    fg_error err = {0};
    fg_arena ar;
    fg_arena_init(&ar, 1 << 20);
    int ok = s && z && mask && rots && trans && out && w;
    ok = ok && fx_expect(&c, fg_ipa_attn_init(&a, w, "", c_s, c_z, (int)fx_hp_num(&c, "c_hidden", 0),
                                             (int)fx_hp_num(&c, "no_heads", 0),
                                             (int)fx_hp_num(&c, "no_qk_points", 0),
                                             (int)fx_hp_num(&c, "no_v_points", 0), &err) == FG_OK,
                         "IPA weights load: %s", err.msg);
    if (ok) {
        fg_status st = fg_ipa_attn_forward(&a, s, z, rots, trans, mask, B, N, out, &ar, &err);
        if (fx_expect(&c, st == FG_OK, "blocked IPA forward: %s", err.msg))
            fx_check_rows(&c, "output.s_update", out, mask, (int64_t)B * N, c_s);
        fx_expect(&c, ar.in_use == 0, "scratch restored (%zu bytes left)", ar.in_use);
        st = fg_ipa_attn_forward_ref(&a, s, z, rots, trans, mask, B, N, out, &err);
        if (fx_expect(&c, st == FG_OK, "reference IPA forward: %s", err.msg))
            fx_check_rows(&c, "output.s_update", out, mask, (int64_t)B * N, c_s);
        fg_ipa_attn_free(&a);
    }
    fg_arena_free(&ar);
    free(s), free(z), free(mask), free(rots), free(trans), free(out);
    return fx_finish(&c);
}
