/* Backbone-level conveniences: frames from N/CA/C, the reference's
 * rigid_to_atom37 / atom37_from_trans_rot, carbonyl O re-placement, and the
 * N, CA, C, O rows that structure files need. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/rigid.h"
#include "residue_constants.h"

void fg_frame_from_backbone(const float n[3], const float ca[3], const float c[3], float r[9],
                            float t[3])
{
    fg_rigid_from_3_points(c, ca, n, r, t);
    for (int i = 0; i < 3; i++) { /* compose with diag(-1, 1, -1): negate columns x and z */
        r[i * 3 + 0] = -r[i * 3 + 0];
        r[i * 3 + 2] = -r[i * 3 + 2];
    }
}

/* The reference's atom14 -> "atom37" copy: slots N, CA, C, CB, O in atom37
 * order, then atom14 slots 5..13 as they are (not by atom name). */
static void atom14_to_reference_atom37(int64_t n, const float *atom14, float *atom37)
{
    static const int from14[5] = {0, 1, 2, 4, 3}; /* atom37 slot j <- atom14 slot from14[j] */
    for (int64_t i = 0; i < n; i++) {
        const float *a = atom14 + i * FG_ATOM14_NUM * 3; /* [14,3] */
        float *out = atom37 + i * FG_ATOM37_NUM * 3;     /* [37,3] */
        memset(out, 0, FG_ATOM37_NUM * 3 * sizeof(float));
        for (int j = 0; j < FG_ATOM14_NUM; j++)
            memcpy(out + j * 3, a + (j < 5 ? from14[j] : j) * 3, 3 * sizeof(float));
    }
}

fg_status fg_rigid_to_atom37(int64_t n, const float *rots, const float *trans, const float *torsions,
                             int k, const int64_t *aatype, float *atom37, uint8_t *atom37_mask,
                             float *atom14, fg_error *err)
{
    float *a14 = atom14 ? atom14 : malloc((size_t)(n > 0 ? n : 1) * FG_ATOM14_NUM * 3 * sizeof(float));
    if (!a14)
        return fg_error_set(err, FG_ERR_NOMEM, "rigid_to_atom37: atom14 buffer for %lld residues",
                            (long long)n);
    fg_status st = fg_atom14_from_frames(n, rots, trans, torsions, k, aatype, a14, err);
    if (st == FG_OK) {
        atom14_to_reference_atom37(n, a14, atom37);
        for (int64_t i = 0; atom37_mask && i < n * FG_ATOM37_NUM; i++) {
            const float *p = atom37 + i * 3;
            atom37_mask[i] = p[0] != 0.0f || p[1] != 0.0f || p[2] != 0.0f;
        }
    }
    if (a14 != atom14)
        free(a14);
    return st;
}

/* (a - b) / (|a - b| + 1e-7) */
static void unit_diff(const float a[3], const float b[3], float u[3])
{
    float d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    float nrm = sqrtf(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) + 1e-7f;
    u[0] = d[0] / nrm, u[1] = d[1] / nrm, u[2] = d[2] / nrm;
}

/* O = C + 1.23 * unit(u + v) */
static void place_oxygen(const float c[3], const float u[3], const float v[3], float o[3])
{
    float s[3] = {u[0] + v[0], u[1] + v[1], u[2] + v[2]};
    float nrm = sqrtf(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]) + 1e-7f;
    for (int k = 0; k < 3; k++)
        o[k] = c[k] + s[k] / nrm * FG_OXYGEN_BOND;
}

/* adjust_oxygen_pos on n residues whose atoms lie `stride` floats apart, with
 * N, CA, C, O at float offsets on, oca, oc, oo within a residue. */
static void adjust_oxygen(int64_t n, float *x, int64_t stride, int on, int oca, int oc, int oo,
                          const float *res_mask)
{
    for (int64_t i = 0; i < n; i++) {
        float *r = x + i * stride, u[3], v[3];
        int next_known = i + 1 < n && (!res_mask || res_mask[i + 1] != 0.0f);
        unit_diff(r + oc, r + oca, u); /* CA -> C */
        if (next_known)
            unit_diff(r + oc, x + (i + 1) * stride + on, v); /* N(i+1) -> C */
        else
            unit_diff(r + on, r + oca, v); /* CA -> N */
        place_oxygen(r + oc, u, v, r + oo);
    }
}

void fg_atom37_adjust_oxygen(int64_t n, float *atom37, const float *res_mask)
{
    adjust_oxygen(n, atom37, FG_ATOM37_NUM * 3, FG_A37_N * 3, FG_A37_CA * 3, FG_A37_C * 3,
                  FG_A37_O * 3, res_mask);
}

fg_status fg_atom37_from_frames(int64_t n, const float *rots, const float *trans,
                                const float *torsions, int k, const int64_t *aatype,
                                const float *res_mask, float *atom37, fg_error *err)
{
    fg_status st = fg_rigid_to_atom37(n, rots, trans, torsions, k, aatype, atom37, NULL, NULL, err);
    if (st == FG_OK)
        fg_atom37_adjust_oxygen(n, atom37, res_mask);
    return st;
}

fg_status fg_backbone_from_frames(int64_t n, const float *rots, const float *trans,
                                  const int64_t *aatype, const float *res_mask, float *bb4,
                                  fg_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (aatype && (aatype[i] < 0 || aatype[i] > FG_RESTYPE_UNK))
            return fg_error_set(err, FG_ERR_INVALID, "backbone_from_frames: aatype[%lld] = %lld "
                                "out of range 0..20", (long long)i, (long long)aatype[i]);
        const fg_restype_geom *g = fg_restype_geom_of(aatype ? (int)aatype[i] : 0);
        for (int a = 0; a < 3; a++) /* N, CA, C: atom14 slots 0..2, backbone group; O below */
            fg_rigid_apply(rots + i * 9, trans + i * 3, g->atoms[a].pos, bb4 + (i * 4 + a) * 3);
    }
    adjust_oxygen(n, bb4, 12, 0, 3, 6, 9, res_mask);
    return FG_OK;
}
