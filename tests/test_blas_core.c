/* The OpenBLAS kernel-set choice: upgrade only when the CPU supports better
 * kernels than the set OpenBLAS picked (it falls back to "Prescott" on CPUs
 * newer than its release). */
#include <string.h>

#include "fixture.h"
#include "framegen/blas.h"

static int is(const char *got, const char *want)
{
    return want ? got && strcmp(got, want) == 0 : got == NULL;
}

int main(void)
{
    fx_suite s = {"blas_core", 0, 0};
    fx_ok(&s, is(fg_blas_choose_core("Prescott", 1, 1), "SkylakeX"), "AVX-512 CPU on Prescott kernels -> SkylakeX");
    fx_ok(&s, is(fg_blas_choose_core("Haswell", 1, 1), "SkylakeX"), "AVX-512 CPU on Haswell kernels -> SkylakeX");
    fx_ok(&s, is(fg_blas_choose_core("Cooperlake", 1, 1), NULL), "Cooperlake kept on an AVX-512 CPU");
    fx_ok(&s, is(fg_blas_choose_core("SkylakeX", 1, 1), NULL), "SkylakeX kept");
    fx_ok(&s, is(fg_blas_choose_core("Prescott", 0, 1), "Haswell"), "AVX2 CPU on Prescott kernels -> Haswell");
    fx_ok(&s, is(fg_blas_choose_core("Zen", 0, 1), NULL), "Zen kept on an AVX2 CPU");
    fx_ok(&s, is(fg_blas_choose_core("Nehalem", 0, 0), NULL), "no upgrade without AVX2");
    const char *core = fg_blas_core();
    fx_ok(&s, core && core[0], "OpenBLAS reports its kernel set: %s", core ? core : "(null)");
    const char *better = fg_blas_better_core();
    fx_ok(&s, !better || strcmp(better, core) != 0, "suggestion differs from the current set: %s",
          better ? better : "none");
    return fx_suite_finish(&s);
}
