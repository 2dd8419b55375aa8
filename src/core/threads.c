#include <cblas.h>
#include <omp.h>

#include "framegen/ops.h"

void fg_set_threads(int n)
{
    if (n <= 0)
        return;
    omp_set_num_threads(n);
    openblas_set_num_threads(1); /* see ops_gemm.c: framegen tiles products itself */
}

int fg_get_threads(void) { return omp_get_max_threads(); }
