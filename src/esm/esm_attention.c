#include "esm_attention.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "esm_math.h"

#define BQ 32 /* query rows per work item */
#define BK 128 /* keys per tile */
#define RB 4  /* query rows that share one pass over a key tile */
#define VW 16 /* score columns computed together (one AVX-512 register) */

typedef struct tile {
    int32_t seq, row0;
} tile;

static int64_t round_up(int64_t n, int64_t a) { return (n + a - 1) / a * a; }

size_t esm_attn_scratch_floats(int64_t max_len, int head_dim, int with_maps)
{
    int64_t s_cols = with_maps ? round_up(max_len > 0 ? max_len : 1, BK) : BK;
    int64_t n = 2 * BQ * head_dim /* q tile, accumulators */ + head_dim * BK /* K^T tile */ +
                BQ * s_cols /* scores */ + 2 * BQ /* running max, sum */;
    return (size_t)round_up(n, 16);
}

size_t esm_attn_tiles_bytes(int n_seqs, const int64_t *offsets)
{
    int64_t n = 0;
    for (int s = 0; s < n_seqs; s++)
        n += (offsets[s + 1] - offsets[s] + BQ - 1) / BQ;
    return (size_t)(n > 0 ? n : 1) * sizeof(tile);
}

/* Per-thread scratch areas. */
typedef struct work {
    float *q;   /* [BQ, hd] query rows, zero beyond the tile */
    float *kt;  /* [hd, BK] key tile transposed, zero beyond its keys */
    float *s;   /* [BQ, lds] scores / probabilities */
    float *acc; /* [BQ, hd] */
    float *m, *l; /* [BQ] running max and sum */
} work;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void load_q(int hd, const float *q, int64_t ld, int bq, float *qb)
{
    for (int r = 0; r < BQ; r++)
        for (int c = 0; c < hd; c++)
            qb[r * hd + c] = r < bq ? q[r * ld + c] : 0.0f;
}

ALWAYS_INLINE void load_kt(int hd, const float *k, int64_t ld, int bk, float *kt)
{
    for (int j = 0; j < BK; j++)
        for (int c = 0; c < hd; c++)
            kt[c * BK + j] = j < bk ? k[j * ld + c] : 0.0f;
}

/* s[r, 0:BK] = q_r . K^T for rows r < round_up(bq, RB). */
ALWAYS_INLINE void qk_tile(int hd, const float *qb, int bq, const float *kt, float *s, int64_t lds)
{
    for (int r0 = 0; r0 < bq; r0 += RB) {
        for (int jb = 0; jb < BK; jb += VW) {
            float a[RB][VW] = {{0}};
            for (int c = 0; c < hd; c++) {
                const float *kv = kt + c * BK + jb;
                for (int rr = 0; rr < RB; rr++) {
                    float qv = qb[(r0 + rr) * hd + c];
                    for (int u = 0; u < VW; u++)
                        a[rr][u] = fmaf(qv, kv[u], a[rr][u]);
                }
            }
            for (int rr = 0; rr < RB; rr++)
                memcpy(s + (r0 + rr) * lds + jb, a[rr], sizeof a[rr]);
        }
    }
}

/* acc[r] += sum_j p[r, j] v_j over the tile's bk keys, rows r < round_up(bq, RB). */
ALWAYS_INLINE void pv_tile(int hd, const float *s, int64_t lds, int bq, int bk, const float *v,
                           int64_t ld, float *acc)
{
    for (int r0 = 0; r0 < bq; r0 += RB) {
        for (int j = 0; j < bk; j++) {
            const float *vv = v + j * ld;
            for (int rr = 0; rr < RB; rr++) {
                float p = s[(r0 + rr) * lds + j];
                float *ar = acc + (r0 + rr) * hd;
                for (int c = 0; c < hd; c++)
                    ar[c] = fmaf(p, vv[c], ar[c]);
            }
        }
    }
}

/* Online softmax update of row r over bk new scores; returns the row's correction. */
ALWAYS_INLINE void softmax_update(int hd, float *row, int bk, float *m, float *l, float *acc)
{
    float mx = *m;
#pragma omp simd reduction(max : mx)
    for (int j = 0; j < bk; j++)
        mx = row[j] > mx ? row[j] : mx;
    float corr = esm_expf(*m - mx); /* 0 on the first tile (m = -inf) */
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < bk; j++) {
        float p = esm_expf(row[j] - mx);
        row[j] = p;
        sum += p;
    }
    *l = *l * corr + sum;
    *m = mx;
    for (int c = 0; c < hd; c++)
        acc[c] *= corr;
}

/* One (sequence, head, query tile) without maps. */
ALWAYS_INLINE void item_fused(int hd, const esm_attn *a, const work *w, int64_t off, int nk,
                              int i0, int bq, int h)
{
    const float *k = a->k + off * a->ld + h * hd, *v = a->v + off * a->ld + h * hd;
    load_q(hd, a->q + (off + i0) * a->ld + h * hd, a->ld, bq, w->q);
    memset(w->acc, 0, sizeof(float) * BQ * (size_t)hd);
    for (int r = 0; r < BQ; r++) {
        w->m[r] = -INFINITY;
        w->l[r] = 0.0f;
    }
    for (int j0 = 0; j0 < nk; j0 += BK) {
        int bk = nk - j0 < BK ? nk - j0 : BK;
        load_kt(hd, k + j0 * a->ld, a->ld, bk, w->kt);
        qk_tile(hd, w->q, bq, w->kt, w->s, BK);
        for (int r = 0; r < bq; r++)
            softmax_update(hd, w->s + r * BK, bk, &w->m[r], &w->l[r], w->acc + r * hd);
        pv_tile(hd, w->s, BK, bq, bk, v + j0 * a->ld, a->ld, w->acc);
    }
    for (int r = 0; r < bq; r++) {
        float *o = a->out + (off + i0 + r) * a->ldo + h * hd;
        float inv = 1.0f / w->l[r];
        for (int c = 0; c < hd; c++)
            o[c] = w->acc[r * hd + c] * inv;
    }
}

/* Writes query row i's probabilities into its map row (zeros for pad rows/columns). */
static void write_map_row(const esm_attn *a, int s, int64_t off, int len, int nk, int i,
                          const float *p, int h)
{
    int32_t ri = a->map_row[off + i];
    if (ri < 0)
        return;
    int64_t n = a->map_n[s], C = a->map_channels;
    float *base = a->maps + a->map_block[s] + (int64_t)ri * n * C + a->map_channel0 + h;
    for (int j = 0; j < len; j++) {
        int32_t rj = a->map_row[off + j];
        if (rj >= 0)
            base[rj * C] = i < nk && j < nk ? p[j] : 0.0f;
    }
}

/* One (sequence, head, query tile) with maps: full score rows, exact softmax. */
ALWAYS_INLINE void item_maps(int hd, const esm_attn *a, const work *w, int s, int64_t off, int len,
                             int nk, int i0, int bq, int h)
{
    const float *k = a->k + off * a->ld + h * hd, *v = a->v + off * a->ld + h * hd;
    int64_t lds = round_up(nk, BK);
    load_q(hd, a->q + (off + i0) * a->ld + h * hd, a->ld, bq, w->q);
    for (int j0 = 0; j0 < nk; j0 += BK) {
        load_kt(hd, k + j0 * a->ld, a->ld, nk - j0 < BK ? nk - j0 : BK, w->kt);
        qk_tile(hd, w->q, bq, w->kt, w->s + j0, lds);
    }
    for (int r = 0; r < bq; r++) {
        float *row = w->s + r * lds;
        float mx = -INFINITY, sum = 0.0f;
#pragma omp simd reduction(max : mx)
        for (int j = 0; j < nk; j++)
            mx = row[j] > mx ? row[j] : mx;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < nk; j++) {
            row[j] = esm_expf(row[j] - mx);
            sum += row[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < nk; j++)
            row[j] *= inv;
        write_map_row(a, s, off, len, nk, i0 + r, row, h);
    }
    memset(w->acc, 0, sizeof(float) * BQ * (size_t)hd);
    for (int j0 = 0; j0 < nk; j0 += BK)
        pv_tile(hd, w->s + j0, lds, bq, nk - j0 < BK ? nk - j0 : BK, v + j0 * a->ld, a->ld, w->acc);
    for (int r = 0; r < bq; r++)
        memcpy(a->out + (off + i0 + r) * a->ldo + h * hd, w->acc + r * hd, sizeof(float) * (size_t)hd);
}

/* Head sizes of the ESM-2 family get loops with constant trip counts. */
#define DISPATCH(hd, call)                                                                         \
    switch (hd) {                                                                                  \
    case 16: call(16); break;                                                                      \
    case 24: call(24); break;                                                                      \
    case 32: call(32); break;                                                                      \
    case 64: call(64); break;                                                                      \
    case 128: call(128); break;                                                                    \
    default: call(hd); break;                                                                      \
    }

static void run_item(const esm_attn *a, const work *w, const tile *t, int h)
{
    int s = t->seq;
    int64_t off = a->offsets[s];
    int len = (int)(a->offsets[s + 1] - off), nk = a->n_keys[s];
    int bq = len - t->row0 < BQ ? len - t->row0 : BQ;
    if (a->maps) {
#define CALL_MAPS(HD) item_maps(HD, a, w, s, off, len, nk, t->row0, bq, h)
        DISPATCH(a->head_dim, CALL_MAPS)
    } else {
#define CALL_FUSED(HD) item_fused(HD, a, w, off, nk, t->row0, bq, h)
        DISPATCH(a->head_dim, CALL_FUSED)
    }
}

void esm_attention(const esm_attn *a, float *scratch, size_t scratch_per_thread, void *tiles_mem)
{
    tile *tiles = tiles_mem;
    int64_t n_tiles = 0, max_len = 0;
    for (int s = 0; s < a->n_seqs; s++) {
        int64_t len = a->offsets[s + 1] - a->offsets[s];
        max_len = len > max_len ? len : max_len;
        for (int64_t i = 0; i < len; i += BQ)
            tiles[n_tiles++] = (tile){s, (int32_t)i};
    }
    int hd = a->head_dim;
    int64_t lds = a->maps ? round_up(max_len, BK) : BK;
    int64_t items = n_tiles * a->n_heads;
#pragma omp parallel
    {
        float *base = scratch + (size_t)omp_get_thread_num() * scratch_per_thread;
        work w = {.q = base, .kt = base + BQ * hd, .s = base + BQ * hd + hd * BK};
        w.acc = w.s + BQ * lds;
        w.m = w.acc + BQ * hd;
        w.l = w.m + BQ;
#pragma omp for schedule(dynamic, 1)
        for (int64_t it = 0; it < items; it++)
            run_item(a, &w, &tiles[it / a->n_heads], (int)(it % a->n_heads));
    }
}

/* The plain twin: full score matrix per (sequence, head), double accumulators. */
void esm_attention_ref(const esm_attn *a)
{
    int hd = a->head_dim;
    for (int s = 0; s < a->n_seqs; s++) {
        int64_t off = a->offsets[s];
        int len = (int)(a->offsets[s + 1] - off), nk = a->n_keys[s];
        double *S = malloc((size_t)len * (size_t)nk * sizeof *S); /* [len, nk] */
        float *p = malloc((size_t)nk * sizeof *p);                /* [nk] one row, float */
        for (int h = 0; h < a->n_heads; h++) {
            for (int i = 0; i < len; i++) {
                const float *qi = a->q + (off + i) * a->ld + h * hd;
                double *si = S + (size_t)i * nk, mx = -INFINITY, sum = 0.0;
                for (int j = 0; j < nk; j++) {
                    const float *kj = a->k + (off + j) * a->ld + h * hd;
                    double dot = 0.0;
                    for (int c = 0; c < hd; c++)
                        dot += (double)qi[c] * kj[c];
                    si[j] = dot;
                    mx = dot > mx ? dot : mx;
                }
                for (int j = 0; j < nk; j++)
                    sum += (si[j] = exp(si[j] - mx));
                for (int j = 0; j < nk; j++)
                    p[j] = (float)(si[j] /= sum);
                float *o = a->out + (off + i) * a->ldo + h * hd;
                for (int c = 0; c < hd; c++) {
                    double acc = 0.0;
                    for (int j = 0; j < nk; j++)
                        acc += si[j] * a->v[(off + j) * a->ld + h * hd + c];
                    o[c] = (float)acc;
                }
                if (a->maps)
                    write_map_row(a, s, off, len, nk, i, p, h);
            }
        }
        free(S);
        free(p);
    }
}
