/* Include first in the sources of the hot loops (before any other header,
 * so that inline functions from headers are covered too): asks GCC for full-width
 * vectors where AVX-512 is there. Its tuning for Intel server cores
 * (-march=sapphirerapids and later, what -march=native picks on those
 * machines) prefers 256-bit vectors, which halves the rate of the matrix
 * products' register blocks and of the vectorised exp / LayerNorm loops;
 * the trunk's hot loops are nothing but those. The pragma is GCC's; other
 * compilers do not see it. */
#ifndef FG_CORE_WIDE_H
#define FG_CORE_WIDE_H
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
#endif
