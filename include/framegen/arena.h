/* Scratch arena: bump allocation from a list of chunks that is reset, not
 * freed, between uses (one forward, one sampler step). After the first use the
 * chunks are large enough and no further malloc happens. */
#ifndef FRAMEGEN_ARENA_H
#define FRAMEGEN_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FG_ARENA_ALIGN 64

typedef struct fg_arena_chunk fg_arena_chunk;

typedef struct fg_arena {
    fg_arena_chunk *head;    /* first chunk; chunks are kept across resets */
    fg_arena_chunk *cur;     /* chunk being allocated from */
    size_t chunk_bytes;      /* default size of a new chunk */
    size_t in_use;           /* bytes handed out since the last reset */
    size_t peak;             /* high-water mark of in_use */
} fg_arena;

/* A position to return to: everything allocated after the mark is released. */
typedef struct fg_arena_mark {
    fg_arena_chunk *chunk;
    size_t offset;
    size_t in_use;
} fg_arena_mark;

void fg_arena_init(fg_arena *a, size_t chunk_bytes);
void fg_arena_free(fg_arena *a);

/* 64-byte aligned, uninitialised; NULL only when malloc fails. */
void *fg_arena_alloc(fg_arena *a, size_t bytes);
float *fg_arena_floats(fg_arena *a, size_t n);
float *fg_arena_zeros(fg_arena *a, size_t n);

fg_arena_mark fg_arena_save(const fg_arena *a);
void fg_arena_restore(fg_arena *a, fg_arena_mark m);
void fg_arena_reset(fg_arena *a);

#ifdef __cplusplus
}
#endif
#endif
