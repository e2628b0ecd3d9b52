/* How often the Generate view's sample is drawn again while training: a bare
 * literal so that the help text can print it (lang.c). */
#ifndef MINILLM_UI_GEN_TIMING_H
#define MINILLM_UI_GEN_TIMING_H

#define GEN_SAMPLE_EVERY_S_INT 3

#endif
