/* The live terminal visualiser: `minillm-tui` with no subcommand. */
#ifndef MINILLM_UI_H
#define MINILLM_UI_H

#include <stddef.h>

#include "src/cli.h"
#include "src/config.h"

/* Opens the run (run.h: the data, vocabulary and trainer, or opts->checkpoint),
 * starts the training thread and runs the ncurses loop until `q` or Ctrl-C
 * (with opts->bench_seconds, until the benchmark's end; headless: without a
 * screen). The terminal is restored and the thread joined before returning.
 * Returns 0, or -1 with a message in err (nothing usable to train on, bad
 * checkpoint, no terminal). */
int ui_run(const AppConfig *cfg, const TuiOptions *opts, char *err, size_t err_len);

#endif
