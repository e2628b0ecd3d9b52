/* The help screen, generated from the key table, then what each view shows
 * and its formulas; lines wrap to the width (nothing is cut) and the text
 * scrolls with Up/Down, PgUp/PgDn, Home/End until its end is at the bottom. */
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "lang.h"
#include "plot.h"
#include "views.h"

/* The key column of the key table, and the narrowest the text beside it gets
 * before it goes under the key instead. */
#define HELP_KEY_W 24
#define HELP_TEXT_MIN_W 30

/* Where help lines go: lines before `scroll` and after the window are counted,
 * not drawn (c NULL: count only). */
typedef struct {
    const Canvas *c;
    int scroll;
    int line;                   /* next line index */
} HelpOut;

static void put_line(HelpOut *o, int x, int max_w, const char *text, int style)
{
    int y = o->line - o->scroll;
    if (o->c && y >= 0 && y < o->c->h - 1)
        canvas_text(o->c, y, x, max_w, text, style);
    o->line++;
}

/* text wrapped at blanks into lines of w columns from column x; continuation
 * lines start `indent` further in. */
static void put_wrapped(HelpOut *o, int x, int w, int indent, const char *text, int style)
{
    char line[512];
    bool first = true;
    while (*text || first) {
        int room = first ? w : w - indent;
        size_t n = canvas_wrap(text, room > 1 ? room : 1);
        size_t copy = n < sizeof line ? n : sizeof line - 1;
        memcpy(line, text, copy);
        line[copy] = '\0';
        put_line(o, first ? x : x + indent, room, line, style);
        text += n;
        while (*text == ' ')
            text++;
        first = false;
    }
}

/* The key table, one line per action (keys of one action joined). */
static void key_lines(HelpOut *o, int w, bool lm)
{
    int n;
    const KeyBinding *t = key_table(&n);
    put_line(o, 0, -1, msg(MSG_KEYS), STYLE_TITLE);
    bool beside = w - 2 - HELP_KEY_W >= HELP_TEXT_MIN_W;
    for (int i = 0; i < n; i++) {
        if ((i > 0 && t[i].help == t[i - 1].help) || (t[i].lm_only && !lm)) /* one line per action */
            continue;
        char label[64], folded[64];
        bool joined = i + 1 < n && t[i + 1].help == t[i].help;
        snprintf(label, sizeof label, "%s%s%s", key_label(&t[i], lang_current()),
                 joined ? ", " : "", joined ? key_label(&t[i + 1], lang_current()) : "");
        const char *shown = lang_shown(label, folded, sizeof folded);
        if (beside) {
            int y = o->line - o->scroll;
            if (o->c && y >= 0 && y < o->c->h - 1)
                canvas_text(o->c, y, 2, HELP_KEY_W, shown, STYLE_KEY);
            put_wrapped(o, 2 + HELP_KEY_W + 2, w - 4 - HELP_KEY_W, 2, msg(t[i].help), STYLE_LABEL);
        } else {
            put_line(o, 2, w - 2, shown, STYLE_KEY);
            put_wrapped(o, 4, w - 4, 2, msg(t[i].help), STYLE_LABEL);
        }
    }
}

/* What view v shows and its formulas, after a blank line and its name. */
static void explanation_lines(HelpOut *o, int w, int v)
{
    put_line(o, 0, -1, "", STYLE_NORMAL);
    put_line(o, 0, -1, view_name(v), STYLE_TITLE);
    const char *text = view_explanation(v);
    char buf[512];
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, text, len);
        buf[len] = '\0';
        int lead = (int)strspn(buf, " ");
        put_wrapped(o, 2 + lead, w - 2 - lead, 2, buf + lead, STYLE_NORMAL);
        text += len + (nl ? 1 : 0);
    }
}

/* The keys, then the view we came from, then the others in tab order. */
static int help_text(const Canvas *c, int scroll, ViewId from, int w, bool lm)
{
    HelpOut o = {c, scroll, 0};
    key_lines(&o, w, lm);
    int n = lm ? VIEW_HELP : VIEW_GENERATE; /* the views there are */
    for (int k = 0; k < n; k++)
        explanation_lines(&o, w, (from + k) % n);
    return o.line;
}

int view_help_lines(int w, bool lm)
{
    return help_text(NULL, 0, VIEW_DASHBOARD, w, lm);
}

int view_help_max_scroll(int h, int w, bool lm)
{
    int over = view_help_lines(w, lm) - (h - 1);
    return over > 0 ? over : 0;
}

void view_help_draw(const UiState *ui, const Canvas *c)
{
    int total = help_text(c, ui->help_scroll, ui->view_before_help, c->w, ui_is_lm(ui));
    int last = ui->help_scroll + c->h - 1;
    canvas_printf(c, c->h - 1, 0, -1, STYLE_DIM, msg(MSG_HELP_SCROLL), ui->help_scroll + 1,
                  last < total ? last : total, total);
}
