/* State shared by the UI's views and key handlers (UI thread only). */
#ifndef MINILLM_UI_APP_H
#define MINILLM_UI_APP_H

#include <stdbool.h>

#include "canvas.h"
#include "infer.h"
#include "src/snapshot.h"
#include "src/train_thread.h"

typedef enum { VIEW_DASHBOARD = 0, VIEW_ATTENTION, VIEW_PE, VIEW_MODEL, VIEW_HELP, VIEW_COUNT } ViewId;

/* What a key handler asks of the main loop (htop style): OR-combined. */
enum {
    UI_HANDLED = 1 << 0,
    UI_REDRAW = 1 << 1,
    UI_RERUN = 1 << 2,   /* sentence changed: run the forward again */
    UI_QUIT = 1 << 3,
};

/* Smallest terminal the views are drawn in; below it a message replaces them. */
#define UI_MIN_COLS 60
#define UI_MIN_LINES 18
#define UI_SENTENCE_MAX 256

typedef struct {
    ViewId view;
    ViewId view_before_help;
    const Theme *theme;
    SnapshotData snap;          /* this frame's copy; drawn without locks */
    Inference inf;              /* UI-side weights + activations */
    TrainThread *tt;
    int layer, head;            /* attention view selection (0-based) */
    int cur_q, cur_k;           /* cell cursor */
    bool all_heads;
    bool editing;               /* input line has the keyboard */
    char sentence[UI_SENTENCE_MAX];
    char save_path[1024];
    int help_scroll;
    char data_name[256];        /* "embedded" or the train file */
    char note[256];             /* shown at start: checkpoint loaded, skipped lines */
    int train_n, val_n;
    double flops_fwd, flops_train;
} UiState;

/* Views: each draws into the canvas below the tab bar. */
void view_dashboard_draw(UiState *ui, const Canvas *c);
void view_attention_draw(UiState *ui, const Canvas *c);
void view_pe_draw(UiState *ui, const Canvas *c);
void view_model_draw(UiState *ui, const Canvas *c);
void view_help_draw(UiState *ui, const Canvas *c);

/* Shared pieces of the views (view_common.c). */
void draw_status_line(UiState *ui, const Canvas *c, int y);
void draw_epoch_bar(UiState *ui, const Canvas *c, int y);
/* best_step >= 0: the best validation value so far (best, a fraction shown as a
 * percentage) is marked on the validation curve and named in the legend. */
void draw_curves(const Canvas *c, int y, int x, int h, int w, const char *title,
                 const MetricHistory *train, const MetricHistory *val, bool fixed01,
                 long best_step, float best);
/* Heat map of layer/head for the current sentence at (y, x) in a h x w area;
 * labels when `labels`. Returns rows used. */
int draw_attention_map(UiState *ui, const Canvas *c, int y, int x, int h, int w, int layer,
                       int head, bool labels, bool cursor);
void draw_class_bars(UiState *ui, const Canvas *c, int y, int x, int w, int max_rows);
void draw_sentence_line(UiState *ui, const Canvas *c, int y);
void format_count(char *out, size_t len, double v);

#endif
