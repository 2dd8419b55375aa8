/* The ESM-1b alphabet (33 tokens, shared by every ESM-2), the tokenizer
 * exactly as fair-esm's Alphabet (one token per residue letter; the special
 * tokens <cls> <pad> <eos> <unk> <null_1> <mask> whole; whitespace ignored;
 * anything else, lower case included, is an error), and the conversion of
 * AlphaFold2-order amino-acid types into ESM token sequences as cogeneration's
 * FrozenEsmModel does it (BOS/EOS, <eos> linkers between chains). */
#ifndef FRAMEGEN_ESM_TOKENS_H
#define FRAMEGEN_ESM_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "framegen/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FG_ESM_TOK_CLS = 0,
    FG_ESM_TOK_PAD = 1,
    FG_ESM_TOK_EOS = 2,
    FG_ESM_TOK_UNK = 3,
    FG_ESM_TOK_X = 24,
    FG_ESM_TOK_MASK = 32,
    FG_ESM_ALPHABET_SIZE = 33
};

/* Token spelling ("<cls>", "L", ...); "?" outside the alphabet. */
const char *fg_esm_token_str(int id);

/* Residue text -> ids (no <cls>/<eos> added). ids may be NULL to count only;
 * *n receives the count. On a character outside the alphabet fails naming the
 * character and its 1-based position. */
fg_status fg_esm_tokenize(const char *text, int32_t *ids, size_t cap, size_t *n, fg_error *err);

/* AF2 order ARNDCQEGHILKMFPSTWYV (0..19), 20 = X/mask. */
#define FG_AF2_NUM_TYPES 21
/* ESM token of an AF2 type: residues to their letter, 20 to <mask>; -1 if out of range. */
int fg_esm_token_from_af2(int64_t aatype);
/* ESM token whose logit is AF2 logit column k (0..19 residues, 20 = 'X'). */
int fg_esm_af2_logit_token(int k);

/* AF2 batch [B, N] converted to ESM tokens, one row per item:
 * <cls>, residues (type 20 -> <mask>, res_mask 0 -> X), an <eos> linker
 * wherever chain_idx changes between neighbours, <eos>; rows right-padded
 * with <pad> to the longest (L). Residue i of item b is token res_pos[b*N+i]. */
typedef struct fg_esm_af2_tokens {
    int B, N, L;
    int32_t *tokens;  /* [B, L] */
    int32_t *length;  /* [B] tokens before the padding */
    int32_t *res_pos; /* [B, N] */
} fg_esm_af2_tokens;

fg_status fg_esm_tokens_from_af2(int B, int N, const int64_t *aatypes, const int64_t *chain_idx,
                                 const float *res_mask, fg_esm_af2_tokens *out, fg_error *err);
void fg_esm_af2_tokens_free(fg_esm_af2_tokens *t);

#ifdef __cplusplus
}
#endif
#endif
