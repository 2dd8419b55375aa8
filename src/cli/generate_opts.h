/* Options of `framegen generate` and their parsing (lengths specs included). */
#ifndef FG_GENERATE_OPTS_H
#define FG_GENERATE_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FG_GEN_MAX_LENGTHS 100000  /* distinct lengths one run may request */
#define FG_GEN_SEED_MAX 9007199254740991ULL /* 2^53 - 1: exact in the JSON summary */

typedef struct gen_opts {
    const char *config;
    const char *weights;      /* NULL: the config's */
    const char *esm_weights;  /* NULL: the config's */
    const char *out_dir;
    int *lengths;             /* malloc'd, in request order */
    int n_lengths;
    int num_samples;          /* per length */
    int steps;                /* 0: the config's num_timesteps */
    uint64_t seed;
    bool cif;                 /* mmCIF instead of PDB */
    bool save_trajectory;
    bool resume;
    int threads;              /* 0: default */
    int nan_length, nan_index, nan_step; /* --debug-nan-at L:I:STEP (tests); 0 = off */
} gen_opts;

/* Returns 0 on success, else the exit code (usage errors printed). 1 for --help. */
int gen_opts_parse(int argc, char **argv, gen_opts *o, bool *help);
void gen_opts_free(gen_opts *o);
void gen_usage(FILE *out);

/* "A", "A-B" or "A-B:STEP" into lengths (appended); false with a message. */
bool gen_parse_lengths_spec(const char *spec, int **lengths, int *n);
/* Whitespace-separated lengths with '#' comments. */
bool gen_parse_lengths_file(const char *path, int **lengths, int *n);

#endif
