/* The whole screen of a frame: tabs, the current view, the bottom line. */
#ifndef MINILLM_UI_FRAME_H
#define MINILLM_UI_FRAME_H

#include "canvas.h"
#include "state.h"

/* What the bottom line shows (see BottomLine): an event shows for show_s
 * seconds after it came (status_age), an error until it is gone. */
BottomLine frame_bottom_line(const UiState *ui, double status_age, double show_s);
/* Tabs, the view of ui->view in the body, the bottom line as ui->bottom says;
 * below UI_MIN_COLS x UI_MIN_LINES, the "too small" message instead. While
 * the input line takes keys it is on screen in every view: the view's own, or
 * the bottom line. */
void frame_draw(const UiState *ui, const Canvas *screen);

#endif
