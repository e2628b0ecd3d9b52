/* The help screen, generated from the key table, then what each view shows
 * and its formulas. Scrolls with Up/Down. */
#include <string.h>

#include "app.h"
#include "keys.h"
#include "lang.h"
#include "plot.h"

static const MsgId view_names[VIEW_HELP] = {MSG_VIEW_DASHBOARD, MSG_VIEW_ATTENTION, MSG_VIEW_PE,
                                            MSG_VIEW_MODEL};

/* Draws line `index` of the help text when it is in the window; returns index + 1. */
static int help_line(const Canvas *c, int index, int scroll, int x, const char *text, int style)
{
    int y = index - scroll;
    if (y >= 0 && y < c->h - 1)
        canvas_text(c, y, x, -1, text, style);
    return index + 1;
}

void view_help_draw(UiState *ui, const Canvas *c)
{
    int n, line = 0, scroll = ui->help_scroll;
    const KeyBinding *t = key_table(&n);
    line = help_line(c, line, scroll, 0, msg(MSG_KEYS), STYLE_TITLE);
    for (int i = 0; i < n; i++) {
        if (i > 0 && t[i].help == t[i - 1].help) /* one line per action */
            continue;
        int y = line - scroll;
        if (y >= 0 && y < c->h - 1) {
            char label[48];
            strncpy(label, t[i].label, sizeof label - 1);
            label[sizeof label - 1] = '\0';
            if (i + 1 < n && t[i + 1].help == t[i].help) {
                strncat(label, ", ", sizeof label - strlen(label) - 1);
                strncat(label, t[i + 1].label, sizeof label - strlen(label) - 1);
            }
            canvas_text(c, y, 2, 30, label, STYLE_KEY);
            canvas_text(c, y, 34, -1, msg(t[i].help), STYLE_LABEL);
        }
        line++;
    }
    /* the view we came from first, then the others */
    for (int k = 0; k < VIEW_HELP; k++) {
        int v = (ui->view_before_help + k) % VIEW_HELP;
        line = help_line(c, line, scroll, 0, "", STYLE_NORMAL);
        line = help_line(c, line, scroll, 0, msg(view_names[v]), STYLE_TITLE);
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
    }
    if (ui->help_scroll > line - 1)
        ui->help_scroll = line > 0 ? line - 1 : 0;
    canvas_text(c, c->h - 1, 0, -1, msg(MSG_HELP_SCROLL), STYLE_DIM);
}
