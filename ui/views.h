/* The views: each draws the state it is given, const, into the canvas below the
 * tab bar; none changes state, allocates or clamps (key handlers and the main
 * loop keep the state within range, see state.h). */
#ifndef MINILLM_UI_VIEWS_H
#define MINILLM_UI_VIEWS_H

#include <stdbool.h>
#include <stddef.h>

#include "canvas.h"
#include "lang.h"
#include "state.h"

void view_dashboard_draw(const UiState *ui, const Canvas *c);
void view_attention_draw(const UiState *ui, const Canvas *c);
void view_pe_draw(const UiState *ui, const Canvas *c);
void view_model_draw(const UiState *ui, const Canvas *c);
void view_generate_draw(const UiState *ui, const Canvas *c);
void view_help_draw(const UiState *ui, const Canvas *c);
/* The Attention view's panels (view_steps.c, view_heads.c), below its header. */
void draw_step_panel(const UiState *ui, const Canvas *c);
void draw_heads_panel(const UiState *ui, const Canvas *c);
void draw_focus_panel(const UiState *ui, const Canvas *c);
/* The sentence's tokens (view_tokens.c): its pieces joined by '|', then one row
 * per token with its id, bytes, characters and (BPE) the merge that made it. */
void draw_tokens_panel(const UiState *ui, const Canvas *c);
/* A BPE model's pieces of the sentence on one row of the Attention view's
 * header, joined by '|' (cut with a marker when they do not fit). */
void draw_pieces_line(const UiState *ui, const Canvas *c, int y);
/* The BPE tokenizer's merges in order, the selected one and the search
 * (view_merges.c); a word or character model's has none and says so. */
void draw_merges_panel(const UiState *ui, const Canvas *c);
/* Rows of the Attention view's panel in a body of h rows, and of the merges
 * panel's list at the terminal's size (a page for PgUp / PgDn). */
int attention_panel_rows(const UiState *ui, int h);
int merges_panel_rows(const UiState *ui);
/* The Model view's data flow panels (view_flow.c) and the rows each needs. */
void draw_flow_layers(const UiState *ui, const Canvas *c);
void draw_flow_tokens(const UiState *ui, const Canvas *c);
void draw_flow_head(const UiState *ui, const Canvas *c);
int flow_layers_rows(const UiState *ui);
int flow_tokens_rows(const UiState *ui);
int flow_head_rows(const UiState *ui);
/* The dashboard's lesson panels (view_examples.c). */
void draw_examples(const UiState *ui, const Canvas *c);
int examples_rows(const UiState *ui);
void draw_lr_schedule(const UiState *ui, const Canvas *c);
/* A language model's sample of the prompt while training (view_generate.c),
 * newlines shown as " | ", in h rows from row y; returns the rows used. */
int draw_gen_sample(const UiState *ui, const Canvas *c, int y, int h);
/* Pages of the paged views at h x w (their body). */
int view_pe_pages(const UiState *ui, int h, int w);
int view_model_pages(const UiState *ui, int h, int w);
int view_dashboard_pages(const UiState *ui, int h, int w);
/* Lines of the help text at width w (it wraps): keys, then every view's
 * explanation (a language model's keys and view only when lm). */
int view_help_lines(int w, bool lm);
/* The last first line the help scrolls to in a body of h x w: its end at the bottom. */
int view_help_max_scroll(int h, int w, bool lm);

/* Pages of a view at the terminal's size (ui->screen_h x ui->screen_w): 1
 * when it fits. v / V turn them (the Attention view walks its steps instead). */
int view_page_count(const UiState *ui, ViewId view);

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
                 long best_step, float best, bool log_y);
/* Numbers along a plot's x axis [0, x_hi] on row y (a box's bottom edge), w
 * columns from x, at round intervals, never overlapping; the unit at the end
 * when there is room (NULL: "step"). */
void draw_x_ticks(const Canvas *c, int y, int x, int w, float x_hi, const char *unit);
/* A map of the sentence: rows are the real query tokens; columns key tokens
 * (padding included) or dimensions. Values are written inside cells at least
 * MAP_NUMBER_MIN columns wide. */
#define MAP_NUMBER_MIN 5
typedef enum { MAP_MASK_NONE = 0, MAP_MASK_MODEL, MAP_MASK_WHATIF } MapMask;
typedef struct {
    const float *v;     /* row q, column j at v[q * ld + j] */
    int ld;
    float scale;        /* values are v times this (0: 1) */
    int cols;           /* key tokens (inf.shown) or dimensions */
    float lo, hi;       /* colour scale */
    bool dims;          /* columns are dimensions 0.. (else key tokens) */
    MapMask mask;       /* which mask marks cells (never for dims) */
    bool inf_text;      /* masked cells say -inf (the mask step) instead of a dot */
    bool numbers;       /* values inside wide cells */
    bool row_labels, col_labels;
    bool cursor;        /* the cell cursor, and a window that follows it */
    bool quiet;         /* no line saying which rows and columns a window shows */
    int cell_max;       /* widest cell; 0: 7 columns */
    int label_w;        /* row label column, gap included; 0: as wide as the words need */
} TokenMap;
/* Returns rows used. */
int draw_token_map(const UiState *ui, const Canvas *c, int y, int x, int h, int w,
                   const TokenMap *tm);
/* Columns of the row labels of a map with row labels (their gap included);
 * numbered: with room for the token numbers in front. */
int map_label_width(const Inference *inf, bool numbered);
/* A map of attention weights (T, T) over [0, 1] with the model's mask or the
 * what-if's, both labels on. */
TokenMap token_map_weights(const UiState *ui, const float *weights, bool whatif);
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
/* What a view shows where the sentence's prediction would be when there is none:
 * MSG_NOT_FINITE when the forward gave NaN or infinite logits, else `otherwise`. */
MsgId no_prediction_msg(const UiState *ui, MsgId otherwise);
void format_count(char *out, size_t len, double v);
/* hh:mm:ss */
void format_clock(char *out, size_t len, double seconds);

#endif
