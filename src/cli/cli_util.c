#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int fg_cli_fail(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "framegen%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

bool fg_cli_int(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno) {
        fg_cli_fail(FG_EXIT_USAGE, cmd, "%s: expected an integer, got '%s'", opt, s ? s : "");
        return false;
    }
    if (v < lo || v > hi) {
        fg_cli_fail(FG_EXIT_USAGE, cmd, "%s: %lld is out of range [%lld, %lld]", opt, v, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

void fg_cli_log(fg_log_level level, const char *msg, void *user)
{
    (void)user;
    static const char *const names[] = {"debug", "info", "warning", "error"};
    if (level == FG_LOG_INFO)
        fprintf(stderr, "%s\n", msg);
    else
        fprintf(stderr, "%s: %s\n", names[level], msg);
}
