/* Default frames of the rigid groups of a residue type, built from its ideal
 * atom positions (the construction of AlphaFold2's default group frames):
 * each frame's x axis runs along the torsion's rotation axis and the atom that
 * fixes the dihedral's zero lies in its xy plane. Computed in double, rounded
 * to float as the reference's float32 tables are. */
#include <math.h>
#include <string.h>

#include "residue_constants.h"

/* Frame with x along ex, y = ey made orthogonal to x, z = x cross y; origin t. */
static void frame_from_axes(const double ex[3], const double ey[3], const double t[3], float r[9],
                            float tout[3])
{
    double nx = sqrt(ex[0] * ex[0] + ex[1] * ex[1] + ex[2] * ex[2]);
    double x[3] = {ex[0] / nx, ex[1] / nx, ex[2] / nx};
    double d = ey[0] * x[0] + ey[1] * x[1] + ey[2] * x[2];
    double y[3] = {ey[0] - d * x[0], ey[1] - d * x[1], ey[2] - d * x[2]};
    double ny = sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]);
    for (int k = 0; k < 3; k++)
        y[k] /= ny;
    double z[3] = {x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]};
    for (int k = 0; k < 3; k++) {
        r[k * 3 + 0] = (float)x[k], r[k * 3 + 1] = (float)y[k], r[k * 3 + 2] = (float)z[k];
        tout[k] = (float)t[k];
    }
}

static void atom_pos(const fg_restype_geom *g, int slot, double p[3])
{
    for (int k = 0; k < 3; k++)
        p[k] = g->atoms[slot].pos[k];
}

static void identity(float r[9], float t[3])
{
    static const float eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(r, eye, sizeof eye);
    t[0] = t[1] = t[2] = 0;
}

void fg_restype_default_frame(const fg_restype_geom *g, int group, float r[9], float t[3])
{
    /* atom14 slots shared by every residue type: N 0, CA 1, C 2, CB 4 */
    double n[3], ca[3], c[3], ex[3], ey[3];
    atom_pos(g, 0, n), atom_pos(g, 1, ca), atom_pos(g, 2, c);
    if (group == FG_GROUP_PHI) { /* axis CA -> N */
        for (int k = 0; k < 3; k++)
            ex[k] = n[k] - ca[k], ey[k] = k == 0 ? 1.0 : 0.0;
        frame_from_axes(ex, ey, n, r, t);
    } else if (group == FG_GROUP_PSI) { /* axis CA -> C */
        for (int k = 0; k < 3; k++)
            ex[k] = c[k] - ca[k], ey[k] = ca[k] - n[k];
        frame_from_axes(ex, ey, c, r, t);
    } else if (group == FG_GROUP_CHI1 && g->n_chi >= 1) { /* axis CA -> CB, N in the xy plane */
        double cb[3];
        atom_pos(g, 4, cb);
        for (int k = 0; k < 3; k++)
            ex[k] = cb[k] - ca[k], ey[k] = n[k] - ca[k];
        frame_from_axes(ex, ey, cb, r, t);
    } else if (group > FG_GROUP_CHI1 && group - FG_GROUP_CHI1 < g->n_chi) {
        /* In the previous chi frame the axis runs from its origin to the atom
         * that defined the previous dihedral; the frame's origin is that atom. */
        double e[3], back[3] = {-1.0, 0.0, 0.0};
        atom_pos(g, g->chi_atom[group - FG_GROUP_CHI1 - 1], e);
        frame_from_axes(e, back, e, r, t);
    } else { /* backbone, pre-omega, and chi groups the residue lacks */
        identity(r, t);
    }
}
