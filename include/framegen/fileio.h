/* Atomic output files: write to a temporary name in the same directory, then
 * rename over the destination once complete. */
#ifndef FRAMEGEN_FILEIO_H
#define FRAMEGEN_FILEIO_H

#include <stdio.h>

#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_atomic_file {
    FILE *fp;
    char final_path[4096];
    char tmp_path[4096];
} fg_atomic_file;

/* Creates "<dir>/.<name>.tmp-XXXXXX" for writing. */
fg_status fg_atomic_open(fg_atomic_file *af, const char *path, fg_error *err);
/* Flushes, syncs, closes and renames; on any failure the temporary is removed. */
fg_status fg_atomic_commit(fg_atomic_file *af, fg_error *err);
/* Closes and removes the temporary; safe to call after a failed commit. */
void fg_atomic_abort(fg_atomic_file *af);

/* Temporary path for writers that cannot take a FILE* (gemmi): fills tmp with a
 * unique name beside path and creates the file; rename with fg_rename_into_place. */
fg_status fg_temp_path_beside(const char *path, char *tmp, size_t len, fg_error *err);
fg_status fg_rename_into_place(const char *tmp, const char *path, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
