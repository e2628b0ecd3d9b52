/* The training thread's events (src/snapshot.h: TrainEvent) in the interface's
 * language: the thread says what happened, the UI words it. */
#ifndef MINILLM_UI_EVENTS_H
#define MINILLM_UI_EVENTS_H

#include <stddef.h>

#include "src/snapshot.h"

/* The event as one line of the current language (lang_set); "" for none. */
void train_event_text(const TrainEvent *e, char *out, size_t len);

#endif
