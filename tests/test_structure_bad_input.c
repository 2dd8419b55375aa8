/* Bad structure input and failed writes: every case is refused with one line
 * naming the file and saying what is wrong, and no file is left behind (a
 * failed write into an existing file keeps the old content). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fixture.h"
#include "structure_testutil.h"

static char dir[] = "/tmp/fg_structbad_XXXXXX";

typedef struct text {
    char *data;
    size_t len;
} text;

static text slurp(const char *path)
{
    text t = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return t;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    t.data = malloc((size_t)n + 1);
    t.len = fread(t.data, 1, (size_t)n, f);
    t.data[t.len] = '\0';
    fclose(f);
    return t;
}

static void path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* The message names the file, contains needle and is one line. */
static int good_message(const fg_error *err, const char *path, const char *needle)
{
    return strstr(err->msg, path) && strstr(err->msg, needle) && !strchr(err->msg, '\n');
}

/* Writes bytes to name, then expects fg_structure_read to refuse it. */
static void expect_read_error(fx_suite *s, const char *label, const char *name, const void *bytes,
                              size_t n, const char *needle)
{
    char path[256];
    path_in(path, sizeof path, name);
    tu_write_bytes(path, bytes, n);
    int before = tu_count_entries(dir);
    fg_structure *got = NULL;
    fg_error err = {0};
    fg_status st = fg_structure_read(path, FG_STRUCT_AUTO, &got, &err);
    fx_ok(s, st != FG_OK && got == NULL && good_message(&err, path, needle) &&
                 tu_count_entries(dir) == before,
          "%s refused: \"%s\"", label, err.msg);
    fg_structure_free(got);
    unlink(path);
}

static void random_bytes(unsigned char *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        buf[i] = (unsigned char)(seed >> 24);
    }
}

/* A good file of the synthetic structure in the given format, as text. */
static text good_file(const char *name)
{
    char path[256];
    path_in(path, sizeof path, name);
    fg_structure *a = tu_synthetic(0.0f);
    fg_error err;
    text t = {NULL, 0};
    if (a && fg_structure_write(a, path, FG_STRUCT_AUTO, &err) == FG_OK)
        t = slurp(path);
    fg_structure_free(a);
    unlink(path);
    return t;
}

/* Offset of column col (0-based) of the index-th line that starts with prefix. */
static size_t line_offset(const text *t, const char *prefix, int index, size_t col)
{
    size_t plen = strlen(prefix);
    int seen = 0;
    for (size_t i = 0; i < t->len; i = (size_t)(strchr(t->data + i, '\n') - t->data) + 1) {
        if (strncmp(t->data + i, prefix, plen) == 0 && seen++ == index)
            return i + col;
        if (!strchr(t->data + i, '\n'))
            break;
    }
    return 0;
}

static void bad_pdb(fx_suite *s)
{
    expect_read_error(s, "empty PDB", "empty.pdb", "", 0, "empty file");
    expect_read_error(s, "blank PDB", "blank.pdb", " \n\n  \n", 6, "empty file");
    unsigned char junk[4096];
    random_bytes(junk, sizeof junk, 7u);
    expect_read_error(s, "binary garbage PDB", "garbage.pdb", junk, sizeof junk, "no atoms");
    const char *prose = "This is not a structure.\nJust some words\nover three lines\n";
    expect_read_error(s, "text garbage PDB", "prose.pdb", prose, strlen(prose), "no atoms");
    const char *water =
        "HETATM    1  O   HOH A 101      10.000  10.000  10.000  1.00 20.00           O  \n"
        "HETATM    2  O   HOH A 102      12.000  10.000  10.000  1.00 20.00           O  \n"
        "END\n";
    expect_read_error(s, "PDB with only waters", "water.pdb", water, strlen(water),
                      "no protein chains");

    text t = good_file("good.pdb");
    if (!fx_ok(s, t.data != NULL, "reference PDB written"))
        return;
    size_t cut = line_offset(&t, "ATOM", 4, 35); /* inside x of the 5th atom */
    expect_read_error(s, "PDB cut inside a coordinate", "cut_xyz.pdb", t.data, cut,
                      "truncated");
    /* The same record cut short, followed by the rest of the file (gemmi's check). */
    size_t next = line_offset(&t, "ATOM", 5, 0);
    char *spliced = malloc(t.len + 2); /* [cut + 1 + rest] */
    memcpy(spliced, t.data, cut);
    spliced[cut] = '\n';
    memcpy(spliced + cut + 1, t.data + next, t.len - next);
    expect_read_error(s, "PDB with a record cut short mid-file", "short_mid.pdb", spliced,
                      cut + 1 + t.len - next, "too short");
    free(spliced);
    cut = line_offset(&t, "ATOM", 4, 58); /* inside the occupancy */
    expect_read_error(s, "PDB cut inside the occupancy", "cut_occ.pdb", t.data, cut,
                      "truncated");
    cut = line_offset(&t, "ATOM", 4, 63); /* inside the B-factor */
    expect_read_error(s, "PDB cut inside the B-factor", "cut_b.pdb", t.data, cut, "truncated");
    cut = line_offset(&t, "ATOM", 0, 3); /* inside the first record name */
    expect_read_error(s, "PDB cut inside the first record name", "cut_rec.pdb", t.data, cut,
                      "truncated");
    free(t.data);
}

static void bad_mmcif(fx_suite *s)
{
    expect_read_error(s, "empty mmCIF", "empty.cif", "", 0, "empty file");
    unsigned char junk[4096];
    random_bytes(junk, sizeof junk, 11u);
    expect_read_error(s, "binary garbage mmCIF", "garbage.cif", junk, sizeof junk,
                      "block header");
    const char *prose = "This is not a structure.\n";
    expect_read_error(s, "text garbage mmCIF", "prose.cif", prose, strlen(prose), "data_");
    const char *broken = "data_x\n_cell.length_a 10\nloop_\n_a.b\n_a.c\n1 2 3\n";
    expect_read_error(s, "mmCIF with a ragged loop", "ragged.cif", broken, strlen(broken),
                      "Wrong number of values");
    const char *unclosed = "data_x\n_a.b 'unclosed quote\n";
    expect_read_error(s, "mmCIF with a syntax error", "syntax.cif", unclosed, strlen(unclosed),
                      "unterminated");

    text t = good_file("good.cif");
    if (!fx_ok(s, t.data != NULL, "reference mmCIF written"))
        return;
    size_t cut = line_offset(&t, "ATOM", 6, 20); /* in the middle of a row */
    expect_read_error(s, "mmCIF cut inside an atom_site row", "cut_row.cif", t.data, cut,
                      "Wrong number of values");
    cut = line_offset(&t, "loop_\n_atom_site.group_PDB", 0, 0); /* before the atoms */
    expect_read_error(s, "mmCIF cut before the atom_site loop", "cut_head.cif", t.data, cut,
                      "no atoms");
    cut = line_offset(&t, "_atom_site.pdbx_PDB_model_num", 0, 30); /* loop without values */
    expect_read_error(s, "mmCIF cut after the atom_site header", "cut_tags.cif", t.data, cut,
                      "no atoms");
    free(t.data);
}

static void bad_gzip(fx_suite *s)
{
    text t = good_file("good.pdb");
    if (!fx_ok(s, t.data != NULL, "reference PDB written"))
        return;
    uLongf zlen = compressBound(t.len) + 32;
    unsigned char *z = malloc(zlen); /* [zlen] gzip member */
    z_stream zs = {0};
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY); /* +16: gzip wrapper */
    zs.next_in = (unsigned char *)t.data;
    zs.avail_in = (uInt)t.len;
    zs.next_out = z;
    zs.avail_out = (uInt)zlen;
    deflate(&zs, Z_FINISH);
    size_t n = zs.total_out;
    deflateEnd(&zs);

    char path[256];
    path_in(path, sizeof path, "ok.pdb.gz");
    tu_write_bytes(path, z, n);
    fg_structure *ok = NULL;
    fg_error err = {0};
    fx_ok(s, fg_structure_read(path, FG_STRUCT_AUTO, &ok, &err) == FG_OK && ok,
          "intact gzip reads (%s)", err.msg);
    fg_structure_free(ok);
    unlink(path);

    expect_read_error(s, "gzip cut in half", "half.pdb.gz", z, n / 2, "unreadable gzip");
    expect_read_error(s, "gzip without its trailer", "notrailer.pdb.gz", z, n - 4,
                      "unreadable gzip");
    unsigned char *bad = malloc(n);
    memcpy(bad, z, n);
    for (size_t i = n / 3; i < n / 3 + 16; i++)
        bad[i] ^= 0x5a;
    expect_read_error(s, "gzip with flipped bytes", "flipped.pdb.gz", bad, n, "unreadable gzip");
    expect_read_error(s, "plain text named .gz", "plain.pdb.gz", t.data, t.len,
                      "not in gzip format");
    expect_read_error(s, "gzip header only", "header.pdb.gz", z, 10, "unreadable gzip");
    free(bad);
    free(z);
    free(t.data);
}

static void missing_file(fx_suite *s)
{
    char path[256];
    path_in(path, sizeof path, "does_not_exist.pdb");
    fg_structure *got = NULL;
    fg_error err = {0};
    fg_status st = fg_structure_read(path, FG_STRUCT_AUTO, &got, &err);
    fx_ok(s, st == FG_ERR_IO && !got && good_message(&err, path, "cannot open"),
          "missing file refused: \"%s\"", err.msg);
}

/* A write that must fail, leave dir as it was and name the file. */
static void expect_write_error(fx_suite *s, const char *label, const fg_structure *const *models,
                               int n_models, const char *path, fg_struct_format fmt,
                               const char *needle)
{
    int before = tu_count_entries(dir);
    fg_error err = {0};
    fg_status st = fg_structure_write_models(models, n_models, path, fmt, &err);
    fx_ok(s, st != FG_OK && good_message(&err, path, needle) &&
                 tu_count_entries(dir) == before,
          "%s refused, nothing left: \"%s\"", label, err.msg);
}

static void bad_writes(fx_suite *s)
{
    fg_structure *a = tu_synthetic(0.0f), *b = tu_synthetic(1.0f);
    const fg_structure *one[1] = {a};
    char path[256];

    snprintf(path, sizeof path, "%s/no/such/dir/out.pdb", dir);
    expect_write_error(s, "write into a missing directory", one, 1, path, FG_STRUCT_AUTO,
                       "No such file or directory");
    path_in(path, sizeof path, "plain_file");
    tu_write_bytes(path, "x", 1);
    snprintf(path, sizeof path, "%s/plain_file/out.cif", dir);
    expect_write_error(s, "write below a regular file", one, 1, path, FG_STRUCT_AUTO,
                       "Not a directory");
    path_in(path, sizeof path, "a_directory.pdb");
    mkdir(path, 0755);
    expect_write_error(s, "write onto a directory", one, 1, path, FG_STRUCT_AUTO,
                       "cannot rename");
    char ro[200];
    path_in(ro, sizeof ro, "read_only");
    mkdir(ro, 0555);
    snprintf(path, sizeof path, "%s/out.pdb", ro);
    if (geteuid() != 0)
        expect_write_error(s, "write into a read-only directory", one, 1, path, FG_STRUCT_AUTO,
                           "Permission denied");
    else
        printf("  NOTE read-only directory case not run: root ignores directory permissions\n");
    /* /proc refuses new files even to root. */
    struct stat sb;
    if (stat("/proc/self", &sb) == 0) {
        expect_write_error(s, "write into /proc (unwritable)", one, 1, "/proc/fg_out.pdb",
                           FG_STRUCT_AUTO, "cannot create temporary file");
        fx_ok(s, stat("/proc/fg_out.pdb", &sb) != 0, "no /proc/fg_out.pdb");
    }
    path_in(path, sizeof path, "out.xyz");
    expect_write_error(s, "unknown extension", one, 1, path, FG_STRUCT_AUTO, "format");

    path_in(path, sizeof path, "out.pdb");
    a->chains[1].xyz[5] = NAN;
    expect_write_error(s, "NaN coordinate", one, 1, path, FG_STRUCT_AUTO, "is nan");
    a->chains[1].xyz[5] = 1.0e5f;
    expect_write_error(s, "coordinate beyond the PDB columns", one, 1, path, FG_STRUCT_AUTO,
                       "outside the PDB's");
    a->chains[1].xyz[5] = 1.0f;
    a->chains[0].bfactor[2] = 1000.0f;
    expect_write_error(s, "B-factor beyond the PDB column", one, 1, path, FG_STRUCT_AUTO,
                       "B-factor");
    a->chains[0].bfactor[2] = 50.0f;
    snprintf(a->chains[0].id, FG_CHAIN_ID_MAX, "ABC");
    expect_write_error(s, "3-character chain id in PDB", one, 1, path, FG_STRUCT_AUTO,
                       "chain id");
    snprintf(a->chains[0].id, FG_CHAIN_ID_MAX, "B");
    expect_write_error(s, "duplicate chain id", one, 1, path, FG_STRUCT_AUTO, "used twice");
    snprintf(a->chains[0].id, FG_CHAIN_ID_MAX, "A");
    a->chains[0].resnum[0] = 10000;
    expect_write_error(s, "residue number beyond the PDB column", one, 1, path, FG_STRUCT_AUTO,
                       "residue number");
    a->chains[0].resnum[0] = 1;
    b->chains[1].len = 5;
    const fg_structure *two[2] = {a, b};
    expect_write_error(s, "trajectory frames with different chains", two, 2, path,
                       FG_STRUCT_AUTO, "differs from model 1");
    b->chains[1].len = 6;

    /* A failed write over an existing file leaves the old file untouched. */
    fg_error err = {0};
    fx_ok(s, fg_structure_write(a, path, FG_STRUCT_AUTO, &err) == FG_OK, "write out.pdb %s",
          err.msg);
    text old = slurp(path);
    a->chains[0].xyz[0] = INFINITY;
    expect_write_error(s, "Inf coordinate over an existing file", one, 1, path, FG_STRUCT_AUTO,
                       "is inf");
    text now = slurp(path);
    fx_ok(s, old.data && now.data && old.len == now.len && memcmp(old.data, now.data, old.len) == 0,
          "the existing out.pdb is unchanged (%zu bytes)", now.len);
    free(old.data);
    free(now.data);
    fg_structure_free(a);
    fg_structure_free(b);
    rmdir(ro);
    path_in(path, sizeof path, "a_directory.pdb");
    rmdir(path);
}

int main(void)
{
    fx_suite s = {"structure_bad_input", 0, 0};
    if (!tu_mkdtemp(dir))
        return 1;
    bad_pdb(&s);
    bad_mmcif(&s);
    bad_gzip(&s);
    missing_file(&s);
    bad_writes(&s);
    tu_rm_dir(dir);
    return fx_suite_finish(&s);
}
