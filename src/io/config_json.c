#include "framegen/config_json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fg_json_path_key(char *buf, size_t len, const char *path, const char *key)
{
    snprintf(buf, len, "%s%s%s", path, path[0] ? "." : "", key);
}

void fg_json_path_index(char *buf, size_t len, const char *path, int index)
{
    snprintf(buf, len, "%s[%d]", path, index);
}

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsNull(v)) return "null";
    return "an invalid value";
}

static fg_status read_number(const cJSON *v, const char *kp, const fg_field *f, void *p, fg_error *err)
{
    if (!cJSON_IsNumber(v))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected %s, got %s", kp,
                            f->kind == FG_FIELD_INT ? "an integer" : "a number", json_type_name(v));
    double d = v->valuedouble;
    if (!isfinite(d))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: value is not finite", kp);
    if (f->kind == FG_FIELD_INT && (d != floor(d) || fabs(d) > 2e9))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected an integer, got %g", kp, d);
    if (d < f->min || d > f->max)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: %g is out of range [%g, %g]", kp, d, f->min, f->max);
    if (f->kind == FG_FIELD_INT)
        *(int *)p = (int)d;
    else
        *(double *)p = d;
    return FG_OK;
}

static fg_status read_field(const cJSON *v, const char *kp, const fg_field *f, void *p, fg_error *err)
{
    char list[512];
    switch (f->kind) {
    case FG_FIELD_INT:
    case FG_FIELD_FLOAT:
        return read_number(v, kp, f, p, err);
    case FG_FIELD_BOOL:
        if (!cJSON_IsBool(v))
            return fg_error_set(err, FG_ERR_CONFIG, "%s: expected true or false, got %s", kp,
                                json_type_name(v));
        *(bool *)p = cJSON_IsTrue(v);
        return FG_OK;
    case FG_FIELD_ENUM:
        if (!cJSON_IsString(v))
            return fg_error_set(err, FG_ERR_CONFIG, "%s: expected a string, got %s", kp, json_type_name(v));
        for (int i = 0; f->choices[i]; i++)
            if (strcmp(f->choices[i], v->valuestring) == 0) {
                *(int *)p = i;
                return FG_OK;
            }
        fg_choices_list(f->choices, list, sizeof list);
        return fg_error_set(err, FG_ERR_CONFIG, "%s: unknown value \"%s\" (known: %s)", kp,
                            v->valuestring, list);
    case FG_FIELD_STRING:
        if (!cJSON_IsString(v))
            return fg_error_set(err, FG_ERR_CONFIG, "%s: expected a string, got %s", kp, json_type_name(v));
        if (strlen(v->valuestring) >= FG_FIELD_STR_MAX)
            return fg_error_set(err, FG_ERR_CONFIG, "%s: string longer than %d characters", kp,
                                FG_FIELD_STR_MAX - 1);
        strcpy((char *)p, v->valuestring);
        return FG_OK;
    }
    return fg_error_set(err, FG_ERR_CONFIG, "%s: unsupported field kind", kp);
}

static bool in_list(const char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], key) == 0)
            return true;
    return false;
}

fg_status fg_json_read_fields(const cJSON *obj, const char *path, const fg_field *f, size_t n,
                              const char *const *extra, void *out, fg_error *err)
{
    char kp[512];
    if (!cJSON_IsObject(obj))
        return fg_error_set(err, FG_ERR_CONFIG, "%s: expected an object, got %s",
                            path[0] ? path : "(root)", json_type_name(obj));
    fg_fields_defaults(f, n, out);
    for (const cJSON *v = obj->child; v; v = v->next) {
        fg_json_path_key(kp, sizeof kp, path, v->string);
        for (const cJSON *w = obj->child; w != v; w = w->next)
            if (strcmp(w->string, v->string) == 0)
                return fg_error_set(err, FG_ERR_CONFIG, "%s: key given twice", kp);
        const fg_field *fd = fg_fields_find(f, n, v->string);
        if (!fd) {
            if (in_list(extra, v->string))
                continue;
            char keys[1024];
            fg_fields_list_keys(f, n, keys, sizeof keys);
            size_t o = strlen(keys);
            for (size_t i = 0; extra && extra[i] && o < sizeof keys; i++)
                o += (size_t)snprintf(keys + o, sizeof keys - o, "%s%s", o ? ", " : "", extra[i]);
            return fg_error_set(err, FG_ERR_CONFIG, "%s: unknown key (known: %s)", kp, keys);
        }
        fg_status st = read_field(v, kp, fd, (char *)out + fd->offset, err);
        if (st != FG_OK)
            return st;
    }
    for (size_t i = 0; i < n; i++)
        if (f[i].required && !cJSON_GetObjectItemCaseSensitive(obj, f[i].key)) {
            fg_json_path_key(kp, sizeof kp, path, f[i].key);
            return fg_error_set(err, FG_ERR_CONFIG, "%s: required key is missing", kp);
        }
    return FG_OK;
}

static void line_col(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

fg_status fg_json_load_file(const char *file, cJSON **out, fg_error *err)
{
    *out = NULL;
    FILE *fp = fopen(file, "rb");
    if (!fp)
        return fg_error_set(err, FG_ERR_IO, "%s: cannot open: %s", file, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, fp);
        if (len < cap - 1)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int rd_err = ferror(fp);
    fclose(fp);
    if (!buf)
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", file);
    if (rd_err) {
        free(buf);
        return fg_error_set(err, FG_ERR_IO, "%s: read error", file);
    }
    buf[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(buf, &end, 1);
    if (!root) {
        int line, col;
        line_col(buf, end ? end : buf + len, &line, &col);
        free(buf);
        return fg_error_set(err, FG_ERR_CONFIG, "%s:%d:%d: invalid JSON", file, line, col);
    }
    free(buf);
    *out = root;
    return FG_OK;
}
