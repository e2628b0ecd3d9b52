/* The screens of the visualiser, in tab order (keys 1-5, then ?). Generate
 * (5) exists for a language model only: a classifier's tabs, keys and help skip it. */
#ifndef MINILLM_UI_VIEW_ID_H
#define MINILLM_UI_VIEW_ID_H

typedef enum { VIEW_DASHBOARD = 0, VIEW_ATTENTION, VIEW_PE, VIEW_MODEL, VIEW_GENERATE, VIEW_HELP, VIEW_COUNT } ViewId;

#endif
