#include "esm_attention.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "esm_math.h"

#define BQ 32 /* query rows per work item */
#define BK 512 /* keys per tile: up to this length a row's softmax is one pass */

typedef struct tile {
    int32_t seq, row0;
} tile;

static int64_t round_up(int64_t n, int64_t a) { return (n + a - 1) / a * a; }

static int64_t max_seq_len(const esm_attn *a)
{
    int64_t m = 1;
    for (int s = 0; s < a->n_seqs; s++)
        m = a->offsets[s + 1] - a->offsets[s] > m ? a->offsets[s + 1] - a->offsets[s] : m;
    return m;
}

static int64_t n_tiles(const esm_attn *a)
{
    int64_t n = 0;
    for (int s = 0; s < a->n_seqs; s++)
        n += (a->offsets[s + 1] - a->offsets[s] + BQ - 1) / BQ;
    return n > 0 ? n : 1;
}

/* Per thread: scores (full rows with maps), accumulators, max and sum. */
static size_t per_thread_floats(const esm_attn *a)
{
    int64_t s_cols = a->maps ? round_up(max_seq_len(a), 16) : BK;
    return (size_t)round_up(BQ * a->head_dim + BQ * s_cols + 2 * BQ, 16);
}

size_t esm_attn_ws_bytes(const esm_attn *a, int n_threads)
{
    int64_t T = a->offsets[a->n_seqs], rows = (int64_t)a->n_heads * a->head_dim;
    size_t f = per_thread_floats(a) * (size_t)n_threads + (size_t)(rows * T);
    return f * sizeof(float) + (size_t)round_up(n_tiles(a) * (int64_t)sizeof(tile), 64) + 64;
}

void esm_attn_ws_bind(esm_attn_ws *ws, void *mem, const esm_attn *a, int n_threads)
{
    int64_t T = a->offsets[a->n_seqs];
    ws->per_thread = per_thread_floats(a);
    ws->scratch = mem;
    ws->ldt = T;
    ws->kt = ws->scratch + ws->per_thread * (size_t)n_threads;
    ws->tiles = ws->kt + (size_t)((int64_t)a->n_heads * a->head_dim * ws->ldt);
}

/* Per-thread scratch areas. */
typedef struct work {
    float *s;   /* [BQ, lds] scores / probabilities */
    float *acc; /* [BQ, hd] */
    float *m, *l; /* [BQ] running max and sum */
} work;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* s[r, 0:nk] = q_r . k_j for query rows r < bq (read in place, ldq apart) and
 * the nk keys whose transposed rows start at kt (row c at kt + c * ldt). */
static inline void qk_tile(int hd, const float *q, int64_t ldq, int bq, const float *kt, int64_t ldt, int nk,
                           float *s, int64_t lds)
{
    const fg_mm mm = {q, ldq, 1, kt, ldt, bq, hd, nk, s, lds, FG_MM_STORE, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&mm);
}

/* acc[r] += sum_j p[r, j] v_j over the tile's bk keys, rows r < bq (v rows ld apart). */
static inline void pv_tile(int hd, const float *p, int64_t lds, int bq, int bk, const float *v, int64_t ld,
                           float *acc)
{
    const fg_mm mm = {p, lds, 1, v, ld, bq, bk, hd, acc, hd, FG_MM_ADD, NULL, 0, 0, {NULL, NULL, false}};
    fg_mm_run(&mm);
}

/* max of row[0:n], lane-wise over 16 columns then a halving tree: one
 * horizontal step per row instead of a serial 16-lane fold per loop. */
ALWAYS_INLINE float row_max(const float *restrict row, int n, float init)
{
    float m[16]; /* per-lane maxima */
    for (int l = 0; l < 16; l++)
        m[l] = init;
    int j = 0;
    for (; j + 16 <= n; j += 16)
#pragma omp simd
        for (int l = 0; l < 16; l++)
            m[l] = row[j + l] > m[l] ? row[j + l] : m[l];
    for (; j < n; j++)
        m[0] = row[j] > m[0] ? row[j] : m[0];
    for (int w = 8; w > 0; w /= 2)
        for (int l = 0; l < w; l++)
            m[l] = m[l + w] > m[l] ? m[l + w] : m[l];
    return m[0];
}

/* row[j] = e^(row[j] - mx) for j < n; returns their sum (lane-wise, then a tree). */
ALWAYS_INLINE float row_exp_sum(float *restrict row, int n, float mx)
{
    float s[16] = {0.0f}; /* per-lane sums */
    int j = 0;
    for (; j + 16 <= n; j += 16)
#pragma omp simd
        for (int l = 0; l < 16; l++) {
            float p = esm_expf(row[j + l] - mx);
            row[j + l] = p;
            s[l] += p;
        }
    for (; j < n; j++) {
        row[j] = esm_expf(row[j] - mx);
        s[0] += row[j];
    }
    for (int w = 8; w > 0; w /= 2)
        for (int l = 0; l < w; l++)
            s[l] += s[l + w];
    return s[0];
}

/* Online softmax update of one row over bk new scores. */
ALWAYS_INLINE void softmax_update(int hd, float *restrict row, int bk, float *m, float *l,
                                  float *restrict acc)
{
    float mx = row_max(row, bk, *m);
    float corr = esm_expf(*m - mx); /* 0 on the first tile (m = -inf) */
    *l = *l * corr + row_exp_sum(row, bk, mx);
    *m = mx;
    if (corr != 1.0f)
        for (int c = 0; c < hd; c++)
            acc[c] *= corr;
}

/* One (sequence, head, query tile) without maps. */
ALWAYS_INLINE void item_fused(int hd, const esm_attn *a, const esm_attn_ws *ws, const work *w,
                              int64_t off, int nk, int i0, int bq, int h)
{
    const float *kt = ws->kt + (int64_t)h * hd * ws->ldt + off, *v = a->v + off * a->ld + h * hd;
    const float *q = a->q + (off + i0) * a->ld + h * hd;
    memset(w->acc, 0, sizeof(float) * BQ * (size_t)hd);
    for (int r = 0; r < BQ; r++) {
        w->m[r] = -INFINITY;
        w->l[r] = 0.0f;
    }
    for (int j0 = 0; j0 < nk; j0 += BK) {
        int bk = nk - j0 < BK ? nk - j0 : BK;
        qk_tile(hd, q, a->ld, bq, kt + j0, ws->ldt, bk, w->s, BK);
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
ALWAYS_INLINE void item_maps(int hd, const esm_attn *a, const esm_attn_ws *ws, const work *w, int s,
                             int64_t off, int len, int nk, int i0, int bq, int h)
{
    const float *kt = ws->kt + (int64_t)h * hd * ws->ldt + off, *v = a->v + off * a->ld + h * hd;
    int64_t lds = round_up(nk, 16);
    const float *q = a->q + (off + i0) * a->ld + h * hd;
    qk_tile(hd, q, a->ld, bq, kt, ws->ldt, nk, w->s, lds);
    for (int r = 0; r < bq; r++) {
        float *row = w->s + r * lds;
        float inv = 1.0f / row_exp_sum(row, nk, row_max(row, nk, -INFINITY));
        for (int j = 0; j < nk; j++)
            row[j] *= inv;
        write_map_row(a, s, off, len, nk, i0 + r, row, h);
    }
    memset(w->acc, 0, sizeof(float) * BQ * (size_t)hd);
    pv_tile(hd, w->s, lds, bq, nk, v, a->ld, w->acc);
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

static void run_item(const esm_attn *a, const esm_attn_ws *ws, const work *w, const tile *t, int h)
{
    int s = t->seq;
    int64_t off = a->offsets[s];
    int len = (int)(a->offsets[s + 1] - off), nk = a->n_keys[s];
    int bq = len - t->row0 < BQ ? len - t->row0 : BQ;
    if (a->maps) {
#define CALL_MAPS(HD) item_maps(HD, a, ws, w, s, off, len, nk, t->row0, bq, h)
        DISPATCH(a->head_dim, CALL_MAPS)
    } else {
#define CALL_FUSED(HD) item_fused(HD, a, ws, w, off, nk, t->row0, bq, h)
        DISPATCH(a->head_dim, CALL_FUSED)
    }
}

/* K of every head transposed once per call, in 32 x 32 blocks, so that a
 * key tile's q.k reads rows of consecutive keys. */
static void transpose_k(const esm_attn *a, const esm_attn_ws *ws)
{
    int64_t T = a->offsets[a->n_seqs], rows = (int64_t)a->n_heads * a->head_dim;
    int64_t nb_t = (T + 31) / 32, nb_c = (rows + 31) / 32;
#pragma omp parallel for schedule(static) if (T * rows > 32768)
    for (int64_t b = 0; b < nb_t * nb_c; b++) {
        int64_t t0 = b / nb_c * 32, c0 = b % nb_c * 32;
        int64_t t1 = t0 + 32 < T ? t0 + 32 : T, c1 = c0 + 32 < rows ? c0 + 32 : rows;
        for (int64_t c = c0; c < c1; c++)
            for (int64_t t = t0; t < t1; t++)
                ws->kt[c * ws->ldt + t] = a->k[t * a->ld + c];
    }
}

void esm_attention(const esm_attn *a, const esm_attn_ws *ws)
{
    tile *tiles = ws->tiles;
    int64_t nt = 0;
    for (int s = 0; s < a->n_seqs; s++)
        for (int64_t i = 0; i < a->offsets[s + 1] - a->offsets[s]; i += BQ)
            tiles[nt++] = (tile){s, (int32_t)i};
    transpose_k(a, ws);
    int hd = a->head_dim;
    int64_t lds = a->maps ? round_up(max_seq_len(a), 16) : BK;
    /* An item is a query tile and a block of heads: one head without maps;
     * with maps as many as leave two items per thread, so one thread writes
     * neighbouring channels of the same map entries while they are in its cache
     * (the grouping changes no arithmetic). Neighbouring items are neighbouring
     * tiles: threads write different map rows (no false sharing). */
    int64_t per = nt * a->n_heads / (2 * omp_get_max_threads());
    int hb = !a->maps || per < 1 ? 1 : per > a->n_heads ? a->n_heads : (int)per;
    int n_blocks = (a->n_heads + hb - 1) / hb;
    int64_t items = nt * n_blocks;
#pragma omp parallel
    {
        float *base = ws->scratch + (size_t)omp_get_thread_num() * ws->per_thread;
        work w = {.s = base};
        w.acc = w.s + BQ * lds;
        w.m = w.acc + BQ * hd;
        w.l = w.m + BQ;
#pragma omp for schedule(dynamic, 1)
        for (int64_t it = 0; it < items; it++) {
            int h0 = (int)(it / nt) * hb;
            for (int h = h0; h < h0 + hb && h < a->n_heads; h++)
                run_item(a, ws, &w, &tiles[it % nt], h);
        }
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
