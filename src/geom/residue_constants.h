/* Ideal residue geometry tables (private to src/geom). */
#ifndef FG_GEOM_RESIDUE_CONSTANTS_H
#define FG_GEOM_RESIDUE_CONSTANTS_H

#include <stdint.h>

#include "framegen/backbone.h"

/* Rigid groups of a residue: atoms are placed in the frame of their group. */
enum fg_rigid_group {
    FG_GROUP_BACKBONE, FG_GROUP_PRE_OMEGA, FG_GROUP_PHI, FG_GROUP_PSI,
    FG_GROUP_CHI1, FG_GROUP_CHI2, FG_GROUP_CHI3, FG_GROUP_CHI4, FG_GROUP_NUM
};

typedef struct fg_res_atom {
    uint8_t atom37; /* enum fg_atom37 */
    uint8_t group;  /* enum fg_rigid_group */
    float pos[3];   /* position in the group's frame, Angstrom */
} fg_res_atom;

typedef struct fg_restype_geom {
    char name3[4];
    char letter;
    uint8_t n_atoms;    /* atom14 slots in use (the first n_atoms) */
    uint8_t n_chi;      /* chi angles (0..4) */
    int8_t chi_atom[4]; /* atom14 slot of the atom that defines each chi dihedral, -1 none */
    fg_res_atom atoms[FG_ATOM14_NUM]; /* in atom14 order */
} fg_restype_geom;

/* The 20 standard residue types in AF2 order. */
extern const fg_restype_geom fg_restype_geoms[FG_RESTYPE_NUM];
extern const char *const fg_atom37_names[FG_ATOM37_NUM];

/* Geometry of a residue type; 20 (unknown), and anything out of range, maps to alanine. */
const fg_restype_geom *fg_restype_geom_of(int aatype);

/* Default frame of rigid group g relative to its parent (backbone for groups
 * 0..4, the previous chi group for 5..7), before its torsion rotation. */
void fg_restype_default_frame(const fg_restype_geom *g, int group, float r[9], float t[3]);

#endif
