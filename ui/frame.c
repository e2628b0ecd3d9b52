/* The screen around the views: the tabs, the body (one view), the bottom line
 * (input line, event, note or key hints), the "too small" message. It draws
 * into any canvas: the terminal, or an off-screen one in the tests. */
#include "frame.h"

#include <stdio.h>

#include "events.h"
#include "lang.h"
#include "views.h"

/* The tabs in w columns; the current one in brackets and reverse video (not
 * by colour alone). */
static void draw_tabs(const UiState *ui, const Canvas *c, int w)
{
    char label[VIEW_COUNT][64];
    int total = 0;
    for (int pass = 0; pass < 2; pass++) { /* names; then the current one's name only */
        total = 0;
        for (int v = 0; v < VIEW_COUNT; v++) {
            label[v][0] = '\0';
            if (v == VIEW_GENERATE && !ui_is_lm(ui))
                continue; /* a classifier has no Generate view */
            bool current = v == (int)ui->view, named = pass == 0 || current;
            snprintf(label[v], sizeof label[v], "%s%c%s%s%s", current ? "[" : " ",
                     v == VIEW_HELP ? '?' : '1' + v, named ? " " : "", named ? view_name(v) : "",
                     current ? "]" : " ");
            total += text_width(label[v]);
        }
        if (total <= w)
            break;
    }
    int x = 0;
    if (total + 14 <= w) /* the program name only when everything fits */
        x = canvas_text(c, 0, 0, -1, " minillm-tui ", STYLE_STATUS) + 1;
    for (int v = 0; v < VIEW_COUNT; v++)
        x += canvas_text(c, 0, x, -1, label[v], v == (int)ui->view ? STYLE_TAB : STYLE_LABEL);
}

/* The note's first item not dismissed, "(i/n, Esc: next)" after it; cut with
 * a sign when longer than the line. */
static void draw_note(const UiState *ui, const Canvas *c, int y)
{
    char item[1024], tail[96];
    int n = ui_note_count(ui), i = ui->notes_dismissed;
    ui_note_item(ui, i, item, sizeof item);
    if (n > 1)
        snprintf(tail, sizeof tail, msg(MSG_NOTE_NEXT), i + 1, n);
    else
        snprintf(tail, sizeof tail, "%s", msg(MSG_NOTE_DISMISS));
    int tw = text_width(tail);
    int used = canvas_text(c, y, 0, c->w - tw - 1, item, STYLE_WARN);
    if (used < text_width(item))
        canvas_put(c, y, used, c->theme->utf8 ? L'\x2026' : L'>', STYLE_WARN);
    canvas_text(c, y, used + 1, -1, tail, STYLE_DIM);
}

int view_page_count(const UiState *ui, ViewId view)
{
    int h = ui->screen_h - 2, w = ui->screen_w;
    if (w < UI_MIN_COLS || ui->screen_h < UI_MIN_LINES)
        return 1;
    switch (view) {
    case VIEW_DASHBOARD: return view_dashboard_pages(ui, h, w);
    case VIEW_PE: return view_pe_pages(ui, h, w);
    case VIEW_MODEL: return view_model_pages(ui, h, w);
    default: return 1;
    }
}

/* "page 1/2 (v)" at the right of the tab bar when the view has pages;
 * returns its width (0 when none). */
static int draw_page_mark(const UiState *ui, const Canvas *c)
{
    int n = view_page_count(ui, ui->view);
    if (n <= 1)
        return 0;
    char mark[64];
    snprintf(mark, sizeof mark, msg(MSG_PAGE_MARK), ui->page[ui->view] + 1, n);
    int w = text_width(mark);
    canvas_text(c, 0, c->w - w, w, mark, STYLE_KEY);
    return w;
}

BottomLine frame_bottom_line(const UiState *ui, double status_age, double show_s)
{
    bool error = ui->snap.state == TRAIN_STATE_ERROR;
    if (ui->editing || ui->searching)
        return BOTTOM_EDIT;
    if (ui->snap.event.kind != TRAIN_EVENT_NONE && (error || status_age < show_s) &&
        ui->snap.status_seq != ui->status_hidden)
        return BOTTOM_STATUS;
    if (ui->notes_dismissed < ui_note_count(ui))
        return BOTTOM_NOTE;
    return BOTTOM_HINTS;
}

/* Bottom line: while typing, the editing keys (or the input line itself where
 * the view has no room for it; the search's keys while searching the merges); the event, the note or the key hints. */
static void draw_bottom(const UiState *ui, const Canvas *c)
{
    int y = c->h - 1;
    switch (ui->bottom) {
    case BOTTOM_EDIT:
        if (ui->searching) /* the search text is in the merges panel */
            canvas_text(c, y, 0, -1, msg(MSG_SEARCH_KEYS), STYLE_KEY);
        else if (!view_shows_sentence(ui->view, c->h - 2, c->w)) {
            Canvas line = canvas_sub(c, y, 0, 1, c->w);
            draw_sentence_line(ui, &line, 0);
        } else {
            canvas_text(c, y, 0, -1, msg(MSG_EDIT_KEYS), STYLE_KEY);
        }
        break;
    case BOTTOM_STATUS: {
        char text[SNAPSHOT_STATUS_LEN + 160];
        train_event_text(&ui->snap.event, text, sizeof text);
        canvas_text(c, y, 0, -1, text, ui->snap.state == TRAIN_STATE_ERROR ? STYLE_BAD : STYLE_WARN);
        break;
    }
    case BOTTOM_NOTE:
        draw_note(ui, c, y);
        break;
    default:
        canvas_text(c, y, 0, -1, msg(ui_is_lm(ui) ? MSG_HINTS_LM : MSG_HINTS), STYLE_DIM);
    }
}

static void draw_too_small(const Canvas *c)
{
    int y = c->h / 2 - 1;
    const char *title = msg(MSG_TOO_SMALL);
    int tw = text_width(title);
    canvas_text(c, y < 0 ? 0 : y, (c->w - tw) / 2 > 0 ? (c->w - tw) / 2 : 0, -1, title, STYLE_WARN);
    char need[96];
    snprintf(need, sizeof need, msg(MSG_NEED_SIZE), UI_MIN_COLS, UI_MIN_LINES, c->w, c->h);
    int nw = text_width(need);
    canvas_text(c, y + 1, (c->w - nw) / 2 > 0 ? (c->w - nw) / 2 : 0, -1, need, STYLE_LABEL);
    canvas_text(c, y + 2, 0, -1, "q: quit", STYLE_DIM);
}

void frame_draw(const UiState *ui, const Canvas *c)
{
    Canvas screen = *c;
    if (screen.w < UI_MIN_COLS || screen.h < UI_MIN_LINES) {
        draw_too_small(&screen);
        if (ui->editing) { /* keys are still text: the line they go to stays in sight */
            Canvas line = canvas_sub(&screen, screen.h - 1, 0, 1, screen.w);
            draw_sentence_line(ui, &line, 0);
        }
        return;
    }
    draw_tabs(ui, &screen, screen.w - draw_page_mark(ui, &screen));
    Canvas body = canvas_sub(&screen, 1, 0, screen.h - 2, screen.w);
    switch (ui->view) {
    case VIEW_DASHBOARD: view_dashboard_draw(ui, &body); break;
    case VIEW_ATTENTION: view_attention_draw(ui, &body); break;
    case VIEW_PE: view_pe_draw(ui, &body); break;
    case VIEW_MODEL: view_model_draw(ui, &body); break;
    case VIEW_GENERATE: view_generate_draw(ui, &body); break;
    default: view_help_draw(ui, &body); break;
    }
    draw_bottom(ui, &screen);
}

