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
/* Lines of the help text at width w (it wraps): keys, then every view's explanation. */
int view_help_lines(int w);
/* The last first line the help scrolls to in a body of h x w: its end at the bottom. */
int view_help_max_scroll(int h, int w);

/* Whether a view draws the input line in a body of h x w: where it does not,
 * the frame shows the line on the bottom row while it takes keys. */
bool view_shows_sentence(ViewId view, int h, int w);
/* The dashboard has room for the sentence, its attention map and prediction. */
bool dashboard_is_large(int h, int w);

/* Shared pieces of the views (view_common.c, view_curves.c, view_map.c). */
void draw_status_line(const UiState *ui, const Canvas *c, int y);
void draw_epoch_bar(const UiState *ui, const Canvas *c, int y);
/* Training curve solid, validation curve dashed with its points; best_step >= 0:
 * the best validation value so far (best, a fraction shown as a percentage) is
 * marked on the validation curve and named in the legend. */
void draw_curves(const Canvas *c, int y, int x, int h, int w, const char *title,
                 const MetricHistory *train, const MetricHistory *val, bool fixed01,
                 long best_step, float best);
/* Heat map of layer/head for the current sentence at (y, x) in a h x w area;
 * labels when `labels`, the cell cursor (and a window that follows it) when
 * `cursor`. Returns rows used. */
int draw_attention_map(const UiState *ui, const Canvas *c, int y, int x, int h, int w, int layer,
                       int head, bool labels, bool cursor);
/* Token i's label: the word, or <UNK> (and the typed word when with_word) for a
 * word the vocabulary lacks; "N " in front when numbered (1-based). */
void token_label(const Inference *inf, int i, bool numbered, bool with_word, char *out,
                 size_t len);
void draw_class_bars(const UiState *ui, const Canvas *c, int y, int x, int w, int max_rows);
/* The input line (with its cursor while editing) on row y. */
void draw_sentence_line(const UiState *ui, const Canvas *c, int y);
/* "no known word", "unknown words: N", "N tokens: the model reads the first M",
 * or "" when the sentence has none of these. */
void sentence_notice(const UiState *ui, char *out, size_t len);
void format_count(char *out, size_t len, double v);
/* hh:mm:ss */
void format_clock(char *out, size_t len, double seconds);

#endif
