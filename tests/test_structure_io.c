/* Structure IO round trips on a synthetic backbone: PDB, mmCIF and gzip'd PDB
 * keep coordinates (to the formats' 0.001 A), sequence, residue names, chain
 * ids, residue numbers, insertion codes, atom masks and B-factors (0.01);
 * trajectory files hold one model per frame. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "fixture.h"
#include "structure_testutil.h"

#define XYZ_TOL 5.1e-4 /* half of the files' last coordinate digit, plus float rounding */
#define B_TOL 5.1e-3   /* half of the B-factor column's last digit */

static char dir[] = "/tmp/fg_structio_XXXXXX";

static void compare(fx_suite *s, const char *label, const fg_structure *got,
                   const fg_structure *want)
{
    if (!fx_ok(s, got->n_chains == want->n_chains, "%s: %d chains (want %d)", label,
               got->n_chains, want->n_chains))
        return;
    for (int c = 0; c < want->n_chains; c++) {
        const fg_chain *g = &got->chains[c], *w = &want->chains[c];
        if (!fx_ok(s, strcmp(g->id, w->id) == 0 && g->len == w->len,
                   "%s: chain %d id '%s' len %d (want '%s' %d)", label, c, g->id, g->len, w->id,
                   w->len))
            continue;
        fx_ok(s, strcmp(g->seq, w->seq) == 0, "%s: chain %s sequence %s (want %s)", label, g->id,
              g->seq, w->seq);
        int names = 0, nums = 0, masks = 0;
        double max_xyz = 0, max_b = 0;
        for (int i = 0; i < w->len; i++) {
            names += strcmp(g->resname + i * FG_RESNAME_MAX, w->resname + i * FG_RESNAME_MAX) != 0;
            nums += g->resnum[i] != w->resnum[i] || g->icode[i] != w->icode[i];
            for (int k = 0; k < FG_BB_ATOMS; k++) {
                masks += g->mask[i * 4 + k] != w->mask[i * 4 + k];
                for (int d = 0; w->mask[i * 4 + k] && d < 3; d++)
                    max_xyz = fmax(max_xyz, fabs(g->xyz[(i * 4 + k) * 3 + d] -
                                                 w->xyz[(i * 4 + k) * 3 + d]));
            }
            double wb = w->bfactor ? w->bfactor[i] : 0.0;
            double gb = g->bfactor ? g->bfactor[i] : -1.0;
            max_b = fmax(max_b, fabs(gb - wb));
        }
        fx_ok(s, names == 0, "%s: chain %s residue names (%d differ)", label, g->id, names);
        fx_ok(s, nums == 0, "%s: chain %s residue numbers + insertion codes (%d differ)", label,
              g->id, nums);
        fx_ok(s, masks == 0, "%s: chain %s atom masks (%d differ)", label, g->id, masks);
        fx_ok(s, max_xyz <= XYZ_TOL, "%s: chain %s coordinates, max |diff| %.2e A (tol %.1e)",
              label, g->id, max_xyz, XYZ_TOL);
        fx_ok(s, max_b <= B_TOL, "%s: chain %s B-factors, max |diff| %.2e (tol %.1e)", label,
              g->id, max_b, B_TOL);
    }
}

static void round_trip(fx_suite *s, const fg_structure *want, const char *name,
                       fg_struct_format fmt)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fg_error err = {0};
    int before = tu_count_entries(dir);
    if (!fx_ok(s, fg_structure_write(want, path, fmt, &err) == FG_OK, "write %s %s", name,
               err.msg))
        return;
    fx_ok(s, tu_count_entries(dir) == before + 1, "%s: exactly one new file, no temporary left",
          name);
    fg_structure *got = NULL;
    if (!fx_ok(s, fg_structure_read(path, FG_STRUCT_AUTO, &got, &err) == FG_OK, "read %s %s",
               name, err.msg))
        return;
    compare(s, name, got, want);
    fg_structure_free(got);
}

/* gzip the file with zlib and read the .gz back. */
static void gzip_round_trip(fx_suite *s, const fg_structure *want, const char *name)
{
    char src[256], dst[256];
    snprintf(src, sizeof src, "%s/%s", dir, name);
    snprintf(dst, sizeof dst, "%s/%s.gz", dir, name);
    FILE *in = fopen(src, "rb");
    gzFile out = gzopen(dst, "wb");
    char buf[4096];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        gzwrite(out, buf, (unsigned)n);
    if (in)
        fclose(in);
    if (out)
        gzclose(out);
    fg_structure *got = NULL;
    fg_error err = {0};
    if (!fx_ok(s, fg_structure_read(dst, FG_STRUCT_AUTO, &got, &err) == FG_OK, "read %s.gz %s",
               name, err.msg))
        return;
    compare(s, dst, got, want);
    fg_structure_free(got);
}

static void trajectory(fx_suite *s, const char *name)
{
    enum { FRAMES = 3 };
    fg_structure *frames[FRAMES];
    for (int f = 0; f < FRAMES; f++)
        frames[f] = tu_synthetic(5.0f * (float)f);
    frames[2]->chains[0].seq[0] = 'G'; /* the sequence may change along a trajectory */
    snprintf(frames[2]->chains[0].resname, FG_RESNAME_MAX, "GLY");
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fg_error err = {0};
    if (fx_ok(s, fg_structure_write_models((const fg_structure *const *)frames, FRAMES, path,
                                           FG_STRUCT_AUTO, &err) == FG_OK,
              "write trajectory %s %s", name, err.msg)) {
        for (int f = 0; f < FRAMES; f++) {
            fg_structure *got = NULL;
            int n_models = 0;
            char label[300];
            snprintf(label, sizeof label, "%s model %d", name, f + 1);
            if (fx_ok(s, fg_structure_read_model(path, FG_STRUCT_AUTO, f, &got, &n_models,
                                                 &err) == FG_OK, "read %s %s", label, err.msg)) {
                fx_ok(s, n_models == FRAMES, "%s: file has %d models (want %d)", label,
                      n_models, FRAMES);
                compare(s, label, got, frames[f]);
            }
            fg_structure_free(got);
        }
        fg_structure *none = NULL;
        fg_status st = fg_structure_read_model(path, FG_STRUCT_AUTO, FRAMES, &none, NULL, &err);
        fx_ok(s, st != FG_OK && !none && strstr(err.msg, path),
              "%s: model %d refused: \"%s\"", name, FRAMES + 1, err.msg);
    }
    for (int f = 0; f < FRAMES; f++)
        fg_structure_free(frames[f]);
}

/* Chain ids of 1-2 characters fit PDB; mmCIF takes longer ones. */
static void chain_ids(fx_suite *s)
{
    fg_structure *a = tu_synthetic(0.0f);
    snprintf(a->chains[0].id, FG_CHAIN_ID_MAX, "H1");
    snprintf(a->chains[1].id, FG_CHAIN_ID_MAX, "b");
    round_trip(s, a, "ids.pdb", FG_STRUCT_AUTO);
    snprintf(a->chains[0].id, FG_CHAIN_ID_MAX, "LONG7ab");
    round_trip(s, a, "ids.cif", FG_STRUCT_AUTO);
    fg_structure_free(a);
}

/* An explicit format overrides the name; reading sniffs the content. */
static void explicit_format(fx_suite *s)
{
    fg_structure *a = tu_synthetic(1.0f);
    round_trip(s, a, "as_cif.txt", FG_STRUCT_MMCIF);
    round_trip(s, a, "as_pdb.txt", FG_STRUCT_PDB);
    fg_structure_free(a);
}

/* One PDB ATOM/HETATM record (80 columns + newline) appended to buf. */
static void pdb_atom(char *buf, size_t cap, const char *rec, const char *name, char altloc,
                     const char *resname, char chain, int resnum, float x, float y, float z)
{
    size_t n = strlen(buf);
    int serial = 0;
    for (const char *p = buf; (p = strchr(p, '\n')); p++)
        serial++;
    char name4[8], elem[3] = {name[0], '\0', '\0'};
    if (strcmp(name, "SE") == 0)
        elem[1] = 'E';
    snprintf(name4, sizeof name4, strlen(name) < 4 ? " %-3s" : "%s", name); /* " CA " */
    snprintf(buf + n, cap - n,
             "%-6s%5d %-4s%c%3s %c%4d    %8.3f%8.3f%8.3f%6.2f%6.2f          %2s  \n", rec,
             serial + 1, name4, altloc, resname, chain, resnum, x, y, z, 1.0, 20.0, elem);
}

/* A deposited-style PDB: altlocs, a ligand and waters after TER, an MSE
 * HETATM inside a chain, a DNA chain and a water-only chain. Only chains A
 * (GSA, first altloc) and B (MK) are protein. */
static void heterogeneous_pdb(fx_suite *s)
{
    char buf[8192] = "HEADER    TEST\n";
    const size_t cap = sizeof buf;
    static const char *bb[4] = {"N", "CA", "C", "O"};
    static const char *names_a[3] = {"GLY", "SER", "ALA"};
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 4; k++) {
            float x = 3.8f * (float)r + 0.5f * (float)k;
            pdb_atom(buf, cap, "ATOM", bb[k], r == 1 && k == 1 ? 'A' : ' ', names_a[r], 'A',
                     r + 1, x, 1.0f, 2.0f);
            if (r == 1 && k == 1) /* altloc B of SER CA, 1 A away */
                pdb_atom(buf, cap, "ATOM", "CA", 'B', "SER", 'A', 2, x + 1.0f, 1.0f, 2.0f);
        }
    strcat(buf, "TER\n");
    pdb_atom(buf, cap, "HETATM", "C1", ' ', "GOL", 'A', 101, 9.0f, 9.0f, 9.0f);
    pdb_atom(buf, cap, "HETATM", "O", ' ', "HOH", 'A', 201, 8.0f, 8.0f, 8.0f);
    for (int k = 0; k < 4; k++)
        pdb_atom(buf, cap, "HETATM", bb[k], ' ', "MSE", 'B', 1, 0.5f * (float)k, 5.0f, 5.0f);
    pdb_atom(buf, cap, "HETATM", "SE", ' ', "MSE", 'B', 1, 1.0f, 6.0f, 6.0f);
    for (int k = 0; k < 4; k++)
        pdb_atom(buf, cap, "ATOM", bb[k], ' ', "LYS", 'B', 2, 3.8f + 0.5f * (float)k, 5.0f, 5.0f);
    strcat(buf, "TER\n");
    pdb_atom(buf, cap, "ATOM", "P", ' ', "DA", 'C', 1, 0.0f, -5.0f, 0.0f);
    pdb_atom(buf, cap, "ATOM", "N9", ' ', "DA", 'C', 1, 1.0f, -5.0f, 0.0f);
    strcat(buf, "TER\n");
    pdb_atom(buf, cap, "HETATM", "O", ' ', "HOH", 'D', 1, 0.0f, 0.0f, -9.0f);
    strcat(buf, "END\n");

    char path[256];
    snprintf(path, sizeof path, "%s/deposited.pdb", dir);
    tu_write_bytes(path, buf, strlen(buf));
    fg_structure *got = NULL;
    fg_error err = {0};
    if (!fx_ok(s, fg_structure_read(path, FG_STRUCT_AUTO, &got, &err) == FG_OK, "read %s %s",
               path, err.msg))
        return;
    int ok = got->n_chains == 2 && strcmp(got->chains[0].id, "A") == 0 &&
             strcmp(got->chains[1].id, "B") == 0;
    fx_ok(s, ok, "deposited PDB: protein chains A and B only (got %d chains)", got->n_chains);
    if (ok) {
        const fg_chain *a = &got->chains[0], *b = &got->chains[1];
        fx_ok(s, strcmp(a->seq, "GSA") == 0 && strcmp(b->seq, "MK") == 0,
              "deposited PDB: sequences GSA, MK (MSE -> M), no ligand or water (got %s, %s)",
              a->seq, b->seq);
        fx_ok(s, strcmp(b->resname, "MSE") == 0, "deposited PDB: MSE keeps its name");
        fx_ok(s, a->len == 3 && fabsf(a->xyz[(1 * 4 + 1) * 3] - 4.3f) < 1e-4f,
              "deposited PDB: first altloc of SER CA (x %.3f, want 4.300)",
              a->len == 3 ? a->xyz[(1 * 4 + 1) * 3] : -1.0f);
        fx_ok(s, a->bfactor && fabsf(a->bfactor[0] - 20.0f) < 1e-4f, "deposited PDB: B-factors read");
    }
    fg_structure_free(got);
}

/* mmCIF with author chain ids different from label ids, entity types for a
 * ligand and waters, altlocs and two models: chain X (GS) from model 1. */
static void heterogeneous_mmcif(fx_suite *s)
{
    static const char cif[] =
        "data_test\n"
        "loop_\n_entity.id\n_entity.type\n1 polymer\n2 non-polymer\n3 water\n"
        "loop_\n"
        "_atom_site.group_PDB\n_atom_site.id\n_atom_site.type_symbol\n"
        "_atom_site.label_atom_id\n_atom_site.label_alt_id\n_atom_site.label_comp_id\n"
        "_atom_site.label_asym_id\n_atom_site.label_entity_id\n_atom_site.label_seq_id\n"
        "_atom_site.pdbx_PDB_ins_code\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n"
        "_atom_site.Cartn_z\n_atom_site.occupancy\n_atom_site.B_iso_or_equiv\n"
        "_atom_site.auth_seq_id\n_atom_site.auth_asym_id\n_atom_site.pdbx_PDB_model_num\n"
        "ATOM 1 N N . GLY A 1 1 ? 0.000 1.000 2.000 1 11.5 5 X 1\n"
        "ATOM 2 C CA . GLY A 1 1 ? 1.000 1.000 2.000 1 12.5 5 X 1\n"
        "ATOM 3 C C . GLY A 1 1 ? 2.000 1.000 2.000 1 13.5 5 X 1\n"
        "ATOM 4 O O . GLY A 1 1 ? 3.000 1.000 2.000 1 14.5 5 X 1\n"
        "ATOM 5 N N . SER A 1 2 ? 4.000 1.000 2.000 1 15.5 6 X 1\n"
        "ATOM 6 C CA A SER A 1 2 ? 5.000 1.000 2.000 0.6 16.5 6 X 1\n"
        "ATOM 7 C CA B SER A 1 2 ? 5.500 1.000 2.000 0.4 16.5 6 X 1\n"
        "ATOM 8 C C . SER A 1 2 ? 6.000 1.000 2.000 1 17.5 6 X 1\n"
        "HETATM 9 C C1 . GOL B 2 . ? 9.000 9.000 9.000 1 30 101 X 1\n"
        "HETATM 10 O O . HOH C 3 . ? 8.000 8.000 8.000 1 30 201 X 1\n"
        "ATOM 11 N N . GLY A 1 1 ? 10.000 1.000 2.000 1 11.5 5 X 2\n"
        "ATOM 12 C CA . GLY A 1 1 ? 11.000 1.000 2.000 1 12.5 5 X 2\n"
        "ATOM 13 C C . GLY A 1 1 ? 12.000 1.000 2.000 1 13.5 5 X 2\n"
        "ATOM 14 N N . SER A 1 2 ? 14.000 1.000 2.000 1 15.5 6 X 2\n"
        "ATOM 15 C CA . SER A 1 2 ? 15.000 1.000 2.000 1 16.5 6 X 2\n"
        "ATOM 16 C C . SER A 1 2 ? 16.000 1.000 2.000 1 17.5 6 X 2\n"
        "#\n";
    char path[256];
    snprintf(path, sizeof path, "%s/deposited.cif", dir);
    tu_write_bytes(path, cif, sizeof cif - 1);
    fg_structure *got = NULL;
    fg_error err = {0};
    int n_models = 0;
    if (!fx_ok(s, fg_structure_read_model(path, FG_STRUCT_AUTO, 0, &got, &n_models, &err) ==
                      FG_OK, "read %s %s", path, err.msg))
        return;
    const fg_chain *x = got->n_chains == 1 ? &got->chains[0] : NULL;
    fx_ok(s, x && strcmp(x->id, "X") == 0 && strcmp(x->seq, "GS") == 0 && n_models == 2,
          "deposited mmCIF: one chain, author id X, sequence GS, 2 models (got %d chains, "
          "%d models)", got->n_chains, n_models);
    if (x && x->len == 2) {
        fx_ok(s, x->resnum[0] == 5 && x->resnum[1] == 6, "deposited mmCIF: author numbers 5, 6");
        fx_ok(s, fabsf(x->xyz[(1 * 4 + 1) * 3] - 5.0f) < 1e-4f && fabsf(x->xyz[0]) < 1e-4f,
              "deposited mmCIF: model 1 coordinates, first altloc");
        fx_ok(s, x->mask[1 * 4 + FG_BB_O] == 0 && x->mask[0 * 4 + FG_BB_O] == 1,
              "deposited mmCIF: missing O of SER masked");
        fx_ok(s, fabsf(x->bfactor[0] - 12.5f) < 1e-4f, "deposited mmCIF: CA B-factor (%.2f)",
              x->bfactor[0]);
    }
    fg_structure_free(got);
}

static void helpers(fx_suite *s)
{
    fx_ok(s, fg_aa_one_letter("TRP") == 'W' && fg_aa_one_letter("MSE") == 'M' &&
                 fg_aa_one_letter("SEP") == 'X' && fg_aa_one_letter("HOH") == 'X',
          "one-letter codes: TRP W, MSE M, SEP X, HOH X");
    fx_ok(s, strcmp(fg_aa_three_letter('V'), "VAL") == 0 &&
                 strcmp(fg_aa_three_letter('B'), "UNK") == 0,
          "three-letter codes: V VAL, B UNK");
    fg_struct_format f = FG_STRUCT_AUTO;
    fg_error err = {0};
    fx_ok(s, fg_struct_format_from_path("a/b.PDB.gz") == FG_STRUCT_PDB &&
                 fg_struct_format_from_path("x.mmcif") == FG_STRUCT_MMCIF &&
                 fg_struct_format_from_path("x.cif.gz") == FG_STRUCT_MMCIF &&
                 fg_struct_format_from_path("x.txt") == FG_STRUCT_AUTO,
          "format from file names");
    fx_ok(s, fg_struct_format_parse("CIF", &f, &err) == FG_OK && f == FG_STRUCT_MMCIF &&
                 fg_struct_format_parse("xyz", &f, &err) != FG_OK && strstr(err.msg, "xyz"),
          "format names: \"%s\"", err.msg);
}

int main(void)
{
    fx_suite s = {"structure_io", 0, 0};
    if (!tu_mkdtemp(dir))
        return 1;
    fg_structure *want = tu_synthetic(0.0f);
    if (!fx_ok(&s, want != NULL, "synthetic structure"))
        return fx_suite_finish(&s);
    round_trip(&s, want, "two_chains.pdb", FG_STRUCT_AUTO);
    round_trip(&s, want, "two_chains.cif", FG_STRUCT_AUTO);
    gzip_round_trip(&s, want, "two_chains.pdb");
    gzip_round_trip(&s, want, "two_chains.cif");
    trajectory(&s, "traj.pdb");
    trajectory(&s, "traj.cif");
    chain_ids(&s);
    explicit_format(&s);
    heterogeneous_pdb(&s);
    heterogeneous_mmcif(&s);
    helpers(&s);
    fg_structure_free(want);
    tu_rm_dir(dir);
    return fx_suite_finish(&s);
}
