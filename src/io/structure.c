#include "framegen/structure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* AF2 order; the index is the residue's aatype. */
static const char kOneLetter[] = "ARNDCQEGHILKMFPSTWYV";
static const char *const kThreeLetter[20] = {"ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU",
                                             "GLY", "HIS", "ILE", "LEU", "LYS", "MET", "PHE",
                                             "PRO", "SER", "THR", "TRP", "TYR", "VAL"};

char fg_aa_one_letter(const char *resname)
{
    for (int i = 0; i < 20; i++)
        if (strcmp(resname, kThreeLetter[i]) == 0)
            return kOneLetter[i];
    return strcmp(resname, "MSE") == 0 ? 'M' : 'X';
}

const char *fg_aa_three_letter(char one_letter)
{
    const char *p = one_letter ? strchr(kOneLetter, one_letter) : NULL;
    return p ? kThreeLetter[p - kOneLetter] : "UNK";
}

void fg_chain_set_residue(fg_chain *ch, int i, char one_letter)
{
    const char *name = fg_aa_three_letter(one_letter);
    snprintf(ch->resname + (size_t)i * FG_RESNAME_MAX, FG_RESNAME_MAX, "%s", name);
    ch->seq[i] = fg_aa_one_letter(name);
}

static void chain_free(fg_chain *ch)
{
    free(ch->seq);
    free(ch->resname);
    free(ch->resnum);
    free(ch->icode);
    free(ch->xyz);
    free(ch->mask);
    free(ch->bfactor);
}

static int chain_alloc(fg_chain *ch, int c, int len)
{
    size_t n = (size_t)len;
    ch->len = len;
    /* Chain ids A..Z, a..z, 0..9, then two characters: distinct for any count. */
    static const char ids[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const int nid = (int)sizeof ids - 1;
    if (c < nid)
        snprintf(ch->id, sizeof ch->id, "%c", ids[c]);
    else
        snprintf(ch->id, sizeof ch->id, "%c%c", ids[(c / nid - 1) % nid], ids[c % nid]);
    ch->seq = malloc(n + 1);
    ch->resname = calloc(n ? n : 1, FG_RESNAME_MAX);
    ch->resnum = malloc((n ? n : 1) * sizeof *ch->resnum);
    ch->icode = malloc(n ? n : 1);
    ch->xyz = calloc(n ? n * FG_BB_ATOMS * 3 : 1, sizeof *ch->xyz);
    ch->mask = calloc(n ? n * FG_BB_ATOMS : 1, 1);
    if (!ch->seq || !ch->resname || !ch->resnum || !ch->icode || !ch->xyz || !ch->mask)
        return 0;
    ch->seq[n] = '\0';
    for (int i = 0; i < len; i++) {
        fg_chain_set_residue(ch, i, 'X');
        ch->resnum[i] = i + 1;
        ch->icode[i] = ' ';
    }
    return 1;
}

fg_status fg_structure_create(int n_chains, const int *len, fg_structure **out, fg_error *err)
{
    *out = NULL;
    if (n_chains < 0 || (n_chains > 0 && !len))
        return fg_error_set(err, FG_ERR_INVALID, "structure: bad chain count %d", n_chains);
    for (int c = 0; c < n_chains; c++)
        if (len[c] < 0)
            return fg_error_set(err, FG_ERR_INVALID, "structure: chain %d has length %d", c,
                                len[c]);
    fg_structure *s = calloc(1, sizeof *s);
    if (!s)
        return fg_error_set(err, FG_ERR_NOMEM, "structure: out of memory");
    s->chains = calloc(n_chains ? (size_t)n_chains : 1, sizeof *s->chains);
    s->n_chains = n_chains;
    int ok = s->chains != NULL;
    for (int c = 0; ok && c < n_chains; c++)
        ok = chain_alloc(&s->chains[c], c, len[c]);
    if (!ok) {
        fg_structure_free(s);
        return fg_error_set(err, FG_ERR_NOMEM, "structure: out of memory");
    }
    *out = s;
    return FG_OK;
}

void fg_structure_free(fg_structure *s)
{
    if (!s)
        return;
    for (int c = 0; s->chains && c < s->n_chains; c++)
        chain_free(&s->chains[c]);
    free(s->chains);
    free(s);
}

fg_status fg_chain_alloc_bfactor(fg_chain *ch, fg_error *err)
{
    if (ch->bfactor)
        return FG_OK;
    ch->bfactor = calloc(ch->len ? (size_t)ch->len : 1, sizeof *ch->bfactor);
    if (!ch->bfactor)
        return fg_error_set(err, FG_ERR_NOMEM, "chain %s: out of memory", ch->id);
    return FG_OK;
}

int fg_structure_residues(const fg_structure *s)
{
    int n = 0;
    for (int c = 0; c < s->n_chains; c++)
        n += s->chains[c].len;
    return n;
}

fg_status fg_struct_format_parse(const char *name, fg_struct_format *out, fg_error *err)
{
    if (strcasecmp(name, "pdb") == 0)
        *out = FG_STRUCT_PDB;
    else if (strcasecmp(name, "cif") == 0 || strcasecmp(name, "mmcif") == 0)
        *out = FG_STRUCT_MMCIF;
    else
        return fg_error_set(err, FG_ERR_INVALID,
                            "unknown structure format '%s' (expected pdb, cif or mmcif)", name);
    return FG_OK;
}

static int has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

fg_struct_format fg_struct_format_from_path(const char *path)
{
    size_t n = strlen(path);
    if (has_suffix(path, n, ".gz"))
        n -= 3;
    if (has_suffix(path, n, ".pdb") || has_suffix(path, n, ".ent"))
        return FG_STRUCT_PDB;
    if (has_suffix(path, n, ".cif") || has_suffix(path, n, ".mmcif"))
        return FG_STRUCT_MMCIF;
    return FG_STRUCT_AUTO;
}
