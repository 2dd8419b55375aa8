/* The block contract: every trunk block type (IPA, Pairformer, DoublePair,
 * pair-biased attention, ...) is one table of this shape, defined in one file
 * of src/blocks and listed once in src/blocks/registry.c. Nothing else in the
 * engine knows a block type by name. */
#ifndef FRAMEGEN_BLOCK_H
#define FRAMEGEN_BLOCK_H

#include <stddef.h>

#include "framegen/arena.h"
#include "framegen/fields.h"
#include "framegen/status.h"
#include "framegen/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a block reads or writes of the shared state. */
enum {
    FG_BLOCK_NODES = 1 << 0,   /* s */
    FG_BLOCK_EDGES = 1 << 1,   /* z */
    FG_BLOCK_FRAMES = 1 << 2,  /* rots, trans */
    FG_BLOCK_TIME = 1 << 3     /* t */
};

/* Widths fixed by the model around the block. */
typedef struct fg_block_dims {
    int c_s;   /* node feature width */
    int c_z;   /* edge feature width */
} fg_block_dims;

/* The state a block runs on; B items of N (padded) residues each. */
typedef struct fg_block_io {
    int B, N;
    float *s;                  /* [B,N,c_s] node features, updated in place */
    float *z;                  /* [B,N,N,c_z] edge features, updated in place */
    const float *node_mask;    /* [B,N] 1 = residue present */
    const float *edge_mask;    /* [B,N,N] node_mask_i * node_mask_j */
    const float *update_mask;  /* [B,N] frames may move (res_mask * diffuse_mask); NULL = node_mask */
    const float *t;            /* [B] flow time of each item (FiLM) */
    float *rots;               /* [B,N,3,3] frame rotations, columns = axes */
    float *trans;              /* [B,N,3] frame translations, nm */
    float *quats;              /* [B,N,4] (w,x,y,z) of rots once frames are quaternion-based */
    int quats_valid;           /* 0: frames are matrix-based (quats derived on first update) */
    fg_arena *scratch;         /* per-forward scratch; the block restores what it takes */
} fg_block_io;

typedef struct fg_block_type {
    const char *name;          /* config type string: "pairformer", "ipa", ... */
    const char *summary;       /* one line for docs and `framegen --help` */
    const fg_field *fields;    /* per-type hyperparameters and their defaults */
    size_t n_fields;
    size_t params_size;        /* size of the struct the fields fill */
    unsigned reads, writes;    /* FG_BLOCK_* */
    /* One layer `layer` of a stage whose tensors start with prefix (e.g.
     * "trunk.trunk."); the type knows its own per-layer naming. */
    fg_status (*create)(const void *params, const fg_block_dims *dims, fg_weights *w,
                        const char *prefix, int layer, void **self, fg_error *err);
    fg_status (*forward)(void *self, fg_block_io *io, fg_error *err);
    void (*destroy)(void *self);
    /* FLOPs of one forward for B items of N residues (benchmarks). */
    double (*flops)(const void *self, int B, int N);
} fg_block_type;

/* Registry (src/blocks/registry.c). */
size_t fg_block_type_count(void);
const fg_block_type *fg_block_type_at(size_t i);
const fg_block_type *fg_block_type_find(const char *name);
/* "ipa, pairformer, ..." for "unknown block type" messages. */
void fg_block_type_names(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
