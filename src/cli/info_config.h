/* `framegen info W --config C [--esm-weights E]`: exit status 0 when W fits
 * C, 1 otherwise. esm_weights (NULL: the config's) sizes the ESM combiner. */
#ifndef FG_INFO_CONFIG_H
#define FG_INFO_CONFIG_H

int fg_info_check_config(const char *weights, const char *config, const char *esm_weights);

#endif
