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
    helpers(&s);
    fg_structure_free(want);
    tu_rm_dir(dir);
    return fx_suite_finish(&s);
}
