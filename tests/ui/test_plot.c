/* Plot primitives drawn into an off-screen canvas, cells read back; colour
 * mode selection and the heat ramp. No terminal needed. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ui/colors.h"
#include "ui/plot.h"

static Theme theme_of(ColorMode mode, bool utf8)
{
    Theme t;
    theme_init(&t, mode, utf8);
    return t;
}

Test(colors, mode_selection)
{
    cr_expect_eq(color_mode_select(false, 0, false), COLOR_MODE_MONO);
    cr_expect_eq(color_mode_select(true, 8, false), COLOR_MODE_8);
    cr_expect_eq(color_mode_select(true, 16, false), COLOR_MODE_8);
    cr_expect_eq(color_mode_select(true, 88, false), COLOR_MODE_8);
    cr_expect_eq(color_mode_select(true, 256, false), COLOR_MODE_256);
    cr_expect_eq(color_mode_select(true, 16777216, false), COLOR_MODE_256);
    cr_expect_eq(color_mode_select(true, 256, true), COLOR_MODE_MONO, "NO_COLOR wins");
    cr_expect_eq(color_mode_select(true, 2, false), COLOR_MODE_MONO);
}

Test(colors, theme_tables)
{
    Theme mono = theme_of(COLOR_MODE_MONO, true);
    for (int s = 0; s < STYLE_TOTAL; s++)
        cr_expect_eq(mono.pair[s], 0, "style %d has a colour pair in monochrome", s);
    cr_expect(mono.attr[STYLE_CURSOR] & A_REVERSE);
    Theme c256 = theme_of(COLOR_MODE_256, true);
    for (int l = 0; l < HEAT_LEVELS; l++) {
        cr_expect_neq(c256.pair[STYLE_HEAT_0 + l], 0);
        for (int m = 0; m < l; m++)
            cr_expect_neq(c256.pair[STYLE_HEAT_0 + l], c256.pair[STYLE_HEAT_0 + m]);
    }
    cr_expect_eq(c256.pair[STYLE_NORMAL], 0);
    cr_expect_neq(c256.pair[STYLE_CURVE_TRAIN], c256.pair[STYLE_CURVE_VAL]);
}

Test(colors, heat_ramp)
{
    cr_expect_eq(heat_level(0.0f, 0.0f, 1.0f), 0);
    cr_expect_eq(heat_level(1.0f, 0.0f, 1.0f), HEAT_LEVELS - 1);
    cr_expect_eq(heat_level(5.0f, 0.0f, 1.0f), HEAT_LEVELS - 1);
    cr_expect_eq(heat_level(-5.0f, 0.0f, 1.0f), 0);
    cr_expect_eq(heat_level(NAN, 0.0f, 1.0f), 0);
    cr_expect_eq(heat_level(0.5f, 1.0f, 1.0f), 0, "empty range");
    int prev = 0;
    for (int i = 0; i <= 100; i++) {
        int l = heat_level((float)i / 100.0f, 0.0f, 1.0f);
        cr_expect_geq(l, prev);
        prev = l;
    }
    Theme mono_ascii = theme_of(COLOR_MODE_MONO, false);
    Theme mono_utf8 = theme_of(COLOR_MODE_MONO, true);
    Theme c8 = theme_of(COLOR_MODE_8, true);
    cr_expect_eq(heat_glyph(&mono_ascii, 0), L' ');
    cr_expect_eq(heat_glyph(&mono_ascii, HEAT_LEVELS - 1), L'@');
    cr_expect_eq(heat_glyph(&mono_utf8, HEAT_LEVELS - 1), L'\x2588');
    cr_expect_eq(heat_glyph(&c8, HEAT_LEVELS - 1), L' ', "colour modes paint the background");
}

Test(plot, heat_cells_and_mask)
{
    Theme t = theme_of(COLOR_MODE_256, true);
    Canvas c = canvas_offscreen(2, 6, &t);
    cr_assert_not_null(c.cells);
    plot_heat_cell(&c, 0, 0, 2, 1.0f, 0.0f, 1.0f, false);
    plot_heat_cell(&c, 0, 2, 2, 0.0f, 0.0f, 1.0f, false);
    plot_heat_cell(&c, 0, 4, 2, 0.7f, 0.0f, 1.0f, true);
    cr_expect_eq(canvas_style_at(&c, 0, 0), STYLE_HEAT_0 + HEAT_LEVELS - 1);
    cr_expect_eq(canvas_style_at(&c, 0, 1), STYLE_HEAT_0 + HEAT_LEVELS - 1);
    cr_expect_eq(canvas_style_at(&c, 0, 2), STYLE_HEAT_0);
    cr_expect_eq(canvas_style_at(&c, 0, 4), STYLE_MASKED);
    cr_expect_eq(canvas_style_at(&c, 0, 5), STYLE_MASKED);
    cr_expect_eq(canvas_glyph_at(&c, 0, 5), L'\x00b7');
    cr_expect_eq(canvas_style_at(&c, 1, 0), STYLE_NORMAL, "row 1 untouched");
    canvas_free_offscreen(&c);

    Theme a = theme_of(COLOR_MODE_MONO, false);
    c = canvas_offscreen(1, 3, &a);
    plot_heat_cell(&c, 0, 0, 1, 1.0f, 0.0f, 1.0f, false);
    plot_heat_cell(&c, 0, 1, 1, 0.0f, 0.0f, 1.0f, false);
    plot_heat_cell(&c, 0, 2, 1, 0.0f, 0.0f, 1.0f, true);
    char row[8];
    canvas_row_text(&c, 0, row, sizeof row);
    cr_expect_str_eq(row, "@ x");
    canvas_free_offscreen(&c);
}

Test(plot, line_plot_ascii_diagonal)
{
    Theme t = theme_of(COLOR_MODE_MONO, false);
    Canvas c = canvas_offscreen(2, 6, &t);
    float ys[6] = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
    plot_line(&c, 0, 0, 2, 6, NULL, ys, 6, 0.0f, 5.0f, 0.0f, 1.0f, STYLE_CURVE_TRAIN);
    char row[2][8];
    for (int r = 0; r < 2; r++)
        canvas_row_text(&c, r, row[r], sizeof row[r]);
    /* three heights per cell: '.', '-', '\'', lowest value bottom-left */
    cr_expect_str_eq(row[1], ".-'   ");
    cr_expect_str_eq(row[0], "   .-'");
    cr_expect_eq(canvas_style_at(&c, 1, 0), STYLE_CURVE_TRAIN);
    cr_expect_eq(canvas_style_at(&c, 0, 0), STYLE_NORMAL, "empty cells left untouched");
    /* a steep rise shows as '|' */
    Canvas d = canvas_offscreen(1, 2, &t);
    float steep[2] = {0.0f, 1.0f};
    plot_line(&d, 0, 0, 1, 2, NULL, steep, 2, 0.0f, 1.0f, 0.0f, 1.0f, STYLE_CURVE_TRAIN);
    canvas_row_text(&d, 0, row[0], sizeof row[0]);
    cr_expect_str_eq(row[0], ".|");
    canvas_free_offscreen(&c);
    canvas_free_offscreen(&d);
}

Test(plot, line_plot_braille_dots)
{
    Theme t = theme_of(COLOR_MODE_256, true);
    Canvas c = canvas_offscreen(2, 2, &t);
    /* a flat line at the top edge across the whole width: top dots of every cell */
    float ys[2] = {1.0f, 1.0f};
    plot_line(&c, 0, 0, 2, 2, NULL, ys, 2, 0.0f, 1.0f, 0.0f, 1.0f, STYLE_CURVE_VAL);
    cr_expect_eq(canvas_glyph_at(&c, 0, 0), (wchar_t)(0x2800 + 0x01 + 0x08));
    cr_expect_eq(canvas_glyph_at(&c, 0, 1), (wchar_t)(0x2800 + 0x01 + 0x08));
    cr_expect_eq(canvas_glyph_at(&c, 1, 0), L' ');
    /* a NaN breaks the line: two isolated points, nothing between them */
    Canvas d = canvas_offscreen(1, 4, &t);
    float xs[3] = {0.0f, 1.0f, 3.0f}, ys2[3] = {0.0f, NAN, 0.0f};
    plot_line(&d, 0, 0, 1, 4, xs, ys2, 3, 0.0f, 3.0f, 0.0f, 1.0f, STYLE_CURVE_VAL);
    cr_expect_eq(canvas_glyph_at(&d, 0, 0), (wchar_t)(0x2800 + 0x40));
    cr_expect_eq(canvas_glyph_at(&d, 0, 1), L' ');
    cr_expect_eq(canvas_glyph_at(&d, 0, 2), L' ');
    cr_expect_eq(canvas_glyph_at(&d, 0, 3), (wchar_t)(0x2800 + 0x80));
    canvas_free_offscreen(&c);
    canvas_free_offscreen(&d);
}

Test(plot, marker_sits_on_the_line_point)
{
    /* the point (3, 0.6) of a 0..5 x 0..1 plot: the cell plot_line puts its dot in */
    Theme ascii = theme_of(COLOR_MODE_MONO, false);
    Canvas c = canvas_offscreen(2, 6, &ascii);
    float ys[6] = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
    plot_line(&c, 0, 0, 2, 6, NULL, ys, 6, 0.0f, 5.0f, 0.0f, 1.0f, STYLE_CURVE_VAL);
    cr_expect_eq(canvas_glyph_at(&c, 0, 3), L'.');
    plot_marker(&c, 0, 0, 2, 6, 3.0f, 0.6f, 0.0f, 5.0f, 0.0f, 1.0f, STYLE_GOOD);
    cr_expect_eq(canvas_glyph_at(&c, 0, 3), L'*');
    cr_expect_eq(canvas_style_at(&c, 0, 3), STYLE_GOOD);
    plot_marker(&c, 0, 0, 2, 6, NAN, 0.6f, 0.0f, 5.0f, 0.0f, 1.0f, STYLE_GOOD);
    char row[2][8];
    for (int r = 0; r < 2; r++)
        canvas_row_text(&c, r, row[r], sizeof row[r]);
    cr_expect_str_eq(row[0], "   *-'", "one marker, the NaN point draws nothing");
    cr_expect_str_eq(row[1], ".-'   ");
    /* UTF-8: a diamond; out-of-range points are clamped to the edge like the line */
    Theme utf8 = theme_of(COLOR_MODE_256, true);
    Canvas d = canvas_offscreen(3, 4, &utf8);
    plot_marker(&d, 0, 0, 3, 4, 9.0f, -1.0f, 0.0f, 1.0f, 0.0f, 1.0f, STYLE_GOOD);
    cr_expect_eq(canvas_glyph_at(&d, 2, 3), (wchar_t)0x25c6);
    plot_marker(&d, 0, 0, 3, 4, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f, 1.0f, STYLE_GOOD);
    cr_expect_eq(canvas_glyph_at(&d, 0, 0), (wchar_t)0x25c6);
    cr_expect_eq(canvas_glyph_at(&d, 1, 1), L' ');
    canvas_free_offscreen(&c);
    canvas_free_offscreen(&d);
}

Test(plot, bars)
{
    Theme a = theme_of(COLOR_MODE_MONO, false);
    Canvas c = canvas_offscreen(1, 10, &a);
    plot_bar(&c, 0, 0, 10, 0.5f, STYLE_BAR, STYLE_BAR_EMPTY);
    char row[16];
    canvas_row_text(&c, 0, row, sizeof row);
    cr_expect_str_eq(row, "#####.....");
    plot_bar(&c, 0, 0, 10, 2.0f, STYLE_BAR, STYLE_BAR_EMPTY);
    canvas_row_text(&c, 0, row, sizeof row);
    cr_expect_str_eq(row, "##########", "clamped to 1");
    plot_bar(&c, 0, 0, 10, NAN, STYLE_BAR, STYLE_BAR_EMPTY);
    canvas_row_text(&c, 0, row, sizeof row);
    cr_expect_str_eq(row, "..........", "NaN draws empty");
    canvas_free_offscreen(&c);

    Theme u = theme_of(COLOR_MODE_256, true);
    c = canvas_offscreen(1, 10, &u);
    plot_bar(&c, 0, 0, 10, 0.55f, STYLE_BAR, STYLE_BAR_EMPTY);
    for (int i = 0; i < 5; i++)
        cr_expect_eq(canvas_glyph_at(&c, 0, i), L'\x2588');
    cr_expect_eq(canvas_glyph_at(&c, 0, 5), L'\x258c', "half block for 4/8");
    cr_expect_eq(canvas_style_at(&c, 0, 5), STYLE_BAR);
    cr_expect_eq(canvas_style_at(&c, 0, 6), STYLE_BAR_EMPTY);
    canvas_free_offscreen(&c);
}

Test(plot, box_and_title_and_clipping)
{
    Theme a = theme_of(COLOR_MODE_MONO, false);
    Canvas c = canvas_offscreen(4, 12, &a);
    plot_box(&c, 0, 0, 4, 12, "loss", STYLE_FRAME);
    char row[16];
    canvas_row_text(&c, 0, row, sizeof row);
    cr_expect_str_eq(row, "+- loss ---+");
    canvas_row_text(&c, 1, row, sizeof row);
    cr_expect_str_eq(row, "|          |");
    canvas_row_text(&c, 3, row, sizeof row);
    cr_expect_str_eq(row, "+----------+");
    cr_expect_eq(canvas_style_at(&c, 0, 3), STYLE_TITLE);
    /* a sub-canvas draws at its offset and clips at its own edge */
    Canvas s = canvas_sub(&c, 1, 1, 2, 3);
    canvas_text(&s, 0, 0, -1, "abcdef", STYLE_LABEL);
    canvas_put(&s, 5, 5, L'Z', STYLE_LABEL);
    canvas_put(&s, -1, 0, L'Z', STYLE_LABEL);
    canvas_row_text(&c, 1, row, sizeof row);
    cr_expect_str_eq(row, "|abc       |");
    canvas_row_text(&c, 0, row, sizeof row);
    cr_expect_str_eq(row, "+- loss ---+");
    canvas_free_offscreen(&c);
}

Test(plot, text_width_and_printf)
{
    Theme a = theme_of(COLOR_MODE_MONO, false);
    Canvas c = canvas_offscreen(1, 20, &a);
    int used = canvas_printf(&c, 0, 0, 8, STYLE_LABEL, "step %d", 12345);
    cr_expect_eq(used, 8);
    char row[24];
    canvas_row_text(&c, 0, row, sizeof row);
    cr_expect_eq(strncmp(row, "step 123 ", 9), 0, "'%s'", row);
    cr_expect_eq(text_width("hello"), 5);
    canvas_free_offscreen(&c);
}
