/* framegen init-weights: random weights for any config (tests, benchmarks,
 * presets without a trained checkpoint). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "framegen/config.h"
#include "framegen/model.h"

#define CMD "init-weights"

static void usage(FILE *out)
{
    fprintf(out, "usage: framegen init-weights --config C --out W.safetensors [--seed S] [--esm-weights E]\n"
                 "       framegen init-weights --esm-shape LAYERS:WIDTH:HEADS --out E.safetensors [--seed S]\n\n"
                 "Writes random weights for the model of config C under the reference's tensor\n"
                 "names: >= 2-D weights N(0, 1/fan_in), embeddings N(0, 1), LayerNorm gains\n"
                 "1 + N(0, 0.01), biases N(0, 0.01), other vectors N(0, 0.25); each tensor drawn\n"
                 "from the counter RNG keyed by (S, its name). For tests and benchmarks only.\n"
                 "A config with the ESM combiner needs the ESM-2 weights it will run with\n"
                 "(--esm-weights or the config's esm_weights). --esm-shape writes random ESM-2\n"
                 "weights (fair-esm names; e.g. 6:320:20 is the shape of esm2_t6_8M).\n");
}

int fg_cmd_init_weights(int argc, char **argv)
{
    const char *config = NULL, *out = NULL, *esm = NULL, *shape = NULL;
    long long seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return FG_EXIT_OK;
        }
        if (i + 1 >= argc)
            return fg_cli_fail(FG_EXIT_USAGE, CMD, "%s: unknown option or missing value", a);
        if (!strcmp(a, "--config"))
            config = argv[++i];
        else if (!strcmp(a, "--out"))
            out = argv[++i];
        else if (!strcmp(a, "--esm-weights"))
            esm = argv[++i];
        else if (!strcmp(a, "--esm-shape"))
            shape = argv[++i];
        else if (!strcmp(a, "--seed")) {
            if (!fg_cli_int(CMD, a, argv[++i], 0, 9007199254740991LL, &seed))
                return FG_EXIT_USAGE;
        } else
            return fg_cli_fail(FG_EXIT_USAGE, CMD, "unknown option '%s'", a);
    }
    if (!out || !config == !shape) {
        usage(stderr);
        return FG_EXIT_USAGE;
    }
    fg_error err;
    if (shape) {
        int L, D, H;
        char tail;
        if (sscanf(shape, "%d:%d:%d%c", &L, &D, &H, &tail) != 3)
            return fg_cli_fail(FG_EXIT_USAGE, CMD, "--esm-shape: expected LAYERS:WIDTH:HEADS, got '%s'", shape);
        if (fg_esm_init_weights(L, D, H, (uint64_t)seed, out, &err) != FG_OK)
            return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s", err.msg);
        fprintf(stderr, "wrote random ESM-2 weights (%s) to %s (seed %lld)\n", shape, out, seed);
        return FG_EXIT_OK;
    }
    fg_config cfg;
    if (fg_config_load(config, &cfg, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s", err.msg);
    fg_weights *esm_w = NULL;
    const char *esm_path = esm ? esm : cfg.esm_weights;
    fg_status st = FG_OK;
    if (cfg.model.esm.enabled && esm_path[0])
        st = fg_weights_open(esm_path, NULL, &esm_w, &err);
    if (st == FG_OK)
        st = fg_model_init_weights_esm(&cfg.model, esm_w, (uint64_t)seed, out, &err);
    fg_weights_free(esm_w);
    fg_config_free(&cfg);
    if (st != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, CMD, "%s", err.msg);
    fprintf(stderr, "wrote random weights for %s to %s (seed %lld)\n", config, out, seed);
    return FG_EXIT_OK;
}
