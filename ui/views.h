/* The views: each draws the state it is given, const, into the canvas below the
 * tab bar; none changes state, allocates or clamps (key handlers and the main
 * loop keep the state within range, see state.h). */
#ifndef MINILLM_UI_VIEWS_H
#define MINILLM_UI_VIEWS_H

#include <stdbool.h>
#include <stddef.h>

#include "canvas.h"
#include "state.h"

void view_dashboard_draw(const UiState *ui, const Canvas *c);
void view_attention_draw(const UiState *ui, const Canvas *c);
void view_pe_draw(const UiState *ui, const Canvas *c);
void view_model_draw(const UiState *ui, const Canvas *c);
void view_help_draw(const UiState *ui, const Canvas *c);
/* Lines of the help text (keys, then every view's explanation): the scroll limit. */
int view_help_lines(void);

/* Shared pieces of the views (view_common.c). */
void draw_status_line(const UiState *ui, const Canvas *c, int y);
void draw_epoch_bar(const UiState *ui, const Canvas *c, int y);
/* best_step >= 0: the best validation value so far (best, a fraction shown as a
 * percentage) is marked on the validation curve and named in the legend. */
void draw_curves(const Canvas *c, int y, int x, int h, int w, const char *title,
                 const MetricHistory *train, const MetricHistory *val, bool fixed01,
                 long best_step, float best);
/* Heat map of layer/head for the current sentence at (y, x) in a h x w area;
 * labels when `labels`, the cell cursor when `cursor`. Returns rows used. */
int draw_attention_map(const UiState *ui, const Canvas *c, int y, int x, int h, int w, int layer,
                       int head, bool labels, bool cursor);
void draw_class_bars(const UiState *ui, const Canvas *c, int y, int x, int w, int max_rows);
void draw_sentence_line(const UiState *ui, const Canvas *c, int y);
void format_count(char *out, size_t len, double v);

#endif
