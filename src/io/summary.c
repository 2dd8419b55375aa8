/* summary.json / summary.tsv of a generation run, and the CA statistics they list. */
#include "framegen/summary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "framegen/config_json.h"
#include "framegen/fileio.h"

void fg_ca_stats(const float *ca, int n, int stride, double *ca_ca_mean, double *rg)
{
    double c[3] = {0, 0, 0}, sum = 0, r2 = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            c[k] += ca[(size_t)i * stride + k] / n;
    for (int i = 0; i < n; i++) {
        const float *a = ca + (size_t)i * stride;
        for (int k = 0; k < 3; k++)
            r2 += (a[k] - c[k]) * (a[k] - c[k]) / n;
        if (i + 1 < n) {
            const float *b = a + stride;
            double d2 = 0;
            for (int k = 0; k < 3; k++)
                d2 += ((double)b[k] - a[k]) * ((double)b[k] - a[k]);
            sum += sqrt(d2);
        }
    }
    *ca_ca_mean = n > 1 ? sum / (n - 1) : 0.0;
    *rg = n > 0 ? sqrt(r2) : 0.0;
}

static cJSON *record_json(const fg_sample_record *r)
{
    cJSON *o = cJSON_CreateObject();
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    cJSON_AddStringToObject(o, "file", r->file);
    if (r->trajectory[0])
        cJSON_AddStringToObject(o, "trajectory", r->trajectory);
    cJSON_AddNumberToObject(o, "length", r->length);
    cJSON_AddNumberToObject(o, "index", r->index);
    cJSON_AddRawToObject(o, "seed", seed); /* exact for any 64-bit seed */
    cJSON_AddNumberToObject(o, "steps", r->steps);
    cJSON_AddNumberToObject(o, "seconds", round(r->seconds * 1000) / 1000);
    cJSON_AddNumberToObject(o, "ca_ca_mean", round(r->ca_ca_mean * 10000) / 10000);
    cJSON_AddNumberToObject(o, "radius_of_gyration", round(r->rg * 10000) / 10000);
    cJSON_AddStringToObject(o, "status", r->status);
    return o;
}

static fg_status write_text(const char *path, const char *text, fg_error *err)
{
    fg_atomic_file af;
    fg_status st = fg_atomic_open(&af, path, err);
    if (st != FG_OK)
        return st;
    fputs(text, af.fp);
    return fg_atomic_commit(&af, err);
}

static fg_status write_json(const char *path, const fg_summary_meta *m, const fg_sample_record *rec, int n,
                            fg_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "generator", "framegen " FG_VERSION);
    cJSON_AddStringToObject(root, "config", m && m->config ? m->config : "");
    cJSON_AddStringToObject(root, "weights", m && m->weights ? m->weights : "");
    if (m && m->model_status)
        cJSON_AddStringToObject(root, "model_status", m->model_status);
    cJSON_AddStringToObject(root, "format", m && m->format ? m->format : "");
    cJSON *arr = cJSON_AddArrayToObject(root, "samples");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, record_json(&rec[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
    size_t len = strlen(text);
    char *full = realloc(text, len + 2);
    if (!full) {
        free(text);
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
    }
    strcpy(full + len, "\n");
    fg_status st = write_text(path, full, err);
    free(full);
    return st;
}

static fg_status write_tsv(const char *path, const fg_sample_record *rec, int n, fg_error *err)
{
    fg_atomic_file af;
    fg_status st = fg_atomic_open(&af, path, err);
    if (st != FG_OK)
        return st;
    fprintf(af.fp, "sample\tlength\tindex\tseed\tsteps\tseconds\tca_ca_mean\tradius_of_gyration\tstatus\n");
    for (int i = 0; i < n; i++) {
        const fg_sample_record *r = &rec[i];
        fprintf(af.fp, "%s\t%d\t%d\t%llu\t%d\t%.3f\t%.4f\t%.4f\t%s\n", r->file, r->length, r->index,
                (unsigned long long)r->seed, r->steps, r->seconds, r->ca_ca_mean, r->rg, r->status);
    }
    return fg_atomic_commit(&af, err);
}

fg_status fg_summary_write(const char *dir, const fg_summary_meta *meta, const fg_sample_record *rec, int n,
                           fg_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, FG_SUMMARY_JSON);
    fg_status st = write_json(path, meta, rec, n, err);
    if (st != FG_OK)
        return st;
    snprintf(path, sizeof path, "%s/%s", dir, FG_SUMMARY_TSV);
    return write_tsv(path, rec, n, err);
}

static int copy_str(char *dst, size_t len, const cJSON *v)
{
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
        return 0;
    strcpy(dst, v->valuestring);
    return 1;
}

static int read_record(const cJSON *o, fg_sample_record *r)
{
    memset(r, 0, sizeof *r);
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(o, "length");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(o, "index");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(o, "seed");
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(o, "steps");
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(o, "seconds");
    const cJSON *caca = cJSON_GetObjectItemCaseSensitive(o, "ca_ca_mean");
    const cJSON *rg = cJSON_GetObjectItemCaseSensitive(o, "radius_of_gyration");
    if (!cJSON_IsNumber(len) || !cJSON_IsNumber(idx) || !cJSON_IsNumber(seed) || !cJSON_IsNumber(steps) ||
        !cJSON_IsNumber(sec) || !cJSON_IsNumber(caca) || !cJSON_IsNumber(rg))
        return 0;
    if (!copy_str(r->file, sizeof r->file, cJSON_GetObjectItemCaseSensitive(o, "file")) ||
        !copy_str(r->status, sizeof r->status, cJSON_GetObjectItemCaseSensitive(o, "status")))
        return 0;
    const cJSON *traj = cJSON_GetObjectItemCaseSensitive(o, "trajectory");
    if (traj && !copy_str(r->trajectory, sizeof r->trajectory, traj))
        return 0;
    r->length = len->valueint;
    r->index = idx->valueint;
    r->seed = (uint64_t)seed->valuedouble; /* only compared with seeds below 2^53 */
    r->steps = steps->valueint;
    r->seconds = sec->valuedouble;
    r->ca_ca_mean = caca->valuedouble;
    r->rg = rg->valuedouble;
    return 1;
}

fg_status fg_summary_read(const char *dir, fg_sample_record **rec, int *n, fg_error *err)
{
    *rec = NULL;
    *n = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, FG_SUMMARY_JSON);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return errno == ENOENT ? FG_OK : fg_error_set(err, FG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fclose(fp);
    cJSON *root;
    fg_status st = fg_json_load_file(path, &root, err);
    if (st != FG_OK)
        return st;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "samples");
    int count = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return fg_error_set(err, FG_ERR_FORMAT, "%s: no \"samples\" array", path);
    }
    *rec = calloc((size_t)(count ? count : 1), sizeof **rec);
    if (!*rec) {
        cJSON_Delete(root);
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", path);
    }
    int i = 0;
    for (const cJSON *o = arr->child; o; o = o->next, i++)
        if (!read_record(o, &(*rec)[i])) {
            free(*rec);
            *rec = NULL;
            cJSON_Delete(root);
            return fg_error_set(err, FG_ERR_FORMAT, "%s: samples[%d] is malformed", path, i);
        }
    *n = count;
    cJSON_Delete(root);
    return FG_OK;
}
