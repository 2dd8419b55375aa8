/* framegen info FILE.safetensors [--config C]: what a weights file holds,
 * and whether it fits a config. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "framegen/safetensors.h"
#include "info_config.h"

static void info_usage(FILE *out)
{
    fprintf(out, "usage: framegen info FILE.safetensors [--config C [--esm-weights E]]\n\n"
                 "Lists every tensor (name, dtype, shape), the file's metadata and the\n"
                 "total number of parameters. With --config, instead checks that the file\n"
                 "holds exactly the tensors the model of config C needs, naming every\n"
                 "missing, unexpected or misshapen tensor (exit status 1 if any).\n");
}

static void print_file(const fg_st_file *f)
{
    int64_t total = 0;
    size_t n = fg_st_count(f);
    printf("file: %s\ntensors: %zu\n", fg_st_path(f), n);
    for (size_t i = 0; i < fg_st_metadata_count(f); i++) {
        const char *k, *v;
        fg_st_metadata_at(f, i, &k, &v);
        printf("metadata: %s = %s\n", k, v);
    }
    for (size_t i = 0; i < n; i++) {
        const fg_st_tensor *t = fg_st_at(f, i);
        char shape[128];
        fg_shape_str(t->ndim, t->shape, shape, sizeof shape);
        printf("  %-60s %-5s %s\n", t->name, fg_dtype_name(t->dtype), shape);
        total += fg_shape_numel(t->ndim, t->shape);
    }
    printf("parameters: %lld\n", (long long)total);
}

int fg_cmd_info(int argc, char **argv)
{
    const char *file = NULL, *config = NULL, *esm = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--esm-weights") == 0) {
            if (i + 1 >= argc)
                return fg_cli_fail(FG_EXIT_USAGE, "info", "%s needs a value", argv[i]);
            *(argv[i][2] == 'c' ? &config : &esm) = argv[i + 1];
            i++;
            continue;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            info_usage(stdout);
            return FG_EXIT_OK;
        }
        if (argv[i][0] == '-')
            return fg_cli_fail(FG_EXIT_USAGE, "info", "unknown option '%s'", argv[i]);
        if (file)
            return fg_cli_fail(FG_EXIT_USAGE, "info", "more than one file given");
        file = argv[i];
    }
    if (!file) {
        info_usage(stderr);
        return FG_EXIT_USAGE;
    }
    if (config)
        return fg_info_check_config(file, config, esm);
    fg_st_file *f;
    fg_error err;
    if (fg_st_open(file, &f, &err) != FG_OK)
        return fg_cli_fail(FG_EXIT_RUNTIME, "info", "%s", err.msg);
    print_file(f);
    fg_st_close(f);
    return FG_EXIT_OK;
}
