/* The list of block types. Adding a type: one file in src/blocks that defines
 * `const fg_block_type fg_block_<name>`, plus one X(<name>) line below. */
#include <stdio.h>
#include <string.h>

#include "framegen/block.h"

#define FG_BLOCK_TYPES(X) \
    X(ipa) \
    X(pairformer) \
    X(pairformer_noseq) \
    X(double_pair) \
    X(pair_bias) \
    /* one line per block type, in the order `--help` lists them */

#define DECLARE(name) extern const fg_block_type fg_block_##name;
#define ENTRY(name) &fg_block_##name,
FG_BLOCK_TYPES(DECLARE)

static const fg_block_type *const TYPES[] = {
    FG_BLOCK_TYPES(ENTRY)
    NULL, /* keeps the array non-empty; skipped below */
};

#define N_TYPES (sizeof TYPES / sizeof TYPES[0])

size_t fg_block_type_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < N_TYPES; i++)
        n += TYPES[i] != NULL;
    return n;
}

const fg_block_type *fg_block_type_at(size_t i)
{
    for (size_t k = 0; k < N_TYPES; k++)
        if (TYPES[k] && i-- == 0)
            return TYPES[k];
    return NULL;
}

const fg_block_type *fg_block_type_find(const char *name)
{
    for (size_t k = 0; k < N_TYPES; k++)
        if (TYPES[k] && strcmp(TYPES[k]->name, name) == 0)
            return TYPES[k];
    return NULL;
}

void fg_block_type_names(char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < N_TYPES && o < len; k++)
        if (TYPES[k])
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", TYPES[k]->name);
}
