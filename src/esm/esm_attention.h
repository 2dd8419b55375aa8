/* ESM self-attention over a packed variable-length batch (internal).
 *
 * esm_attention: without maps, a tiled kernel per (sequence, head, query tile)
 * with an online softmax over key tiles; per thread it holds one score tile
 * and the tile's output sums, never an L x L buffer. With maps, each
 * query tile's full score rows are normalised and written straight into the
 * (n, n, channels) map blocks. The tiles' q.k and p.v products run on the
 * register-blocked kernel of core/mm.h: auto-vectorised accumulator arrays
 * came out as 256-bit code with spills where GCC tunes for Sapphire /
 * Emerald Rapids (the benchmark machine). esm_attention_ref is the plain twin (simple
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

/* Workspace of one call: per-thread tiles, the work list, and K transposed
 * ([heads * head_dim, T], so a key tile's q.k reads consecutive keys). */
typedef struct esm_attn_ws {
    float *scratch;
    size_t per_thread; /* floats */
    void *tiles;
    float *kt;
    int64_t ldt;
} esm_attn_ws;

/* Bytes the workspace needs for this batch and thread count. */
size_t esm_attn_ws_bytes(const esm_attn *a, int n_threads);
/* Carves the workspace out of mem (64-byte aligned, esm_attn_ws_bytes long). */
void esm_attn_ws_bind(esm_attn_ws *ws, void *mem, const esm_attn *a, int n_threads);

void esm_attention(const esm_attn *a, const esm_attn_ws *ws);
void esm_attention_ref(const esm_attn *a);

#endif
