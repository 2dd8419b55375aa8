/* FASTA reader: records, comments, CRLF, wrapped lines; bad files rejected
 * with the file and line in the message. Also the ESM tokenizer on FASTA text:
 * characters outside the alphabet are errors naming the character. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "framegen/esm_tokens.h"
#include "framegen/fasta.h"

static char tmp[] = "/tmp/fg_test_fasta_XXXXXX";

static fg_status read_bytes(const char *text, size_t len, fg_fasta *f, fg_error *err)
{
    FILE *fp = fopen(tmp, "wb");
    fwrite(text, 1, len, fp);
    fclose(fp);
    return fg_fasta_read(tmp, f, err);
}

static fg_status read_text(const char *text, fg_fasta *f, fg_error *err)
{
    return read_bytes(text, strlen(text), f, err);
}

static void bad(fx_suite *s, const char *text, const char *want, const char *what)
{
    fg_fasta f;
    fg_error err = {0};
    fg_status st = read_text(text, &f, &err);
    fx_ok(s, st == FG_ERR_FORMAT && strstr(err.msg, want) != NULL, "%s: %s", what, err.msg);
}

int main(void)
{
    fx_suite s = {"fasta", 0, 0};
    int fd = mkstemp(tmp);
    if (fd < 0)
        return 1;
    close(fd);
    fg_fasta f;
    fg_error err;
    const char *good = "; comment\n>seq1 first protein\nMKT AY\nIAK\r\n\n>seq2\r\nLAG<mask>V\n";
    if (fx_ok(&s, read_text(good, &f, &err) == FG_OK, "well-formed file")) {
        fx_ok(&s, f.n == 2 && strcmp(f.rec[0].id, "seq1") == 0 &&
                      strcmp(f.rec[0].header, "seq1 first protein") == 0 &&
                      strcmp(f.rec[0].seq, "MKTAYIAK") == 0 && f.rec[0].len == 8 && f.rec[0].line == 2 &&
                      strcmp(f.rec[1].seq, "LAG<mask>V") == 0 && f.rec[1].line == 6,
              "records: names, headers, joined sequences, lines");
        fg_fasta_free(&f);
    }
    bad(&s, "MKT\n>a\nAAA\n", ":1: sequence before the first", "sequence before a header");
    bad(&s, ">a\nAAA\n>\nCCC\n", ":3: header without a name", "empty name");
    bad(&s, ">a\nAAA\n>b\n\n>c\nCC\n", ":3: record 'b' has no sequence", "empty record");
    bad(&s, ">a\nAAA\n>a x\nCC\n", ":3: name 'a' already used at line 1", "duplicate name");
    bad(&s, "", "no FASTA records", "empty file");
    fx_ok(&s, read_bytes(">a\nAA\0A\n", 8, &f, &err) == FG_ERR_FORMAT && strstr(err.msg, ":2: NUL byte"),
          "binary data: %s", err.msg);
    fx_ok(&s, fg_fasta_read("/nonexistent/x.fa", &f, &err) == FG_ERR_IO, "missing file: %s", err.msg);

    size_t n;
    int32_t ids[16];
    fx_ok(&s, fg_esm_tokenize("LAG<mask>X <unk>", ids, 16, &n, &err) == FG_OK && n == 6 && ids[0] == 4 &&
                  ids[1] == 5 && ids[3] == FG_ESM_TOK_MASK && ids[4] == FG_ESM_TOK_X && ids[5] == FG_ESM_TOK_UNK,
          "tokenize: letters, <mask>, X, <unk>, whitespace skipped");
    fx_ok(&s, fg_esm_tokenize("MKTJ", ids, 16, &n, &err) == FG_ERR_FORMAT && strstr(err.msg, "'J' at position 4"),
          "tokenize: J rejected: %s", err.msg);
    fx_ok(&s, fg_esm_tokenize("MKta", ids, 16, &n, &err) == FG_ERR_FORMAT && strstr(err.msg, "lower case"),
          "tokenize: lower case rejected: %s", err.msg);
    fx_ok(&s, fg_esm_tokenize("MK*", ids, 16, &n, &err) == FG_ERR_FORMAT && strstr(err.msg, "stop"),
          "tokenize: '*' rejected: %s", err.msg);
    fx_ok(&s, fg_esm_tokenize("<MASK>", ids, 16, &n, &err) == FG_ERR_FORMAT, "tokenize: <MASK> rejected");
    unlink(tmp);
    return fx_suite_finish(&s);
}
