/* Residue atoms from frames and frames from atoms, with the ideal residue
 * geometry of AlphaFold2 (rigid groups: backbone, pre-omega, phi, psi, chi1..4).
 * Atom orders: atom37 (N, CA, C, CB, O, CG, ...) and atom14 (N, CA, C, O, CB, ...
 * per residue type). Residue types in AF2 order ARNDCQEGHILKMFPSTWYV; 20 (X,
 * unknown / mask) is built as alanine. Coordinates are in the unit of the frame
 * translations (Angstrom at the public boundary); frames map local to global,
 * x = R x_local + t, as in rigid.h. Torsions are (sin, cos) pairs. */
#ifndef FRAMEGEN_BACKBONE_H
#define FRAMEGEN_BACKBONE_H

#include <stdint.h>

#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_ATOM37_NUM 37
#define FG_ATOM14_NUM 14
#define FG_RESTYPE_NUM 20  /* standard amino acids */
#define FG_RESTYPE_UNK 20  /* X: unknown or masked residue */
#define FG_TORSION_NUM 7   /* omega, phi, psi, chi1, chi2, chi3, chi4 */
#define FG_OXYGEN_BOND 1.23f /* C=O length (Angstrom) used to re-place the carbonyl O */

/* atom37 indices */
enum fg_atom37 {
    FG_A37_N, FG_A37_CA, FG_A37_C, FG_A37_CB, FG_A37_O, FG_A37_CG, FG_A37_CG1, FG_A37_CG2,
    FG_A37_OG, FG_A37_OG1, FG_A37_SG, FG_A37_CD, FG_A37_CD1, FG_A37_CD2, FG_A37_ND1, FG_A37_ND2,
    FG_A37_OD1, FG_A37_OD2, FG_A37_SD, FG_A37_CE, FG_A37_CE1, FG_A37_CE2, FG_A37_CE3, FG_A37_NE,
    FG_A37_NE1, FG_A37_NE2, FG_A37_OE1, FG_A37_OE2, FG_A37_CH2, FG_A37_NH1, FG_A37_NH2, FG_A37_OH,
    FG_A37_CZ, FG_A37_CZ2, FG_A37_CZ3, FG_A37_NZ, FG_A37_OXT
};

/* PDB name of an atom37 atom ("N", "CA", ...); NULL out of range. */
const char *fg_atom37_name(int atom);
/* Three-letter name of a residue type ("ALA".."VAL", "UNK" for 20); NULL out of range. */
const char *fg_restype_name3(int aatype);
/* One-letter code ('A'..'Y', 'X' for 20); '?' out of range. */
char fg_restype_letter(int aatype);
/* Residue type of a one-letter code (upper or lower case); FG_RESTYPE_UNK if not standard. */
int fg_restype_from_letter(char c);
/* Residue type of a three-letter name; FG_RESTYPE_UNK if not standard. */
int fg_restype_from_name3(const char *name);
/* atom37 index of atom14 slot `slot` of residue type aatype; -1 where the slot is empty. */
int fg_atom14_to_atom37_index(int aatype, int slot);
/* Which atom37 / atom14 atoms a residue type has (1/0); aatype 20 uses alanine's. */
void fg_atom37_mask(int aatype, uint8_t mask[FG_ATOM37_NUM]);
void fg_atom14_mask(int aatype, uint8_t mask[FG_ATOM14_NUM]);

/* Backbone frame of a residue from its N, CA, C atoms, as the data pipeline
 * (atom37_to_frames): from_3_points(C, CA, N) turned by diag(-1, 1, -1), so x
 * points CA -> C, N lies in the xy plane at y > 0, t = CA. */
void fg_frame_from_backbone(const float n[3], const float ca[3], const float c[3], float r[9],
                            float t[3]);

/* Ideal atoms of n residues from their frames (rots [n,3,3], trans [n,3]) and
 * torsions [n,k,2] (k = 1: psi only; k = 7: omega, phi, psi, chi1..4; NULL or
 * k = 0: all zero angles; unspecified angles are 0), aatype [n] (NULL: all
 * alanine). atom14 [n,14,3] gets zeros in empty slots. Errors: bad k or aatype. */
fg_status fg_atom14_from_frames(int64_t n, const float *rots, const float *trans,
                                const float *torsions, int k, const int64_t *aatype, float *atom14,
                                fg_error *err);
/* Scatter atom14 [n,14,3] into atom37 [n,37,3] by atom name (zeros where
 * absent); aatype as above (out of range: alanine). */
void fg_atom14_to_atom37(int64_t n, const float *atom14, const int64_t *aatype, float *atom37);
/* The reference's rigid_to_atom37, reproduced exactly: atom37 [n,37,3] holds
 * N, CA, C, CB, O in slots 0..4 and then atom14 slots 5..13 in slots 5..13 as
 * they are -- upstream copies side chains by atom14 slot, not by atom name, so
 * only slots 0..4 are named atoms (use fg_atom14_to_atom37 for a layout by
 * name). The mask [n,37] (NULL to skip) is "any coordinate non-zero", as
 * upstream. atom14 [n,14,3] (NULL to skip) is also returned. No O re-placement. */
fg_status fg_rigid_to_atom37(int64_t n, const float *rots, const float *trans, const float *torsions,
                             int k, const int64_t *aatype, float *atom37, uint8_t *atom37_mask,
                             float *atom14, fg_error *err);
/* Re-place the carbonyl O of atom37 [n,37,3] (adjust_oxygen_pos): 1.23 A from C
 * along the bisector of CA->C and N(i+1)->C; where residue i+1 is absent
 * (last residue, or res_mask[i+1] == 0) along the bisector of CA->C and CA->N.
 * res_mask [n] (NULL: all present). */
void fg_atom37_adjust_oxygen(int64_t n, float *atom37, const float *res_mask);
/* The reference's atom37_from_trans_rot: fg_rigid_to_atom37 (same slot layout)
 * then the O re-placement. */
fg_status fg_atom37_from_frames(int64_t n, const float *rots, const float *trans,
                                const float *torsions, int k, const int64_t *aatype,
                                const float *res_mask, float *atom37, fg_error *err);
/* N, CA, C, O of each residue ([n,4,3]) as fg_atom37_from_frames places them
 * (what structure files need); aatype / res_mask may be NULL. */
fg_status fg_backbone_from_frames(int64_t n, const float *rots, const float *trans,
                                  const int64_t *aatype, const float *res_mask, float *bb4,
                                  fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
