/* Writing structures: validation against what PDB / mmCIF can hold (so gemmi
 * never sees an impossible value), rendering by the gemmi bridge, then an
 * atomic write: a failed write leaves no file behind. */
#include "framegen/structure.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "framegen/fileio.h"
#include "structure_gemmi.h"

/* What the PDB's fixed columns can hold: %8.3f coordinates, %6.2f B-factors,
 * %4d residue numbers, 3-character residue names, 2-character chain ids
 * (gemmi's extension of the 1-character standard). */
#define PDB_XYZ_MIN -999.999
#define PDB_XYZ_MAX 9999.999
#define PDB_B_MIN -99.99
#define PDB_B_MAX 999.99
#define PDB_RESNUM_MIN -999
#define PDB_RESNUM_MAX 9999

static int is_token(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)s[i]) || s[i] == '\'' || s[i] == '"')
            return 0;
    return 1;
}

static fg_status check_residue(const fg_chain *ch, int i, int pdb, const char *path,
                               fg_error *err)
{
    const char *name = ch->resname + (size_t)i * FG_RESNAME_MAX;
    if (memchr(name, '\0', FG_RESNAME_MAX) == NULL || !is_token(name, pdb ? 3 : 5))
        return fg_error_set(err, FG_ERR_INVALID, "%s: chain %s residue index %d: bad residue "
                            "name (1-%d printable characters)", path, ch->id, i, pdb ? 3 : 5);
    int num = ch->resnum[i];
    if (num == PDB_RESNUM_MIN || (pdb && (num < PDB_RESNUM_MIN || num > PDB_RESNUM_MAX)))
        return fg_error_set(err, FG_ERR_INVALID, "%s: chain %s residue index %d: residue number "
                            "%d out of range (%d..%d)", path, ch->id, i, num,
                            PDB_RESNUM_MIN + 1, PDB_RESNUM_MAX);
    if (ch->icode[i] != ' ' && !isalnum((unsigned char)ch->icode[i]))
        return fg_error_set(err, FG_ERR_INVALID, "%s: chain %s residue %d: bad insertion code "
                            "(a letter, a digit or ' ')", path, ch->id, num);
    static const char *const atom_names[FG_BB_ATOMS] = {"N", "CA", "C", "O"};
    for (int k = 0; k < FG_BB_ATOMS; k++) {
        const float *p = ch->xyz + ((size_t)i * FG_BB_ATOMS + k) * 3; /* [3] */
        if (!ch->mask[(size_t)i * FG_BB_ATOMS + k])
            continue;
        for (int d = 0; d < 3; d++) {
            if (!isfinite(p[d]))
                return fg_error_set(err, FG_ERR_INVALID, "%s: chain %s residue %d atom %s: "
                                    "coordinate is %g", path, ch->id, num, atom_names[k],
                                    (double)p[d]);
            if (pdb && (p[d] < PDB_XYZ_MIN || p[d] > PDB_XYZ_MAX))
                return fg_error_set(err, FG_ERR_INVALID, "%s: chain %s residue %d atom %s: "
                                    "coordinate %g outside the PDB's %.3f..%.3f", path, ch->id,
                                    num, atom_names[k], (double)p[d], PDB_XYZ_MIN, PDB_XYZ_MAX);
        }
    }
    float b = ch->bfactor ? ch->bfactor[i] : 0.0f;
    if (!isfinite(b) || (pdb && (b < PDB_B_MIN || b > PDB_B_MAX)))
        return fg_error_set(err, FG_ERR_INVALID, "%s: chain %s residue %d: B-factor %g %s", path,
                            ch->id, num, (double)b,
                            !isfinite(b) ? "is not finite" : "outside the PDB's -99.99..999.99");
    return FG_OK;
}

static fg_status check_chain(const fg_chain *ch, const fg_chain *ref, int m, int pdb,
                             const char *path, fg_error *err)
{
    if (memchr(ch->id, '\0', sizeof ch->id) == NULL)
        return fg_error_set(err, FG_ERR_INVALID, "%s: model %d: chain id not NUL-terminated",
                            path, m + 1);
    if (!is_token(ch->id, pdb ? 2 : 7))
        return fg_error_set(err, FG_ERR_INVALID, "%s: model %d: bad chain id '%s' (%s: 1-%d "
                            "printable characters)", path, m + 1, ch->id, pdb ? "PDB" : "mmCIF",
                            pdb ? 2 : 7);
    if (ch->len < 1)
        return fg_error_set(err, FG_ERR_INVALID, "%s: model %d chain %s has no residues", path,
                            m + 1, ch->id);
    if (strcmp(ch->id, ref->id) != 0 || ch->len != ref->len)
        return fg_error_set(err, FG_ERR_INVALID, "%s: model %d chain %s (%d residues) differs "
                            "from model 1 chain %s (%d residues)", path, m + 1, ch->id, ch->len,
                            ref->id, ref->len);
    for (int i = 0; i < ch->len; i++) {
        fg_status st = check_residue(ch, i, pdb, path, err);
        if (st != FG_OK)
            return st;
    }
    return FG_OK;
}

static fg_status check_model(const fg_structure *s, const fg_structure *first, int m, int pdb,
                             const char *path, fg_error *err)
{
    if (!s || s->n_chains < 1)
        return fg_error_set(err, FG_ERR_INVALID, "%s: model %d has no chains", path, m + 1);
    if (s->n_chains != first->n_chains)
        return fg_error_set(err, FG_ERR_INVALID, "%s: model %d has %d chains, model 1 has %d",
                            path, m + 1, s->n_chains, first->n_chains);
    for (int c = 0; c < s->n_chains; c++) {
        for (int d = 0; d < c; d++)
            if (strcmp(s->chains[c].id, s->chains[d].id) == 0)
                return fg_error_set(err, FG_ERR_INVALID, "%s: model %d: chain id %s used twice",
                                    path, m + 1, s->chains[c].id);
        fg_status st = check_chain(&s->chains[c], &first->chains[c], m, pdb, path, err);
        if (st != FG_OK)
            return st;
    }
    return FG_OK;
}

static fg_status write_text(const char *path, const char *text, size_t len, fg_error *err)
{
    fg_atomic_file af;
    fg_status st = fg_atomic_open(&af, path, err);
    if (st != FG_OK)
        return st;
    if (fwrite(text, 1, len, af.fp) != len) {
        fg_atomic_abort(&af);
        return fg_error_set(err, FG_ERR_IO, "%s: write failed", path);
    }
    return fg_atomic_commit(&af, err);
}

fg_status fg_structure_write_models(const fg_structure *const *models, int n_models,
                                    const char *path, fg_struct_format fmt, fg_error *err)
{
    if (!path || !*path)
        return fg_error_set(err, FG_ERR_INVALID, "structure write: no file name");
    if (fmt == FG_STRUCT_AUTO)
        fmt = fg_struct_format_from_path(path);
    if (fmt != FG_STRUCT_PDB && fmt != FG_STRUCT_MMCIF)
        return fg_error_set(err, FG_ERR_INVALID, "%s: cannot tell the structure format from the "
                            "name (use .pdb or .cif, or give the format)", path);
    if (!models || n_models < 1 || !models[0])
        return fg_error_set(err, FG_ERR_INVALID, "%s: no models to write", path);
    for (int m = 0; m < n_models; m++) {
        fg_status st = check_model(models[m], models[0], m, fmt == FG_STRUCT_PDB, path, err);
        if (st != FG_OK)
            return st;
    }
    char *text = NULL; /* [len] the whole file */
    size_t len = 0;
    fg_status st = fg_gemmi_render(models, n_models, fmt, path, &text, &len, err);
    if (st == FG_OK)
        st = write_text(path, text, len, err);
    free(text);
    return st;
}

fg_status fg_structure_write(const fg_structure *s, const char *path, fg_struct_format fmt,
                             fg_error *err)
{
    return fg_structure_write_models(&s, 1, path, fmt, err);
}
