#include "framegen/rng.h"

#include <math.h>

/* Philox4x32-10 constants (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

void fg_philox4x32(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32);
    uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(PHILOX_M0, c0, &hi0, &lo0);
        mulhilo(PHILOX_M1, c2, &hi1, &lo1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void fg_rng_init(fg_rng *r, uint64_t seed, uint64_t stream)
{
    r->seed = seed;
    r->stream = stream;
    r->counter = 0;
    r->avail = 0;
}

uint32_t fg_rng_u32(fg_rng *r)
{
    if (r->avail == 0) {
        fg_philox4x32(r->seed, r->stream, r->counter++, r->buf);
        r->avail = 4;
    }
    return r->buf[4 - r->avail--];
}

double fg_rng_uniform(fg_rng *r)
{
    uint64_t hi = fg_rng_u32(r) >> 5, lo = fg_rng_u32(r) >> 6; /* 27 + 26 bits */
    return (double)(hi * 67108864u + lo) * (1.0 / 9007199254740992.0);
}

float fg_rng_uniformf(fg_rng *r) { return (float)(fg_rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

double fg_rng_normal(fg_rng *r)
{
    /* Box-Muller; 1 - u keeps the log argument in (0, 1]. Only the cosine half is
     * used so that each normal costs a fixed number of draws (simple to reason about). */
    double u1 = 1.0 - fg_rng_uniform(r);
    double u2 = fg_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void fg_rng_normals(fg_rng *r, float *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)fg_rng_normal(r);
}

void fg_rng_uniforms(fg_rng *r, float *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = fg_rng_uniformf(r);
}
