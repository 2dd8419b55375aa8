#include <cblas.h>
#include <omp.h>

#include "framegen/ops.h"

void fg_set_threads(int n)
{
    if (n <= 0)
        return;
    /* see ops_gemm.c: framegen tiles products itself. First: the OpenMP build of
     * OpenBLAS sets the OpenMP thread count in openblas_set_num_threads too. */
    openblas_set_num_threads(1);
    omp_set_num_threads(n);
}

int fg_get_threads(void) { return omp_get_max_threads(); }
