/* Private bridge between the C side of structure IO and gemmi (C++). Every
 * function catches all exceptions and reports them as an fg_error. */
#ifndef FG_IO_STRUCTURE_GEMMI_H
#define FG_IO_STRUCTURE_GEMMI_H

#include <stddef.h>

#include "framegen/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses a whole PDB (fmt PDB) or mmCIF (fmt MMCIF) text of len bytes; name is
 * used in messages. Keeps model `model`'s protein residues (see
 * fg_structure_read) and reports the number of models in *n_models. Fails with
 * FG_ERR_FORMAT when nothing protein is left. */
fg_status fg_gemmi_parse(const char *data, size_t len, const char *name, fg_struct_format fmt,
                         int model, fg_structure **out, int *n_models, fg_error *err);

/* Renders n_models models as one PDB / mmCIF text into a malloc'd buffer
 * (*text, *len; free with free()). Inputs are assumed validated. */
fg_status fg_gemmi_render(const fg_structure *const *models, int n_models, fg_struct_format fmt,
                          const char *name, char **text, size_t *len, fg_error *err);

#ifdef __cplusplus
}
#endif
#endif
