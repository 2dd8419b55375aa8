#include "framegen/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *fg_status_name(fg_status st)
{
    switch (st) {
    case FG_OK: return "ok";
    case FG_ERR_IO: return "io";
    case FG_ERR_FORMAT: return "format";
    case FG_ERR_CONFIG: return "config";
    case FG_ERR_SHAPE: return "shape";
    case FG_ERR_INVALID: return "invalid";
    case FG_ERR_NOMEM: return "nomem";
    case FG_ERR_NUMERIC: return "numeric";
    case FG_ERR_INTERRUPTED: return "interrupted";
    case FG_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown";
}

fg_status fg_error_set(fg_error *err, fg_status st, const char *fmt, ...)
{
    if (!err)
        return st;
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

void fg_error_prefix(fg_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char ctx[FG_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    char old[FG_ERROR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable: the message is for people and stays terminated. */
    size_t n = strlen(ctx);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, ctx, n);
    memcpy(err->msg + n, ": ", 3);
    strncat(err->msg, old, sizeof err->msg - n - 3);
}

void fg_error_clear(fg_error *err)
{
    if (!err)
        return;
    err->status = FG_OK;
    err->msg[0] = '\0';
}

void fg_log(const fg_logger *lg, fg_log_level level, const char *fmt, ...)
{
    if (!lg || !lg->fn)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lg->fn(level, buf, lg->user);
}
