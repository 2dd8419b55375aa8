/* safetensors: write/read round trip (F32, F16, BF16, I64), weights lookups,
 * and every malformed file the reader must refuse with a clear message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "framegen/safetensors.h"
#include "framegen/weights.h"

static char dir[] = "/tmp/fg_st_XXXXXX";

static void path_in(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

/* Writes 8-byte header length + header + n zero bytes of data. */
static void write_raw(const char *path, const char *header, size_t data_bytes, long long fake_len)
{
    FILE *f = fopen(path, "wb");
    unsigned long long len = fake_len >= 0 ? (unsigned long long)fake_len : strlen(header);
    for (int i = 0; i < 8; i++)
        fputc((int)((len >> (8 * i)) & 0xff), f);
    fputs(header, f);
    for (size_t i = 0; i < data_bytes; i++)
        fputc(0, f);
    fclose(f);
}

static void expect_reject(fx_suite *s, const char *label, const char *path, const char *needle)
{
    fg_st_file *f = NULL;
    fg_error err = {0};
    fg_status st = fg_st_open(path, &f, &err);
    fx_ok(s, st != FG_OK && f == NULL && strstr(err.msg, needle) && strstr(err.msg, path),
          "%s rejected: \"%s\"", label, err.msg);
    fg_st_close(f);
}

static void test_round_trip(fx_suite *s)
{
    float a[6] = {1.0f, -2.5f, 3.25f, 0.0009765625f, 65504.0f, 5.9604645e-08f}; /* all exact in F16 */
    uint16_t h[6], bf[6];
    for (int i = 0; i < 6; i++)
        h[i] = fg_f32_to_f16(a[i]), bf[i] = fg_f32_to_bf16(a[i]);
    int64_t ids[3] = {4, -1, 1LL << 40};
    fg_st_entry e[] = {
        {"w.f32", FG_F32, 2, {2, 3}, a},
        {"w.f16", FG_F16, 2, {3, 2}, h},
        {"w.bf16", FG_BF16, 1, {6}, bf},
        {"ids", FG_I64, 1, {3}, ids},
    };
    const char *meta[] = {"format", "pt", "note", "round trip"};
    char path[256];
    path_in(path, sizeof path, "ok.safetensors");
    fg_error err;
    fx_ok(s, fg_st_write(path, e, 4, meta, 2, &err) == FG_OK, "write 4 tensors");

    fg_weights *w = NULL;
    fx_ok(s, fg_weights_open(path, "w.", &w, &err) == FG_OK, "open as weights with prefix 'w.'");
    if (!w)
        return;
    fx_ok(s, fg_weights_count(w) == 3, "prefix keeps only the 3 'w.' tensors");
    const float *p32 = fg_weights_get(w, "f32", 2, (int64_t[]){2, 3}, &err);
    const float *p16 = fg_weights_get(w, "f16", 2, (int64_t[]){-1, 2}, &err);
    const float *pbf = fg_weights_get(w, "bf16", 1, (int64_t[]){6}, &err);
    int ok = p32 && p16 && pbf;
    for (int i = 0; ok && i < 6; i++)
        ok = p32[i] == a[i] && p16[i] == a[i] && fabsf(pbf[i] - a[i]) <= fabsf(a[i]) / 128;
    fx_ok(s, ok, "F32 exact, F16 exact, BF16 within one bf16 ulp");
    const float *bad = fg_weights_get(w, "f32", 2, (int64_t[]){3, 2}, &err);
    fx_ok(s, !bad && strstr(err.msg, "'w.f32'") && strstr(err.msg, "[2, 3]") && strstr(err.msg, "[3, 2]"),
          "shape mismatch names tensor and both shapes: \"%s\"", err.msg);
    bad = fg_weights_get(w, "nope", 1, (int64_t[]){1}, &err);
    fx_ok(s, !bad && strstr(err.msg, "missing tensor 'w.nope'"), "missing tensor named: \"%s\"", err.msg);
    fg_weights_free(w);

    fg_st_file *f;
    fx_ok(s, fg_st_open(path, &f, &err) == FG_OK, "reopen raw");
    const char *note = fg_st_metadata(f, "note");
    fx_ok(s, note && strcmp(note, "round trip") == 0, "metadata kept");
    int64_t got[3];
    const fg_st_tensor *t = fg_st_find(f, "ids");
    fx_ok(s, t && fg_st_read_i64(f, t, got, &err) == FG_OK && memcmp(got, ids, sizeof ids) == 0,
          "I64 exact");
    fg_st_close(f);
    unlink(path);
}

static void test_rejects(fx_suite *s)
{
    char p[256];
    const char *one = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    path_in(p, sizeof p, "truncated.safetensors");
    write_raw(p, one, 4, -1); /* 4 of 8 data bytes */
    expect_reject(s, "truncated data", p, "past the end");

    path_in(p, sizeof p, "short.safetensors");
    FILE *f = fopen(p, "wb");
    fputs("abc", f);
    fclose(f);
    expect_reject(s, "file shorter than the length prefix", p, "too short");

    path_in(p, sizeof p, "hdrlen.safetensors");
    write_raw(p, one, 8, 1 << 20);
    expect_reject(s, "header length past the end", p, "header length");

    path_in(p, sizeof p, "offsets.safetensors");
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8, -1);
    expect_reject(s, "offsets past the end", p, "past the end");

    path_in(p, sizeof p, "overlap.safetensors");
    write_raw(p,
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
              12, -1);
    expect_reject(s, "overlapping tensors", p, "overlap");

    path_in(p, sizeof p, "dtype.safetensors");
    write_raw(p, "{\"a\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1);
    expect_reject(s, "unknown dtype", p, "unknown dtype 'F12'");

    path_in(p, sizeof p, "size.safetensors");
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, -1);
    expect_reject(s, "size not dtype x shape", p, "needs 12");

    path_in(p, sizeof p, "json.safetensors");
    write_raw(p, "{\"a\": [1, 2", 0, -1);
    expect_reject(s, "non-JSON header", p, "not valid JSON");

    path_in(p, sizeof p, "dup.safetensors");
    write_raw(p,
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
              8, -1);
    expect_reject(s, "duplicate name", p, "appears twice");

    path_in(p, sizeof p, "missing.safetensors");
    expect_reject(s, "missing file", p, "cannot open");
}

static void test_no_partial_output(fx_suite *s)
{
    /* Writing into a missing directory fails and leaves nothing behind. */
    char p[256];
    path_in(p, sizeof p, "no/such/dir/out.safetensors");
    float x = 1;
    fg_st_entry e = {"x", FG_F32, 1, {1}, &x};
    fg_error err;
    fx_ok(s, fg_st_write(p, &e, 1, NULL, 0, &err) != FG_OK && access(p, F_OK) != 0,
          "unwritable path refused without output: \"%s\"", err.msg);
}

/* fg_weights_release: a mapped tensor's values read back the same after its
 * pages are dropped, its neighbours and an in-memory store's tensor are
 * untouched, and unknown pointers are ignored. */
static void test_release(fx_suite *s)
{
    enum { BIG = 5000, SMALL = 7 }; /* BIG spans several 4 KiB pages */
    float *big = malloc(sizeof(float) * BIG), small[SMALL];
    for (int i = 0; i < BIG; i++)
        big[i] = (float)i * 0.5f - 7.0f;
    for (int i = 0; i < SMALL; i++)
        small[i] = (float)(i + 1);
    fg_st_entry e[] = {{"a", FG_F32, 1, {SMALL}, small}, {"big", FG_F32, 1, {BIG}, big},
                       {"z", FG_F32, 1, {SMALL}, small}};
    char path[256];
    path_in(path, sizeof path, "release.safetensors");
    fg_error err;
    fg_weights *w = NULL, *mem = NULL;
    bool ok = fg_st_write(path, e, 3, NULL, 0, &err) == FG_OK && fg_weights_open(path, NULL, &w, &err) == FG_OK;
    const int64_t nb = BIG, ns = SMALL;
    const float *pb = ok ? fg_weights_get(w, "big", 1, &nb, &err) : NULL;
    const float *pa = ok ? fg_weights_get(w, "a", 1, &ns, &err) : NULL;
    const float *pz = ok ? fg_weights_get(w, "z", 1, &ns, &err) : NULL;
    ok = pb && pa && pz;
    if (ok) {
        fg_weights_release(w, pb);
        fg_weights_release(w, pb + 1); /* not a tensor's start: ignored */
    }
    ok = ok && !memcmp(pb, big, sizeof(float) * BIG) && !memcmp(pa, small, sizeof small) &&
         !memcmp(pz, small, sizeof small);
    const float *pm = NULL;
    if (fg_weights_create(&mem, &err) == FG_OK && fg_weights_add(mem, "big", 1, &nb, big, &err) == FG_OK)
        pm = fg_weights_get(mem, "big", 1, &nb, &err);
    if (pm)
        fg_weights_release(mem, pm);
    ok = ok && pm && !memcmp(pm, big, sizeof(float) * BIG);
    fx_ok(s, ok, "release: a mapped tensor reads back the same (%d values), neighbours and an in-memory "
          "tensor untouched", BIG);
    fg_weights_free(w), fg_weights_free(mem);
    free(big);
}

int main(void)
{
    fx_suite s = {"safetensors", 0, 0};
    if (!mkdtemp(dir))
        return 1;
    test_round_trip(&s);
    test_rejects(&s);
    test_no_partial_output(&s);
    test_release(&s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return fx_suite_finish(&s);
}
