/* The colour table (see colors.h). */
#include "colors.h"


typedef struct {
    short fg8, fg256;
    attr_t mono, extra;
} StyleSpec;

#define UI_STYLE_SPEC(name, c8, c256, mono_attr, extra_attr) {c8, c256, mono_attr, extra_attr},
static const StyleSpec style_specs[STYLE_COUNT] = {UI_STYLES(UI_STYLE_SPEC)};
#undef UI_STYLE_SPEC

/* Background colours, dark to bright. 256: a blue-green-yellow ramp close to
 * viridis from the xterm cube; 8: the darkest to brightest basic colours. */
static const short heat_bg256[HEAT_LEVELS] = {233, 17, 18, 25, 31, 37, 72, 113, 184, 226};
static const short heat_bg8[HEAT_LEVELS] = {
    COLOR_BLACK, COLOR_BLUE, COLOR_BLUE, COLOR_MAGENTA, COLOR_RED,
    COLOR_CYAN,  COLOR_GREEN, COLOR_GREEN, COLOR_YELLOW, COLOR_WHITE};
/* Monochrome shade ramps, one distinct glyph per level, sparse to dense (UTF-8:
 * small ASCII marks below the three block shades and the full block). */
static const wchar_t heat_shade_utf8[HEAT_LEVELS] = {
    L' ', L'.', L':', L'-', L'=', L'+', L'\x2591', L'\x2592', L'\x2593', L'\x2588'};
static const wchar_t heat_shade_ascii[HEAT_LEVELS] = {
    L' ', L'.', L':', L'-', L'=', L'+', L'*', L'#', L'%', L'@'};

ColorMode color_mode_select(bool has_colors, int num_colors, bool no_color)
{
    if (no_color || !has_colors || num_colors < 8)
        return COLOR_MODE_MONO;
    return num_colors >= 256 ? COLOR_MODE_256 : COLOR_MODE_8;
}

void theme_init(Theme *t, ColorMode mode, bool utf8)
{
    t->mode = mode;
    t->utf8 = utf8;
    for (int s = 0; s < STYLE_COUNT; s++) {
        if (mode == COLOR_MODE_MONO) {
            t->attr[s] = style_specs[s].mono;
            t->pair[s] = 0;
        } else {
            t->attr[s] = style_specs[s].extra;
            t->pair[s] = style_specs[s].fg8 < 0 ? 0 : (short)(s + 1);
        }
    }
    for (int l = 0; l < HEAT_LEVELS; l++) {
        int s = STYLE_HEAT_0 + l;
        t->attr[s] = A_NORMAL;
        t->pair[s] = mode == COLOR_MODE_MONO ? 0 : (short)(s + 1);
    }
}

void theme_apply_pairs(const Theme *t, bool default_bg)
{
    short bg_default = default_bg ? -1 : COLOR_BLACK;
    if (t->mode == COLOR_MODE_MONO)
        return;
    for (int s = 0; s < STYLE_COUNT; s++) {
        if (t->pair[s] == 0)
            continue;
        short fg = t->mode == COLOR_MODE_256 ? style_specs[s].fg256 : style_specs[s].fg8;
        init_pair(t->pair[s], fg, bg_default);
    }
    for (int l = 0; l < HEAT_LEVELS; l++) {
        int s = STYLE_HEAT_0 + l;
        short bg = t->mode == COLOR_MODE_256 ? heat_bg256[l] : heat_bg8[l];
        /* text drawn over a cell (the cursor value) stays readable */
        short fg = l < HEAT_LEVELS * 6 / 10 ? COLOR_WHITE : COLOR_BLACK;
        init_pair(t->pair[s], fg, bg);
    }
}

int heat_level(float v, float lo, float hi)
{
    if (!(v == v) || !(hi > lo))
        return 0;
    float f = (v - lo) / (hi - lo);
    if (f <= 0.0f)
        return 0;
    if (f >= 1.0f)
        return HEAT_LEVELS - 1;
    int l = (int)(f * HEAT_LEVELS);
    return l >= HEAT_LEVELS ? HEAT_LEVELS - 1 : l;
}

wchar_t heat_glyph(const Theme *t, int level)
{
    if (level < 0)
        level = 0;
    if (level >= HEAT_LEVELS)
        level = HEAT_LEVELS - 1;
    if (t->mode != COLOR_MODE_MONO)
        return L' ';
    return t->utf8 ? heat_shade_utf8[level] : heat_shade_ascii[level];
}
