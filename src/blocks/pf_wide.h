/* Include first in the pair-track sources (before any other header, so that
 * inline functions from headers are covered too): asks GCC for full-width
 * vectors where AVX-512 is there. Its tuning for Intel server cores
 * (-march=sapphirerapids and later, what -march=native picks on those
 * machines) prefers 256-bit vectors, which halves the rate of the matrix
 * products' register blocks and of the vectorised exp / LayerNorm loops;
 * the pair track is nothing but those. The pragma is GCC's; other
 * compilers do not see it. */
#ifndef FG_BLOCKS_PF_WIDE_H
#define FG_BLOCKS_PF_WIDE_H
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
#endif
