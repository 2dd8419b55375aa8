/* `framegen info W --config C`: exit status 0 when W fits C, 1 otherwise. */
#ifndef FG_INFO_CONFIG_H
#define FG_INFO_CONFIG_H

int fg_info_check_config(const char *weights, const char *config);

#endif
