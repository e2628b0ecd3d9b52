#include "run_data.h"

#include <string.h>

#include "errors.h"

int run_data_load(const AppConfig *cfg, const char *const *label_names, int num_names,
                  FILE *log, RunData *out, char *err, size_t err_len)
{
    const DataConfig *dc = &cfg->data;
    memset(out, 0, sizeof *out);
    Dataset *all;
    if (dc->train_path[0]) {
        all = dataset_load(dc->train_path, label_names, num_names, log, err, err_len);
        if (!all)
            return -1;
        out->train_skipped = all->skipped;
    } else {
        all = dataset_embedded_train();
        if (!all)
            return errorf(err, err_len, "out of memory (embedded dataset)");
    }
    if (!label_names) {
        label_names = DATASET_LABEL_NAMES(all);
        num_names = all->num_classes;
    }
    if (dc->val_path[0]) {
        out->val = dataset_load(dc->val_path, label_names, num_names, log, err, err_len);
        if (!out->val) {
            dataset_free(all);
            return -1;
        }
        out->val_skipped = out->val->skipped;
        out->train = all;
    } else if (!dc->train_path[0]) {
        out->train = all;
        out->val = dataset_embedded_heldout();
    } else if (dc->val_fraction > 0) {
        dataset_split(all, dc->val_fraction, cfg->train.seed, &out->train, &out->val);
        dataset_free(all);
        if (!out->train || out->train->n == 0) {
            dataset_free(out->train);
            dataset_free(out->val);
            memset(out, 0, sizeof *out);
            return errorf(err, err_len, "%.900s: no training sentence left after the validation "
                          "split (val_fraction %g)", dc->train_path, (double)dc->val_fraction);
        }
    } else {
        out->train = all;
    }
    return 0;
}
