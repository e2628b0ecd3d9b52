/* The live terminal visualiser: `minillm-tui` with no subcommand. */
#ifndef MINILLM_UI_H
#define MINILLM_UI_H

#include <stddef.h>

#include "src/config.h"

/* Loads the data (cfg->data.train_path or the embedded dataset), builds the
 * vocabulary and the trainer (or starts from checkpoint_path when not NULL),
 * starts the training thread and runs the ncurses loop until `q` or Ctrl-C.
 * The terminal is restored and the thread joined before returning.
 * Returns 0, or -1 with a message in err (nothing usable to train on, bad
 * checkpoint, no terminal). */
int ui_run(const AppConfig *cfg, const char *checkpoint_path, char *err, size_t err_len);

#endif
