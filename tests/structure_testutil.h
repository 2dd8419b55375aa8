/* Helpers shared by the structure IO tests: a scratch directory, directory
 * listings (to prove failed writes leave nothing behind) and a small
 * synthetic backbone. */
#ifndef FG_TEST_STRUCTURE_TESTUTIL_H
#define FG_TEST_STRUCTURE_TESTUTIL_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "framegen/structure.h"

/* Creates a fresh directory from a mkdtemp template (modified in place). */
static inline int tu_mkdtemp(char *tmpl)
{
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 0;
    }
    return 1;
}

/* Number of entries in dir (without . and ..); -1 if it cannot be read. */
static inline int tu_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Removes the files of dir, then dir (our scratch directories are flat). */
static inline void tu_rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static inline void tu_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

/* Two chains: A (9 residues, per-residue B-factors, an MSE and a SEP), B (6
 * residues numbered from -2 with an insertion code, no B-factors, last O
 * missing). Coordinates follow a helix, shifted by `shift` A along x. */
static inline fg_structure *tu_synthetic(float shift)
{
    static const int len[2] = {9, 6};
    fg_structure *s = NULL;
    fg_error err;
    if (fg_structure_create(2, len, &s, &err) != FG_OK) {
        fprintf(stderr, "fg_structure_create: %s\n", err.msg);
        return NULL;
    }
    static const char *seqs[2] = {"MKTAYIAKQ", "GSHMLE"};
    /* N, C, O offsets from CA, A */
    static const float off[4][3] = {{-0.53f, 1.36f, 0.1f}, {0, 0, 0}, {1.52f, 0.05f, -0.1f},
                                    {2.15f, 1.07f, 0.3f}};
    for (int c = 0; c < 2; c++) {
        fg_chain *ch = &s->chains[c];
        for (int i = 0; i < ch->len; i++) {
            fg_chain_set_residue(ch, i, seqs[c][i]);
            float a = 1.745f * (float)i; /* 100 degrees per residue */
            float ca[3] = {2.3f * cosf(a) + shift + 20.0f * (float)c, 2.3f * sinf(a),
                           1.5f * (float)i - 7.25f};
            for (int k = 0; k < FG_BB_ATOMS; k++) {
                for (int d = 0; d < 3; d++)
                    ch->xyz[(i * 4 + k) * 3 + d] = ca[d] + off[k][d];
                ch->mask[i * 4 + k] = 1;
            }
        }
    }
    fg_chain *a = &s->chains[0];
    snprintf(a->resname + 3 * FG_RESNAME_MAX, FG_RESNAME_MAX, "MSE");
    a->seq[3] = 'M';
    snprintf(a->resname + 5 * FG_RESNAME_MAX, FG_RESNAME_MAX, "SEP");
    a->seq[5] = 'X';
    fg_chain_alloc_bfactor(a, &err);
    for (int i = 0; i < a->len; i++)
        a->bfactor[i] = 50.0f + 3.37f * (float)i;
    fg_chain *b = &s->chains[1];
    for (int i = 0; i < b->len; i++)
        b->resnum[i] = i - 2;
    b->icode[3] = 'A';
    b->resnum[3] = b->resnum[2];
    b->mask[(b->len - 1) * 4 + FG_BB_O] = 0;
    return s;
}

#endif
