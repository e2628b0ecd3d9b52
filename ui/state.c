/* The UI's state: see state.h. */
#include "state.h"

#include <stdio.h>
#include <string.h>

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

int ui_state_init(UiState *ui, const ModelConfig *mc, const TokenizerConfig *tc,
                  const Vocab *vocab, const char *const *labels, int num_labels,
                  const char *sentence, char *err, size_t err_len)
{
    memset(ui, 0, sizeof *ui);
    if (infer_init(&ui->inf, mc, tc, vocab, labels, num_labels, err, err_len) != 0)
        return -1;
    if (pe_table_init(&ui->pe, mc, err, err_len) != 0) {
        infer_free(&ui->inf);
        return -1;
    }
    pe_table_update(&ui->pe, ui->inf.model);
    model_flops_per_token(mc, mc->max_len, &ui->flops_fwd, &ui->flops_train);
    snprintf(ui->sentence, sizeof ui->sentence, "%s", sentence);
    ui->view = VIEW_DASHBOARD;
    metric_history_clear(&ui->snap.train_loss);
    metric_history_clear(&ui->snap.train_acc);
    metric_history_clear(&ui->snap.val_loss);
    metric_history_clear(&ui->snap.val_acc);
    return 0;
}

void ui_state_free(UiState *ui)
{
    infer_free(&ui->inf);
    pe_table_free(&ui->pe);
}

bool ui_state_refresh(UiState *ui, Snapshot *snap)
{
    snapshot_read(snap, &ui->snap);
    if (!infer_refresh_weights(&ui->inf, snap))
        return false;
    pe_table_update(&ui->pe, ui->inf.model);
    return true;
}

void ui_state_run_sentence(UiState *ui)
{
    infer_run(&ui->inf, ui->sentence);
    ui->cur_q = clamp(ui->cur_q, 0, ui->inf.n_tokens > 0 ? ui->inf.n_tokens - 1 : 0);
    ui->cur_k = clamp(ui->cur_k, 0, ui->inf.shown > 0 ? ui->inf.shown - 1 : 0);
}
