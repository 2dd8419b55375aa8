/* Protein backbone structures: per-chain N, CA, C, O coordinates with residue
 * names, numbers and an optional per-residue B-factor, read from and written to
 * PDB / mmCIF through gemmi. Coordinates are in Angstrom. */
#ifndef FRAMEGEN_STRUCTURE_H
#define FRAMEGEN_STRUCTURE_H

#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Backbone atom slots, in the order of fg_chain.xyz. */
enum { FG_BB_N = 0, FG_BB_CA = 1, FG_BB_C = 2, FG_BB_O = 3, FG_BB_ATOMS = 4 };

#define FG_CHAIN_ID_MAX 8 /* bytes incl. NUL: mmCIF auth_asym_id of up to 7 chars */
#define FG_RESNAME_MAX 8  /* bytes incl. NUL: CCD codes of up to 5 chars, padded */

typedef struct fg_chain {
    char id[FG_CHAIN_ID_MAX];   /* author chain id ("A") */
    int len;                    /* residues */
    char *seq;                  /* [len+1] one-letter codes, 'X' if non-standard, NUL-terminated */
    char *resname;              /* [len, FG_RESNAME_MAX] residue names ("ALA"), NUL-terminated */
    int *resnum;                /* [len] author residue numbers */
    char *icode;                /* [len] insertion codes, ' ' for none */
    float *xyz;                 /* [len, 4, 3] N, CA, C, O, Angstrom */
    unsigned char *mask;        /* [len, 4] 1 where the atom is present */
    float *bfactor;             /* [len] per-residue B-factor (pLDDT, ...); NULL: none */
} fg_chain;

typedef struct fg_structure {
    int n_chains;
    fg_chain *chains;           /* [n_chains] */
} fg_structure;

typedef enum fg_struct_format {
    FG_STRUCT_AUTO = 0, /* from the file name: .pdb/.ent -> PDB, .cif/.mmcif -> mmCIF
                           (a trailing .gz is ignored when reading) */
    FG_STRUCT_PDB,
    FG_STRUCT_MMCIF
} fg_struct_format;

/* Allocates a structure of n_chains chains with len[c] residues each, all
 * zeroed: coordinates 0, masks 0, sequences 'X', residue names "UNK",
 * residue numbers 1..len, no insertion codes, bfactor NULL (see
 * fg_chain_alloc_bfactor), chain ids "A", "B", ... */
fg_status fg_structure_create(int n_chains, const int *len, fg_structure **out, fg_error *err);
void fg_structure_free(fg_structure *s);

/* Gives the chain a zeroed per-residue B-factor array (no-op if it has one). */
fg_status fg_chain_alloc_bfactor(fg_chain *ch, fg_error *err);

/* Sets residue i from a one-letter code (ARNDCQEGHILKMFPSTWYV; anything else is
 * written as UNK / 'X'). */
void fg_chain_set_residue(fg_chain *ch, int i, char one_letter);

/* Standard amino-acid name -> one-letter code; MSE -> 'M'; anything else 'X'. */
char fg_aa_one_letter(const char *resname);
/* One-letter code -> residue name ("ALA"); "UNK" for anything non-standard. */
const char *fg_aa_three_letter(char one_letter);

/* Total residues over all chains. */
int fg_structure_residues(const fg_structure *s);

/* "pdb" / "cif" / "mmcif" (case-insensitive) -> format; error naming the value. */
fg_status fg_struct_format_parse(const char *name, fg_struct_format *out, fg_error *err);
/* Format from a file name (ignoring a trailing .gz); FG_STRUCT_AUTO if unknown. */
fg_struct_format fg_struct_format_from_path(const char *path);

/* Reads the first model of a PDB or mmCIF file (gzip'd if it starts with the gzip
 * magic) into per-chain backbones: protein residues only (standard amino acids,
 * MSE and other peptide-linked residues, which become 'X'), first alternate
 * location, chains without protein residues dropped. bfactor holds each
 * residue's CA B-factor (first backbone atom's if CA is missing). fmt AUTO
 * detects the format from the extension, then from the content. Errors are one
 * line naming the file: empty, not a structure, truncated, no protein chains,
 * unreadable gzip. */
fg_status fg_structure_read(const char *path, fg_struct_format fmt, fg_structure **out,
                            fg_error *err);

/* Same for model index `model` (0-based) of a multi-model file (a trajectory);
 * *n_models (may be NULL) receives the file's number of models. */
fg_status fg_structure_read_model(const char *path, fg_struct_format fmt, int model,
                                  fg_structure **out, int *n_models, fg_error *err);

/* Writes the atoms with mask 1 (N, CA, C, O; B-factor column = bfactor, or 0)
 * as PDB or mmCIF (fmt AUTO: from the extension, error if unknown); a residue
 * with no atom present is absent from the file. Coordinates are written to
 * 0.001 A and B-factors to 0.01 in both formats. The file
 * is written under a temporary name and renamed when complete: on failure no
 * file is left behind. PDB chain ids must be 1-2 characters. */
fg_status fg_structure_write(const fg_structure *s, const char *path, fg_struct_format fmt,
                             fg_error *err);

/* A trajectory: one MODEL per structure (models[0] is MODEL 1). Every model must
 * have the chains of the first (same ids and lengths); residue names, numbers,
 * coordinates and masks may differ (the sequence changes along a co-design
 * trajectory). */
fg_status fg_structure_write_models(const fg_structure *const *models, int n_models,
                                    const char *path, fg_struct_format fmt, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
