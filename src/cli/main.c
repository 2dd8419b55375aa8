/* framegen: protein backbone generation by SE(3) flow matching. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const fg_cli_command COMMANDS[] = {
    {"info", "list a safetensors file's tensors, dtypes, shapes and metadata", fg_cmd_info},
    {"generate", "generate backbones with a model config and write PDB/mmCIF files", fg_cmd_generate},
    {"init-weights", "write random weights for a config (tests, benchmarks)", fg_cmd_init_weights},
    {"esm", "ESM-2 embeddings, attention maps or logits of a FASTA file", fg_cmd_esm},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out)
{
    fprintf(out,
            "usage: framegen <command> [options]\n"
            "       framegen --help | --version\n\n"
            "Generate protein backbones with flow-matching models trained in PyTorch\n"
            "(MultiFlow / FrameFlow family), on the CPU.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-13s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\nRun 'framegen <command> --help' for a command's options.\n"
                 "Exit status: 0 ok, 1 runtime error, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return FG_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("framegen %s\n", FG_VERSION);
        return FG_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 1, argv + 1);
    fg_cli_fail(FG_EXIT_USAGE, NULL, "unknown command '%s'", argv[1]);
    usage(stderr);
    return FG_EXIT_USAGE;
}
