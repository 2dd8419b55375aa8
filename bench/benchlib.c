#include "benchlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "framegen/blas.h"

/* As the framegen command does (src/cli/main.c): OpenBLAS reads
 * OPENBLAS_CORETYPE only at load, so re-run with the best kernels named when its
 * own detection fell back to older ones. glibc passes argv to constructors. */
__attribute__((constructor)) static void use_best_blas_kernels(int argc, char **argv, char **envp)
{
    (void)argc, (void)envp;
    const char *better = getenv("OPENBLAS_CORETYPE") ? NULL : fg_blas_better_core();
    if (better && setenv("OPENBLAS_CORETYPE", better, 1) == 0)
        execv("/proc/self/exe", argv);
}

double fgb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double fgb_peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double fgb_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, dcmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double fgb_time(void (*fn)(void *), void *ctx, int warmup, int min_reps, int max_reps,
                double min_seconds, int *reps_out)
{
    for (int i = 0; i < warmup; i++)
        fn(ctx);
    double *t = malloc((size_t)max_reps * sizeof *t);
    int n = 0;
    double start = fgb_now();
    while (n < max_reps && (n < min_reps || fgb_now() - start < min_seconds)) {
        double t0 = fgb_now();
        fn(ctx);
        t[n++] = fgb_now() - t0;
    }
    double m = fgb_median(t, n);
    free(t);
    if (reps_out)
        *reps_out = n;
    return m;
}

void fgb_fill(float *x, size_t n, unsigned seed)
{
    uint32_t s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) & 0xffffff) / 8388608.0f - 1.0f;
        if (x[i] == 0.0f)
            x[i] = 0.5f;
    }
}

int fgb_parse_args(int argc, char **argv, fgb_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            a->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
            snprintf(a->sizes, sizeof a->sizes, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc)
            a->min_seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--threads N] [--sizes %s] [--min-seconds %g]\n", argv[0], a->sizes,
                    a->min_seconds);
            return -1;
        }
    }
    return 0;
}
