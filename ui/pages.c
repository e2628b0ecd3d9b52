/* Panels cut into pages: see pages.h. */
#include "pages.h"

/* The leftover rows of a page shared by weight, in panel order. */
static void place_page(const PanelSize *p, int first, int end, int h, PageLayout *out)
{
    int used = 0, weight = 0;
    for (int i = first; i < end; i++) {
        used += p[i].min_h;
        weight += p[i].grow;
    }
    int left = h - used > 0 ? h - used : 0, y = 0, given = 0, seen = 0;
    for (int i = first; i < end; i++) {
        int extra = 0;
        if (weight > 0 && p[i].grow > 0) {
            seen += p[i].grow;
            extra = left * seen / weight - given; /* the rounding goes to the last */
            given += extra;
        }
        out->y[i] = y;
        out->h[i] = p[i].min_h + extra < h - y ? p[i].min_h + extra : h - y;
        y += out->h[i];
    }
}

PageLayout pages_layout(const PanelSize *p, int n, int h)
{
    PageLayout out = {0};
    n = n < PAGES_MAX_PANELS ? n : PAGES_MAX_PANELS;
    int first = 0;
    while (first < n) {
        int end = first + 1, used = p[first].min_h;
        while (end < n && used + p[end].min_h <= h)
            used += p[end++].min_h;
        for (int i = first; i < end; i++)
            out.page_of[i] = out.count;
        place_page(p, first, end, h, &out);
        out.count++;
        first = end;
    }
    return out;
}
