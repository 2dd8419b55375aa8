#include "framegen/fields.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void fg_fields_defaults(const fg_field *f, size_t n, void *out)
{
    char *base = out;
    for (size_t i = 0; i < n; i++) {
        void *p = base + f[i].offset;
        switch (f[i].kind) {
        case FG_FIELD_INT:
        case FG_FIELD_ENUM: *(int *)p = (int)f[i].def; break;
        case FG_FIELD_FLOAT: *(double *)p = f[i].def; break;
        case FG_FIELD_BOOL: *(bool *)p = f[i].def != 0.0; break;
        case FG_FIELD_STRING:
            snprintf((char *)p, FG_FIELD_STR_MAX, "%s", f[i].def_str ? f[i].def_str : "");
            break;
        }
    }
}

const fg_field *fg_fields_find(const fg_field *f, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0)
            return &f[i];
    return NULL;
}

void fg_fields_list_keys(const fg_field *f, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", f[i].key);
}

void fg_choices_list(const char *const *choices, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices && choices[i] && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", choices[i]);
}
