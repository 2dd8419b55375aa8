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

#endif
