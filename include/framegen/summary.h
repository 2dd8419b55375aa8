/* The summary of a generation run: one record per sample (file, length,
 * index, seed, steps, seconds, mean consecutive CA-CA distance, CA radius of
 * gyration, status), written as summary.json and summary.tsv in the output
 * directory, both replaced atomically so an interrupted run leaves a complete
 * summary of the samples that finished. */
#ifndef FRAMEGEN_SUMMARY_H
#define FRAMEGEN_SUMMARY_H

#include <stdint.h>

#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_SUMMARY_JSON "summary.json"
#define FG_SUMMARY_TSV "summary.tsv"

typedef struct fg_sample_record {
    char file[256];       /* structure file, relative to the output directory; "" if none */
    char trajectory[256]; /* trajectory file or "" */
    int length;
    int index;            /* sample index within its length */
    uint64_t seed;        /* run seed; with (length, index) it fixes the sample */
    int steps;            /* timesteps of the grid */
    double seconds;       /* wall time of the sampler */
    double ca_ca_mean;    /* mean distance of consecutive CA atoms, Angstrom */
    double rg;            /* CA radius of gyration, Angstrom */
    char status[160];     /* "ok" or why the sample failed */
} fg_sample_record;

/* Facts about the run written in the JSON header. */
typedef struct fg_summary_meta {
    const char *config;     /* config file */
    const char *weights;    /* weights file */
    const char *model_status; /* the model's status line, or NULL */
    const char *format;     /* "pdb" or "cif" */
} fg_summary_meta;

/* Mean distance of consecutive CAs and radius of gyration of n CA positions
 * read every `stride` floats from ca (3 for [n,3], 12 for [n,4,3] backbones). */
void fg_ca_stats(const float *ca, int n, int stride, double *ca_ca_mean, double *rg);

fg_status fg_summary_write(const char *dir, const fg_summary_meta *meta, const fg_sample_record *rec, int n,
                           fg_error *err);
/* Records of an existing summary.json in dir (for --resume). A missing file is
 * not an error (*n = 0); a malformed one is. *rec is malloc'd. */
fg_status fg_summary_read(const char *dir, fg_sample_record **rec, int *n, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
