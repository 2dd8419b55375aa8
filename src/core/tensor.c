#include "framegen/tensor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct { fg_dtype dt; const char *name; size_t size; } DTYPES[] = {
    {FG_F32, "F32", 4}, {FG_F16, "F16", 2}, {FG_BF16, "BF16", 2}, {FG_F64, "F64", 8},
    {FG_I64, "I64", 8}, {FG_I32, "I32", 4}, {FG_I16, "I16", 2},  {FG_I8, "I8", 1},
    {FG_U8, "U8", 1},   {FG_BOOL, "BOOL", 1},
};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

size_t fg_dtype_size(fg_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (DTYPES[i].dt == dt)
            return DTYPES[i].size;
    return 0;
}

const char *fg_dtype_name(fg_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (DTYPES[i].dt == dt)
            return DTYPES[i].name;
    return "?";
}

int fg_dtype_from_name(const char *s, fg_dtype *out)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(DTYPES[i].name, s) == 0) {
            *out = DTYPES[i].dt;
            return 0;
        }
    return -1;
}

int64_t fg_shape_numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

void fg_shape_str(int ndim, const int64_t *shape, char *buf, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "[");
    for (int i = 0; i < ndim; i++)
        o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%lld", i ? ", " : "",
                              (long long)shape[i]);
    snprintf(buf + o, o < len ? len - o : 0, "]");
}

static float bits_to_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t f32_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

float fg_bf16_to_f32(uint16_t h) { return bits_to_f32((uint32_t)h << 16); }

float fg_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0) {
        /* zero or subnormal: man * 2^-24 */
        float v = ldexpf((float)man, -24);
        return sign ? -v : v;
    }
    if (exp == 31)
        return bits_to_f32(sign | 0x7f800000u | (man << 13));
    return bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t fg_f32_to_bf16(float f)
{
    uint32_t u = f32_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

uint16_t fg_f32_to_f16(float f)
{
    uint32_t u = f32_to_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return sign | 0x7e00u;
    if (a >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
        return sign | 0x7c00u;
    if (a < 0x38800000u) { /* below 2^-14: subnormal half */
        float v = bits_to_f32(a);
        uint32_t m = (uint32_t)lrintf(ldexpf(v, 24)); /* ties to even in default mode */
        return sign | (uint16_t)m;
    }
    uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
    return sign | (uint16_t)(((r >> 13) - (112u << 10)) & 0x7fffu);
}
