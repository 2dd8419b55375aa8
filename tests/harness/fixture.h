/* Test harness for parity against the reference fixtures (<case>.safetensors +
 * <case>.json). The directory comes from FRAMEGEN_FIXTURES, default the copy in
 * tests/fixtures, so the same tests run on any fixture set with the same case
 * names. Tolerances are read from each case's JSON, never hard-coded. */
#ifndef FG_TEST_FIXTURE_H
#define FG_TEST_FIXTURE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "framegen/safetensors.h"
#include "framegen/weights.h"

#define FX_SKIP 77 /* ctest SKIP_RETURN_CODE: reported as skipped, never as passed */

typedef struct fx_case {
    char name[128];
    char dir[1024];
    fg_st_file *st;
    cJSON *json;        /* the case's .json */
    fg_weights *params; /* lazily opened by fx_params */
    int checks, failures;
} fx_case;

/* Directory of the fixture set in use. */
const char *fx_dir(void);
/* Opens a case; on failure prints why and returns -1 (the test must fail). */
int fx_open(fx_case *c, const char *name);
void fx_close(fx_case *c);

/* The case's parameters under their upstream names ("param." stripped;
 * ESM int8 qparam.* x qscale.* dequantised exactly). Owned by the case. */
fg_weights *fx_params(fx_case *c);
/* hyperparameters object of the JSON (never NULL; an empty object if absent). */
const cJSON *fx_hparams(const fx_case *c);
/* Integer / number / bool at a '.'-separated path under hyperparameters;
 * records a failure and returns def when absent. */
double fx_hp_num(fx_case *c, const char *path, double def);
int fx_hp_bool(fx_case *c, const char *path, int def);
const char *fx_hp_str(fx_case *c, const char *path, const char *def);

/* Tensor access: malloc'd copies; NULL (and a recorded failure) when missing. */
const fg_st_tensor *fx_tensor(fx_case *c, const char *key);
float *fx_f32(fx_case *c, const char *key);
int64_t *fx_i64(fx_case *c, const char *key);
int64_t fx_numel(fx_case *c, const char *key);
/* Shape of key into shape[] (returns ndim, -1 if missing). */
int fx_shape(fx_case *c, const char *key, int64_t *shape);

/* Compare against output `key` with the case's tolerance for it; prints one
 * line with max abs / max rel error and PASS/FAIL. Returns 1 on pass. */
int fx_check(fx_case *c, const char *key, const float *got, int64_t n);
/* Same, comparing only rows r with row_ok[r] != 0 (rows of row_len values). */
int fx_check_rows(fx_case *c, const char *key, const float *got, const float *row_ok,
                  int64_t rows, int64_t row_len);
/* Integer outputs must match exactly. */
int fx_check_i64(fx_case *c, const char *key, const int64_t *got, int64_t n);
/* Compare with an explicit reference and tolerance (e.g. a slice of an output). */
int fx_check_with(fx_case *c, const char *label, const float *got, const float *ref, int64_t n,
                  double atol, double rtol);
/* Tolerance of an output from the JSON; returns 0 and records a failure if absent. */
int fx_tolerance(fx_case *c, const char *key, double *atol, double *rtol);

/* A plain assertion counted with the checks. */
int fx_expect(fx_case *c, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints the summary; returns the process exit code (0 pass, 1 fail). */
int fx_finish(fx_case *c);

/* Stand-alone assertions for tests without a fixture case. */
typedef struct fx_suite {
    const char *name;
    int checks, failures;
} fx_suite;
int fx_ok(fx_suite *s, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int fx_suite_finish(fx_suite *s);

/* The shared data directory (FRAMEGEN_SHARED, default ../shared beside the
 * checkout); NULL when it does not exist. */
const char *fx_shared_dir(void);

#endif
