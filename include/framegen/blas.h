/* Which OpenBLAS kernel set is in use, and whether a better one exists.
 * OpenBLAS (DYNAMIC_ARCH builds such as Debian's) picks kernels from the CPU
 * model when it loads; on CPUs newer than the OpenBLAS release it falls back to
 * old ones (0.3.21 runs "Prescott" SSE3 kernels on an Emerald Rapids Xeon: sgemm
 * 5x slower than its SkylakeX kernels). OpenBLAS reads OPENBLAS_CORETYPE only at
 * load, so a program acts on fg_blas_better_core() by setting that variable and
 * re-executing itself, as the framegen command and the benchmarks do. */
#ifndef FRAMEGEN_BLAS_H
#define FRAMEGEN_BLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel set OpenBLAS chose at load, e.g. "SkylakeX", "Haswell", "Prescott". */
const char *fg_blas_core(void);

/* A faster kernel set this CPU supports than the one in use, or NULL. */
const char *fg_blas_better_core(void);

/* The decision itself, from the current kernel set and the CPU's features. */
const char *fg_blas_choose_core(const char *current, int has_avx512, int has_avx2_fma);

#ifdef __cplusplus
}
#endif
#endif
