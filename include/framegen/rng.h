/* Counter-based random numbers (Philox4x32-10). A stream is keyed by
 * (seed, stream id); draws are a pure function of (seed, stream, index), so a
 * sample's noise never depends on thread count, batch composition or order. */
#ifndef FRAMEGEN_RNG_H
#define FRAMEGEN_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_rng {
    uint64_t seed;
    uint64_t stream;
    uint64_t counter;   /* index of the next 128-bit block */
    uint32_t buf[4];    /* unread words of the current block */
    int avail;
} fg_rng;

void fg_rng_init(fg_rng *r, uint64_t seed, uint64_t stream);

/* The raw generator: block `counter` of (seed, stream) as four 32-bit words. */
void fg_philox4x32(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4]);

uint32_t fg_rng_u32(fg_rng *r);
double fg_rng_uniform(fg_rng *r);        /* [0, 1), 53 random bits */
float fg_rng_uniformf(fg_rng *r);        /* [0, 1), 24 random bits */
double fg_rng_normal(fg_rng *r);         /* standard normal (Box-Muller, cosine half) */
/* Fill n standard normals / uniforms. */
void fg_rng_normals(fg_rng *r, float *out, int64_t n);
void fg_rng_uniforms(fg_rng *r, float *out, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
