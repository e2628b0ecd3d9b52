/* Everything the TUI trains on, built before the screen starts: data,
 * vocabulary, labels, the trainer (fresh or from a checkpoint). */
#ifndef MINILLM_UI_SESSION_H
#define MINILLM_UI_SESSION_H

#include <stdbool.h>

#include "src/checkpoint.h"
#include "src/config.h"
#include "src/dataset.h"
#include "src/trainer.h"

typedef struct {
    AppConfig cfg;              /* model vocab_size / num_classes filled in */
    TokenizerConfig tc;
    Dataset *train, *val;
    EncodedDataset *etrain, *eval;
    Vocab *vocab;               /* owned here unless it is the checkpoint's */
    Checkpoint ckpt;
    bool has_ckpt;
    const char *const *labels;  /* class names (dataset's or checkpoint's) */
    int num_labels;
    Trainer *trainer;           /* handed to the training thread */
    char data_name[256];
    char note[256];             /* e.g. skipped lines, resumed step */
} Session;

int session_open(Session *s, const AppConfig *cfg, const char *checkpoint_path, char *err,
                 size_t err_len);
/* Frees what is left (call after the training thread, which frees the trainer). */
void session_close(Session *s);

#endif
