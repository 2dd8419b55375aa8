/* Shared pieces of the framegen command: subcommand table, argument helpers,
 * exit codes. Only the CLI prints or exits. */
#ifndef FG_CLI_H
#define FG_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "framegen/status.h"

enum { FG_EXIT_OK = 0, FG_EXIT_RUNTIME = 1, FG_EXIT_USAGE = 2 };

/* One subcommand: argv[0] is the subcommand name. */
typedef struct fg_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} fg_cli_command;

int fg_cmd_info(int argc, char **argv);
int fg_cmd_generate(int argc, char **argv);
int fg_cmd_init_weights(int argc, char **argv);
int fg_cmd_esm(int argc, char **argv);

/* "framegen <cmd>: <msg>" on stderr; returns code for `return fg_cli_fail(...)`. */
int fg_cli_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Parse a decimal integer in [lo, hi]; false (and a message) when not. */
bool fg_cli_int(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *out);
/* Log callback writing "[level] msg" lines to stderr. */
void fg_cli_log(fg_log_level level, const char *msg, void *user);

#endif
