/* Command-line parsing of `framegen generate`. */
#include "generate_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CMD "generate"
#define LEN_HARD_MAX 100000 /* beyond any config's max_length; the config's limit is checked later */

void gen_usage(FILE *out)
{
    fprintf(out,
            "usage: framegen generate --config C [--weights W] [--esm-weights E]\n"
            "           (--length L | --lengths A-B[:STEP] | --lengths-file F) --num-samples N\n"
            "           [--steps S] [--seed X] [--out DIR] [--format pdb|cif]\n"
            "           [--save-trajectory] [--resume] [--threads T]\n\n"
            "Generates N backbones for every requested length and writes one structure\n"
            "file per sample (sample_L<length>_<index>.pdb|cif: N, CA, C, O), optional\n"
            "multi-model trajectories (..._traj), and summary.json / summary.tsv in DIR.\n\n"
            "  --config C          experiment config (configs/*.json)\n"
            "  --weights W         safetensors weights (default: the config's \"weights\")\n"
            "  --esm-weights E     ESM-2 weights for models with the ESM combiner\n"
            "                      (default: the config's \"esm_weights\")\n"
            "  --length L          one length\n"
            "  --lengths A-B[:S]   lengths A, A+S, ... up to B (S default 1)\n"
            "  --lengths-file F    lengths separated by white space; '#' starts a comment\n"
            "  --num-samples N     samples per length\n"
            "  --steps S           timesteps (default: the config's sampling.num_timesteps)\n"
            "  --seed X            run seed (default 0); sample (length, index) depends only\n"
            "                      on (X, length, index), never on threads or other samples\n"
            "  --out DIR           output directory (default out), created if missing\n"
            "  --format pdb|cif    structure format (default pdb)\n"
            "  --save-trajectory   also write every step as a multi-model file\n"
            "  --resume            skip samples listed as finished in DIR/summary.json\n"
            "  --threads T         worker threads (results do not depend on T)\n\n"
            "Ctrl-C stops after the current step; finished samples stay complete and\n"
            "listed. Exit status: 0 all samples written, 1 an error or a failed sample,\n"
            "2 usage error, 130 interrupted.\n");
}

static bool push_length(int **lengths, int *n, long long v)
{
    if (*n >= FG_GEN_MAX_LENGTHS) {
        fg_cli_fail(FG_EXIT_USAGE, CMD, "more than %d lengths requested", FG_GEN_MAX_LENGTHS);
        return false;
    }
    int *p = realloc(*lengths, (size_t)(*n + 1) * sizeof *p);
    if (!p) {
        fg_cli_fail(FG_EXIT_RUNTIME, CMD, "out of memory");
        return false;
    }
    p[(*n)++] = (int)v;
    *lengths = p;
    return true;
}

static bool parse_len(const char *opt, const char *s, long long *v)
{
    return fg_cli_int(CMD, opt, s, 1, LEN_HARD_MAX, v);
}

bool gen_parse_lengths_spec(const char *spec, int **lengths, int *n)
{
    char buf[128];
    if (!spec || strlen(spec) >= sizeof buf)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--lengths: expected A-B[:STEP], got '%s'", spec ? spec : ""), false;
    strcpy(buf, spec);
    char *colon = strchr(buf, ':');
    long long step = 1, a, b;
    if (colon) {
        *colon = '\0';
        if (!fg_cli_int(CMD, "--lengths step", colon + 1, 1, LEN_HARD_MAX, &step))
            return false;
    }
    char *dash = strchr(buf, '-');
    if (dash == buf) /* a leading '-' is a negative number, not a range */
        dash = strchr(buf + 1, '-');
    if (dash)
        *dash = '\0';
    if (!parse_len("--lengths", buf, &a) || !parse_len("--lengths", dash ? dash + 1 : buf, &b))
        return false;
    if (b < a)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--lengths: empty range %lld-%lld", a, b), false;
    for (long long v = a; v <= b; v += step)
        if (!push_length(lengths, n, v))
            return false;
    return true;
}

bool gen_parse_lengths_file(const char *path, int **lengths, int *n)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--lengths-file %s: %s", path, strerror(errno)), false;
    char line[1024];
    int lineno = 0, before = *n;
    bool ok = true;
    while (ok && fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        for (char *tok = strtok(line, " \t\r\n,"); ok && tok; tok = strtok(NULL, " \t\r\n,")) {
            char opt[1100];
            snprintf(opt, sizeof opt, "%s:%d", path, lineno);
            long long v;
            ok = fg_cli_int(CMD, opt, tok, 1, LEN_HARD_MAX, &v) && push_length(lengths, n, v);
        }
    }
    fclose(fp);
    if (ok && *n == before)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--lengths-file %s: no lengths in the file", path), false;
    return ok;
}

static bool parse_nan_at(const char *s, gen_opts *o)
{
    if (!s || sscanf(s, "%d:%d:%d", &o->nan_length, &o->nan_index, &o->nan_step) != 3 || o->nan_step < 1)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--debug-nan-at: expected LENGTH:INDEX:STEP"), false;
    return true;
}

/* The value of option argv[*i]; NULL (and a message) when it is the last word. */
static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fg_cli_fail(FG_EXIT_USAGE, CMD, "%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int parse_one(int argc, char **argv, int *i, gen_opts *o, int *length_specs)
{
    const char *a = argv[*i], *v;
    long long x;
    if (!strcmp(a, "--save-trajectory"))
        return o->save_trajectory = true, 0;
    if (!strcmp(a, "--resume"))
        return o->resume = true, 0;
    if (!(v = value(argc, argv, i)))
        return FG_EXIT_USAGE;
    if (!strcmp(a, "--config"))
        o->config = v;
    else if (!strcmp(a, "--weights"))
        o->weights = v;
    else if (!strcmp(a, "--esm-weights"))
        o->esm_weights = v;
    else if (!strcmp(a, "--out"))
        o->out_dir = v;
    else if (!strcmp(a, "--length") || !strcmp(a, "--lengths") || !strcmp(a, "--lengths-file")) {
        ++*length_specs;
        bool ok = !strcmp(a, "--length") ? parse_len(a, v, &x) && push_length(&o->lengths, &o->n_lengths, x)
                  : !strcmp(a, "--lengths") ? gen_parse_lengths_spec(v, &o->lengths, &o->n_lengths)
                                            : gen_parse_lengths_file(v, &o->lengths, &o->n_lengths);
        return ok ? 0 : FG_EXIT_USAGE;
    } else if (!strcmp(a, "--num-samples")) {
        if (!fg_cli_int(CMD, a, v, 1, 1000000, &x))
            return FG_EXIT_USAGE;
        o->num_samples = (int)x;
    } else if (!strcmp(a, "--steps")) {
        if (!fg_cli_int(CMD, a, v, 1, 100000, &x))
            return FG_EXIT_USAGE;
        o->steps = (int)x;
    } else if (!strcmp(a, "--seed")) {
        if (!fg_cli_int(CMD, a, v, 0, (long long)FG_GEN_SEED_MAX, &x))
            return FG_EXIT_USAGE;
        o->seed = (uint64_t)x;
    } else if (!strcmp(a, "--threads")) {
        if (!fg_cli_int(CMD, a, v, 1, 1024, &x))
            return FG_EXIT_USAGE;
        o->threads = (int)x;
    } else if (!strcmp(a, "--format")) {
        if (strcmp(v, "pdb") && strcmp(v, "cif"))
            return fg_cli_fail(FG_EXIT_USAGE, CMD, "--format: expected pdb or cif, got '%s'", v);
        o->cif = !strcmp(v, "cif");
    } else if (!strcmp(a, "--debug-nan-at")) {
        return parse_nan_at(v, o) ? 0 : FG_EXIT_USAGE;
    } else {
        --*i;
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "unknown option '%s' (see framegen generate --help)", a);
    }
    return 0;
}

int gen_opts_parse(int argc, char **argv, gen_opts *o, bool *help)
{
    memset(o, 0, sizeof *o);
    o->out_dir = "out";
    *help = false;
    int length_specs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            *help = true;
            return 0;
        }
        int rc = parse_one(argc, argv, &i, o, &length_specs);
        if (rc)
            return rc;
    }
    if (!o->config)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--config is required");
    if (length_specs == 0)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "one of --length, --lengths, --lengths-file is required");
    if (length_specs > 1)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "give only one of --length, --lengths, --lengths-file");
    if (o->num_samples == 0)
        return fg_cli_fail(FG_EXIT_USAGE, CMD, "--num-samples is required (at least 1)");
    return 0;
}

void gen_opts_free(gen_opts *o)
{
    free(o->lengths);
    o->lengths = NULL;
}
