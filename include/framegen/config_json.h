/* Reading JSON objects into field tables with errors that name the key path,
 * e.g. `model.trunk[1].num_heads: expected an integer, got "four"`. */
#ifndef FRAMEGEN_CONFIG_JSON_H
#define FRAMEGEN_CONFIG_JSON_H

#include <cjson/cJSON.h>

#include "framegen/fields.h"
#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills out from obj (defaults first). Keys not in the table and not in
 * `extra` (NULL-terminated list of keys the caller handles itself) are errors.
 * path is the key path of obj for messages ("" for the root). */
fg_status fg_json_read_fields(const cJSON *obj, const char *path, const fg_field *f, size_t n,
                              const char *const *extra, void *out, fg_error *err);

/* Parse a JSON file; errors carry the file name and the line/column of a syntax error. */
fg_status fg_json_load_file(const char *file, cJSON **out, fg_error *err);

/* Key-path helpers: "a.b", "a[3]". */
void fg_json_path_key(char *buf, size_t len, const char *path, const char *key);
void fg_json_path_index(char *buf, size_t len, const char *path, int index);

#ifdef __cplusplus
}
#endif
#endif
