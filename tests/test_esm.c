/* ESM-2 parity: cases esm (fair-esm) and esm_hf (Hugging Face names and
 * outputs): every layer's hidden states, per-head attention maps, logits.
 * Three runs per case: the padded batch as given (pads included, attention
 * maps on), the same sequences packed without padding through the fused
 * attention kernel (no maps; non-pad rows compared), and the weights written
 * to a safetensors file and memory-mapped, which fuses the q/k/v GEMM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esm/esm_internal.h"
#include "fixture.h"
#include "framegen/esm.h"
#include "framegen/esm_tokens.h"
#include "framegen/safetensors.h"

typedef struct batch {
    int B, L;
    int32_t *tokens;  /* packed */
    int64_t *offsets; /* [B + 1] */
    int64_t *src;     /* [T] flat index b * L + i of each packed token */
    float *nonpad;    /* [B * L] 1 where the fixture token is not <pad> */
} batch;

/* The fixture's [B, L] tokens as a packed batch, with or without the pads. */
static void make_batch(const int64_t *tok, int B, int L, int keep_pads, batch *b)
{
    b->B = B;
    b->L = L;
    b->tokens = malloc(sizeof(int32_t) * (size_t)(B * L));
    b->offsets = malloc(sizeof(int64_t) * (size_t)(B + 1));
    b->src = malloc(sizeof(int64_t) * (size_t)(B * L));
    b->nonpad = malloc(sizeof(float) * (size_t)(B * L));
    int64_t T = 0;
    b->offsets[0] = 0;
    for (int s = 0; s < B; s++) {
        for (int i = 0; i < L; i++) {
            int64_t v = tok[s * L + i];
            b->nonpad[s * L + i] = v != FG_ESM_TOK_PAD;
            if (v == FG_ESM_TOK_PAD && !keep_pads)
                continue;
            b->tokens[T] = (int32_t)v;
            b->src[T++] = (int64_t)s * L + i;
        }
        b->offsets[s + 1] = T;
    }
}

static void free_batch(batch *b)
{
    free(b->tokens), free(b->offsets), free(b->src), free(b->nonpad);
}

typedef struct names {
    const char *repr_fmt; /* "output.representations.%d" */
    int attn_mask_rows;   /* compare attention only at non-pad query rows */
} names;

/* Runs the model on b and compares every output (only non-pad rows if only_nonpad). */
static void run_and_check(fx_case *c, fg_esm *m, const batch *b, int maps, int only_nonpad,
                          const names *nm, const char *label)
{
    const fg_esm_config *cfg = fg_esm_get_config(m);
    int B = b->B, L = b->L, d = cfg->d_model, nl = cfg->n_layers, H = cfg->n_heads, V = cfg->vocab;
    int64_t T = b->offsets[B], C = (int64_t)nl * H;
    int layers[64];
    for (int k = 0; k <= nl; k++)
        layers[k] = k;
    float *repr = calloc((size_t)((nl + 1) * T * d), sizeof(float));
    float *logits = calloc((size_t)(T * V), sizeof(float));
    int64_t rows, attn_n;
    fg_esm_batch in = {B, b->tokens, b->offsets};
    fg_error err;
    fg_esm_output_size(m, &in, NULL, &rows, &attn_n, &err);
    float *attn = maps ? calloc((size_t)attn_n, sizeof(float)) : NULL;
    fg_esm_outputs out = {.n_repr = nl + 1, .repr_layers = layers, .repr = repr, .repr_row_stride = d,
                          .repr_layer_stride = T * d, .attn = attn, .logits = logits};
    printf(" %s\n", label);
    if (!fx_expect(c, fg_esm_forward(m, &in, &out, &err) == FG_OK, "forward")) {
        printf("   %s\n", err.msg);
        goto done;
    }
    /* Scatter into the fixture's padded layouts. */
    float *full = calloc((size_t)((int64_t)B * L * (d > V ? d : V)), sizeof(float));
    const float *ok = only_nonpad ? b->nonpad : NULL;
    for (int k = 0; k <= nl; k++) {
        char key[128];
        snprintf(key, sizeof key, nm->repr_fmt, k);
        for (int64_t t = 0; t < T; t++)
            memcpy(full + b->src[t] * d, repr + (k * T + t) * d, sizeof(float) * (size_t)d);
        if (ok)
            fx_check_rows(c, key, full, ok, (int64_t)B * L, d);
        else
            fx_check(c, key, full, (int64_t)B * L * d);
    }
    memset(full, 0, sizeof(float) * (size_t)((int64_t)B * L * V));
    for (int64_t t = 0; t < T; t++)
        memcpy(full + b->src[t] * V, logits + t * V, sizeof(float) * (size_t)V);
    if (ok)
        fx_check_rows(c, "output.logits", full, ok, (int64_t)B * L, V);
    else
        fx_check(c, "output.logits", full, (int64_t)B * L * V);
    free(full);
    if (maps) {
        /* ours: per sequence [n, n, layer * H + head]; fixture [B, layers, H, L, L] */
        int64_t nref = (int64_t)B * C * L * L;
        float *ref_layout = calloc((size_t)nref, sizeof(float));
        float *row_ok = malloc(sizeof(float) * (size_t)(B * C * L));
        int64_t block = 0;
        for (int s = 0; s < B; s++) {
            int64_t n = b->offsets[s + 1] - b->offsets[s], o = b->offsets[s];
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < n; j++)
                    for (int64_t ch = 0; ch < C; ch++) {
                        int64_t bi = b->src[o + i] - (int64_t)s * L, bj = b->src[o + j] - (int64_t)s * L;
                        ref_layout[((s * C + ch) * L + bi) * L + bj] = attn[block + (i * n + j) * C + ch];
                    }
            block += n * n * C;
            for (int64_t ch = 0; ch < C; ch++)
                for (int i = 0; i < L; i++)
                    row_ok[(s * C + ch) * L + i] = b->nonpad[s * L + i];
        }
        if (nm->attn_mask_rows || only_nonpad)
            fx_check_rows(c, "output.attentions", ref_layout, row_ok, (int64_t)B * C * L, L);
        else
            fx_check(c, "output.attentions", ref_layout, nref);
        free(ref_layout);
        free(row_ok);
    }
done:
    free(repr), free(logits), free(attn);
}

/* Sort key that puts a layer's q, k, v weights next to each other (the
 * fixture lists tensors alphabetically; a state_dict keeps them together). */
static void qkv_key(const char *name, char *key, size_t len)
{
    static const char *const PARTS[][2] = {
        {"k_proj.weight", "~qkv1"}, {"v_proj.weight", "~qkv2"}, {"q_proj.weight", "~qkv3"},
        {"self.query.weight", "~qkv1"}, {"self.key.weight", "~qkv2"}, {"self.value.weight", "~qkv3"}};
    snprintf(key, len, "%s", name);
    for (size_t i = 0; i < sizeof PARTS / sizeof PARTS[0]; i++) {
        char *p = strstr(key, PARTS[i][0]);
        if (p)
            snprintf(p, len - (size_t)(p - key), "%s", PARTS[i][1]);
    }
}

static int by_qkv_key(const void *a, const void *b)
{
    char ka[512], kb[512];
    qkv_key(((const fg_st_entry *)a)->name, ka, sizeof ka);
    qkv_key(((const fg_st_entry *)b)->name, kb, sizeof kb);
    return strcmp(ka, kb);
}

/* Writes the case's parameters (dequantised) into a safetensors file with each
 * layer's q/k/v weights back to back, as a saved state_dict has them. */
static int write_weights(fg_weights *w, const char *path)
{
    size_t n = fg_weights_count(w);
    fg_st_entry *e = calloc(n, sizeof *e);
    fg_error err;
    for (size_t i = 0; i < n; i++) {
        fg_tensor t;
        const char *name = fg_weights_name_at(w, i);
        if (fg_weights_find(w, name, &t, &err) != FG_OK)
            return free(e), 0;
        e[i].name = name;
        e[i].dtype = FG_F32;
        e[i].ndim = t.ndim;
        memcpy(e[i].shape, t.shape, sizeof t.shape);
        e[i].data = t.data;
    }
    qsort(e, n, sizeof *e, by_qkv_key);
    int ok = fg_st_write(path, e, n, NULL, 0, &err) == FG_OK;
    free(e);
    return ok;
}

static void run_case(const char *case_name, const names *nm)
{
    fx_case c;
    if (fx_open(&c, case_name) != 0)
        exit(1);
    fg_weights *w = fx_params(&c);
    fg_esm *m = NULL;
    fg_error err;
    if (!w || !fx_expect(&c, fg_esm_create(w, NULL, &m, &err) == FG_OK, "create: %s",
                         w ? err.msg : "no params")) {
        fx_finish(&c);
        exit(1);
    }
    const fg_esm_config *cfg = fg_esm_get_config(m);
    fx_expect(&c, cfg->n_layers == (int)fx_hp_num(&c, "num_layers", 0) &&
                      cfg->d_model == (int)fx_hp_num(&c, "embed_dim", 0) &&
                      cfg->n_heads == (int)fx_hp_num(&c, "attention_heads", 0) &&
                      cfg->d_ffn == (int)fx_hp_num(&c, "ffn_dim", 0) &&
                      cfg->vocab == (int)fx_hp_num(&c, "vocab_size", 0) && cfg->has_lm_head,
              "config from tensors: %d layers, width %d, %d heads, ffn %d, vocab %d", cfg->n_layers,
              cfg->d_model, cfg->n_heads, cfg->d_ffn, cfg->vocab);
    int64_t shape[2];
    fx_shape(&c, "input.tokens", shape);
    int64_t *tok = fx_i64(&c, "input.tokens");
    batch padded, packed;
    make_batch(tok, (int)shape[0], (int)shape[1], 1, &padded);
    make_batch(tok, (int)shape[0], (int)shape[1], 0, &packed);
    run_and_check(&c, m, &padded, 1, 0, nm, "padded batch, attention maps");
    run_and_check(&c, m, &packed, 0, 1, nm, "packed batch, fused attention (no maps)");

    char path[] = "/tmp/fg_test_esm_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    fg_weights *wm = NULL;
    fg_esm *mm = NULL;
    if (fx_expect(&c, fd >= 0 && write_weights(w, path), "weights written to %s", path) &&
        fx_expect(&c, fg_weights_open(path, NULL, &wm, &err) == FG_OK &&
                          fg_esm_create(wm, NULL, &mm, &err) == FG_OK, "mapped weights load"))
        run_and_check(&c, mm, &packed, 1, 1, nm, "mapped weights, packed, maps");
    fg_esm_destroy(mm);
    fg_weights_free(wm);
    unlink(path);
    free_batch(&padded), free_batch(&packed), free(tok);
    fg_esm_destroy(m);
    int rc = fx_finish(&c);
    if (rc)
        exit(rc);
}

int main(void)
{
    names fair = {"output.representations.%d", 0};
    names hf = {"output.hidden_states.%d", 1};
    run_case("esm", &fair);
    run_case("esm_hf", &hf);
    return 0;
}
