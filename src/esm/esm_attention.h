/* ESM self-attention over a packed variable-length batch (internal).
 *
 * esm_attention: without maps, a tiled kernel per (sequence, head, query tile)
 * with an online softmax over key tiles; per thread it holds one query tile,
 * one key tile and one score tile, never an L x L buffer. With maps, each
 * query tile's full score rows are normalised and written straight into the
 * (n, n, channels) map blocks. esm_attention_ref is the plain twin (simple
 * loops over a full L x L score matrix per head, double accumulators) the
 * tests compare against. */
#ifndef FG_ESM_ATTENTION_H
#define FG_ESM_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

typedef struct esm_attn {
    int n_seqs;
    const int64_t *offsets; /* [n_seqs + 1] rows of each sequence in q/k/v/out */
    const int32_t *n_keys;  /* [n_seqs] non-pad tokens; the pads trail and are never keys */
    int n_heads, head_dim;
    const float *q, *k, *v; /* row t, head h at q[t * ld + h * head_dim]; q already scaled */
    int64_t ld;
    float *out; /* [T, ldo], head h at column h * head_dim */
    int64_t ldo;

    /* Attention maps, or maps == NULL for none. Token t of sequence s with
     * map_row[t] >= 0 is row/column map_row[t] of the block at maps + map_block[s],
     * map_n[s] rows square, map_channels floats per entry, this call's heads at
     * channels map_channel0 + h. Query rows that are <pad> are written as 0. */
    float *maps;
    const int64_t *map_block;
    const int32_t *map_row;
    const int32_t *map_n;
    int map_channels, map_channel0;
} esm_attn;

/* Per-thread scratch floats for sequences up to max_len. */
size_t esm_attn_scratch_floats(int64_t max_len, int head_dim, int with_maps);
/* Work list bytes (query tiles) for a batch. */
size_t esm_attn_tiles_bytes(int n_seqs, const int64_t *offsets);

/* scratch: n_threads * esm_attn_scratch_floats(...) floats, 64-byte aligned;
 * tiles: esm_attn_tiles_bytes(...) bytes. */
void esm_attention(const esm_attn *a, float *scratch, size_t scratch_per_thread, void *tiles);
void esm_attention_ref(const esm_attn *a);

#endif
