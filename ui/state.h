/* The UI's state (UI thread only). The views read it and take it const; it is
 * written in three places, each keeping every index within range:
 *   - the key handlers (keys.c): the view, the attention selection and cursor,
 *     the Attention view's panel and step, the what-if, the PE cursor and
 *     waves, the pages, the log scale, the sentence, the help scroll, the
 *     merges panel's selection and search (merges.c);
 *   - the main loop when data arrives (ui_state_refresh, ui_state_run_sentence,
 *     ui_state_resized): this frame's snapshot copy, newer weights and the PE
 *     table, the schedule's curve, the examples' predictions, the sentence's
 *     forward and the lessons' numbers (and the cursor, kept within its
 *     tokens), the terminal's size (and the pages, kept within their count);
 *   - the set-up (ui_state_init and ui_run): what the run is, once. */
#ifndef MINILLM_UI_STATE_H
#define MINILLM_UI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "colors.h"
#include "examples.h"
#include "gen.h"
#include "gen_timing.h"
#include "infer.h"
#include "lesson.h"
#include "model/optim.h"
#include "pe_table.h"
#include "src/checkpoint.h"
#include "src/train_thread.h"
#include "view_id.h"

/* Smallest terminal the views are drawn in; below it a message replaces them. */
#define UI_MIN_COLS 60
#define UI_MIN_LINES 18
/* The input line holds this many bytes (a pasted paragraph fits). */
#define UI_SENTENCE_MAX 1024
/* The merges panel's search line holds this many bytes. */
#define UI_SEARCH_MAX 64

/* What the Attention view shows: the step panel (lesson 1, notebook 1), every
 * head of the layer side by side (`a`, notebook 2), one query token's weights
 * in every head (`f`, the token focus), the sentence's tokens (`t`) or the BPE
 * tokenizer's merges in order (`m`). */
typedef enum { PANEL_STEPS = 0, PANEL_HEADS, PANEL_FOCUS, PANEL_TOKENS, PANEL_MERGES } AttentionPanel;
/* The steps of self-attention, walked with v / V. */
typedef enum {
    STEP_QKV = 0,   /* q, k, v of each token; q . k per dimension on the cursor */
    STEP_RAW,       /* q k^T */
    STEP_SCALED,    /* q k^T / sqrt(d_k), with the spread before and after */
    STEP_MASK,      /* + the mask (-inf) */
    STEP_SOFTMAX,   /* the weights */
    STEP_OUTPUT,    /* sum of weights x v */
    STEP_COUNT
} AttentionStep;
/* Points of the learning-rate schedule drawn on the dashboard. */
#define UI_LR_POINTS 200

/* What the bottom line shows, by priority: the input line or its keys while
 * typing, a training error, the last event (for a few seconds), the set-up's
 * note (until Esc), the key hints. */
typedef enum { BOTTOM_HINTS, BOTTOM_EDIT, BOTTOM_STATUS, BOTTOM_NOTE } BottomLine;

typedef struct {
    /* written by the key handlers */
    ViewId view;
    ViewId view_before_help;
    int layer, head;            /* attention selection, 0-based, within the model's */
    int cur_q, cur_k;           /* cell cursor, within the sentence's tokens */
    AttentionPanel panel;       /* the Attention view's panel */
    AttentionStep step;         /* the step panel's step */
    bool whatif;                /* `c`: the causal mask toggled (a what-if, not the model) */
    int pe_pos, pe_dim;         /* PE cursor, within the table */
    int waves[PE_WAVES];        /* dimensions drawn as waves (num_waves of them), < d_model */
    int num_waves, wave_next;   /* wave_next: the slot `w` replaces */
    int page[VIEW_COUNT];       /* page of each view, below view_page_count */
    bool loss_log;              /* `g`: the loss on a log scale */
    bool editing;               /* the input line has the keyboard */
    char sentence[UI_SENTENCE_MAX];
    int edit_pos;               /* input cursor: a byte offset in sentence, at a character */
    int help_scroll;            /* first help line shown, at most view_help_max_scroll() */
    int merge_sel;              /* the merges panel's selected merge, within the merges
                                 * (0 when there are none) */
    bool searching;             /* the merges panel's search line has the keyboard */
    char merge_search[UI_SEARCH_MAX]; /* its text: bytes a merge's piece contains */
    int merge_search_from;      /* merge_sel when `/` was pressed: typing searches from it */
    int merge_matches;          /* merges whose piece contains merge_search (0 when empty) */
    int notes_dismissed;        /* items of `note` taken off the bottom line by Esc */

    /* written by the main loop: when data arrives, and the terminal's size */
    SnapshotData snap;          /* this frame's copy; drawn without locks */
    Inference inf;              /* UI-side weights and the sentence's forward */
    PeTable pe;                 /* the positional encoding as the model has it */
    Lesson lesson;              /* the lessons' numbers for the sentence (lesson.h) */
    Examples examples;          /* the notebook's sentences, predicted (examples.h) */
    GenState gen;               /* language model: the Generate view's text (gen.h);
                                 * its settings and streaming flag written by keys */
    long examples_version;      /* weights_version they were predicted with; -1: never */
    bool examples_on_dashboard; /* the last refresh was on the dashboard */
    float lr_step[UI_LR_POINTS], lr_plan[UI_LR_POINTS]; /* the schedule (x lr_scale) */
    int lr_points;              /* points in lr_step / lr_plan; 0 before the first refresh */
    int screen_h, screen_w;     /* the whole terminal (the help's scroll limit) */
    BottomLine bottom;          /* what the bottom line shows this frame (Esc hides it) */
    uint64_t status_hidden;     /* status_seq of an event Esc took off the bottom line */

    /* set once */
    const Theme *theme;
    TrainThread *tt;            /* where the key handlers post commands */
    char save_path[TRAIN_THREAD_PATH_MAX]; /* where `s` saves */
    char note[1024];            /* the set-up's news (checkpoint, ignored keys, skipped
                                 * lines), items joined by "; ": on the bottom line one
                                 * at a time, each until Esc */
    double flops_fwd, flops_train; /* per token at T = max_len */
    char checkpoint[256];       /* the file opened with --checkpoint; "" = fresh weights */
    CheckpointInfo ckpt_info;   /* its training figures, shown until a step is taken */
    char data_name[1024];       /* what this run trains on (a file, the embedded set) */
    int eval_every;             /* [train] eval_every: when the next validation comes */
    LrSchedule schedule;        /* [train] lr, schedule, min_lr; steps filled on refresh */
    float warmup_fraction;      /* [train] warmup_fraction */
} UiState;

/* The UI-side model and buffers for a model of this shape, its tokenizer,
 * vocabulary and class names (borrowed: they outlive the state), with
 * `sentence` in the input line; the view is the dashboard. */
int ui_state_init(UiState *ui, const ModelConfig *mc, const TokenizerConfig *tc,
                  const Vocab *vocab, const char *const *labels, int num_labels,
                  const char *sentence, char *err, size_t err_len);
void ui_state_free(UiState *ui);
/* This frame's snapshot copy and any newer weights (the PE table follows a
 * learned table, the example sentences are predicted again), the schedule's
 * curve. Returns true when the weights changed: the sentence's forward is
 * then out of date. */
bool ui_state_refresh(UiState *ui, Snapshot *snap);
/* The forward on the sentence with the current weights and the lessons'
 * numbers for the selected layer; the cursor is kept within the new tokens. */
void ui_state_run_sentence(UiState *ui);
/* A language model's generation at time `now` (clock_now_s): one token per
 * frame while streaming in the Generate view; the fixed prompt's sample drawn
 * again from newer weights every GEN_SAMPLE_EVERY_S seconds. */
#define GEN_SAMPLE_EVERY_S ((double)GEN_SAMPLE_EVERY_S_INT)
void ui_state_tick(UiState *ui, double now);
/* Whether the run is a language model (the Generate view exists). */
bool ui_is_lm(const UiState *ui);
/* The terminal is h x w: pages kept within the views' page counts. */
void ui_state_resized(UiState *ui, int h, int w);
/* Items in ui->note; item i (0-based) into out, or false when there is none. */
int ui_note_count(const UiState *ui);
bool ui_note_item(const UiState *ui, int i, char *out, size_t len);

#endif
