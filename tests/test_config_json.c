/* Field-table JSON reading: defaults, and errors that name the key path for
 * unknown keys, wrong types, out-of-range values, missing required keys and
 * malformed files. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "framegen/config_json.h"

typedef struct demo {
    int num_heads;
    double dropout;
    bool use_film;
    int mode;
    char name[FG_FIELD_STR_MAX];
} demo;

static const char *const MODES[] = {"linear", "exp", NULL};
static const fg_field FIELDS[] = {
    FG_FIELD_INT_(demo, num_heads, 4, 1, 64, "attention heads"),
    FG_FIELD_FLOAT_(demo, dropout, 0.1, 0.0, 1.0, "ignored at inference"),
    FG_FIELD_BOOL_(demo, use_film, false, "time FiLM"),
    FG_FIELD_ENUM_(demo, mode, 1, MODES, "schedule"),
    FG_FIELD_STRING_(demo, name, "x", "label"),
};
#define NF (sizeof FIELDS / sizeof FIELDS[0])

static fg_status parse(const char *json, demo *d, fg_error *err)
{
    cJSON *o = cJSON_Parse(json);
    fg_status st = fg_json_read_fields(o, "model.trunk[1]", FIELDS, NF, (const char *const[]){"type", NULL}, d, err);
    cJSON_Delete(o);
    return st;
}

static void expect_error(fx_suite *s, const char *json, const char *needle)
{
    demo d;
    fg_error err = {0};
    fg_status st = parse(json, &d, &err);
    fx_ok(s, st == FG_ERR_CONFIG && strstr(err.msg, needle), "%s -> \"%s\"", json, err.msg);
}

int main(void)
{
    fx_suite s = {"config_json", 0, 0};
    demo d;
    fg_error err;
    fx_ok(&s, parse("{\"type\": \"x\"}", &d, &err) == FG_OK && d.num_heads == 4 &&
          d.dropout == 0.1 && !d.use_film && d.mode == 1 && strcmp(d.name, "x") == 0,
          "defaults filled, extra key 'type' accepted");
    fx_ok(&s, parse("{\"num_heads\": 8, \"use_film\": true, \"mode\": \"linear\", \"name\": \"b\"}", &d, &err) ==
                  FG_OK && d.num_heads == 8 && d.use_film && d.mode == 0 && strcmp(d.name, "b") == 0,
          "values read");
    expect_error(&s, "{\"num_hedas\": 8}", "model.trunk[1].num_hedas: unknown key (known: num_heads");
    expect_error(&s, "{\"num_heads\": \"four\"}", "model.trunk[1].num_heads: expected an integer, got a string");
    expect_error(&s, "{\"num_heads\": 2.5}", "model.trunk[1].num_heads: expected an integer");
    expect_error(&s, "{\"num_heads\": 0}", "model.trunk[1].num_heads: 0 is out of range [1, 64]");
    expect_error(&s, "{\"use_film\": 1}", "model.trunk[1].use_film: expected true or false");
    expect_error(&s, "{\"mode\": \"cubic\"}", "model.trunk[1].mode: unknown value \"cubic\" (known: linear, exp)");
    expect_error(&s, "{\"num_heads\": 4, \"num_heads\": 5}", "model.trunk[1].num_heads: key given twice");
    expect_error(&s, "[1, 2]", "model.trunk[1]: expected an object");

    /* required keys */
    fg_field req[1] = {FG_FIELD_INT_(demo, num_heads, 0, 1, 8, "")};
    req[0].required = 1;
    cJSON *o = cJSON_Parse("{}");
    fg_status st = fg_json_read_fields(o, "stage", req, 1, NULL, &d, &err);
    cJSON_Delete(o);
    fx_ok(&s, st == FG_ERR_CONFIG && strstr(err.msg, "stage.num_heads: required key is missing"),
          "missing required key -> \"%s\"", err.msg);

    /* malformed file: line and column */
    char path[] = "/tmp/fg_cfg_XXXXXX";
    int fd = mkstemp(path);
    const char *bad = "{\n  \"a\": 1,\n  \"b\": [1, 2\n}\n";
    if (write(fd, bad, strlen(bad)) < 0)
        return 1;
    close(fd);
    cJSON *root = NULL;
    st = fg_json_load_file(path, &root, &err);
    fx_ok(&s, st == FG_ERR_CONFIG && !root && strstr(err.msg, path) && strstr(err.msg, ":4:"),
          "malformed JSON file -> \"%s\"", err.msg);
    unlink(path);
    st = fg_json_load_file("/nonexistent/cfg.json", &root, &err);
    fx_ok(&s, st == FG_ERR_IO && strstr(err.msg, "/nonexistent/cfg.json"), "missing file -> \"%s\"", err.msg);
    return fx_suite_finish(&s);
}
