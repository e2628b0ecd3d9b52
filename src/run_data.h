/* The training and validation sets of a run, by the [data] rules that the `train`
 * command and the TUI share: the train file or the embedded dataset; validation from
 * the val file, the embedded held-out part (with the embedded dataset), or a
 * deterministic split of the train file (val_fraction > 0; else none). */
#ifndef MINILLM_RUN_DATA_H
#define MINILLM_RUN_DATA_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "dataset.h"

typedef struct {
    Dataset *train;
    Dataset *val;        /* NULL: no validation */
    int train_skipped;   /* bad lines skipped in the train file */
    int val_skipped;     /* bad lines skipped in the val file */
} RunData;

/* label_names (may be NULL): a checkpoint's classes to keep; else the train file's.
 * Bad lines go to `log` (may be NULL). On error nothing is left allocated and err
 * names the file. */
int run_data_load(const AppConfig *cfg, const char *const *label_names, int num_names,
                  FILE *log, RunData *out, char *err, size_t err_len);

#endif
