/* The one colour table: every drawn element has a Style; a Theme maps styles to
 * curses attributes for the terminal's colour mode (256 / 8 / monochrome), and
 * heat-map values to a ramp of colours or, in monochrome, shade characters. */
#ifndef MINILLM_UI_COLORS_H
#define MINILLM_UI_COLORS_H

#include <stdbool.h>
#include <wchar.h>

#include <curses.h>

/* X(name, fg for 8 colours, fg for 256 colours, monochrome attribute, extra attribute) */
#define UI_STYLES(X)                                              \
    X(STYLE_NORMAL,      -1,            -1,  A_NORMAL,  A_NORMAL) \
    X(STYLE_TITLE,       COLOR_CYAN,    75,  A_BOLD,    A_BOLD)   \
    X(STYLE_LABEL,       COLOR_WHITE,   250, A_NORMAL,  A_NORMAL) \
    X(STYLE_DIM,         COLOR_BLUE,    242, A_DIM,     A_NORMAL) \
    X(STYLE_FRAME,       COLOR_BLUE,    60,  A_NORMAL,  A_NORMAL) \
    X(STYLE_KEY,         COLOR_YELLOW,  221, A_BOLD,    A_BOLD)   \
    X(STYLE_CURVE_TRAIN, COLOR_CYAN,    81,  A_BOLD,    A_NORMAL) \
    X(STYLE_CURVE_VAL,   COLOR_YELLOW,  214, A_NORMAL,  A_NORMAL) \
    X(STYLE_CURVE_3,     COLOR_GREEN,   114, A_BOLD,    A_NORMAL) \
    X(STYLE_CURVE_4,     COLOR_MAGENTA, 176, A_NORMAL,  A_NORMAL) \
    X(STYLE_BAR,         COLOR_GREEN,   77,  A_REVERSE, A_NORMAL) \
    X(STYLE_BAR_EMPTY,   COLOR_BLUE,    237, A_DIM,     A_NORMAL) \
    X(STYLE_GOOD,        COLOR_GREEN,   78,  A_BOLD,    A_BOLD)   \
    X(STYLE_BAD,         COLOR_RED,     203, A_BOLD,    A_BOLD)   \
    X(STYLE_WARN,        COLOR_YELLOW,  220, A_BOLD,    A_BOLD)   \
    X(STYLE_MASKED,      COLOR_RED,     239, A_DIM,     A_NORMAL) \
    X(STYLE_CURSOR,      COLOR_WHITE,   231, A_REVERSE, A_BOLD)   \
    X(STYLE_INPUT,       COLOR_WHITE,   255, A_UNDERLINE, A_UNDERLINE) \
    X(STYLE_STATUS,      COLOR_WHITE,   253, A_REVERSE, A_NORMAL) \
    X(STYLE_TAB,         COLOR_WHITE,   231, A_REVERSE, A_REVERSE | A_BOLD)

#define UI_STYLE_ENUM(name, c8, c256, mono, extra) name,
typedef enum { UI_STYLES(UI_STYLE_ENUM) STYLE_COUNT } StyleId;
#undef UI_STYLE_ENUM

/* Heat-map ramp: styles STYLE_HEAT_0 .. STYLE_HEAT_0 + HEAT_LEVELS - 1 follow
 * the named styles, low to high. */
#define HEAT_LEVELS 10
#define STYLE_HEAT_0 STYLE_COUNT
#define STYLE_TOTAL (STYLE_COUNT + HEAT_LEVELS)

typedef enum { COLOR_MODE_MONO = 0, COLOR_MODE_8 = 8, COLOR_MODE_256 = 256 } ColorMode;

/* Picks the mode from what the terminal offers (has_colors(), COLORS) and NO_COLOR. */
ColorMode color_mode_select(bool has_colors, int num_colors, bool no_color);

typedef struct {
    ColorMode mode;
    bool utf8;                  /* block and braille glyphs, else ASCII */
    attr_t attr[STYLE_TOTAL];   /* attributes, pair excluded */
    short pair[STYLE_TOTAL];    /* colour pair, 0 = default */
} Theme;

/* Fills the table for a mode; needs no terminal. */
void theme_init(Theme *t, ColorMode mode, bool utf8);
/* Registers the colour pairs with curses (after start_color()). default_bg:
 * the terminal's own background is available (use_default_colors() worked),
 * else text is drawn on black. */
void theme_apply_pairs(const Theme *t, bool default_bg);

/* Heat level 0..HEAT_LEVELS-1 of a value in [lo, hi] (clamped; NaN -> 0). */
int heat_level(float v, float lo, float hi);
/* The glyph of a heat cell: a space on a coloured background, or in
 * monochrome a shade character (block shades in UTF-8, ASCII density ramp). */
wchar_t heat_glyph(const Theme *t, int level);

#endif
