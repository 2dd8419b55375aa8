/* Embeddings in float32 with the reference's operation order. The compiler
 * must not contract a*b+c into an FMA here (ISO C mode: -ffp-contract=off),
 * since e.g. the angle fl(fl(i*pi)/f) is what the reference rounds. */
#include "framegen/embed.h"

#include <math.h>
#include <string.h>

const char *const fg_pos_embed_names[] = {"rotary", "sine_cosine", NULL};

void fg_index_embed_freqs(float *f, int D, int max_len, fg_pos_embed method)
{
    const int half = D / 2;
    for (int k = 0; k < half; k++) {
        /* The exponent is a float32 quotient (arange / D in float32); the
         * power is rounded once from double. */
        float e = method == FG_POS_EMBED_ROTARY ? (float)(-2 * k) / (float)D
                                                : (float)(2 * k) / (float)D;
        f[k] = (float)pow((double)max_len, (double)e);
    }
}

void fg_index_embedding(float *out, const int64_t *idx, int64_t n, int D, int max_len,
                        fg_pos_embed method)
{
    const int half = D / 2;
    float f[half > 0 ? half : 1]; /* [D/2] */
    fg_index_embed_freqs(f, D, max_len, method);
    const float pi = (float)M_PI;
    for (int64_t r = 0; r < n; r++) {
        float *o = out + r * D;
        const float x = (float)idx[r];
        if (method == FG_POS_EMBED_ROTARY) {
            for (int k = 0; k < half; k++) {
                float a = x * f[k];
                o[k] = cosf(a);
                o[half + k] = sinf(a);
            }
        } else {
            const float xp = x * pi;
            for (int k = 0; k < half; k++) {
                float a = xp / f[k];
                o[k] = sinf(a);
                o[half + k] = cosf(a);
            }
        }
    }
}

void fg_time_embedding(float *out, const float *t, int64_t n, int D, int max_positions)
{
    const int half = D / 2;
    float f[half > 0 ? half : 1]; /* [D/2] */
    /* The step is a double (Python float) rounded to float32 once; k * step is
     * a float32 product; exp is rounded once from double. */
    const float step = (float)-(log((double)max_positions) / (double)(half - 1));
    for (int k = 0; k < half; k++)
        f[k] = (float)exp((double)((float)k * step));
    const float P = (float)max_positions;
    for (int64_t r = 0; r < n; r++) {
        float *o = out + r * D;
        const float ts = t[r] * P;
        for (int k = 0; k < half; k++) {
            float a = ts * f[k];
            o[k] = sinf(a);
            o[half + k] = cosf(a);
        }
        if (D % 2)
            o[D - 1] = 0.0f;
    }
}

void fg_distogram_edges(float *lower, float *upper, float min_bin, float max_bin, int nb)
{
    /* linspace in float32: the first half counts up from the start, the
     * second half down from the end, with one float32 step. */
    const float step = (max_bin - min_bin) / (float)(nb - 1);
    const int halfway = nb / 2;
    for (int k = 0; k < nb; k++)
        lower[k] = k < halfway ? min_bin + step * (float)k : max_bin - step * (float)(nb - 1 - k);
    for (int k = 0; k + 1 < nb; k++)
        upper[k] = lower[k + 1];
    upper[nb - 1] = 1e8f;
}

int fg_distogram_bin(float d, const float *lower, const float *upper, int nb)
{
    /* Edges increase, so the first edge below d decides; strict on both sides. */
    for (int k = nb - 1; k >= 0; k--)
        if (d > lower[k])
            return d < upper[k] ? k : -1;
    return -1;
}

float fg_dist3(const float *a, const float *b)
{
    const float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

void fg_distogram(float *out, const float *pos, int B, int N, float min_bin, float max_bin, int nb)
{
    float lower[nb], upper[nb]; /* [nb] Angstrom */
    fg_distogram_edges(lower, upper, min_bin, max_bin, nb);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                const float *p = pos + (int64_t)b * N * 3;
                float *o = out + (((int64_t)b * N + i) * N + j) * nb;
                memset(o, 0, (size_t)nb * sizeof *o);
                int k = fg_distogram_bin(fg_dist3(p + i * 3, p + j * 3), lower, upper, nb);
                if (k >= 0)
                    o[k] = 1.0f;
            }
}
