#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(progress *p, int total)
{
    p->tty = isatty(fileno(stderr));
    p->total = total;
    p->done = 0;
    p->name = "";
    p->last_quarter = 0;
    p->t0 = now();
}

void progress_begin(progress *p, const char *name)
{
    p->name = name;
    p->last_quarter = 0;
    p->t0 = now();
}

void progress_step(int call, int n_calls, void *user)
{
    progress *p = user;
    int k = call + 1;
    if (p->tty) {
        enum { W = 30 };
        int fill = n_calls ? k * W / n_calls : W;
        char bar[W + 1];
        for (int i = 0; i < W; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[W] = '\0';
        fprintf(stderr, "\r[%s] %d/%d %s step %d/%d %.1fs ", bar, p->done + 1, p->total, p->name, k, n_calls,
                now() - p->t0);
        fflush(stderr);
        return;
    }
    int quarter = n_calls ? 4 * k / n_calls : 4;
    if (quarter > p->last_quarter && quarter < 4) { /* 25/50/75 %; the end gets its own line */
        p->last_quarter = quarter;
        fprintf(stderr, "  %s: step %d/%d (%.1f s)\n", p->name, k, n_calls, now() - p->t0);
    }
}

void progress_end(progress *p, const char *fmt, ...)
{
    p->done++;
    if (p->tty)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr, "[%d/%d] %s: ", p->done, p->total, p->name);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
