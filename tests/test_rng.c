/* Philox4x32-10 known answers (Random123 test vectors) and the properties the
 * sampler relies on: streams are independent of draw order and of each other. */
#include <math.h>
#include <stdio.h>

#include "fixture.h"
#include "framegen/rng.h"

static int kat(fx_suite *s, uint64_t key, uint64_t ctr_lo, uint64_t ctr_hi, const uint32_t want[4])
{
    uint32_t got[4];
    fg_philox4x32(key, ctr_hi, ctr_lo, got);
    return fx_ok(s, got[0] == want[0] && got[1] == want[1] && got[2] == want[2] && got[3] == want[3],
                 "philox KAT key=%016llx -> %08x %08x %08x %08x", (unsigned long long)key, got[0],
                 got[1], got[2], got[3]);
}

int main(void)
{
    fx_suite s = {"rng", 0, 0};
    kat(&s, 0, 0, 0, (const uint32_t[]){0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
    kat(&s, 0xffffffffffffffffull, 0xffffffffffffffffull, 0xffffffffffffffffull,
        (const uint32_t[]){0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
    kat(&s, 0x299f31d0a4093822ull, 0x85a308d3243f6a88ull, 0x0370734413198a2eull,
        (const uint32_t[]){0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});

    /* Same (seed, stream) -> same sequence; another stream -> another sequence. */
    fg_rng a, b, c;
    fg_rng_init(&a, 42, 7);
    fg_rng_init(&b, 42, 7);
    fg_rng_init(&c, 42, 8);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = fg_rng_u32(&a), y = fg_rng_u32(&b), z = fg_rng_u32(&c);
        same &= x == y;
        differ += x != z;
    }
    fx_ok(&s, same, "same seed and stream repeat exactly");
    fx_ok(&s, differ > 990, "different streams differ (%d/1000 words)", differ);

    /* Moments of the normal and uniform draws. */
    fg_rng_init(&a, 1234, 0);
    const int n = 200000;
    double m = 0, v = 0, mu = 0, umin = 1, umax = 0;
    for (int i = 0; i < n; i++) {
        double x = fg_rng_normal(&a);
        m += x;
        v += x * x;
        double u = fg_rng_uniform(&a);
        mu += u;
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
    }
    m /= n;
    v = v / n - m * m;
    mu /= n;
    fx_ok(&s, fabs(m) < 0.01 && fabs(v - 1.0) < 0.02, "normal mean %.4f var %.4f", m, v);
    fx_ok(&s, fabs(mu - 0.5) < 0.005 && umin >= 0.0 && umax < 1.0, "uniform mean %.4f in [%g, %g]",
          mu, umin, umax);
    float f = 0;
    fg_rng_init(&a, 9, 9);
    int in_range = 1;
    for (int i = 0; i < 100000; i++) {
        f = fg_rng_uniformf(&a);
        in_range &= f >= 0.0f && f < 1.0f;
    }
    fx_ok(&s, in_range, "float uniforms in [0, 1)");
    return fx_suite_finish(&s);
}
