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
    ui->edit_pos = (int)strlen(ui->sentence);
    ui->ckpt_info = checkpoint_info_none();
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

/* The note's items are joined by this (run.c's note_add). */
#define NOTE_SEPARATOR "; "

int ui_note_count(const UiState *ui)
{
    if (!ui->note[0])
        return 0;
    int n = 1;
    for (const char *p = ui->note; (p = strstr(p, NOTE_SEPARATOR)) != NULL; p += 2)
        n++;
    return n;
}

bool ui_note_item(const UiState *ui, int i, char *out, size_t len)
{
    const char *p = ui->note;
    if (!p[0] || i < 0)
        return false;
    for (; i > 0; i--) {
        p = strstr(p, NOTE_SEPARATOR);
        if (!p)
            return false;
        p += 2;
    }
    const char *end = strstr(p, NOTE_SEPARATOR);
    size_t n = end ? (size_t)(end - p) : strlen(p);
    snprintf(out, len, "%.*s", (int)n, p);
    return true;
}
