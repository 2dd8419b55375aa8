# Makes a variant of a framegen tree for the kb2 A/B (docs/device-runs/kb2):
#   variants.py ROOT NAME   with NAME e.g. base, mr12 (12-row register blocks),
#   kc128 (k in chunks of 128, panel by panel), mr12kc128, tile512 (sgemm
#   tiles of up to 512, for lin1).
import sys, re
if sys.argv[2] in ('base',): sys.exit(0)
root, var = sys.argv[1], sys.argv[2]
def edit(path, old, new, count=1):
    p = root + '/' + path; s = open(p).read(); assert s.count(old) >= 1, (path, old)
    s = s.replace(old, new) if count == 0 else s.replace(old, new, count); open(p, 'w').write(s)
m = re.search(r'kc(\d+)', var)
if m:
    kc = int(m.group(1))
    # block over k0..k1 with sums carried in y between chunks
    edit('src/core/ops_mm.c', 'static void block(const fg_mm *p, const mm_block *b)\n{\n    const float *xr[MR];\n    for (int r = 0; r < MR; r++)\n        xr[r] = p->x + (b->i0 + (r < b->rows ? r : b->rows - 1)) * p->xs_i;\n    const float *wb = block_w(p, b->j0);',
         'static void block_k(const fg_mm *p, const mm_block *b, int64_t k0, int64_t k1, bool first, bool last)\n{\n    const float *xr[MR];\n    for (int r = 0; r < MR; r++)\n        xr[r] = p->x + (b->i0 + (r < b->rows ? r : b->rows - 1)) * p->xs_i + k0 * p->xs_k;\n    const float *wb = block_w(p, b->j0) + k0 * p->ldw;')
    edit('src/core/ops_mm.c', '''#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < p->K; k++) {''', '''#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        c[r][0] = c[r][1] = _mm512_setzero_ps();
    if (!first)
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            if (r >= b->rows)
                break;
            const float *y = p->y + (b->i0 + r) * p->ldy + b->j0;
            c[r][0] = _mm512_maskz_loadu_ps(m0, y), c[r][1] = _mm512_maskz_loadu_ps(m1, y + 16);
        }
    for (int64_t k = 0; k < k1 - k0; k++) {''')
    edit('src/core/ops_mm.c', '''    const __m512 zero = _mm512_setzero_ps();
    const fg_mm_bias *bs = &p->bias;''', '''    if (!last) {
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            if (r >= b->rows)
                break;
            float *y = p->y + (b->i0 + r) * p->ldy + b->j0;
            _mm512_mask_storeu_ps(y, m0, c[r][0]);
            _mm512_mask_storeu_ps(y + 16, m1, c[r][1]);
        }
        return;
    }
    const __m512 zero = _mm512_setzero_ps();
    const fg_mm_bias *bs = &p->bias;''')
    edit('src/core/ops_mm.c', '''#else

/* Rows r0..r0+3''', '''static void block(const fg_mm *p, const mm_block *b) { block_k(p, b, 0, p->K, true, true); }

/* Panel by panel, k in chunks that keep a panel's chunk in L1 while every row block passes. */
static bool run_kchunks(const fg_mm *p)
{
    if (p->epi != FG_MM_STORE || p->K <= %d || p->M < 4 * MR)
        return false;
    for (int64_t j0 = 0; j0 < p->J; j0 += NR) {
        const int cols = p->J - j0 < NR ? (int)(p->J - j0) : NR;
        for (int64_t k0 = 0; k0 < p->K; k0 += %d) {
            const int64_t k1 = p->K - k0 < %d ? p->K : k0 + %d;
            for (int64_t i0 = 0; i0 < p->M; i0 += MR) {
                mm_block b = {i0, j0, p->M - i0 < MR ? (int)(p->M - i0) : MR, cols};
                block_k(p, &b, k0, k1, k0 == 0, k1 == p->K);
            }
        }
    }
    return true;
}

#else

static bool run_kchunks(const fg_mm *p) { (void)p; return false; }

/* Rows r0..r0+3''' % (kc, kc, kc, kc))
    edit('src/core/ops_mm.c', '''void fg_mm_run(const fg_mm *p)
{''', '''void fg_mm_run(const fg_mm *p)
{
    if (run_kchunks(p))
        return;''')
m = re.search(r'mr(\d+)', var)
if m:
    mr = int(m.group(1))
    edit('src/core/mm.h', '#define FG_MM_MR 8 ', '#define FG_MM_MR %d ' % mr)
    edit('src/core/ops_mm.c', '#pragma GCC unroll 8', '#pragma GCC unroll 16', 0)
    if __import__('os').path.exists(root + '/src/blocks/edge_transition.c'): edit('src/blocks/edge_transition.c', '#define ET_ROWS 64', '#define ET_ROWS %d' % (mr * (64 // mr + (1 if 64 % mr else 0))))
m = re.search(r'tile(\d+)', var)
if m:
    edit('src/core/ops_gemm.c', '#define GEMM_MAX_TILE 256', '#define GEMM_MAX_TILE %s' % m.group(1))
