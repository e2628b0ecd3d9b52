/* The help screen, generated from the key table, then what each view shows
 * and its formulas. Scrolls with Up/Down. */
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "lang.h"
#include "plot.h"
#include "views.h"

/* Line `index` of the help text when it is in the window (c NULL: count only);
 * returns index + 1. */
static int help_line(const Canvas *c, int index, int scroll, int x, const char *text, int style)
{
    int y = index - scroll;
    if (c && y >= 0 && y < c->h - 1)
        canvas_text(c, y, x, -1, text, style);
    return index + 1;
}

/* The key table, one line per action (keys of one action joined). */
static int key_lines(const Canvas *c, int line, int scroll)
{
    int n;
    const KeyBinding *t = key_table(&n);
    line = help_line(c, line, scroll, 0, msg(MSG_KEYS), STYLE_TITLE);
    for (int i = 0; i < n; i++) {
        if (i > 0 && t[i].help == t[i - 1].help) /* one line per action */
            continue;
        int y = line - scroll;
        if (c && y >= 0 && y < c->h - 1) {
            char label[48];
            snprintf(label, sizeof label, "%s%s%s", t[i].label,
                     i + 1 < n && t[i + 1].help == t[i].help ? ", " : "",
                     i + 1 < n && t[i + 1].help == t[i].help ? t[i + 1].label : "");
            canvas_text(c, y, 2, 30, label, STYLE_KEY);
            canvas_text(c, y, 34, -1, msg(t[i].help), STYLE_LABEL);
        }
        line++;
    }
    return line;
}

/* What view v shows and its formulas, after a blank line and its name. */
static int explanation_lines(const Canvas *c, int line, int scroll, int v)
{
    line = help_line(c, line, scroll, 0, "", STYLE_NORMAL);
    line = help_line(c, line, scroll, 0, view_name(v), STYLE_TITLE);
    const char *text = view_explanation(v, lang_current());
    char buf[256];
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, text, len);
        buf[len] = '\0';
        line = help_line(c, line, scroll, 2, buf, STYLE_NORMAL);
        text += len + (nl ? 1 : 0);
        if (!nl)
            break;
    }
    return line;
}

/* The keys, then the view we came from first, then the others; c NULL counts. */
static int help_text(const Canvas *c, int scroll, ViewId from)
{
    int line = key_lines(c, 0, scroll);
    for (int k = 0; k < VIEW_HELP; k++)
        line = explanation_lines(c, line, scroll, (from + k) % VIEW_HELP);
    return line;
}

int view_help_lines(void)
{
    return help_text(NULL, 0, VIEW_DASHBOARD);
}

void view_help_draw(const UiState *ui, const Canvas *c)
{
    help_text(c, ui->help_scroll, ui->view_before_help);
    canvas_text(c, c->h - 1, 0, -1, msg(MSG_HELP_SCROLL), STYLE_DIM);
}
