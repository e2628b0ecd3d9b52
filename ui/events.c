/* See events.h. */
#include "events.h"

#include <stdio.h>

#include "lang.h"

void train_event_text(const TrainEvent *e, char *out, size_t len)
{
    switch (e->kind) {
    case TRAIN_EVENT_NONE:
        snprintf(out, len, "%s", "");
        return;
    case TRAIN_EVENT_SAVED:
        snprintf(out, len, msg(MSG_EV_SAVED), e->text, e->step);
        return;
    case TRAIN_EVENT_SAVED_BEST:
        if (e->is_lm)
            snprintf(out, len, msg(MSG_EV_SAVED_BEST_LM), e->value, e->step, e->text);
        else
            snprintf(out, len, msg(MSG_EV_SAVED_BEST), 100.0 * e->value, e->step, e->text);
        return;
    case TRAIN_EVENT_SAVE_FAILED:
        snprintf(out, len, msg(MSG_EV_SAVE_FAILED), e->text);
        return;
    case TRAIN_EVENT_LR:
        snprintf(out, len, msg(MSG_EV_LR), e->value);
        return;
    case TRAIN_EVENT_PACE:
        if (e->value <= 0.0)
            snprintf(out, len, "%s", msg(MSG_EV_PACE_MAX));
        else
            snprintf(out, len, msg(MSG_EV_PACE), e->value);
        return;
    case TRAIN_EVENT_RESTARTED:
        snprintf(out, len, msg(MSG_EV_RESTARTED), (unsigned long long)e->seed);
        return;
    case TRAIN_EVENT_COMPLETE:
        snprintf(out, len, "%s", msg(MSG_EV_COMPLETE));
        return;
    case TRAIN_EVENT_NOTHING_LEFT:
        snprintf(out, len, msg(MSG_EV_NOTHING_LEFT), e->step, e->total);
        return;
    case TRAIN_EVENT_ERROR:
        snprintf(out, len, msg(MSG_EV_ERROR), e->text);
        return;
    }
    snprintf(out, len, "%s", e->text);
}
