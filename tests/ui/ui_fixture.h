/* A UiState on a small untrained model with a six-word vocabulary, drawn into
 * off-screen canvases: what the view and key tests share. */
#ifndef MINILLM_TESTS_UI_FIXTURE_H
#define MINILLM_TESTS_UI_FIXTURE_H

#include "ui/canvas.h"
#include "ui/state.h"

/* <PAD> <UNK> great movie the was; classes negative, positive. */
extern const char *const fixture_labels[2];

/* The state for a model of d_model (64 or 128), 2 layers, 4 heads, max_len 10,
 * with 50 steps of made-up curves, step 50 of 100, pace 15 and a measured rate;
 * the sentence "the movie was great" run. */
void fixture_open(UiState *ui, int d_model);
void fixture_close(UiState *ui);
/* Replaces the sentence and runs the forward. */
void fixture_sentence(UiState *ui, const char *sentence);

/* The canvas as text, rows joined by '\n' (free it). */
char *fixture_text(const Canvas *c);
/* Draws `draw` into a fresh h x w canvas of theme t; returns its text. */
char *fixture_draw(void (*draw)(const UiState *, const Canvas *), const UiState *ui, int h, int w,
                   const Theme *t);
/* Cells of glyph g inside the rectangle (y, x, h, w). */
int fixture_count_glyph(const Canvas *c, int y, int x, int h, int w, wchar_t g);

#endif
