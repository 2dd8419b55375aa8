/* Pairformer-family blocks created from a memory-mapped checkpoint: the
 * modules pack their matrices at load and hand the mapped originals back
 * (fg_weights_release), so a checkpoint is not resident twice. Checked
 * through the mapping's resident size in /proc/self/smaps, against a
 * control that touches every tensor afterwards, and by results bit for bit
 * equal to the same block created from weights held in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocks/pairformer_modules.h"
#include "fixture.h"
#include "framegen/block.h"
#include "framegen/fields.h"
#include "framegen/rng.h"
#include "framegen/safetensors.h"

#define MSG(e) ((e).msg[0] ? (e).msg : "-")

static char dir[] = "/tmp/fg_pf_mapped_XXXXXX";

/* Resident KiB of this process's mappings of path. */
static long mapping_rss_kb(const char *path)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[1024];
    long kb = 0;
    int in = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2)
            in = strstr(line, path) != NULL;
        else if (in && !strncmp(line, "Rss:", 4))
            kb += atol(line + 4);
    }
    if (f)
        fclose(f);
    return kb;
}

/* Every tensor of mem written to path; its file size in KiB, or -1. */
static long write_store(const char *path, fg_weights *mem, fg_error *err)
{
    const size_t n = fg_weights_count(mem);
    fg_st_entry *e = calloc(n, sizeof *e);
    int ok = e != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        int64_t shape[FG_MAX_DIMS];
        int nd;
        fg_weights_shape_at(mem, i, &nd, shape);
        e[i].name = fg_weights_name_at(mem, i);
        e[i].dtype = FG_F32, e[i].ndim = nd;
        memcpy(e[i].shape, shape, sizeof shape);
        e[i].data = fg_weights_get(mem, e[i].name, nd, shape, err);
        ok = e[i].data != NULL;
    }
    ok = ok && fg_st_write(path, e, n, NULL, 0, err) == FG_OK;
    free(e);
    if (!ok)
        return -1;
    FILE *f = fopen(path, "rb");
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f) / 1024;
    if (f)
        fclose(f);
    return size;
}

/* Reads every value of every tensor of w (pages back in); their sum, so the reads stay. */
static double touch_all(fg_weights *w, fg_error *err)
{
    double sum = 0.0;
    for (size_t i = 0; i < fg_weights_count(w); i++) {
        int64_t shape[FG_MAX_DIMS], n = 1;
        int nd;
        fg_weights_shape_at(w, i, &nd, shape);
        const float *x = fg_weights_get(w, fg_weights_name_at(w, i), nd, shape, err);
        for (int d = 0; d < nd; d++)
            n *= shape[d];
        for (int64_t k = 0; x && k < n; k++)
            sum += x[k];
    }
    return sum;
}

/* s and z after one forward of blk on fixed random inputs (B = 1, no padding). */
static float *forward_out(const fg_block_type *t, void *blk, const fg_block_dims *d, int N, fg_error *err)
{
    const size_t ns = (size_t)N * d->c_s, nz = (size_t)N * N * d->c_z;
    float *x = malloc((ns + nz) * sizeof(float));
    fg_rng r;
    fg_rng_init(&r, 5, 0);
    fg_rng_normals(&r, x, (int64_t)(ns + nz));
    fg_arena a;
    fg_arena_init(&a, 0);
    fg_block_io io = {0};
    io.B = 1, io.N = N, io.s = x, io.z = x + ns, io.scratch = &a;
    if (t->forward(blk, &io, err) != FG_OK)
        free(x), x = NULL;
    fg_arena_free(&a);
    return x;
}

static void check_type(fx_suite *su, const char *type)
{
    const fg_block_type *t = fg_block_type_find(type);
    const fg_block_dims dims = {128, 128};
    const int N = 9;
    unsigned char params[512];
    fg_error err = {0};
    char path[256];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, type);
    if (!fx_ok(su, t && t->params_size <= sizeof params, "%s: block type known", type))
        return;
    fg_fields_defaults(t->fields, t->n_fields, params);
    fg_weights *mem = NULL, *mapped = NULL;
    void *b_mem = NULL, *b_map = NULL;
    fg_weights_create(&mem, &err);
    long file_kb = -1;
    if (fg_pf_random_weights(mem, type, "stage.", 0, &dims, params, 3, &err) == FG_OK)
        file_kb = write_store(path, mem, &err);
    int ok = fx_ok(su, file_kb > 0 && fg_weights_open(path, NULL, &mapped, &err) == FG_OK &&
                           t->create(params, &dims, mem, "stage.", 0, &b_mem, &err) == FG_OK &&
                           t->create(params, &dims, mapped, "stage.", 0, &b_map, &err) == FG_OK,
                   "%s: checkpoint of %ld KiB written, mapped and loaded: %s", type, file_kb, MSG(err));
    if (ok) {
        const long after_create = mapping_rss_kb(path);
        float *y_mem = forward_out(t, b_mem, &dims, N, &err), *y_map = forward_out(t, b_map, &dims, N, &err);
        const long after_forward = mapping_rss_kb(path);
        const double sum = touch_all(mapped, &err);
        const long touched = mapping_rss_kb(path);
        const size_t n = (size_t)N * dims.c_s + (size_t)N * N * dims.c_z;
        fx_ok(su, y_mem && y_map && !memcmp(y_mem, y_map, n * sizeof(float)),
              "%s: mapped and in-memory weights give identical results (%zu values)", type, n);
        fx_ok(su, touched > file_kb * 8 / 10,
              "%s: control: every tensor read back makes %ld of %ld KiB resident (sum %.3g)", type, touched,
              file_kb, sum);
        fx_ok(su, after_create < file_kb / 5 && after_forward < file_kb / 5,
              "%s: packed originals handed back: %ld KiB resident after load, %ld after a forward, of %ld",
              type, after_create, after_forward, file_kb);
        free(y_mem), free(y_map);
    }
    if (b_mem)
        t->destroy(b_mem);
    if (b_map)
        t->destroy(b_map);
    fg_weights_free(mem), fg_weights_free(mapped);
    unlink(path);
}

int main(void)
{
    fx_suite su = {"pairformer blocks on mapped weights", 0, 0};
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    check_type(&su, "pairformer");
    check_type(&su, "pairformer_noseq");
    check_type(&su, "pair_bias");
    rmdir(dir);
    return fx_suite_finish(&su);
}
