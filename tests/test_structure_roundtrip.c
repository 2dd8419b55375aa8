/* Round trip of real PDB chains (the shared data set, ../shared/data) through
 * the generation path: read -> frames (data convention: C, CA, N) + psi from
 * the atoms -> ideal atoms of the reference (atom37_from_trans_rot, with its
 * carbonyl O re-placement) -> write PDB and mmCIF -> read again.
 *
 * CA must come back to 1e-3 A (it is the frame origin; only the files' 0.001
 * rounding touches it); sequence and chain ids must be kept. N, C and O move by
 * the idealisation error: N and C are placed at AF2's ideal positions in the
 * frame, O by the reference's rule (1.23 A from C on the bisector of CA->C and
 * N(i+1)->C; at a chain end or break the CA->N bisector, a crude rule). The
 * distributions, measured over all 4,020 chains of the set (run with "all";
 * 831,642 N/C atoms, 827,008 + 4,621 O atoms), and the bounds asserted:
 *
 *                                  median  p99     max       bounds (median / p99 / max)
 *   N                              0.040   0.197   1.480 A   0.05 / 0.25 / 1.60
 *   C                              0.006   0.038   0.870 A   0.01 / 0.05 / 0.95
 *   O, next residue bonded         0.053   0.211   2.269 A   0.07 / 0.27 / 2.40
 *   O, last residue / before break 1.315   2.123   2.474 A   2.00 / 2.40 / 2.60
 *
 * The maxima come from deposited residues with broken geometry (1SK6 C 458:
 * N-CA-C 50 degrees; 1LMI A 82: CA-C 2.4 A; 2FVZ B 74: C-O 2.2 A); the medians
 * and 99th percentiles are what a wrong convention would move. The default
 * sample (25 chains of each atom_set kind) gave 0.041/0.199/0.400 (N),
 * 0.006/0.039/0.087 (C), 0.053/0.218/0.623 (O bonded), 1.724/2.148/2.155 (O end,
 * 54 atoms). psi (N-CA-C-N(i+1)) is passed as the reference does, but the O
 * re-placement overwrites the psi-placed O, so O does not depend on it: the
 * psi-free fg_backbone_from_frames must give the same atoms (checked).
 *
 * Without the data set the test is skipped (exit 77) and says so. Usage:
 * test_structure_roundtrip [chains per atom_set kind | all]  (default 25). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/backbone.h"
#include "framegen/structure.h"
#include "structure_testutil.h"

#define CA_TOL 1e-3
#define PEPTIDE_BOND_MAX 2.0 /* C(i)-N(i+1) beyond this is a chain break (as the data set) */

enum { ERR_N, ERR_C, ERR_O_NEXT, ERR_O_END, ERR_KINDS };
static const char *const kErrName[ERR_KINDS] = {"N", "C", "O (next residue bonded)",
                                                "O (last residue / before a break)"};
/* A; see the table above */
static const double kBoundMedian[ERR_KINDS] = {0.05, 0.01, 0.07, 2.00};
static const double kBoundP99[ERR_KINDS] = {0.25, 0.05, 0.27, 2.40};
static const double kBoundMax[ERR_KINDS] = {1.60, 0.95, 2.40, 2.60};

typedef struct errs {
    double *v[ERR_KINDS]; /* [n[k]] per-atom distances, A */
    size_t n[ERR_KINDS], cap[ERR_KINDS];
    double worst[ERR_KINDS];      /* A */
    char worst_at[ERR_KINDS][1600]; /* file and residue of the worst atom */
    double ca_max, psi_path_max;  /* A */
} errs;

static char dir[] = "/tmp/fg_structrt_XXXXXX";

static void errs_add(errs *e, int k, double d, const char *file, const fg_chain *ch, int i)
{
    if (d > e->worst[k]) {
        e->worst[k] = d;
        const char *base = strrchr(file, '/');
        snprintf(e->worst_at[k], sizeof e->worst_at[k], "%s chain %s residue %d%c %s",
                 base ? base + 1 : file, ch->id, ch->resnum[i], ch->icode[i],
                 ch->resname + i * FG_RESNAME_MAX);
    }
    if (e->n[k] == e->cap[k]) {
        e->cap[k] = e->cap[k] ? 2 * e->cap[k] : 4096;
        e->v[k] = realloc(e->v[k], e->cap[k] * sizeof *e->v[k]);
    }
    e->v[k][e->n[k]++] = d;
}

static double dist3(const float *a, const float *b)
{
    double s = 0;
    for (int k = 0; k < 3; k++)
        s += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
    return sqrt(s);
}

static const float *atom(const fg_chain *ch, int i, int k) { return ch->xyz + (i * 4 + k) * 3; }
static int has(const fg_chain *ch, int i, int k) { return ch->mask[i * 4 + k]; }

/* Dihedral p0-p1-p2-p3 as (sin, cos). */
static void dihedral_sc(const float *p0, const float *p1, const float *p2, const float *p3,
                        float sc[2])
{
    double b0[3], b1[3], b2[3], n1[3], n2[3], m[3];
    for (int k = 0; k < 3; k++) {
        b0[k] = (double)p0[k] - p1[k];
        b1[k] = (double)p2[k] - p1[k];
        b2[k] = (double)p3[k] - p2[k];
    }
    double bl = sqrt(b1[0] * b1[0] + b1[1] * b1[1] + b1[2] * b1[2]);
    /* n1 = b0 x b1, n2 = b1 x b2, m = n1 x b1/|b1| */
    n1[0] = b0[1] * b1[2] - b0[2] * b1[1], n1[1] = b0[2] * b1[0] - b0[0] * b1[2],
    n1[2] = b0[0] * b1[1] - b0[1] * b1[0];
    n2[0] = b1[1] * b2[2] - b1[2] * b2[1], n2[1] = b1[2] * b2[0] - b1[0] * b2[2],
    n2[2] = b1[0] * b2[1] - b1[1] * b2[0];
    m[0] = (n1[1] * b1[2] - n1[2] * b1[1]) / bl, m[1] = (n1[2] * b1[0] - n1[0] * b1[2]) / bl,
    m[2] = (n1[0] * b1[1] - n1[1] * b1[0]) / bl;
    double x = n1[0] * n2[0] + n1[1] * n2[1] + n1[2] * n2[2];
    double y = m[0] * n2[0] + m[1] * n2[1] + m[2] * n2[2];
    double a = atan2(-y, x); /* IUPAC sign: positive clockwise looking down p1->p2 */
    sc[0] = (float)sin(a);
    sc[1] = (float)cos(a);
}

/* Frames, psi and the reference's ideal atoms for one chain. Residues without
 * N, CA and C keep their input atoms; framed residues get all four ideal ones.
 * next_ok[i]: residue i+1 is framed and peptide-bonded to i. */
static int idealise_chain(fx_suite *s, const fg_chain *in, fg_chain *out, unsigned char *next_ok,
                          errs *e)
{
    int n = in->len;
    float *rots = calloc((size_t)n * 9, sizeof(float));          /* [n,3,3] */
    float *trans = calloc((size_t)n * 3, sizeof(float));         /* [n,3] A */
    float *psi = calloc((size_t)n * 2, sizeof(float));           /* [n,1,2] (sin, cos) */
    float *res_mask = calloc((size_t)n, sizeof(float));          /* [n] */
    int64_t *aatype = calloc((size_t)n, sizeof(int64_t));        /* [n] AF2 order */
    float *atom37 = calloc((size_t)n * 37 * 3, sizeof(float));   /* [n,37,3] A */
    float *bb4 = calloc((size_t)n * 4 * 3, sizeof(float));       /* [n,4,3] A */
    int ok = rots && trans && psi && res_mask && aatype && atom37 && bb4;
    for (int i = 0; ok && i < n; i++) {
        int framed = has(in, i, FG_BB_N) && has(in, i, FG_BB_CA) && has(in, i, FG_BB_C);
        aatype[i] = fg_restype_from_letter(in->seq[i]);
        rots[i * 9] = rots[i * 9 + 4] = rots[i * 9 + 8] = 1.0f;
        if (framed)
            fg_frame_from_backbone(atom(in, i, FG_BB_N), atom(in, i, FG_BB_CA),
                                   atom(in, i, FG_BB_C), rots + i * 9, trans + i * 3);
        /* The O rule looks only at res_mask[i+1]: a break makes residue i+1
         * "absent" for residue i's O, as for a chain end. */
        int bonded = i == 0 || !has(in, i - 1, FG_BB_C) ||
                     dist3(atom(in, i - 1, FG_BB_C), atom(in, i, FG_BB_N)) <= PEPTIDE_BOND_MAX;
        res_mask[i] = framed && bonded ? 1.0f : 0.0f;
    }
    for (int i = 0; ok && i < n; i++) {
        next_ok[i] = i + 1 < n && res_mask[i + 1] != 0.0f;
        psi[i * 2 + 1] = 1.0f; /* psi 0 where undefined */
        if (res_mask[i] != 0.0f && next_ok[i])
            dihedral_sc(atom(in, i, FG_BB_N), atom(in, i, FG_BB_CA), atom(in, i, FG_BB_C),
                        atom(in, i + 1, FG_BB_N), psi + i * 2);
    }
    fg_error err = {0};
    ok = ok && fx_ok(s, fg_atom37_from_frames(n, rots, trans, psi, 1, aatype, res_mask, atom37,
                                              &err) == FG_OK &&
                            fg_backbone_from_frames(n, rots, trans, aatype, res_mask, bb4, &err) ==
                                FG_OK,
                     "chain %s: atoms from frames %s", in->id, err.msg);
    static const int a37[4] = {FG_A37_N, FG_A37_CA, FG_A37_C, FG_A37_O};
    for (int i = 0; ok && i < n; i++) {
        int framed = has(in, i, FG_BB_N) && has(in, i, FG_BB_CA) && has(in, i, FG_BB_C);
        for (int k = 0; k < 4; k++) {
            const float *src = framed ? atom37 + (i * 37 + a37[k]) * 3 : atom(in, i, k);
            memcpy(out->xyz + (i * 4 + k) * 3, src, 3 * sizeof(float));
            out->mask[i * 4 + k] = framed ? 1 : in->mask[i * 4 + k];
            if (framed) /* the psi-free N/CA/C/O path must agree with atom37 */
                e->psi_path_max = fmax(e->psi_path_max, dist3(src, bb4 + (i * 4 + k) * 3));
        }
    }
    free(rots), free(trans), free(psi), free(res_mask), free(aatype), free(atom37), free(bb4);
    return ok;
}

/* back vs in: CA exact, N/C/O errors collected (only PDB's read-back, once). */
static void compare_back(fx_suite *s, const char *label, const fg_structure *in,
                         const fg_structure *back, unsigned char *const *next_ok, errs *e,
                         int collect)
{
    if (!fx_ok(s, back->n_chains == in->n_chains, "%s: %d chains (want %d)", label,
               back->n_chains, in->n_chains))
        return;
    for (int c = 0; c < in->n_chains; c++) {
        const fg_chain *a = &in->chains[c], *b = &back->chains[c];
        if (!fx_ok(s, strcmp(a->id, b->id) == 0 && a->len == b->len && !strcmp(a->seq, b->seq),
                   "%s: chain '%s' (%d residues) keeps id, length, sequence", label, a->id,
                   a->len))
            continue;
        double ca = 0;
        for (int i = 0; i < a->len; i++) {
            if (has(a, i, FG_BB_CA))
                ca = fmax(ca, has(b, i, FG_BB_CA) ? dist3(atom(a, i, FG_BB_CA),
                                                          atom(b, i, FG_BB_CA))
                                                  : INFINITY);
            int framed = has(a, i, FG_BB_N) && has(a, i, FG_BB_CA) && has(a, i, FG_BB_C);
            if (!collect || !framed)
                continue;
            errs_add(e, ERR_N, dist3(atom(a, i, FG_BB_N), atom(b, i, FG_BB_N)), label, a, i);
            errs_add(e, ERR_C, dist3(atom(a, i, FG_BB_C), atom(b, i, FG_BB_C)), label, a, i);
            if (has(a, i, FG_BB_O))
                errs_add(e, next_ok[c][i] ? ERR_O_NEXT : ERR_O_END,
                         dist3(atom(a, i, FG_BB_O), atom(b, i, FG_BB_O)), label, a, i);
        }
        e->ca_max = fmax(e->ca_max, ca);
        if (ca > CA_TOL)
            fx_ok(s, 0, "%s: chain %s CA max |diff| %.2e A > %.0e", label, a->id, ca, CA_TOL);
    }
}

static int has_any_atom(const fg_chain *ch, int i)
{
    return ch->mask[i * 4] | ch->mask[i * 4 + 1] | ch->mask[i * 4 + 2] | ch->mask[i * 4 + 3];
}

/* The residues of in that have a backbone atom (a file holds atoms, so a
 * residue with none -- deposited with side-chain atoms only -- cannot come
 * back), with their atoms when `atoms`, else with coordinates left zero. */
static fg_structure *copy_residues(const fg_structure *in, int atoms)
{
    int *lens = calloc((size_t)in->n_chains, sizeof(int));
    for (int c = 0; c < in->n_chains; c++)
        for (int i = 0; i < in->chains[c].len; i++)
            lens[c] += has_any_atom(&in->chains[c], i);
    fg_structure *out = NULL;
    fg_error err;
    fg_structure_create(in->n_chains, lens, &out, &err);
    free(lens);
    for (int c = 0; out && c < in->n_chains; c++) {
        const fg_chain *a = &in->chains[c];
        fg_chain *b = &out->chains[c];
        memcpy(b->id, a->id, sizeof b->id);
        if (a->bfactor)
            fg_chain_alloc_bfactor(b, &err);
        for (int i = 0, j = 0; i < a->len; i++) {
            if (!has_any_atom(a, i))
                continue;
            b->seq[j] = a->seq[i];
            memcpy(b->resname + j * FG_RESNAME_MAX, a->resname + i * FG_RESNAME_MAX,
                   FG_RESNAME_MAX);
            b->resnum[j] = a->resnum[i];
            b->icode[j] = a->icode[i];
            if (a->bfactor && b->bfactor)
                b->bfactor[j] = a->bfactor[i];
            if (atoms) {
                memcpy(b->xyz + j * 12, a->xyz + i * 12, 12 * sizeof(float));
                memcpy(b->mask + j * 4, a->mask + i * 4, 4);
            }
            j++;
        }
    }
    return out;
}

/* One data-set file through the whole path. */
static void round_trip_file(fx_suite *s, const char *path, const char *tsv_seq, errs *e)
{
    fg_structure *file = NULL, *in = NULL, *out = NULL, *back = NULL;
    fg_error err = {0};
    if (!fx_ok(s, fg_structure_read(path, FG_STRUCT_AUTO, &file, &err) == FG_OK, "read %s %s",
               path, err.msg))
        return;
    int ok = file->n_chains == 1 && strcmp(file->chains[0].seq, tsv_seq) == 0;
    if (!ok)
        fx_ok(s, 0, "%s: one chain with the sequence of structures.tsv (got %d chains, %s)",
              path, file->n_chains, file->n_chains ? file->chains[0].seq : "");
    in = copy_residues(file, 1);
    out = copy_residues(file, 0);
    fg_structure_free(file);
    unsigned char **next_ok = calloc((size_t)in->n_chains, sizeof *next_ok); /* [chains][len] */
    for (int c = 0; ok && out && c < in->n_chains; c++) {
        next_ok[c] = calloc((size_t)in->chains[c].len, 1);
        ok = idealise_chain(s, &in->chains[c], &out->chains[c], next_ok[c], e);
    }
    static const char *const names[2] = {"rt.pdb", "rt.cif"};
    for (int f = 0; ok && out && f < 2; f++) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s/%s", dir, names[f]);
        char label[1500];
        snprintf(label, sizeof label, "%s via %s", path, names[f] + 3);
        if (!fx_ok(s, fg_structure_write(out, tmp, FG_STRUCT_AUTO, &err) == FG_OK &&
                          fg_structure_read(tmp, FG_STRUCT_AUTO, &back, &err) == FG_OK,
                   "%s: write and read back %s", label, err.msg))
            break;
        compare_back(s, label, in, back, next_ok, e, f == 0);
        fg_structure_free(back);
        back = NULL;
    }
    for (int c = 0; c < in->n_chains; c++)
        free(next_ok[c]);
    free(next_ok);
    fg_structure_free(in);
    fg_structure_free(out);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(fx_suite *s, errs *e, int n_files)
{
    printf("  %d chains; CA max |diff| %.2e A; psi-free O path vs atom37 path max %.2e A\n",
           n_files, e->ca_max, e->psi_path_max);
    fx_ok(s, e->ca_max <= CA_TOL, "CA kept to %.0e A (max %.2e)", CA_TOL, e->ca_max);
    fx_ok(s, e->psi_path_max <= 1e-4,
          "O does not depend on psi: fg_backbone_from_frames == fg_atom37_from_frames (%.1e A)",
          e->psi_path_max);
    for (int k = 0; k < ERR_KINDS; k++) {
        if (!fx_ok(s, e->n[k] > 0, "%s: atoms compared", kErrName[k]))
            continue;
        qsort(e->v[k], e->n[k], sizeof(double), cmp_double);
        double med = e->v[k][e->n[k] / 2], p99 = e->v[k][(size_t)(0.99 * (double)(e->n[k] - 1))];
        double mx = e->v[k][e->n[k] - 1];
        fx_ok(s, mx <= kBoundMax[k] && p99 <= kBoundP99[k] && med <= kBoundMedian[k],
              "%s idealisation error over %zu atoms: median %.3f p99 %.3f max %.3f A "
              "(bounds %.2f / %.2f / %.2f; worst: %s)", kErrName[k], e->n[k], med, p99, mx,
              kBoundMedian[k], kBoundP99[k], kBoundMax[k], e->worst_at[k]);
    }
}

typedef struct entry {
    char file[256];
    char *seq;
    int heavy; /* atom_set "all heavy atoms" (else backbone+CB) */
} entry;

/* Rows of structures.tsv (file, ..., sequence = col 4, atom_set = col 9). */
static entry *read_index(const char *tsv, int *n_out)
{
    FILE *f = fopen(tsv, "r");
    if (!f)
        return NULL;
    size_t cap = 8192;
    char *line = malloc(cap);
    entry *v = NULL;
    int n = 0, cap_v = 0;
    while (fgets(line, (int)cap, f)) {
        if (strncmp(line, "file\t", 5) == 0)
            continue;
        char *col[12] = {0};
        int nc = 0;
        for (char *p = line; p && nc < 12; nc++) {
            col[nc] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        if (nc < 10)
            continue;
        if (n == cap_v)
            v = realloc(v, (size_t)(cap_v = cap_v ? 2 * cap_v : 4096) * sizeof *v);
        snprintf(v[n].file, sizeof v[n].file, "%s", col[0]);
        v[n].seq = strdup(col[4]);
        v[n].heavy = strcmp(col[9], "all heavy atoms") == 0;
        n++;
    }
    free(line);
    fclose(f);
    *n_out = n;
    return v;
}

int main(int argc, char **argv)
{
    fx_suite s = {"structure_roundtrip", 0, 0};
    const char *shared = fx_shared_dir();
    char tsv[1100], data[1024];
    if (shared)
        snprintf(data, sizeof data, "%s/data", shared);
    snprintf(tsv, sizeof tsv, "%s/structures.tsv", data);
    int n_all = 0;
    entry *all = shared ? read_index(tsv, &n_all) : NULL;
    if (!all) {
        printf("SKIP structure_roundtrip: no data set (%s); set FRAMEGEN_SHARED to the shared "
               "directory\n", shared ? tsv : "shared directory not found");
        return FX_SKIP;
    }
    int per_kind = argc > 1 && strcmp(argv[1], "all") != 0 ? atoi(argv[1]) : 25;
    int take_all = argc > 1 && strcmp(argv[1], "all") == 0;
    if (!tu_mkdtemp(dir))
        return 1;
    errs e = {0};
    int done = 0;
    for (int kind = 0; kind < 2; kind++) {
        int n_kind = 0;
        for (int i = 0; i < n_all; i++)
            n_kind += all[i].heavy == kind;
        int want = take_all || per_kind > n_kind ? n_kind : per_kind;
        /* Evenly spaced over the index: sources and lengths are mixed. */
        for (int j = 0, seen = 0, next = 0; j < n_all && want > 0; j++) {
            if (all[j].heavy != kind)
                continue;
            if (seen++ != (int)(((double)next + 0.5) * n_kind / want))
                continue;
            next++;
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", data, all[j].file);
            round_trip_file(&s, path, all[j].seq, &e);
            done++;
        }
    }
    report(&s, &e, done);
    for (int k = 0; k < ERR_KINDS; k++)
        free(e.v[k]);
    for (int i = 0; i < n_all; i++)
        free(all[i].seq);
    free(all);
    tu_rm_dir(dir);
    return fx_suite_finish(&s);
}
