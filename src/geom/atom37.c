/* Frames (+ torsions) -> ideal atoms: the reference's torsion_angles_to_frames,
 * frames_to_atom14_pos and atom14 -> atom37 scatter, in float32 in the
 * reference's order of operations. */
#include <string.h>

#include "framegen/rigid.h"
#include "residue_constants.h"

/* Rotation about x by the torsion (sin, cos) = a; not renormalised, as upstream. */
static void torsion_rot(const float a[2], float r[9])
{
    const float s = a[0], c = a[1];
    const float m[9] = {1, 0, 0, 0, c, -s, 0, s, c};
    memcpy(r, m, sizeof m);
}

/* (sin, cos) of torsion j (0 omega, 1 phi, 2 psi, 3..6 chi1..4) of a residue whose
 * torsions row is tor [k,2]; unspecified ones are the zero angle. */
static void torsion_of(const float *tor, int k, int j, float a[2])
{
    a[0] = 0.0f, a[1] = 1.0f;
    if (!tor)
        return;
    if (k == FG_TORSION_NUM)
        a[0] = tor[j * 2], a[1] = tor[j * 2 + 1];
    else if (k == 1 && j == 2)
        a[0] = tor[0], a[1] = tor[1];
}

/* Frames of the rigid groups of one residue in global coordinates. */
static void residue_group_frames(const fg_restype_geom *g, const float r[9], const float t[3],
                                 const float *tor, int k, float gr[FG_GROUP_NUM][9],
                                 float gt[FG_GROUP_NUM][3])
{
    float lr[FG_GROUP_NUM][9], lt[FG_GROUP_NUM][3]; /* group -> backbone frames */
    memcpy(gr[0], r, 9 * sizeof(float));
    memcpy(gt[0], t, 3 * sizeof(float));
    for (int grp = FG_GROUP_PRE_OMEGA; grp < FG_GROUP_CHI1 + g->n_chi; grp++) {
        float dr[9], dt[3], a[2], xr[9], zero[3] = {0, 0, 0};
        fg_restype_default_frame(g, grp, dr, dt);
        torsion_of(tor, k, grp - 1, a);
        torsion_rot(a, xr);
        fg_rigid_compose(dr, dt, xr, zero, lr[grp], lt[grp]);
        if (grp > FG_GROUP_CHI1) /* chi2..4 hang off the previous chi frame */
            fg_rigid_compose(lr[grp - 1], lt[grp - 1], lr[grp], lt[grp], lr[grp], lt[grp]);
        fg_rigid_compose(r, t, lr[grp], lt[grp], gr[grp], gt[grp]);
    }
}

static int aatype_at(const int64_t *aatype, int64_t i) { return aatype ? (int)aatype[i] : 0; }

fg_status fg_atom14_from_frames(int64_t n, const float *rots, const float *trans,
                                const float *torsions, int k, const int64_t *aatype, float *atom14,
                                fg_error *err)
{
    if (torsions && k != 0 && k != 1 && k != FG_TORSION_NUM)
        return fg_error_set(err, FG_ERR_INVALID, "atom14_from_frames: %d torsions per residue "
                            "(expected 1 = psi or 7 = omega, phi, psi, chi1..4)", k);
    for (int64_t i = 0; aatype && i < n; i++)
        if (aatype[i] < 0 || aatype[i] > FG_RESTYPE_UNK)
            return fg_error_set(err, FG_ERR_INVALID, "atom14_from_frames: aatype[%lld] = %lld "
                                "out of range 0..20", (long long)i, (long long)aatype[i]);
    for (int64_t i = 0; i < n; i++) {
        const fg_restype_geom *g = fg_restype_geom_of(aatype_at(aatype, i));
        float gr[FG_GROUP_NUM][9], gt[FG_GROUP_NUM][3];
        residue_group_frames(g, rots + i * 9, trans + i * 3,
                             torsions && k ? torsions + i * k * 2 : NULL, k, gr, gt);
        float *out = atom14 + i * FG_ATOM14_NUM * 3; /* [14,3] */
        memset(out, 0, FG_ATOM14_NUM * 3 * sizeof(float));
        for (int j = 0; j < g->n_atoms; j++)
            fg_rigid_apply(gr[g->atoms[j].group], gt[g->atoms[j].group], g->atoms[j].pos,
                           out + j * 3);
    }
    return FG_OK;
}

void fg_atom14_to_atom37(int64_t n, const float *atom14, const int64_t *aatype, float *atom37)
{
    for (int64_t i = 0; i < n; i++) {
        const fg_restype_geom *g = fg_restype_geom_of(aatype_at(aatype, i));
        float *out = atom37 + i * FG_ATOM37_NUM * 3; /* [37,3] */
        memset(out, 0, FG_ATOM37_NUM * 3 * sizeof(float));
        for (int j = 0; j < g->n_atoms; j++)
            memcpy(out + g->atoms[j].atom37 * 3, atom14 + (i * FG_ATOM14_NUM + j) * 3,
                   3 * sizeof(float));
    }
}
