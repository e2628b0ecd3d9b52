/* Views taller than the terminal: their panels, in order, are cut into pages
 * (v / V turn them); a page holds the consecutive panels whose least heights
 * fit, and shares the rows left over among them by weight. A panel taller
 * than the body gets a page of its own and what rows there are. */
#ifndef MINILLM_UI_PAGES_H
#define MINILLM_UI_PAGES_H

/* Most panels a view has. */
#define PAGES_MAX_PANELS 8

typedef struct {
    int min_h;  /* rows it needs */
    int grow;   /* its share of the rows left over (0: none) */
} PanelSize;

/* Where each panel goes in a body of h rows. */
typedef struct {
    int count;                      /* pages */
    int page_of[PAGES_MAX_PANELS];  /* page of each panel */
    int y[PAGES_MAX_PANELS];        /* first row on its page */
    int h[PAGES_MAX_PANELS];        /* rows */
} PageLayout;

/* n <= PAGES_MAX_PANELS panels into pages of h rows. */
PageLayout pages_layout(const PanelSize *p, int n, int h);

#endif
