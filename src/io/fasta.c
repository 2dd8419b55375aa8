#include "framegen/fasta.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static int sbuf_put(sbuf *b, char c)
{
    if (b->n + 1 >= b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        char *s = realloc(b->s, cap);
        if (!s)
            return -1;
        b->s = s;
        b->cap = cap;
    }
    b->s[b->n++] = c;
    b->s[b->n] = '\0';
    return 0;
}

void fg_fasta_free(fg_fasta *f)
{
    for (size_t i = 0; f && i < f->n; i++) {
        free(f->rec[i].id);
        free(f->rec[i].header);
        free(f->rec[i].seq);
    }
    if (f) {
        free(f->rec);
        f->rec = NULL;
        f->n = 0;
    }
}

typedef struct reader {
    const char *path;
    fg_fasta *out;
    size_t cap;
    sbuf seq;
    fg_error *err;
} reader;

/* Closes the current record: it needs residues. */
static fg_status finish_record(reader *r)
{
    if (r->out->n == 0)
        return FG_OK;
    fg_fasta_record *rec = &r->out->rec[r->out->n - 1];
    if (r->seq.n == 0)
        return fg_error_set(r->err, FG_ERR_FORMAT, "%s:%d: record '%s' has no sequence", r->path,
                            rec->line, rec->id);
    rec->seq = r->seq.s;
    rec->len = r->seq.n;
    r->seq = (sbuf){0};
    return FG_OK;
}

static fg_status start_record(reader *r, const char *header, int line)
{
    fg_status st = finish_record(r);
    if (st != FG_OK)
        return st;
    while (*header == ' ' || *header == '\t')
        header++;
    size_t idlen = strcspn(header, " \t");
    if (idlen == 0)
        return fg_error_set(r->err, FG_ERR_FORMAT, "%s:%d: header without a name", r->path, line);
    if (r->out->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        fg_fasta_record *rec = realloc(r->out->rec, cap * sizeof *rec);
        if (!rec)
            return fg_error_set(r->err, FG_ERR_NOMEM, "%s: out of memory", r->path);
        r->out->rec = rec;
        r->cap = cap;
    }
    fg_fasta_record *rec = &r->out->rec[r->out->n++];
    memset(rec, 0, sizeof *rec);
    rec->line = line;
    rec->header = strdup(header);
    rec->id = strndup(header, idlen);
    if (!rec->header || !rec->id)
        return fg_error_set(r->err, FG_ERR_NOMEM, "%s: out of memory", r->path);
    return FG_OK;
}

static fg_status sequence_line(reader *r, const char *s, int line)
{
    if (r->out->n == 0)
        return fg_error_set(r->err, FG_ERR_FORMAT, "%s:%d: sequence before the first '>' header",
                            r->path, line);
    for (; *s; s++)
        if (!isspace((unsigned char)*s) && sbuf_put(&r->seq, *s) != 0)
            return fg_error_set(r->err, FG_ERR_NOMEM, "%s: out of memory", r->path);
    return FG_OK;
}

static int by_id(const void *a, const void *b)
{
    const fg_fasta_record *x = *(const fg_fasta_record *const *)a, *y = *(const fg_fasta_record *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Names must be unique (they key the outputs); sorted, so large files stay fast. */
static fg_status check_unique(reader *r)
{
    size_t n = r->out->n;
    const fg_fasta_record **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return fg_error_set(r->err, FG_ERR_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < n; i++)
        v[i] = &r->out->rec[i];
    qsort(v, n, sizeof *v, by_id);
    fg_status st = FG_OK;
    for (size_t i = 1; i < n && st == FG_OK; i++)
        if (strcmp(v[i]->id, v[i - 1]->id) == 0)
            st = fg_error_set(r->err, FG_ERR_FORMAT, "%s:%d: name '%s' already used at line %d",
                              r->path, v[i]->line, v[i]->id, v[i - 1]->line);
    free(v);
    return st;
}

static fg_status read_lines(reader *r, FILE *fp)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    fg_status st = FG_OK;
    while (st == FG_OK && (n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if ((size_t)n != strlen(line)) {
            st = fg_error_set(r->err, FG_ERR_FORMAT, "%s:%d: NUL byte (not a text file?)", r->path, lineno);
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (line[0] == '>')
            st = start_record(r, line + 1, lineno);
        else if (line[0] != ';')
            st = sequence_line(r, line, lineno);
    }
    free(line);
    if (st == FG_OK && ferror(fp))
        st = fg_error_set(r->err, FG_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
    if (st == FG_OK)
        st = finish_record(r);
    if (st == FG_OK && r->out->n == 0)
        st = fg_error_set(r->err, FG_ERR_FORMAT, "%s: no FASTA records", r->path);
    if (st == FG_OK)
        st = check_unique(r);
    return st;
}

fg_status fg_fasta_read(const char *path, fg_fasta *out, fg_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return fg_error_set(err, FG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    reader r = {.path = path, .out = out, .err = err};
    fg_status st = read_lines(&r, fp);
    fclose(fp);
    free(r.seq.s);
    if (st != FG_OK)
        fg_fasta_free(out);
    return st;
}
