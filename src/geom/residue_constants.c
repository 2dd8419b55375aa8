/* Ideal heavy-atom geometry of the 20 standard amino acids: each atom's position
 * in the frame of its rigid group (backbone, psi, chi1..chi4), in Angstrom.
 * Source: the Engh & Huber (1991) ideal bond lengths and angles as tabulated for
 * AlphaFold2 (Jumper et al. 2021, supplementary section 1.8; the same numbers
 * are in OpenFold's residue_constants). Laid out here per residue in atom14
 * order, with the atom that defines each chi dihedral. Proline's CD carries
 * the AlphaFold2 adjustment (angle 2 degrees wider). */
#include "residue_constants.h"

#include <string.h>

const char *const fg_atom37_names[FG_ATOM37_NUM] = {
    "N", "CA", "C", "CB", "O", "CG", "CG1", "CG2", "OG", "OG1", "SG", "CD", "CD1",
    "CD2", "ND1", "ND2", "OD1", "OD2", "SD", "CE", "CE1", "CE2", "CE3", "NE", "NE1",
    "NE2", "OE1", "OE2", "CH2", "NH1", "NH2", "OH", "CZ", "CZ2", "CZ3", "NZ", "OXT",
};

/* {name, letter, atoms, chis, {chi-defining atom14 slots}, {{atom37, group, position}}} */
const fg_restype_geom fg_restype_geoms[FG_RESTYPE_NUM] = {
    {"ALA", 'A', 5, 0, {-1, -1, -1, -1}, {
        {FG_A37_N, 0, {-0.525f, 1.363f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.526f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.627f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.529f, -0.774f, -1.205f}},
    }},
    {"ARG", 'R', 11, 4, {5, 6, 7, 8}, {
        {FG_A37_N, 0, {-0.524f, 1.362f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.525f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.524f, -0.778f, -1.209f}},
        {FG_A37_CG, 4, {0.616f, 1.390f, 0.000f}},
        {FG_A37_CD, 5, {0.564f, 1.414f, 0.000f}},
        {FG_A37_NE, 6, {0.539f, 1.357f, 0.000f}},
        {FG_A37_CZ, 7, {0.758f, 1.093f, 0.000f}},
        {FG_A37_NH1, 7, {0.206f, 2.301f, 0.000f}},
        {FG_A37_NH2, 7, {2.078f, 0.978f, 0.000f}},
    }},
    {"ASN", 'N', 8, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.536f, 1.357f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.526f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.625f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.531f, -0.787f, -1.200f}},
        {FG_A37_CG, 4, {0.584f, 1.399f, 0.000f}},
        {FG_A37_OD1, 5, {0.633f, 1.059f, 0.000f}},
        {FG_A37_ND2, 5, {0.593f, -1.188f, 0.001f}},
    }},
    {"ASP", 'D', 8, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.525f, 1.362f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.527f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.526f, -0.778f, -1.208f}},
        {FG_A37_CG, 4, {0.593f, 1.398f, 0.000f}},
        {FG_A37_OD1, 5, {0.610f, 1.091f, 0.000f}},
        {FG_A37_OD2, 5, {0.592f, -1.101f, -0.003f}},
    }},
    {"CYS", 'C', 6, 1, {5, -1, -1, -1}, {
        {FG_A37_N, 0, {-0.522f, 1.362f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.524f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.625f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.519f, -0.773f, -1.212f}},
        {FG_A37_SG, 4, {0.728f, 1.653f, 0.000f}},
    }},
    {"GLN", 'Q', 9, 3, {5, 6, 7, -1}, {
        {FG_A37_N, 0, {-0.526f, 1.361f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.526f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.525f, -0.779f, -1.207f}},
        {FG_A37_CG, 4, {0.615f, 1.393f, 0.000f}},
        {FG_A37_CD, 5, {0.587f, 1.399f, 0.000f}},
        {FG_A37_OE1, 6, {0.634f, 1.060f, 0.000f}},
        {FG_A37_NE2, 6, {0.593f, -1.189f, -0.001f}},
    }},
    {"GLU", 'E', 9, 3, {5, 6, 7, -1}, {
        {FG_A37_N, 0, {-0.528f, 1.361f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.526f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.526f, -0.781f, -1.207f}},
        {FG_A37_CG, 4, {0.615f, 1.392f, 0.000f}},
        {FG_A37_CD, 5, {0.600f, 1.397f, 0.000f}},
        {FG_A37_OE1, 6, {0.607f, 1.095f, 0.000f}},
        {FG_A37_OE2, 6, {0.589f, -1.104f, -0.001f}},
    }},
    {"GLY", 'G', 4, 0, {-1, -1, -1, -1}, {
        {FG_A37_N, 0, {-0.572f, 1.337f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.517f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
    }},
    {"HIS", 'H', 10, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.527f, 1.360f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.525f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.625f, 1.063f, 0.000f}},
        {FG_A37_CB, 0, {-0.525f, -0.778f, -1.208f}},
        {FG_A37_CG, 4, {0.600f, 1.370f, 0.000f}},
        {FG_A37_ND1, 5, {0.744f, 1.160f, 0.000f}},
        {FG_A37_CD2, 5, {0.889f, -1.021f, 0.003f}},
        {FG_A37_CE1, 5, {2.030f, 0.851f, 0.002f}},
        {FG_A37_NE2, 5, {2.145f, -0.466f, 0.004f}},
    }},
    {"ILE", 'I', 8, 2, {5, 7, -1, -1}, {
        {FG_A37_N, 0, {-0.493f, 1.373f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.527f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.627f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.536f, -0.793f, -1.213f}},
        {FG_A37_CG1, 4, {0.534f, 1.437f, 0.000f}},
        {FG_A37_CG2, 4, {0.540f, -0.785f, -1.199f}},
        {FG_A37_CD1, 5, {0.619f, 1.391f, 0.000f}},
    }},
    {"LEU", 'L', 8, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.520f, 1.363f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.525f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.625f, 1.063f, 0.000f}},
        {FG_A37_CB, 0, {-0.522f, -0.773f, -1.214f}},
        {FG_A37_CG, 4, {0.678f, 1.371f, 0.000f}},
        {FG_A37_CD1, 5, {0.530f, 1.430f, 0.000f}},
        {FG_A37_CD2, 5, {0.535f, -0.774f, 1.200f}},
    }},
    {"LYS", 'K', 9, 4, {5, 6, 7, 8}, {
        {FG_A37_N, 0, {-0.526f, 1.362f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.526f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.524f, -0.778f, -1.208f}},
        {FG_A37_CG, 4, {0.619f, 1.390f, 0.000f}},
        {FG_A37_CD, 5, {0.559f, 1.417f, 0.000f}},
        {FG_A37_CE, 6, {0.560f, 1.416f, 0.000f}},
        {FG_A37_NZ, 7, {0.554f, 1.387f, 0.000f}},
    }},
    {"MET", 'M', 8, 3, {5, 6, 7, -1}, {
        {FG_A37_N, 0, {-0.521f, 1.364f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.525f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.625f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.523f, -0.776f, -1.210f}},
        {FG_A37_CG, 4, {0.613f, 1.391f, 0.000f}},
        {FG_A37_SD, 5, {0.703f, 1.695f, 0.000f}},
        {FG_A37_CE, 6, {0.320f, 1.786f, 0.000f}},
    }},
    {"PHE", 'F', 11, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.518f, 1.363f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.524f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.525f, -0.776f, -1.212f}},
        {FG_A37_CG, 4, {0.607f, 1.377f, 0.000f}},
        {FG_A37_CD1, 5, {0.709f, 1.195f, 0.000f}},
        {FG_A37_CD2, 5, {0.706f, -1.196f, 0.000f}},
        {FG_A37_CE1, 5, {2.102f, 1.198f, 0.000f}},
        {FG_A37_CE2, 5, {2.098f, -1.201f, 0.000f}},
        {FG_A37_CZ, 5, {2.794f, -0.003f, -0.001f}},
    }},
    {"PRO", 'P', 7, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.566f, 1.351f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.527f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.621f, 1.066f, 0.000f}},
        {FG_A37_CB, 0, {-0.546f, -0.611f, -1.293f}},
        {FG_A37_CG, 4, {0.382f, 1.445f, 0.000f}},
        {FG_A37_CD, 5, {0.477f, 1.424f, 0.000f}},
    }},
    {"SER", 'S', 6, 1, {5, -1, -1, -1}, {
        {FG_A37_N, 0, {-0.529f, 1.360f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.525f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.518f, -0.777f, -1.211f}},
        {FG_A37_OG, 4, {0.503f, 1.325f, 0.000f}},
    }},
    {"THR", 'T', 7, 1, {5, -1, -1, -1}, {
        {FG_A37_N, 0, {-0.517f, 1.364f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.526f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.626f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.516f, -0.793f, -1.215f}},
        {FG_A37_OG1, 4, {0.472f, 1.353f, 0.000f}},
        {FG_A37_CG2, 4, {0.550f, -0.718f, -1.228f}},
    }},
    {"TRP", 'W', 14, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.521f, 1.363f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.525f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.627f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.523f, -0.776f, -1.212f}},
        {FG_A37_CG, 4, {0.609f, 1.370f, 0.000f}},
        {FG_A37_CD1, 5, {0.824f, 1.091f, 0.000f}},
        {FG_A37_CD2, 5, {0.854f, -1.148f, -0.005f}},
        {FG_A37_NE1, 5, {2.140f, 0.690f, -0.004f}},
        {FG_A37_CE2, 5, {2.186f, -0.678f, -0.007f}},
        {FG_A37_CE3, 5, {0.622f, -2.530f, -0.007f}},
        {FG_A37_CZ2, 5, {3.283f, -1.543f, -0.011f}},
        {FG_A37_CZ3, 5, {1.715f, -3.389f, -0.011f}},
        {FG_A37_CH2, 5, {3.028f, -2.890f, -0.013f}},
    }},
    {"TYR", 'Y', 12, 2, {5, 6, -1, -1}, {
        {FG_A37_N, 0, {-0.522f, 1.362f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.524f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.627f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.522f, -0.776f, -1.213f}},
        {FG_A37_CG, 4, {0.607f, 1.382f, 0.000f}},
        {FG_A37_CD1, 5, {0.716f, 1.195f, 0.000f}},
        {FG_A37_CD2, 5, {0.713f, -1.194f, -0.001f}},
        {FG_A37_CE1, 5, {2.107f, 1.200f, -0.002f}},
        {FG_A37_CE2, 5, {2.104f, -1.201f, -0.003f}},
        {FG_A37_CZ, 5, {2.791f, -0.001f, -0.003f}},
        {FG_A37_OH, 5, {4.168f, -0.002f, -0.005f}},
    }},
    {"VAL", 'V', 7, 1, {5, -1, -1, -1}, {
        {FG_A37_N, 0, {-0.494f, 1.373f, 0.000f}},
        {FG_A37_CA, 0, {0.000f, 0.000f, 0.000f}},
        {FG_A37_C, 0, {1.527f, 0.000f, 0.000f}},
        {FG_A37_O, 3, {0.627f, 1.062f, 0.000f}},
        {FG_A37_CB, 0, {-0.533f, -0.795f, -1.213f}},
        {FG_A37_CG1, 4, {0.540f, 1.429f, 0.000f}},
        {FG_A37_CG2, 4, {0.533f, -0.776f, 1.203f}},
    }},
};

const fg_restype_geom *fg_restype_geom_of(int aatype)
{
    return &fg_restype_geoms[aatype > 0 && aatype < FG_RESTYPE_NUM ? aatype : 0];
}

const char *fg_atom37_name(int atom)
{
    return atom >= 0 && atom < FG_ATOM37_NUM ? fg_atom37_names[atom] : NULL;
}

const char *fg_restype_name3(int aatype)
{
    if (aatype == FG_RESTYPE_UNK)
        return "UNK";
    return aatype >= 0 && aatype < FG_RESTYPE_NUM ? fg_restype_geoms[aatype].name3 : NULL;
}

char fg_restype_letter(int aatype)
{
    if (aatype == FG_RESTYPE_UNK)
        return 'X';
    return aatype >= 0 && aatype < FG_RESTYPE_NUM ? fg_restype_geoms[aatype].letter : '?';
}

int fg_restype_from_letter(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    for (int i = 0; i < FG_RESTYPE_NUM; i++)
        if (fg_restype_geoms[i].letter == c)
            return i;
    return FG_RESTYPE_UNK;
}

int fg_restype_from_name3(const char *name)
{
    for (int i = 0; name && i < FG_RESTYPE_NUM; i++)
        if (strcmp(fg_restype_geoms[i].name3, name) == 0)
            return i;
    return FG_RESTYPE_UNK;
}

int fg_atom14_to_atom37_index(int aatype, int slot)
{
    if (aatype < 0 || aatype > FG_RESTYPE_UNK || slot < 0 || slot >= FG_ATOM14_NUM)
        return -1;
    const fg_restype_geom *g = fg_restype_geom_of(aatype);
    return slot < g->n_atoms ? g->atoms[slot].atom37 : -1;
}

void fg_atom37_mask(int aatype, uint8_t mask[FG_ATOM37_NUM])
{
    memset(mask, 0, FG_ATOM37_NUM);
    if (aatype < 0 || aatype > FG_RESTYPE_UNK)
        return;
    const fg_restype_geom *g = fg_restype_geom_of(aatype);
    for (int j = 0; j < g->n_atoms; j++)
        mask[g->atoms[j].atom37] = 1;
}

void fg_atom14_mask(int aatype, uint8_t mask[FG_ATOM14_NUM])
{
    memset(mask, 0, FG_ATOM14_NUM);
    if (aatype < 0 || aatype > FG_RESTYPE_UNK)
        return;
    const fg_restype_geom *g = fg_restype_geom_of(aatype);
    for (int j = 0; j < g->n_atoms; j++)
        mask[j] = 1;
}
