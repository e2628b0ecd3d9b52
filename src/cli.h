/* The command line: `minillm-tui [train|eval|predict|tokenize|generate] ...`. Every command writes
 * its results to `out` and its one-line errors to `err`, and returns the exit
 * status (0 success, 2 usage error, 1 any other error), so tests run the
 * commands in-process. */
#ifndef MINILLM_CLI_H
#define MINILLM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

/* What the no-command form asks of the TUI besides the config. */
typedef struct {
    const char *checkpoint;  /* --checkpoint: start from this saved model (NULL: fresh weights) */
    double bench_seconds;    /* --ui-bench: measure what the UI costs the training over this
                              * many seconds, report on stderr and quit; 0 = off */
    bool headless;           /* --headless (with --ui-bench): the training thread alone, no screen */
} TuiOptions;

/* The TUI entry point (ui_run), passed in by main.c so that the app library does
 * not depend on ncurses. Returns 0, or -1 with a message in err. */
typedef int (*CliTuiFn)(const AppConfig *cfg, const TuiOptions *opts, char *err, size_t err_len);

/* argv[0] is the program name; argv[1] the command or the first option. `tui` may be
 * NULL: the no-command form then says that the TUI is not part of this binary. */
int cli_main(int argc, char **argv, FILE *out, FILE *err, CliTuiFn tui);

/* The commands; argv[0] is the command name ("train", ...). */
int cli_train(int argc, char **argv, FILE *out, FILE *err);
int cli_eval(int argc, char **argv, FILE *out, FILE *err);
int cli_predict(int argc, char **argv, FILE *in, FILE *out, FILE *err);
int cli_tokenize(int argc, char **argv, FILE *in, FILE *out, FILE *err);
int cli_generate(int argc, char **argv, FILE *out, FILE *err);

#endif
