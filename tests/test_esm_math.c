/* The vectorisable exp and GELU of the ESM hot loops against their plain
 * twins (libm expf; fg_gelu with libm erff) and a double-precision reference,
 * on dense sweeps and edge values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "esm/esm_math.h"
#include "fixture.h"
#include "framegen/ops.h"

int main(void)
{
    fx_suite s = {"esm_math", 0, 0};
    /* exp: relative error against exp() in double over the normal range */
    double worst = 0;
    int underflow_ok = 1;
    for (float x = -104.0f; x < 88.7f; x += 1.3e-4f) {
        double r = exp((double)x), y = esm_expf(x);
        if (x >= -87.3f)
            worst = fmax(worst, fabs(y - r) / r);
        else
            underflow_ok &= y == 0.0;
    }
    fx_ok(&s, worst <= 2.4e-7, "exp: max relative error %.2e (<= 2 ulp) on [-87.3, 88.7]", worst);
    fx_ok(&s, underflow_ok && esm_expf(-INFINITY) == 0.0f && esm_expf(0.0f) == 1.0f,
          "exp: 0 below the normal range, exp(-inf) = 0, exp(0) = 1");
    float twin_worst = 0;
    for (float x = -80.0f; x < 80.0f; x += 0.01f)
        twin_worst = fmaxf(twin_worst, fabsf(esm_expf(x) - expf(x)) / expf(x));
    fx_ok(&s, twin_worst <= 2.4e-7, "exp vs libm expf: max relative difference %.2e", twin_worst);

    /* GELU: |err| <= 1e-6 |ref| + 1e-10 against 0.5 x erfc(-x / sqrt 2) in double */
    const int n = 2000001;
    float *x = malloc(sizeof(float) * n), *fast = malloc(sizeof(float) * n), *twin = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++)
        x[i] = fast[i] = twin[i] = -15.0f + 35.0f * (float)i / (float)(n - 1);
    esm_gelu_inplace(fast, n);
    fg_gelu(twin, n);
    double gw = 0, tw = 0, ta = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        double r = 0.5 * (double)x[i] * erfc(-(double)x[i] / sqrt(2.0));
        double e = fabs(fast[i] - r);
        bad += e > 1e-6 * fabs(r) + 1e-10;
        if (fabs(r) > 1e-10)
            gw = fmax(gw, e / fabs(r));
        tw = fmax(tw, fabs((double)fast[i] - twin[i]));
        ta = fmax(ta, fabs((double)twin[i] - r));
    }
    fx_ok(&s, bad == 0,
          "gelu on [-15, 20]: %d points beyond 1e-6 |ref| + 1e-10 (max relative error %.2e, at tiny values)",
          bad, gw);
    fx_ok(&s, tw <= 1e-6, "gelu vs fg_gelu (libm erff): max |diff| %.2e (libm's own max |err| %.2e)", tw, ta);
    /* the block form (a product's post step): GELU on rows x cols only, rows ldy apart */
    float xb[3 * 7], one = 0;
    int outside_ok = 1;
    for (int i = 0; i < 21; i++)
        xb[i] = 0.3f * (float)i - 2.0f;
    esm_gelu_block(xb, 7, 3, 5);
    for (int i = 0; i < 21; i++) {
        float x0 = 0.3f * (float)i - 2.0f;
        if (i % 7 < 5)
            one = fmaxf(one, fabsf(xb[i] - esm_gelu(x0)));
        else
            outside_ok &= xb[i] == x0;
    }
    fx_ok(&s, one == 0.0f && outside_ok, "gelu block (3 x 5, rows 7 apart) == gelu per element, the rest untouched");
    fx_ok(&s, esm_gelu(0.0f) == 0.0f && esm_gelu(50.0f) == 50.0f && esm_gelu(-50.0f) == 0.0f &&
                  fabsf(esm_gelu(1.0f) - 0.8413447461f) < 1e-7f,
          "gelu: 0, saturation at +-50, gelu(1)");
    free(x), free(fast), free(twin);
    return fx_suite_finish(&s);
}
