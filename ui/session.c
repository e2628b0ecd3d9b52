/* Builds the TUI's training session: see session.h. Same data rules as the
 * `train` command: a train file or the embedded dataset; validation from
 * --val, the embedded held-out part, or a split of the train file. */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "run_data.h"

static int load_data(Session *s, char *err, size_t err_len)
{
    const AppConfig *cfg = &s->cfg;
    RunData d;
    if (run_data_load(cfg, s->has_ckpt ? (const char *const *)s->ckpt.labels : NULL,
                      s->has_ckpt ? s->ckpt.num_labels : 0, NULL, &d, err, err_len) != 0)
        return -1;
    s->train = d.train;
    s->val = d.val;
    if (cfg->data.train_path[0])
        snprintf(s->data_name, sizeof s->data_name, "%.200s", cfg->data.train_path);
    else
        snprintf(s->data_name, sizeof s->data_name, "embedded dataset");
    if (d.train_skipped > 0)
        snprintf(s->note, sizeof s->note, "%.200s: skipped %d bad lines", cfg->data.train_path,
                 d.train_skipped);
    return 0;
}

int session_open(Session *s, const AppConfig *cfg, const char *checkpoint_path, char *err,
                 size_t err_len)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->tc = cfg->data.tokenizer;
    if (checkpoint_path) {
        if (checkpoint_load(checkpoint_path, &s->ckpt, err, err_len) != 0)
            return -1;
        s->has_ckpt = true;
        s->tc = s->ckpt.tokenizer;
        s->cfg.model = s->ckpt.model->cfg;
        s->cfg.data.tokenizer = s->tc;
    }
    if (load_data(s, err, err_len) != 0)
        return -1;
    if (s->has_ckpt) {
        s->vocab = s->ckpt.vocab;
        s->labels = (const char *const *)s->ckpt.labels;
        s->num_labels = s->ckpt.num_labels;
    } else {
        s->vocab = vocab_from_dataset(s->train, &s->tc, cfg->data.min_freq, cfg->data.max_vocab);
        if (!s->vocab) {
            snprintf(err, err_len, "could not build the vocabulary (out of memory)");
            return -1;
        }
        s->cfg.model.vocab_size = vocab_size(s->vocab);
        s->cfg.model.num_classes = s->train->num_classes;
        s->labels = DATASET_LABEL_NAMES(s->train);
        s->num_labels = s->train->num_classes;
    }
    int max_len = s->cfg.model.max_len;
    s->etrain = dataset_encode(s->train, &s->tc, s->vocab, max_len);
    s->eval = s->val && s->val->n > 0 ? dataset_encode(s->val, &s->tc, s->vocab, max_len) : NULL;
    if (!s->etrain || (s->val && s->val->n > 0 && !s->eval)) {
        snprintf(err, err_len, "out of memory encoding the data");
        return -1;
    }
    Model *model = NULL;
    if (s->has_ckpt) {
        model = s->ckpt.model;
        s->ckpt.model = NULL; /* the trainer owns it now */
    }
    s->trainer = trainer_create(&s->cfg, model, s->etrain, s->eval, err, err_len);
    if (!s->trainer)
        return -1;
    if (s->has_ckpt) {
        /* continue the run when the optimizer sidecar is there; else fresh moments */
        char sidecar[1100], msg[512];
        snprintf(sidecar, sizeof sidecar, "%s.optim", checkpoint_path);
        FILE *f = fopen(sidecar, "rb");
        if (f) {
            fclose(f);
            if (optimizer_state_load(sidecar, trainer_optimizer(s->trainer), msg, sizeof msg) == 0 &&
                trainer_set_step(s->trainer, trainer_optimizer(s->trainer)->step, msg, sizeof msg) == 0)
                snprintf(s->note, sizeof s->note, "resumed %.200s at step %ld", checkpoint_path,
                         trainer_progress(s->trainer)->step);
            else
                snprintf(s->note, sizeof s->note, "optimizer state not restored: %.200s", msg);
        } else {
            snprintf(s->note, sizeof s->note, "loaded %.200s (fresh optimizer)", checkpoint_path);
        }
    }
    return 0;
}

void session_close(Session *s)
{
    encoded_dataset_free(s->etrain);
    encoded_dataset_free(s->eval);
    dataset_free(s->train);
    dataset_free(s->val);
    if (!s->has_ckpt)
        vocab_free(s->vocab);
    if (s->has_ckpt)
        checkpoint_free(&s->ckpt);
    memset(s, 0, sizeof *s);
}
