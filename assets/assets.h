/* Files of assets/ compiled into the program by the embed generator
 * (assets/embed.c, run at build time). Each array holds the file's bytes
 * followed by one NUL, which the length does not count. */
#ifndef MINILLM_ASSETS_H
#define MINILLM_ASSETS_H

#include <stddef.h>

extern const unsigned char asset_toy_train[];   /* assets/toy_train.tsv */
extern const size_t asset_toy_train_len;
extern const unsigned char asset_toy_heldout[]; /* assets/toy_heldout.tsv */
extern const size_t asset_toy_heldout_len;
extern const unsigned char asset_default_ini[]; /* assets/default.ini */
extern const size_t asset_default_ini_len;
extern const unsigned char asset_lm_text[];     /* assets/lm_everyday.txt: the language
                                                 * model's default text, written for this
                                                 * project */
extern const size_t asset_lm_text_len;

#endif
