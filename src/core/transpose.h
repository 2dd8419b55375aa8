/* A tile of at most 16 x 16 floats transposed, in registers where AVX-512 is
 * there: the products pack weights with it, and the per-edge reductions use
 * it to put one edge per vector lane. Library internal. */
#ifndef FG_CORE_TRANSPOSE_H
#define FG_CORE_TRANSPOSE_H

#include <stdint.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* dst[j * ldd + i] = src[i * lds + j] for i < ni, j < nj (ni, nj <= 16). */
static inline void fg_transpose_tile(float *dst, int64_t ldd, const float *src, int64_t lds, int ni, int nj)
{
#if defined(__AVX512F__)
    if (ni == 16 && nj == 16) {
        /* 16 x 16 in registers: 32-bit, 64-bit, 128-bit and 256-bit interleaves */
        __m512 r[16], t[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            r[i] = _mm512_loadu_ps(src + i * lds);
#pragma GCC unroll 8
        for (int i = 0; i < 16; i += 2) {
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < 16; i += 4)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                r[i + h] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + h]), _mm512_castps_pd(t[i + 2 + h])));
                r[i + 2 + h] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + h]), _mm512_castps_pd(t[i + 2 + h])));
            }
#pragma GCC unroll 2
        for (int i = 0; i < 16; i += 8)
#pragma GCC unroll 4
            for (int h = 0; h < 4; h++) {
                t[i + h] = _mm512_shuffle_f32x4(r[i + h], r[i + 4 + h], 0x88);
                t[i + 4 + h] = _mm512_shuffle_f32x4(r[i + h], r[i + 4 + h], 0xDD);
            }
#pragma GCC unroll 8
        for (int h = 0; h < 8; h++) {
            r[h] = _mm512_shuffle_f32x4(t[h], t[8 + h], 0x88);
            r[8 + h] = _mm512_shuffle_f32x4(t[h], t[8 + h], 0xDD);
        }
        /* r[q] now holds column col_of[q] of src (the pd interleave swaps the middle two of each four) */
        static const int col_of[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
#pragma GCC unroll 16
        for (int q = 0; q < 16; q++)
            _mm512_storeu_ps(dst + col_of[q] * ldd, r[q]);
        return;
    }
#endif
    for (int j = 0; j < nj; j++)
        for (int i = 0; i < ni; i++)
            dst[j * ldd + i] = src[i * lds + j];
}

#endif
