#include "framegen/esm_tokens.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ESM-1b: 4 prepended specials, 25 standard tokens, one <null_1> filler to a
 * multiple of 8, then <mask>. */
static const char *const TOKENS[FG_ESM_ALPHABET_SIZE] = {
    "<cls>", "<pad>", "<eos>", "<unk>", "L", "A", "G", "V", "S", "E", "R",
    "T",     "I",     "D",     "P",     "K", "Q", "N", "F", "Y", "M", "H",
    "W",     "C",     "X",     "B",     "U", "Z", "O", ".", "-", "<null_1>", "<mask>"};

static const char AF2_ORDER[] = "ARNDCQEGHILKMFPSTWYV";

const char *fg_esm_token_str(int id)
{
    return id >= 0 && id < FG_ESM_ALPHABET_SIZE ? TOKENS[id] : "?";
}

/* Single-letter tokens are the ids whose spelling has length 1. */
static int letter_token(char c)
{
    for (int i = 0; i < FG_ESM_ALPHABET_SIZE; i++)
        if (TOKENS[i][0] == c && TOKENS[i][1] == '\0')
            return i;
    return -1;
}

/* A whole special token at s ("<mask>", ...), its id and length; -1 if none. */
static int special_token(const char *s, size_t *len)
{
    for (int i = 0; i < FG_ESM_ALPHABET_SIZE; i++) {
        size_t n = strlen(TOKENS[i]);
        if (n > 1 && strncmp(s, TOKENS[i], n) == 0) {
            *len = n;
            return i;
        }
    }
    return -1;
}

fg_status fg_esm_tokenize(const char *text, int32_t *ids, size_t cap, size_t *n, fg_error *err)
{
    size_t count = 0;
    for (size_t i = 0; text[i];) {
        unsigned char c = (unsigned char)text[i];
        if (isspace(c)) {
            i++;
            continue;
        }
        size_t len = 1;
        int id = c == '<' ? special_token(text + i, &len) : letter_token((char)c);
        if (id < 0) {
            const char *hint = islower(c) ? " (lower case is not accepted, as in fair-esm)"
                               : c == '*' ? " (stop codons are not residues)"
                                          : "";
            if (isprint(c))
                return fg_error_set(err, FG_ERR_FORMAT,
                                    "character '%c' at position %zu is not in the ESM-1b alphabet "
                                    "(LAGVSERTIDPKQNFYMHWCXBUZO.- and <mask> <unk> <cls> <eos> <pad>)%s",
                                    c, i + 1, hint);
            return fg_error_set(err, FG_ERR_FORMAT,
                                "byte 0x%02x at position %zu is not in the ESM-1b alphabet", c, i + 1);
        }
        if (ids) {
            if (count >= cap)
                return fg_error_set(err, FG_ERR_INVALID, "tokenize: more than %zu tokens", cap);
            ids[count] = id;
        }
        count++;
        i += len;
    }
    *n = count;
    return FG_OK;
}

int fg_esm_token_from_af2(int64_t aatype)
{
    if (aatype < 0 || aatype > 20)
        return -1;
    return aatype == 20 ? FG_ESM_TOK_MASK : letter_token(AF2_ORDER[aatype]);
}

int fg_esm_af2_logit_token(int k)
{
    if (k < 0 || k > 20)
        return -1;
    return k == 20 ? FG_ESM_TOK_X : letter_token(AF2_ORDER[k]);
}

void fg_esm_af2_tokens_free(fg_esm_af2_tokens *t)
{
    if (!t)
        return;
    free(t->tokens);
    free(t->length);
    free(t->res_pos);
    memset(t, 0, sizeof *t);
}

/* Tokens of item b into row (capacity N + N + 1 covers every linker). */
static int item_tokens(int N, const int64_t *aa, const int64_t *chain, const float *mask,
                       int32_t *row, int32_t *res_pos)
{
    int L = 0;
    row[L++] = FG_ESM_TOK_CLS;
    for (int i = 0; i < N; i++) {
        if (i > 0 && chain[i] != chain[i - 1])
            row[L++] = FG_ESM_TOK_EOS; /* linker */
        res_pos[i] = L;
        row[L++] = mask[i] != 0.0f ? fg_esm_token_from_af2(aa[i]) : FG_ESM_TOK_X;
    }
    row[L++] = FG_ESM_TOK_EOS;
    return L;
}

fg_status fg_esm_tokens_from_af2(int B, int N, const int64_t *aatypes, const int64_t *chain_idx,
                                 const float *res_mask, fg_esm_af2_tokens *out, fg_error *err)
{
    memset(out, 0, sizeof *out);
    if (B <= 0 || N <= 0)
        return fg_error_set(err, FG_ERR_INVALID, "esm tokens: batch %d x %d is empty", B, N);
    for (int64_t i = 0; i < (int64_t)B * N; i++)
        if (aatypes[i] < 0 || aatypes[i] > 20)
            return fg_error_set(err, FG_ERR_INVALID,
                                "esm tokens: aatype %lld at item %lld, residue %lld is outside 0..20",
                                (long long)aatypes[i], (long long)(i / N), (long long)(i % N));
    int cap = 2 * N + 1;
    int32_t *rows = malloc((size_t)B * (size_t)cap * sizeof *rows); /* [B, 2N + 1] unpadded */
    out->length = malloc((size_t)B * sizeof *out->length);
    out->res_pos = malloc((size_t)B * (size_t)N * sizeof *out->res_pos);
    if (!rows || !out->length || !out->res_pos) {
        free(rows);
        fg_esm_af2_tokens_free(out);
        return fg_error_set(err, FG_ERR_NOMEM, "esm tokens: out of memory");
    }
    int L = 0;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * (size_t)N;
        out->length[b] = item_tokens(N, aatypes + o, chain_idx + o, res_mask + o,
                                     rows + (size_t)b * (size_t)cap, out->res_pos + o);
        L = out->length[b] > L ? out->length[b] : L;
    }
    out->tokens = malloc((size_t)B * (size_t)L * sizeof *out->tokens);
    if (!out->tokens) {
        free(rows);
        fg_esm_af2_tokens_free(out);
        return fg_error_set(err, FG_ERR_NOMEM, "esm tokens: out of memory");
    }
    for (int b = 0; b < B; b++)
        for (int j = 0; j < L; j++)
            out->tokens[(size_t)b * L + j] =
                j < out->length[b] ? rows[(size_t)b * cap + j] : FG_ESM_TOK_PAD;
    free(rows);
    out->B = B;
    out->N = N;
    out->L = L;
    return FG_OK;
}
