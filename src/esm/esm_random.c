/* A random ESM-2 checkpoint of any size, for benchmarks, tests and smoke runs:
 * fair-esm names in state_dict order (so q/k/v lie back to back), F32, with
 * rot_emb.inv_freq stored so the head count is in the file. Tensors are
 * generated straight into a mapped temporary file, one at a time, so writing
 * a 650M model needs no extra memory; the file is renamed into place. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "framegen/esm.h"
#include "framegen/fileio.h"

typedef enum kind { K_WEIGHT, K_GAIN, K_BIAS, K_EMBED, K_INV_FREQ } kind;

typedef struct spec {
    char name[96];
    int ndim;
    int64_t shape[2];
    kind k;
} spec;

static int specs_for(int layers, int d, int heads, spec *t)
{
    int n = 0, f = 4 * d, half = d / heads / 2;
#define SPEC(kk, nd, a, b, ...)                                                                    \
    do {                                                                                           \
        snprintf(t[n].name, sizeof t[n].name, __VA_ARGS__);                                        \
        t[n].ndim = nd, t[n].shape[0] = a, t[n].shape[1] = b, t[n].k = kk;                         \
        n++;                                                                                       \
    } while (0)
    SPEC(K_EMBED, 2, 33, d, "embed_tokens.weight");
    for (int l = 0; l < layers; l++) {
        SPEC(K_WEIGHT, 2, d, d, "layers.%d.self_attn.k_proj.weight", l);
        SPEC(K_WEIGHT, 2, d, d, "layers.%d.self_attn.v_proj.weight", l);
        SPEC(K_WEIGHT, 2, d, d, "layers.%d.self_attn.q_proj.weight", l);
        SPEC(K_BIAS, 1, d, 0, "layers.%d.self_attn.k_proj.bias", l);
        SPEC(K_BIAS, 1, d, 0, "layers.%d.self_attn.v_proj.bias", l);
        SPEC(K_BIAS, 1, d, 0, "layers.%d.self_attn.q_proj.bias", l);
        SPEC(K_WEIGHT, 2, d, d, "layers.%d.self_attn.out_proj.weight", l);
        SPEC(K_BIAS, 1, d, 0, "layers.%d.self_attn.out_proj.bias", l);
        SPEC(K_INV_FREQ, 1, half, 0, "layers.%d.self_attn.rot_emb.inv_freq", l);
        SPEC(K_GAIN, 1, d, 0, "layers.%d.self_attn_layer_norm.weight", l);
        SPEC(K_BIAS, 1, d, 0, "layers.%d.self_attn_layer_norm.bias", l);
        SPEC(K_WEIGHT, 2, f, d, "layers.%d.fc1.weight", l);
        SPEC(K_BIAS, 1, f, 0, "layers.%d.fc1.bias", l);
        SPEC(K_WEIGHT, 2, d, f, "layers.%d.fc2.weight", l);
        SPEC(K_BIAS, 1, d, 0, "layers.%d.fc2.bias", l);
        SPEC(K_GAIN, 1, d, 0, "layers.%d.final_layer_norm.weight", l);
        SPEC(K_BIAS, 1, d, 0, "layers.%d.final_layer_norm.bias", l);
    }
    SPEC(K_GAIN, 1, d, 0, "emb_layer_norm_after.weight");
    SPEC(K_BIAS, 1, d, 0, "emb_layer_norm_after.bias");
    SPEC(K_WEIGHT, 2, d, d, "lm_head.dense.weight");
    SPEC(K_BIAS, 1, d, 0, "lm_head.dense.bias");
    SPEC(K_GAIN, 1, d, 0, "lm_head.layer_norm.weight");
    SPEC(K_BIAS, 1, d, 0, "lm_head.layer_norm.bias");
    SPEC(K_BIAS, 1, 33, 0, "lm_head.bias");
#undef SPEC
    return n;
}

/* Uniform [-1, 1) from a hash of the key (splitmix64): any element in parallel. */
static float hash_uniform(uint64_t key)
{
    key += 0x9e3779b97f4a7c15ull;
    key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ull;
    key = (key ^ (key >> 27)) * 0x94d049bb133111ebull;
    key ^= key >> 31;
    return (float)(key >> 40) / 8388608.0f - 1.0f;
}

static void fill(float *x, const spec *t, uint64_t seed)
{
    int64_t n = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
    float std = t->k == K_WEIGHT ? 1.0f / sqrtf((float)t->shape[1]) : t->k == K_BIAS ? 0.02f : 1.0f;
    float a = 1.7320508f * std; /* uniform on [-a, a) has standard deviation std */
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
        if (t->k == K_GAIN)
            x[i] = 1.0f;
        else if (t->k == K_INV_FREQ)
            x[i] = 1.0f / powf(10000.0f, (float)(2 * i) / (float)(2 * n));
        else
            x[i] = a * hash_uniform(seed + (uint64_t)i);
    }
}

/* JSON header with data offsets; *data_bytes receives the data size. */
static char *header(const spec *t, int n, int layers, int d, int heads, size_t *data_bytes)
{
    size_t cap = 192 * (size_t)n + 256, len = 0, off = 0; /* an entry is < 160 chars */
    char *h = malloc(cap);
    if (!h)
        return NULL;
    len += (size_t)snprintf(h, cap, "{\"__metadata__\":{\"framegen\":\"random ESM-2, %d layers, "
                                    "width %d, %d heads\"}", layers, d, heads);
    for (int i = 0; i < n; i++) {
        char shp[64];
        if (t[i].ndim == 2)
            snprintf(shp, sizeof shp, "[%lld,%lld]", (long long)t[i].shape[0], (long long)t[i].shape[1]);
        else
            snprintf(shp, sizeof shp, "[%lld]", (long long)t[i].shape[0]);
        size_t nb = (size_t)(t[i].shape[0] * (t[i].ndim == 2 ? t[i].shape[1] : 1)) * sizeof(float);
        len += (size_t)snprintf(h + len, cap - len,
                                ",\"%s\":{\"dtype\":\"F32\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}",
                                t[i].name, shp, off, off + nb);
        off += nb;
    }
    snprintf(h + len, cap - len, "}");
    *data_bytes = off;
    return h;
}

static fg_status write_mapped(const char *tmp, const char *hdr, const spec *t, int n, size_t data,
                              uint64_t seed, fg_error *err)
{
    size_t hl = strlen(hdr), padded = (hl + 7) / 8 * 8, total = 8 + padded + data;
    int fd = open(tmp, O_RDWR | O_TRUNC);
    if (fd < 0 || ftruncate(fd, (off_t)total) != 0) {
        if (fd >= 0)
            close(fd);
        return fg_error_set(err, FG_ERR_IO, "%s: cannot size the file to %zu bytes", tmp, total);
    }
    unsigned char *map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return fg_error_set(err, FG_ERR_IO, "%s: cannot map for writing", tmp);
    for (int i = 0; i < 8; i++)
        map[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(map + 8, hdr, hl);
    memset(map + 8 + hl, ' ', padded - hl);
    float *x = (float *)(map + 8 + padded);
    for (int i = 0; i < n; i++) {
        fill(x, &t[i], seed * 0x100000001b3ull + (uint64_t)i * 0x9e3779b97f4a7c15ull);
        x += t[i].shape[0] * (t[i].ndim == 2 ? t[i].shape[1] : 1);
    }
    int bad = msync(map, total, MS_SYNC) != 0;
    munmap(map, total);
    return bad ? fg_error_set(err, FG_ERR_IO, "%s: write failed", tmp) : FG_OK;
}

fg_status fg_esm_write_random(const char *path, int n_layers, int d_model, int n_heads,
                              uint64_t seed, fg_error *err)
{
    if (n_layers < 1 || n_layers > 256 || d_model < 2 || d_model > 16384 || n_heads < 1 ||
        d_model % n_heads != 0 || (d_model / n_heads) % 2 != 0)
        return fg_error_set(err, FG_ERR_INVALID,
                            "random ESM-2: %d layers, width %d, %d heads: need 1..256 layers and a "
                            "width that splits into heads of even size", n_layers, d_model, n_heads);
    spec *t = calloc(17 * (size_t)n_layers + 8, sizeof *t);
    if (!t)
        return fg_error_set(err, FG_ERR_NOMEM, "random ESM-2: out of memory");
    int n = specs_for(n_layers, d_model, n_heads, t);
    size_t data = 0;
    char *hdr = header(t, n, n_layers, d_model, n_heads, &data);
    char tmp[4096];
    fg_status st = hdr ? fg_temp_path_beside(path, tmp, sizeof tmp, err)
                       : fg_error_set(err, FG_ERR_NOMEM, "random ESM-2: out of memory");
    if (st == FG_OK) {
        st = write_mapped(tmp, hdr, t, n, data, seed, err);
        st = st == FG_OK ? fg_rename_into_place(tmp, path, err) : (unlink(tmp), st);
    }
    free(hdr);
    free(t);
    return st;
}
