/* Status codes and error messages: every fallible library call returns an
 * fg_status and, on failure, fills an fg_error with one line of context
 * (file, key, tensor name, expected vs found). The library never prints or exits. */
#ifndef FRAMEGEN_STATUS_H
#define FRAMEGEN_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fg_status {
    FG_OK = 0,
    FG_ERR_IO,          /* open/read/write/rename failed */
    FG_ERR_FORMAT,      /* malformed file: safetensors, JSON, PDB, FASTA */
    FG_ERR_CONFIG,      /* config key unknown, missing, wrong type, out of range */
    FG_ERR_SHAPE,       /* tensor missing or of the wrong shape/dtype */
    FG_ERR_INVALID,     /* bad argument to a function */
    FG_ERR_NOMEM,       /* allocation failed */
    FG_ERR_NUMERIC,     /* NaN/Inf appeared */
    FG_ERR_INTERRUPTED, /* stopped on request (Ctrl-C) */
    FG_ERR_UNSUPPORTED  /* valid request that this build cannot serve */
} fg_status;

#define FG_ERROR_MSG_MAX 512

typedef struct fg_error {
    fg_status status;
    char msg[FG_ERROR_MSG_MAX];
} fg_error;

/* Short name of a status ("io", "format", ...). */
const char *fg_status_name(fg_status st);

/* Fill err (may be NULL) with status and a printf-style message; returns st so
 * callers can write `return fg_error_set(err, FG_ERR_IO, "...", ...);`. */
fg_status fg_error_set(fg_error *err, fg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message: "ctx: old message". */
void fg_error_prefix(fg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void fg_error_clear(fg_error *err);

/* Log callback: the only way the library reports progress or warnings. */
typedef enum fg_log_level { FG_LOG_DEBUG, FG_LOG_INFO, FG_LOG_WARN, FG_LOG_ERROR } fg_log_level;
typedef void (*fg_log_fn)(fg_log_level level, const char *msg, void *user);

typedef struct fg_logger {
    fg_log_fn fn;   /* NULL: discard */
    void *user;
} fg_logger;

void fg_log(const fg_logger *lg, fg_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
