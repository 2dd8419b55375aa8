/* FASTA files: records of a '>' header line and sequence lines. The reader
 * checks structure only (the alphabet belongs to whoever reads the
 * sequences): sequence text before the first header, a header without a
 * name, a record without sequence, duplicate names, NUL bytes and an empty
 * file are errors naming the file and line. Lines starting with ';' are
 * comments; whitespace inside sequence lines is dropped; CRLF is accepted. */
#ifndef FRAMEGEN_FASTA_H
#define FRAMEGEN_FASTA_H

#include <stddef.h>

#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_fasta_record {
    char *id;     /* first word of the header */
    char *header; /* the header line without '>' */
    char *seq;    /* sequence text without whitespace */
    size_t len;   /* strlen(seq) */
    int line;     /* 1-based line of the header */
} fg_fasta_record;

typedef struct fg_fasta {
    fg_fasta_record *rec;
    size_t n;
} fg_fasta;

fg_status fg_fasta_read(const char *path, fg_fasta *out, fg_error *err);
void fg_fasta_free(fg_fasta *f);

#ifdef __cplusplus
}
#endif
#endif
