#include "fixture.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "framegen/config_json.h"

#ifndef FG_FIXTURES_DEFAULT
#error "FG_FIXTURES_DEFAULT must be defined by the build"
#endif

const char *fx_dir(void)
{
    const char *d = getenv("FRAMEGEN_FIXTURES");
    return d && d[0] ? d : FG_FIXTURES_DEFAULT;
}

const char *fx_shared_dir(void)
{
    const char *d = getenv("FRAMEGEN_SHARED");
    if (!d || !d[0])
        d = FG_SHARED_DEFAULT;
    struct stat sb;
    return stat(d, &sb) == 0 && S_ISDIR(sb.st_mode) ? d : NULL;
}

int fx_open(fx_case *c, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->dir, sizeof c->dir, "%s", fx_dir());
    char path[2048];
    fg_error err;
    snprintf(path, sizeof path, "%s/%s.safetensors", c->dir, name);
    if (fg_st_open(path, &c->st, &err) != FG_OK) {
        fprintf(stderr, "FAIL %s: %s\n", name, err.msg);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.json", c->dir, name);
    if (fg_json_load_file(path, &c->json, &err) != FG_OK) {
        fprintf(stderr, "FAIL %s: %s\n", name, err.msg);
        fg_st_close(c->st);
        c->st = NULL;
        return -1;
    }
    const char *set = fg_st_metadata(c->st, "set");
    printf("case %s (fixture set %s, %s)\n", name, set ? set : "?", c->dir);
    return 0;
}

void fx_close(fx_case *c)
{
    fg_weights_free(c->params);
    fg_st_close(c->st);
    cJSON_Delete(c->json);
    memset(c, 0, sizeof *c);
}

static int fail(fx_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(fx_case *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    c->checks++;
    c->failures++;
    return 0;
}

/* Adds every param.* (and dequantised qparam.* x qscale.*) to a memory store. */
static fg_weights *load_params(fx_case *c)
{
    fg_weights *w;
    fg_error err;
    if (fg_weights_create(&w, &err) != FG_OK)
        return NULL;
    for (size_t i = 0; i < fg_st_count(c->st); i++) {
        const fg_st_tensor *t = fg_st_at(c->st, i);
        int q = strncmp(t->name, "qparam.", 7) == 0;
        if (!q && strncmp(t->name, "param.", 6) != 0)
            continue;
        const char *name = t->name + (q ? 7 : 6);
        int64_t n = fg_shape_numel(t->ndim, t->shape);
        float *buf = malloc((size_t)(n ? n : 1) * sizeof(float));
        fg_status st = FG_OK;
        if (q) {
            char sk[512];
            snprintf(sk, sizeof sk, "qscale.%s", name);
            const fg_st_tensor *s = fg_st_find(c->st, sk);
            float scale = 0;
            int64_t *qi = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
            if (!s || fg_st_read_f32(c->st, s, &scale, &err) != FG_OK ||
                fg_st_read_i64(c->st, t, qi, &err) != FG_OK) {
                st = FG_ERR_FORMAT;
                fprintf(stderr, "  %s: cannot dequantise %s\n", c->name, t->name);
            }
            for (int64_t k = 0; st == FG_OK && k < n; k++)
                buf[k] = (float)qi[k] * scale;
            free(qi);
        } else {
            st = fg_st_read_f32(c->st, t, buf, &err);
        }
        if (st == FG_OK)
            st = fg_weights_add(w, name, t->ndim, t->shape, buf, &err);
        free(buf);
        if (st != FG_OK) {
            fg_weights_free(w);
            return NULL;
        }
    }
    return w;
}

fg_weights *fx_params(fx_case *c)
{
    if (!c->params) {
        c->params = load_params(c);
        if (!c->params)
            fail(c, "cannot load parameters of %s", c->name);
    }
    return c->params;
}

const cJSON *fx_hparams(const fx_case *c)
{
    static const cJSON empty = {0};
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->json, "hyperparameters");
    return h ? h : &empty;
}

static const cJSON *hp_lookup(const fx_case *c, const char *path)
{
    const cJSON *node = fx_hparams(c);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && node; tok = strtok(NULL, "."))
        node = cJSON_GetObjectItemCaseSensitive(node, tok);
    return node;
}

double fx_hp_num(fx_case *c, const char *path, double def)
{
    const cJSON *v = hp_lookup(c, path);
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    fail(c, "hyperparameter %s missing or not a number", path);
    return def;
}

int fx_hp_bool(fx_case *c, const char *path, int def)
{
    const cJSON *v = hp_lookup(c, path);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    fail(c, "hyperparameter %s missing or not a boolean", path);
    return def;
}

const char *fx_hp_str(fx_case *c, const char *path, const char *def)
{
    const cJSON *v = hp_lookup(c, path);
    if (cJSON_IsString(v))
        return v->valuestring;
    fail(c, "hyperparameter %s missing or not a string", path);
    return def;
}

const fg_st_tensor *fx_tensor(fx_case *c, const char *key)
{
    const fg_st_tensor *t = fg_st_find(c->st, key);
    if (!t)
        fail(c, "tensor %s missing from case %s", key, c->name);
    return t;
}

int64_t fx_numel(fx_case *c, const char *key)
{
    const fg_st_tensor *t = fx_tensor(c, key);
    return t ? fg_shape_numel(t->ndim, t->shape) : 0;
}

int fx_shape(fx_case *c, const char *key, int64_t *shape)
{
    const fg_st_tensor *t = fx_tensor(c, key);
    if (!t)
        return -1;
    memcpy(shape, t->shape, (size_t)t->ndim * sizeof *shape);
    return t->ndim;
}

float *fx_f32(fx_case *c, const char *key)
{
    const fg_st_tensor *t = fx_tensor(c, key);
    if (!t)
        return NULL;
    int64_t n = fg_shape_numel(t->ndim, t->shape);
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    fg_error err;
    if (t->dtype == FG_I64 || t->dtype == FG_I32 || t->dtype == FG_BOOL) {
        int64_t *q = fx_i64(c, key);
        for (int64_t i = 0; q && i < n; i++)
            p[i] = (float)q[i];
        free(q);
    } else if (fg_st_read_f32(c->st, t, p, &err) != FG_OK) {
        fail(c, "%s", err.msg);
        free(p);
        return NULL;
    }
    return p;
}

int64_t *fx_i64(fx_case *c, const char *key)
{
    const fg_st_tensor *t = fx_tensor(c, key);
    if (!t)
        return NULL;
    int64_t n = fg_shape_numel(t->ndim, t->shape);
    int64_t *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    fg_error err;
    if (fg_st_read_i64(c->st, t, p, &err) != FG_OK) {
        fail(c, "%s", err.msg);
        free(p);
        return NULL;
    }
    return p;
}

int fx_tolerance(fx_case *c, const char *key, double *atol, double *rtol)
{
    const cJSON *tol = cJSON_GetObjectItemCaseSensitive(c->json, "tolerance");
    const cJSON *per = cJSON_GetObjectItemCaseSensitive(tol, "per_output");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(per, key);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(t, "atol");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(t, "rtol");
    if (!cJSON_IsNumber(a) || !cJSON_IsNumber(r))
        return fail(c, "no tolerance for %s in %s.json", key, c->name);
    *atol = a->valuedouble;
    *rtol = r->valuedouble;
    return 1;
}

typedef struct { double max_abs, max_rel; int64_t bad, first_bad, compared; } cmp_stats;

static void compare(const float *got, const float *ref, int64_t n, const float *row_ok,
                    int64_t row_len, double atol, double rtol, cmp_stats *s)
{
    memset(s, 0, sizeof *s);
    s->first_bad = -1;
    for (int64_t i = 0; i < n; i++) {
        if (row_ok && row_ok[i / row_len] == 0.0f)
            continue;
        s->compared++;
        double g = got[i], r = ref[i], d = fabs(g - r);
        int ok = isfinite(g) == isfinite(r) && (isfinite(g) ? d <= atol + rtol * fabs(r) : g == r || (isnan(g) && isnan(r)));
        if (isfinite(g) && isfinite(r)) {
            if (d > s->max_abs)
                s->max_abs = d;
            if (fabs(r) > atol && d / fabs(r) > s->max_rel)
                s->max_rel = d / fabs(r);
        }
        if (!ok) {
            if (s->first_bad < 0)
                s->first_bad = i;
            s->bad++;
        }
    }
}

static int report(fx_case *c, const char *label, const float *got, const float *ref,
                  const cmp_stats *s, double atol, double rtol)
{
    c->checks++;
    int pass = s->bad == 0 && s->compared > 0;
    printf("  %s %-44s n=%-7lld max_abs=%.3e max_rel=%.3e (atol %.1e rtol %.1e)\n",
           pass ? "PASS" : "FAIL", label, (long long)s->compared, s->max_abs, s->max_rel, atol, rtol);
    if (!pass) {
        c->failures++;
        if (s->first_bad >= 0)
            printf("       %lld values out of tolerance; first at flat index %lld: got %.7g, ref %.7g\n",
                   (long long)s->bad, (long long)s->first_bad, got[s->first_bad], ref[s->first_bad]);
        else
            printf("       nothing compared\n");
    }
    return pass;
}

static int check_impl(fx_case *c, const char *key, const float *got, int64_t n, const float *row_ok,
                      int64_t row_len)
{
    double atol, rtol;
    if (!fx_tolerance(c, key, &atol, &rtol))
        return 0;
    int64_t want = fx_numel(c, key);
    if (want != n)
        return fail(c, "%s: %lld values produced, reference has %lld", key, (long long)n, (long long)want);
    float *ref = fx_f32(c, key);
    if (!ref)
        return 0;
    cmp_stats s;
    compare(got, ref, n, row_ok, row_len, atol, rtol, &s);
    int pass = report(c, key, got, ref, &s, atol, rtol);
    free(ref);
    return pass;
}

int fx_check(fx_case *c, const char *key, const float *got, int64_t n)
{
    return check_impl(c, key, got, n, NULL, 1);
}

int fx_check_rows(fx_case *c, const char *key, const float *got, const float *row_ok, int64_t rows,
                  int64_t row_len)
{
    (void)rows;
    return check_impl(c, key, got, rows * row_len, row_ok, row_len);
}

int fx_check_with(fx_case *c, const char *label, const float *got, const float *ref, int64_t n,
                  double atol, double rtol)
{
    cmp_stats s;
    compare(got, ref, n, NULL, 1, atol, rtol, &s);
    return report(c, label, got, ref, &s, atol, rtol);
}

int fx_check_i64(fx_case *c, const char *key, const int64_t *got, int64_t n)
{
    int64_t want = fx_numel(c, key);
    if (want != n)
        return fail(c, "%s: %lld values produced, reference has %lld", key, (long long)n, (long long)want);
    int64_t *ref = fx_i64(c, key);
    if (!ref)
        return 0;
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < n; i++)
        if (got[i] != ref[i]) {
            bad++;
            if (first < 0)
                first = i;
        }
    c->checks++;
    printf("  %s %-44s n=%-7lld mismatches=%lld (exact)\n", bad ? "FAIL" : "PASS", key, (long long)n,
           (long long)bad);
    if (bad) {
        c->failures++;
        printf("       first at flat index %lld: got %lld, ref %lld\n", (long long)first,
               (long long)got[first], (long long)ref[first]);
    }
    free(ref);
    return bad == 0;
}

int fx_expect(fx_case *c, int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  %s ", cond ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    c->checks++;
    c->failures += !cond;
    return cond;
}

int fx_finish(fx_case *c)
{
    int code = c->failures == 0 && c->checks > 0 ? 0 : 1;
    printf("%s: %d checks, %d failed\n", c->name, c->checks, c->failures);
    fx_close(c);
    return code;
}

int fx_ok(fx_suite *s, int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  %s ", cond ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    s->checks++;
    s->failures += !cond;
    return cond;
}

int fx_suite_finish(fx_suite *s)
{
    printf("%s: %d checks, %d failed\n", s->name, s->checks, s->failures);
    return s->failures == 0 && s->checks > 0 ? 0 : 1;
}
