/* Typed hyperparameter tables: one row per config key with its kind, default
 * and valid range, filled into a plain struct at a given offset. A block type
 * or config section declares its table once; defaults live only there. */
#ifndef FRAMEGEN_FIELDS_H
#define FRAMEGEN_FIELDS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FG_FIELD_STR_MAX 256

typedef enum fg_field_kind {
    FG_FIELD_INT,     /* int;    range [min, max] */
    FG_FIELD_FLOAT,   /* double; range [min, max] */
    FG_FIELD_BOOL,    /* bool */
    FG_FIELD_ENUM,    /* int index into choices (NULL-terminated); def is the index */
    FG_FIELD_STRING   /* char[FG_FIELD_STR_MAX]; def_str is the default */
} fg_field_kind;

typedef struct fg_field {
    const char *key;
    fg_field_kind kind;
    size_t offset;               /* offsetof(struct, member) */
    double def;
    double min, max;
    const char *const *choices;  /* FG_FIELD_ENUM */
    const char *def_str;         /* FG_FIELD_STRING */
    int required;                /* no default: the key must be given */
    const char *doc;             /* one line for --help and docs */
} fg_field;

#define FG_FIELD_INT_(st, m, d, lo, hi, doc_) \
    {#m, FG_FIELD_INT, offsetof(st, m), (d), (lo), (hi), NULL, NULL, 0, doc_}
#define FG_FIELD_FLOAT_(st, m, d, lo, hi, doc_) \
    {#m, FG_FIELD_FLOAT, offsetof(st, m), (d), (lo), (hi), NULL, NULL, 0, doc_}
#define FG_FIELD_BOOL_(st, m, d, doc_) \
    {#m, FG_FIELD_BOOL, offsetof(st, m), (d), 0, 1, NULL, NULL, 0, doc_}
#define FG_FIELD_ENUM_(st, m, d, choices_, doc_) \
    {#m, FG_FIELD_ENUM, offsetof(st, m), (d), 0, 0, (choices_), NULL, 0, doc_}
#define FG_FIELD_STRING_(st, m, d, doc_) \
    {#m, FG_FIELD_STRING, offsetof(st, m), 0, 0, 0, NULL, (d), 0, doc_}

/* Write every field's default into out. */
void fg_fields_defaults(const fg_field *f, size_t n, void *out);
const fg_field *fg_fields_find(const fg_field *f, size_t n, const char *key);
/* "a, b, c" of the keys (or of an enum's choices) for error messages. */
void fg_fields_list_keys(const fg_field *f, size_t n, char *buf, size_t len);
void fg_choices_list(const char *const *choices, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
