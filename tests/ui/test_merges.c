/* The Attention view's merges panel (`m`): a BPE tokenizer's merges listed in
 * rank order with the counts the tokenizer holds, scrolled by Up/Down and
 * PgUp/PgDn, searched with `/` (the selection jumps to the first merge whose
 * piece holds the text, n / N go on); a word model's panel says it has none.
 * Every line fits at 80x24 in English and in French. Read back from
 * off-screen canvases, keys through keys_dispatch. */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/bpe.h"
#include "ui/canvas.h"
#include "ui/frame.h"
#include "ui/keys.h"
#include "ui/lang.h"
#include "ui/state.h"
#include "ui/views.h"
#include "ui_fixture.h"

static UiState ui;
static Vocab *vocab;
static const Bpe *bpe;
static Theme mono, c256;
static TokenizerConfig tc = {TOKENIZER_BPE, true};
static const char *const labels[2] = {"negative", "positive"};

/* A made-up corpus with words that share pieces (watch, able, un...). */
static const char *const words[] = {"unwatchable", "watchable", "watching", "unable", "able",
                                    "the", "movie", "thematic", "moving", "remove", "tables",
                                    "unmovable", "watchers", "the", "the", "themes"};

static void setup(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    lang_set(LANG_EN);
    lang_set_utf8(true);
    theme_init(&mono, COLOR_MODE_MONO, true);
    theme_init(&c256, COLOR_MODE_256, true);
    enum { N = 200 };
    char text[N][32];
    const char *texts[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) { /* words 0-6 twice as often as the others */
        const int W = (int)(sizeof words / sizeof words[0]);
        snprintf(text[i], sizeof text[i], "a %s b", words[(i % 23) % W]);
        texts[i] = text[i];
        lens[i] = strlen(text[i]);
    }
    char err[256] = "";
    Bpe *learned = bpe_learn(texts, lens, N, 60, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    cr_assert_not_null(learned, "%s", err);
    vocab = vocab_from_bpe(learned, 2, err, sizeof err);
    cr_assert_not_null(vocab, "%s", err);
    bpe = vocab_bpe(vocab);
    cr_assert_gt(bpe_num_merges(bpe), 30, "enough merges to scroll at 80x24");
    ModelConfig mc = model_config_default();
    mc.vocab_size = vocab_size(vocab);
    mc.d_model = 32;
    mc.num_heads = 2;
    mc.d_ff = 64;
    mc.num_layers = 2;
    mc.max_len = 10;
    cr_assert_eq(ui_state_init(&ui, &mc, &tc, vocab, labels, 2, "unwatchable", err, sizeof err),
                 0, "%s", err);
    ui_state_resized(&ui, 24, 80);
    ui.view = VIEW_ATTENTION;
    ui_state_run_sentence(&ui);
}

static void teardown(void)
{
    ui_state_free(&ui);
    vocab_free(vocab);
}

TestSuite(merges, .init = setup, .fini = teardown);

/* The whole screen at 80x24, as the frame draws it. */
static Canvas draw_screen(const Theme *t)
{
    Canvas c = canvas_offscreen(24, 80, t);
    ui.bottom = frame_bottom_line(&ui, 1e9, 0);
    frame_draw(&ui, &c);
    return c;
}

static int press(int key) { return keys_dispatch(&ui, key, key >= KEY_MIN); }

static void type(const char *s)
{
    for (; *s; s++)
        press((unsigned char)*s);
}

/* The first row of the list: the panel starts under the tab bar, the input
 * line, layer and head, the pieces and the panel's name (row 5), then its
 * search line and column names. */
#define LIST_ROW 7

/* Reads a list row: its mark, rank and count (the last number on the row). */
static bool read_row(const Canvas *c, int y, char *mark, int *rank, long long *count)
{
    char row[81];
    canvas_row_text(c, y, row, sizeof row);
    *mark = row[0];
    char *end = row + strlen(row);
    while (end > row && end[-1] == ' ')
        end--;
    *end = '\0';
    char *last = strrchr(row, ' ');
    return sscanf(row + 1, "%d", rank) == 1 && last && sscanf(last, "%lld", count) == 1;
}

/* Rank, parts and count of the rows from LIST_ROW on equal the tokenizer's,
 * from rank `first`. Returns the rows read. */
static int expect_rows_from(const Canvas *c, int first)
{
    int rows = 0;
    for (int y = LIST_ROW; y < 24; y++) {
        char mark;
        int rank;
        long long count;
        if (!read_row(c, y, &mark, &rank, &count))
            break;
        int left, right;
        int64_t want;
        cr_assert_eq(bpe_merge(bpe, rank - 1, &left, &right, &want), 0, "rank %d", rank);
        cr_expect_eq(rank, first + rows, "row %d", y);
        cr_expect_eq(count, (long long)want, "rank %d", rank);
        /* the parts and the piece, quoted, in that order */
        char row[81], piece[3][40];
        canvas_row_text(c, y, row, sizeof row);
        const int ids[3] = {left, right, BPE_NUM_BYTES + rank - 1};
        const char *at = row;
        for (int k = 0; k < 3; k++) {
            size_t len;
            const unsigned char *b = bpe_token_bytes(bpe, ids[k], &len);
            snprintf(piece[k], sizeof piece[k], "\"%.*s\"", (int)len, (const char *)b);
            at = at ? strstr(at, piece[k]) : NULL;
            cr_expect(at, "rank %d: no %s in order: %s", rank, piece[k], row);
            at = at ? at + strlen(piece[k]) : NULL;
        }
        rows++;
    }
    return rows;
}

Test(merges, the_list_is_in_rank_order_with_the_tokenizers_counts)
{
    press('m');
    cr_assert_eq(ui.panel, PANEL_MERGES);
    Canvas c = draw_screen(&c256);
    int rows = expect_rows_from(&c, 1);
    cr_expect_eq(rows, 24 - 1 - LIST_ROW - 3, "the list down to the prediction's 3 rows");
    char mark;
    int rank;
    long long count;
    read_row(&c, LIST_ROW, &mark, &rank, &count);
    cr_expect_eq(mark, '>', "rank 1 selected");
    cr_expect_eq(canvas_style_at(&c, LIST_ROW, 10), STYLE_CURSOR);
    canvas_free_offscreen(&c);
}

Test(merges, scrolling_moves_the_selection_and_the_list)
{
    press('m');
    press(KEY_DOWN);
    press(KEY_DOWN);
    cr_expect_eq(ui.merge_sel, 2);
    press(KEY_NPAGE);
    int page = merges_panel_rows(&ui);
    cr_expect_eq(ui.merge_sel, 2 + page);
    Canvas c = draw_screen(&mono);
    /* the selection in the middle of the list */
    char mark;
    int rank;
    long long count;
    bool found = false;
    for (int y = LIST_ROW; y < 24 && read_row(&c, y, &mark, &rank, &count); y++)
        if (mark == '>') {
            found = true;
            cr_expect_eq(rank, ui.merge_sel + 1);
            expect_rows_from(&c, rank - (y - LIST_ROW));
        }
    cr_expect(found, "no selected row");
    canvas_free_offscreen(&c);
    press(KEY_END);
    cr_expect_eq(ui.merge_sel, bpe_num_merges(bpe) - 1);
    press(KEY_DOWN);
    cr_expect_eq(ui.merge_sel, bpe_num_merges(bpe) - 1, "kept within the merges");
    press(KEY_HOME);
    press(KEY_UP);
    cr_expect_eq(ui.merge_sel, 0);
    cr_expect_eq(ui.layer, 0, "Up/Down scroll the merges, not the layers");
}

/* The merges whose piece contains s, in rank order, found without the UI. */
static int matches_of(const char *s, int *out, int max)
{
    int n = 0;
    for (int i = 0; i < bpe_num_merges(bpe); i++) {
        size_t len;
        const unsigned char *b = bpe_token_bytes(bpe, BPE_NUM_BYTES + i, &len);
        char piece[64];
        snprintf(piece, sizeof piece, "%.*s", (int)len, (const char *)b);
        if (strstr(piece, s) && n < max)
            out[n++] = i;
    }
    return n;
}

Test(merges, search_jumps_to_the_first_match_and_n_goes_on)
{
    int want[64];
    int n = matches_of("atch", want, 64);
    cr_assert_geq(n, 2, "the corpus has watch, watching, watchers");
    press('m');
    press('/');
    cr_expect(ui.searching);
    type("atch");
    cr_expect_eq(ui.merge_sel, want[0]);
    cr_expect_eq(ui.merge_matches, n);
    /* while typing: the text and the number of matches on the panel's first row */
    Canvas c = draw_screen(&c256);
    char row[81], expect[81];
    canvas_row_text(&c, LIST_ROW - 2, row, sizeof row);
    snprintf(expect, sizeof expect, "search: atch   %d merges contain it (n/N)", n);
    cr_expect_eq(strncmp(row, expect, strlen(expect)), 0, "row: %s", row);
    canvas_row_text(&c, 23, row, sizeof row);
    cr_expect(strstr(row, "Enter/Esc done"), "the search's keys: %s", row);
    canvas_free_offscreen(&c);
    press('\n');
    cr_expect(!ui.searching);
    press('n');
    cr_expect_eq(ui.merge_sel, want[1]);
    press('N');
    cr_expect_eq(ui.merge_sel, want[0]);
    press('N');
    cr_expect_eq(ui.merge_sel, want[n - 1], "wraps to the last match");
    /* the selected row is the match, its piece holds the text */
    c = draw_screen(&mono);
    bool seen = false;
    for (int y = LIST_ROW; y < 24; y++) {
        canvas_row_text(&c, y, row, sizeof row);
        if (row[0] == '>') {
            seen = true;
            cr_expect_eq(atoi(row + 1), want[n - 1] + 1);
            cr_expect(strstr(row, "atch"), "row: %s", row);
        }
    }
    cr_expect(seen);
    canvas_free_offscreen(&c);
    /* a new search starts where the selection is, that merge included */
    press(KEY_UP);
    press('/');
    type("atch");
    cr_expect_eq(ui.merge_sel, want[n - 1], "the next match from merge %d", want[n - 1] - 1);
    press('\n');
    press('/');
    type("atch");
    cr_expect_eq(ui.merge_sel, want[n - 1], "the selection matches already");
}

Test(merges, a_search_without_match_says_so_and_stays)
{
    press('m');
    press(KEY_DOWN);
    press('/');
    type("zq");
    cr_expect_eq(ui.merge_matches, 0);
    cr_expect_eq(ui.merge_sel, 1, "where the search started");
    press(127); /* Backspace */
    cr_expect_str_eq(ui.merge_search, "z");
    press(27); /* Esc leaves, the text stays */
    cr_expect(!ui.searching);
    cr_expect_str_eq(ui.merge_search, "z");
    press('/');
    cr_expect_str_eq(ui.merge_search, "", "a new search");
    cr_expect(ui.searching && !ui.editing, "on the merges panel `/` searches");
    press(27);
    press('m'); /* off the merges panel, `/` edits the sentence again */
    cr_expect_eq(ui.panel, PANEL_STEPS);
    press('/');
    cr_expect(ui.editing && !ui.searching);
}

/* Bytes that are not a whole character are escaped: a merge of the two bytes
 * of e-acute is not needed for them to show, the byte pieces are \xHH. */
Test(merges, pieces_are_shown_by_token_display)
{
    char shown[32];
    token_display("\xc3", 1, shown);
    cr_expect_str_eq(shown, "\\xC3");
    press('m');
    /* find a merge whose part is a single byte and check its quoted display */
    Canvas c = draw_screen(&mono);
    char row[81];
    canvas_row_text(&c, LIST_ROW, row, sizeof row);
    int left;
    bpe_merge(bpe, 0, &left, NULL, NULL);
    size_t len;
    const unsigned char *b = bpe_token_bytes(bpe, left, &len);
    token_display((const char *)b, len, shown);
    char quoted[40];
    snprintf(quoted, sizeof quoted, "\"%s\"", shown);
    cr_expect(strstr(row, quoted), "%s in %s", quoted, row);
    canvas_free_offscreen(&c);
}

/* Each line of the panel whole at 80 columns: its last character where the
 * text ends, in both languages, searching and not. */
static void expect_fits(Lang lang)
{
    lang_set(lang);
    ui.panel = PANEL_MERGES;
    ui.merge_sel = 0;
    press('/');
    type("a");
    Canvas c = draw_screen(&c256);
    char found[128], row[81];
    snprintf(found, sizeof found, msg(MSG_MERGES_FOUND), ui.merge_matches);
    cr_expect_leq(text_width(msg(MSG_SEARCH_KEYS)), 80, "%s", msg(MSG_SEARCH_KEYS));
    cr_expect_leq(text_width(msg(MSG_PANEL_MERGES)), 80, "%s", msg(MSG_PANEL_MERGES));
    int x = text_width(msg(MSG_MERGES_SEARCH)) + 1 + 1 + 2 + text_width(found);
    cr_expect_leq(x, 80 - 12, "room for the window: %s", found);
    cr_expect_eq(canvas_glyph_at(&c, LIST_ROW - 2, x - 1), L')', "the matches whole");
    canvas_row_text(&c, LIST_ROW - 2, row, sizeof row);
    cr_expect_eq(row[79], '0' + bpe_num_merges(bpe) % 10, "the window whole: %s", row);
    canvas_free_offscreen(&c);
    press('\n');
    ui.merge_search[0] = '\0';
    c = draw_screen(&mono);
    char hint[128];
    snprintf(hint, sizeof hint, msg(MSG_MERGES_HINT), 65536);
    cr_expect_leq(text_width(hint) + 2 + text_width("65000-65536 of 65536"), 80, "%s", hint);
    snprintf(hint, sizeof hint, msg(MSG_MERGES_HINT), bpe_num_merges(bpe));
    cr_expect_eq(canvas_glyph_at(&c, LIST_ROW - 2, text_width(hint) - 1), L')', "the hint whole");
    canvas_free_offscreen(&c);
    lang_set(LANG_EN);
}

Test(merges, every_line_fits_at_80x24_in_english_and_french)
{
    expect_fits(LANG_EN);
    expect_fits(LANG_FR);
}

Test(merges, a_word_model_has_none_and_says_so)
{
    UiState w;
    setlocale(LC_ALL, "C.UTF-8");
    lang_set(LANG_EN);
    fixture_open(&w, 64);
    ui_state_resized(&w, 24, 80);
    w.view = VIEW_ATTENTION;
    int keys[] = {'m', KEY_DOWN, KEY_NPAGE, KEY_END, '/', 'x', '\n', 'n', 'N', KEY_HOME};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        keys_dispatch(&w, keys[i], keys[i] >= KEY_MIN);
    cr_expect_eq(w.panel, PANEL_MERGES);
    cr_expect_eq(w.merge_sel, 0);
    cr_expect_eq(w.merge_matches, 0);
    cr_expect(!w.searching, "no search without merges: `/` edited the sentence");
    cr_expect_str_eq(w.sentence, "the movie was greatx");
    Theme t;
    theme_init(&t, COLOR_MODE_MONO, true);
    Canvas c = canvas_offscreen(24, 80, &t);
    w.bottom = frame_bottom_line(&w, 1e9, 0);
    frame_draw(&w, &c);
    char *text = fixture_text(&c);
    cr_expect(strstr(text, "No merges: this model's tokens are words"), "%s", text);
    cr_expect(!strstr(text, "pieces "), "no pieces line for words:\n%s", text);
    free(text);
    canvas_free_offscreen(&c);
    fixture_close(&w);
}
