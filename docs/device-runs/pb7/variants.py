import sys
root, var = sys.argv[1], sys.argv[2]
def edit(path, old, new):
    p = root + '/' + path; s = open(p).read(); assert old in s, (path, old); open(p, 'w').write(s.replace(old, new))
if 'nopf' in var:
    edit('src/blocks/attn_pair_bias.c', '        prefetch_range(zb, zbytes', '        if (0) prefetch_range(zb, zbytes')
if 'lnpf' in var and 'lnpf2' not in var:
    edit('src/blocks/fastmath.c', '''        const float *xr = x + (int64_t)r * x_stride;
        const __m512 x0 = _mm512_set1_ps(xr[0]);''', '''        const float *xr = x + (int64_t)r * x_stride;
        for (int c = 0; c < C; c += 16)
            __builtin_prefetch(xr + 16 * x_stride + c, 0, 3);
        const __m512 x0 = _mm512_set1_ps(xr[0]);''')
if 'lnpf2' in var:
    edit('src/blocks/fastmath.c', '''        const float *xr = x + (int64_t)r * x_stride;
        const __m512 x0 = _mm512_set1_ps(xr[0]);''', '''        const float *xr = x + (int64_t)r * x_stride;
        for (int c = 0; c < C; c += 16)
            __builtin_prefetch(xr + 32 * x_stride + c, 0, 2);
        const __m512 x0 = _mm512_set1_ps(xr[0]);''')
