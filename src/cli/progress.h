/* Progress of `framegen generate` on stderr: a redrawn bar on a terminal,
 * plain lines otherwise (logs, pipes, tests). */
#ifndef FG_PROGRESS_H
#define FG_PROGRESS_H

#include <stdbool.h>

typedef struct progress {
    bool tty;
    int total;          /* samples in the run */
    int done;           /* samples finished (ok, failed or skipped) */
    const char *name;   /* current sample */
    int last_quarter;   /* plain mode: last quarter of the sample reported */
    double t0;          /* start of the current sample */
} progress;

void progress_init(progress *p, int total);
void progress_begin(progress *p, const char *name);
/* fg_sampler_progress_fn */
void progress_step(int call, int n_calls, void *user);
/* One line for a finished sample (or why it failed / was skipped). */
void progress_end(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
