/* framegen: protein backbone generation by SE(3) flow matching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "framegen/blas.h"

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

/* OpenBLAS chooses its kernels when it loads and reads OPENBLAS_CORETYPE only
 * then: when it fell back to kernels older than this CPU supports, run again
 * with the better set named (once: the variable is then set). A failed exec
 * just continues with the slower kernels. */
static void use_best_blas_kernels(char **argv)
{
    const char *better = getenv("OPENBLAS_CORETYPE") ? NULL : fg_blas_better_core();
    if (!better || setenv("OPENBLAS_CORETYPE", better, 1) != 0)
        return;
    execv("/proc/self/exe", argv);
}

int main(int argc, char **argv)
{
    use_best_blas_kernels(argv);
    if (argc < 2) {
        usage(stderr);
        return FG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return FG_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("framegen %s (OpenBLAS kernels: %s)\n", FG_VERSION, fg_blas_core());
        return FG_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 1, argv + 1);
    fg_cli_fail(FG_EXIT_USAGE, NULL, "unknown command '%s'", argv[1]);
    usage(stderr);
    return FG_EXIT_USAGE;
}
