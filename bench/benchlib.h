/* Shared pieces of the benchmark programs: a monotonic clock, repeated timing
 * with the median, peak RSS, and JSON lines on stdout. */
#ifndef FG_BENCHLIB_H
#define FG_BENCHLIB_H

#include <stddef.h>

double fgb_now(void);                       /* seconds, monotonic */
double fgb_peak_rss_mb(void);               /* process high-water mark, MiB */
double fgb_median(double *v, int n);        /* sorts v */

/* Runs fn(ctx) `warmup` times untimed, then until both `min_reps` runs and
 * `min_seconds` have passed (at most max_reps); returns the median seconds. */
double fgb_time(void (*fn)(void *), void *ctx, int warmup, int min_reps, int max_reps,
                double min_seconds, int *reps_out);

/* Fills n floats with a fixed pseudo-random pattern in [-1, 1) (never zeros). */
void fgb_fill(float *x, size_t n, unsigned seed);

/* Common command line: --threads N (0: OMP_NUM_THREADS or all cores),
 * --sizes a,b,c (residue counts), --min-seconds S (timing per point). Fields
 * keep their preset defaults when absent. Returns 0, or prints the usage to
 * stderr and returns -1 on anything else. */
typedef struct fgb_args {
    int threads;
    char sizes[256];
    double min_seconds;
} fgb_args;
int fgb_parse_args(int argc, char **argv, fgb_args *a);

#endif
