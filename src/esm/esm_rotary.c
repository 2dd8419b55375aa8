/* Rotary position embedding of ESM-2 (rotate-half form), applied after q is
 * scaled by head_dim^-0.5, as fair-esm and Hugging Face do; the q/k/v biases
 * are added in the same pass (the projections run without them). */
#include <math.h>

#include "esm_internal.h"

void esm_rotary_tables(const float *inv_freq, int half, int max_len, float *cos_t, float *sin_t)
{
#pragma omp parallel for schedule(static) if (max_len * half > 32768)
    for (int p = 0; p < max_len; p++)
        for (int i = 0; i < half; i++) {
            float a = (float)p * inv_freq[i]; /* the reference's float outer product */
            cos_t[p * half + i] = cosf(a);
            sin_t[p * half + i] = sinf(a);
        }
}

/* x' = x cos + rotate_half(x) sin, rotate_half(x) = (-x2, x1); each product
 * rounded on its own as in the reference (no contraction: ISO C build). */
static inline void rotate(float *x, int half, const float *c, const float *s)
{
    for (int i = 0; i < half; i++) {
        float x1 = x[i], x2 = x[i + half];
        x[i] = x1 * c[i] + (-x2) * s[i];
        x[i + half] = x2 * c[i] + x1 * s[i];
    }
}

void esm_rotary_apply(const esm_qkv *x, int64_t T, const int32_t *pos, int n_heads, int head_dim,
                      float q_scale, const float *cos_t, const float *sin_t)
{
    int half = head_dim / 2, d = n_heads * head_dim;
#pragma omp parallel for schedule(static) if (T * d > 32768)
    for (int64_t t = 0; t < T; t++) {
        const float *c = cos_t + (int64_t)pos[t] * half, *s = sin_t + (int64_t)pos[t] * half;
        float *qt = x->q + t * x->ld, *kt = x->k + t * x->ld, *vt = x->v + t * x->ld;
        for (int j = 0; j < d; j++) {
            qt[j] = (qt[j] + x->bq[j]) * q_scale;
            kt[j] += x->bk[j];
            vt[j] += x->bv[j];
        }
        for (int h = 0; h < n_heads; h++) {
            rotate(qt + h * head_dim, half, c, s);
            rotate(kt + h * head_dim, half, c, s);
        }
    }
}
