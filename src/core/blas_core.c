#include "framegen/blas.h"

#include <stddef.h>
#include <string.h>

char *openblas_get_corename(void);

const char *fg_blas_core(void) { return openblas_get_corename(); }

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

const char *fg_blas_choose_core(const char *current, int has_avx512, int has_avx2_fma)
{
    /* Kernel sets at least as fast as the one we would ask for. */
    static const char *const avx512_sets[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2_sets[] = {"Haswell", "SkylakeX", "Cooperlake", "SapphireRapids",
                                            "Zen", NULL};
    if (!current)
        return NULL;
    if (has_avx512 && !in_list(current, avx512_sets))
        return "SkylakeX";
    if (has_avx2_fma && !has_avx512 && !in_list(current, avx2_sets))
        return "Haswell";
    return NULL;
}

const char *fg_blas_better_core(void)
{
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return fg_blas_choose_core(fg_blas_core(), avx512, avx2);
}
