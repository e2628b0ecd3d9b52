/* Shared by the commands: option tables (parsing and generated --help), number
 * parsing with messages that name the option and the allowed range, and the
 * config file + flag overrides. Internal to src/cli*.c. */
#ifndef MINILLM_CLI_UTIL_H
#define MINILLM_CLI_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define CLI_PROGRAM "minillm-tui"
#define CLI_MAX_OPTIONS 32
#define CLI_MAX_SETS 64

typedef struct {
    const char *name;        /* without the dashes: "epochs" */
    const char *value_name;  /* NULL: a flag without value */
    const char *help;        /* one line */
} CliOption;

typedef struct {
    const char *command;     /* "train", ... or NULL for the TUI form */
    const char *synopsis;    /* after the command name */
    const char *description; /* one paragraph */
    const CliOption *options;
    int num_options;
    const char *epilogue;    /* NULL or a closing paragraph */
} CliCommand;

typedef struct {
    const char *value[CLI_MAX_OPTIONS]; /* by option index; NULL when absent */
    bool set[CLI_MAX_OPTIONS];
    char **positional;                  /* points into argv (owned by the caller) */
    int num_positional;
    const char *sets[CLI_MAX_SETS];     /* values of the repeatable --set, in order */
    int num_sets;
    bool help;
} CliArgs;

/* Parses argv[first..argc). `--name value`, `--name=value`, `-h`/`--help`, `--` ends
 * options. Returns 0, or CLI_EXIT_USAGE after a one-line message on err.
 * args->positional must have room for argc entries. */
int cli_parse(const CliCommand *cmd, int argc, char **argv, int first, CliArgs *args, FILE *err);
void cli_print_help(const CliCommand *cmd, FILE *out);
/* Index of an option by name in cmd (the tables are small). */
int cli_option(const CliCommand *cmd, const char *name);
const char *cli_value(const CliCommand *cmd, const CliArgs *args, const char *name);
bool cli_flag(const CliCommand *cmd, const CliArgs *args, const char *name);

/* "minillm-tui <command>: " prefix then the message, one line. */
void cli_error(const CliCommand *cmd, FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Number options: 0, or CLI_EXIT_USAGE after a message naming the option and range. */
int cli_get_int(const CliCommand *cmd, const CliArgs *args, const char *name, long lo, long hi,
                int *out, FILE *err);
int cli_get_u64(const CliCommand *cmd, const CliArgs *args, const char *name, uint64_t *out,
                FILE *err);
int cli_get_float(const CliCommand *cmd, const CliArgs *args, const char *name, double lo,
                  double hi, float *out, FILE *err);

/* Defaults, then --config F when given, then every --set SECTION.KEY=VALUE, then
 * --data/--val when the command has them. Returns 0, CLI_EXIT_FAILURE after a
 * message naming the file:line and key, or CLI_EXIT_USAGE for a bad --set. */
int cli_load_config(const CliCommand *cmd, const CliArgs *args, AppConfig *cfg, FILE *err);

/* Copies the value of option `name` (a path) into dst; CLI_EXIT_USAGE after a
 * message when it does not fit. */
int cli_copy_path(const CliCommand *cmd, char *dst, size_t dst_len, const char *src,
                  const char *name, FILE *err);

/* Writes root as one line of JSON; -1 when out of memory. */
struct cJSON;
int cli_print_json(FILE *out, const struct cJSON *root);

/* `eval` of a language model's run (run->lm->val, the checkpoint's model): loss,
 * perplexity, bits per character as text or JSON. Returns an exit status. */
struct Run;
int cli_eval_lm(struct Run *run, bool json, FILE *out, FILE *err);

/* A probability or score rounded to 6 decimals for JSON: float noise helps nobody. */
double cli_round6(double x);

#endif
