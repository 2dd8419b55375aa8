#include "framegen/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fg_arena_chunk {
    fg_arena_chunk *next;
    size_t cap;     /* usable bytes in data */
    size_t used;
    unsigned char *data;
};

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

void fg_arena_init(fg_arena *a, size_t chunk_bytes)
{
    memset(a, 0, sizeof *a);
    a->chunk_bytes = chunk_bytes ? chunk_bytes : ((size_t)16 << 20);
}

void fg_arena_free(fg_arena *a)
{
    fg_arena_chunk *c = a->head;
    while (c) {
        fg_arena_chunk *n = c->next;
        free(c->data);
        free(c);
        c = n;
    }
    memset(a, 0, sizeof *a);
}

static fg_arena_chunk *chunk_new(size_t cap)
{
    fg_arena_chunk *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cap = round_up(cap, FG_ARENA_ALIGN);
    c->data = aligned_alloc(FG_ARENA_ALIGN, c->cap);
    if (!c->data) {
        free(c);
        return NULL;
    }
    return c;
}

/* Move to the next chunk that can hold `bytes`, appending a new one if none can.
 * Chunks that are skipped stay in the list (empty) and are reused after a reset. */
static fg_arena_chunk *advance(fg_arena *a, size_t bytes)
{
    fg_arena_chunk *prev = a->cur;
    for (fg_arena_chunk *c = prev ? prev->next : a->head; c; prev = c, c = c->next) {
        c->used = 0;
        if (c->cap >= bytes)
            return c;
    }
    size_t cap = bytes > a->chunk_bytes ? bytes : a->chunk_bytes;
    fg_arena_chunk *c = chunk_new(cap);
    if (!c)
        return NULL;
    if (prev)
        prev->next = c;
    else
        a->head = c;
    return c;
}

void *fg_arena_alloc(fg_arena *a, size_t bytes)
{
    bytes = round_up(bytes ? bytes : 1, FG_ARENA_ALIGN);
    fg_arena_chunk *c = a->cur;
    if (!c || c->cap - c->used < bytes) {
        c = advance(a, bytes);
        if (!c)
            return NULL;
        a->cur = c;
    }
    void *p = c->data + c->used;
    c->used += bytes;
    a->in_use += bytes;
    if (a->in_use > a->peak)
        a->peak = a->in_use;
    return p;
}

float *fg_arena_floats(fg_arena *a, size_t n) { return fg_arena_alloc(a, n * sizeof(float)); }

float *fg_arena_zeros(fg_arena *a, size_t n)
{
    float *p = fg_arena_floats(a, n);
    if (p)
        memset(p, 0, n * sizeof(float));
    return p;
}

fg_arena_mark fg_arena_save(const fg_arena *a)
{
    fg_arena_mark m = {a->cur, a->cur ? a->cur->used : 0, a->in_use};
    return m;
}

void fg_arena_restore(fg_arena *a, fg_arena_mark m)
{
    a->cur = m.chunk;
    if (m.chunk)
        m.chunk->used = m.offset;
    a->in_use = m.in_use;
}

void fg_arena_reset(fg_arena *a)
{
    a->cur = NULL;
    a->in_use = 0;
    /* chunk->used of the first chunk is cleared when advance() reaches it */
}
