/* Every string the UI shows, in English and French (the workshop was French):
 * one X-macro table, one line per message. The French is written with its
 * accents (UTF-8); without a UTF-8 locale it is shown folded to ASCII. A
 * message with printf conversions has the same ones, in the same order, in
 * both languages (tests/ui/test_views.c checks it). */
#ifndef MINILLM_UI_LANG_H
#define MINILLM_UI_LANG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { LANG_EN = 0, LANG_FR = 1 } Lang;

/* X(id, English, French) */
#define UI_MESSAGES(X)                                                                  \
    X(MSG_VIEW_DASHBOARD, "Dashboard", "Tableau de bord")                               \
    X(MSG_VIEW_ATTENTION, "Attention", "Attention")                                     \
    X(MSG_VIEW_PE, "Positional encoding", "Encodage positionnel")                       \
    X(MSG_VIEW_MODEL, "Model", "Modèle")                                                \
    X(MSG_VIEW_HELP, "Help", "Aide")                                                    \
    X(MSG_LOSS, "loss", "perte (loss)")                                                 \
    X(MSG_ACCURACY, "accuracy", "exactitude")                                           \
    X(MSG_TRAIN, "train", "entraînement")                                               \
    X(MSG_VAL, "validation", "validation")                                              \
    X(MSG_BEST, "best", "meilleure")                                                    \
    X(MSG_STEP, "step", "pas")                                                          \
    X(MSG_EPOCH, "epoch", "époque")                                                     \
    X(MSG_SENT_PER_S, "sentences/s", "phrases/s")                                       \
    X(MSG_COMPUTE, "compute", "calcul")                                                 \
    X(MSG_ETA, "ETA", "reste")                                                          \
    X(MSG_PACE, "pace", "rythme")                                                       \
    X(MSG_STEPS_PER_S, "steps/s", "pas/s")                                              \
    X(MSG_PACE_MAX, "max", "max")                                                       \
    X(MSG_ELAPSED, "elapsed", "durée")                                                  \
    X(MSG_RUNNING, "running", "en cours")                                               \
    X(MSG_PAUSED, "PAUSED", "EN PAUSE")                                                 \
    X(MSG_DONE, "done", "terminé")                                                      \
    X(MSG_ERROR, "ERROR", "ERREUR")                                                     \
    X(MSG_STARTING, "starting", "démarrage")                                            \
    X(MSG_VAL_FIGURES, "val loss %.3f acc %.1f%% (step %ld)", "val perte %.3f exactitude %.1f%% (pas %ld)") \
    X(MSG_VAL_FIRST, "first validation at step %ld", "première validation au pas %ld")  \
    X(MSG_VAL_NONE, "no validation set", "pas d'ensemble de validation")                \
    X(MSG_TOO_SMALL, "terminal too small", "terminal trop petit")                       \
    X(MSG_NEED_SIZE, "need at least %dx%d, have %dx%d", "il faut au moins %dx%d, ici %dx%d") \
    X(MSG_SENTENCE, "sentence", "phrase")                                               \
    X(MSG_EDIT_HINT, "/ edit", "/ modifier")                                            \
    X(MSG_EDIT_KEYS, "typing: Enter/Esc done  Left/Right Home/End move  Ctrl-W word  Ctrl-U to start", \
      "saisie : Entrée/Échap fini  Gauche/Droite Début/Fin  Ctrl-W mot  Ctrl-U début")  \
    X(MSG_TYPE_SENTENCE, "(type a sentence)", "(tapez une phrase)")                     \
    X(MSG_PREDICTION, "prediction", "prédiction")                                       \
    X(MSG_LAYER, "layer", "couche")                                                     \
    X(MSG_HEAD, "head", "tête")                                                         \
    X(MSG_ALL_HEADS, "all heads", "toutes les têtes")                                   \
    X(MSG_QUERY, "query", "requête")                                                    \
    X(MSG_KEYCOL, "key", "clé")                                                         \
    X(MSG_MASKED, "masked", "masqué")                                                   \
    X(MSG_WEIGHTS_OF_STEP, "weights of step", "poids du pas")                           \
    X(MSG_EMPTY_SENTENCE, "(type a sentence: press /)", "(tapez une phrase : touche /)") \
    X(MSG_UNKNOWN_WORDS, "unknown words, fed as <UNK>: %d", "mots inconnus, lus comme <UNK> : %d") \
    X(MSG_NO_KNOWN_WORD, "no known word: the model sees only <UNK>", "aucun mot connu : le modèle ne voit que <UNK>") \
    X(MSG_TRUNCATED, "%d tokens: the model reads the first %d (max_len)", "%d tokens : le modèle lit les %d premiers (max_len)") \
    X(MSG_MAP_WINDOW, "rows %d-%d of %d, columns %d-%d of %d (H J K L move)",        \
      "lignes %d-%d sur %d, colonnes %d-%d sur %d (H J K L)")                          \
    X(MSG_MAP_WINDOW_SHORT, "rows %d-%d/%d, cols %d-%d/%d", "lignes %d-%d/%d, col. %d-%d/%d") \
    X(MSG_PE_MATRIX, "PE matrix: position x dimension", "matrice PE : position x dimension") \
    X(MSG_PE_LEARNED, "learned PE table", "table PE apprise")                           \
    X(MSG_PE_WAVES, "PE(pos, d) for a few dimensions d", "PE(pos, d) pour quelques dimensions d") \
    X(MSG_PE_COSINE, "cosine similarity between positions", "similarité cosinus entre positions") \
    X(MSG_PE_MATRIX_SHORT, "PE: position x dim", "PE : position x dim")                 \
    X(MSG_PE_COSINE_SHORT, "cos(PE_p, PE_q)", "cos(PE_p, PE_q)")                        \
    X(MSG_ARCH, "architecture", "architecture")                                         \
    X(MSG_PARAMS, "parameters", "paramètres")                                           \
    X(MSG_TOTAL, "total", "total")                                                      \
    X(MSG_EMBEDDING, "embedding", "embedding")                                          \
    X(MSG_POS_ENCODING, "positional encoding", "encodage positionnel")                  \
    X(MSG_LEARNED, "learned", "appris")                                                 \
    X(MSG_SINCOS, "sin/cos buffer", "sin/cos fixe")                                     \
    X(MSG_ENCODER_LAYER, "encoder layer", "couche d'encodeur")                          \
    X(MSG_TIMES_LAYERS, "x%d layers", "x%d couches")                                    \
    X(MSG_MHA, "multi-head attention", "attention multi-têtes")                         \
    X(MSG_FEED_FORWARD, "feed-forward", "feed-forward")                                 \
    X(MSG_CLASSIFIER, "classifier", "classifieur")                                      \
    X(MSG_FLOPS, "FLOPs per token (T=%d): forward %s, training %s",                    \
      "FLOPs par token (T=%d) : forward %s, entraînement %s")                           \
    X(MSG_REPR_NORM, "mean representation norm (this sentence)", "norme moyenne des représentations (cette phrase)") \
    X(MSG_GRAD_NORM, "gradient norm per layer (last step)", "norme du gradient par couche (dernier pas)") \
    X(MSG_AFTER_EMB, "embedding+PE", "embedding+PE")                                    \
    X(MSG_CKPT_TITLE, "checkpoint %s", "point de contrôle %s")                          \
    X(MSG_CKPT_STEP, "weights of step %ld of %ld", "poids du pas %ld sur %ld")          \
    X(MSG_CKPT_VAL, "validation accuracy %.2f%%, loss %.4f (step %ld)",                 \
      "exactitude de validation %.2f%%, perte %.4f (pas %ld)")                          \
    X(MSG_CKPT_VAL_ACC, "validation accuracy %.2f%% (step %ld)", "exactitude de validation %.2f%% (pas %ld)") \
    X(MSG_CKPT_NO_INFO, "no training figures in this file", "pas de chiffres d'entraînement dans ce fichier") \
    X(MSG_CKPT_DATA, "trained on %s", "entraîné sur %s")                                \
    X(MSG_CKPT_CLASSES, "classes: %s", "classes : %s")                                  \
    X(MSG_CKPT_SPACE, "paused: Space trains on %s, r restarts from fresh weights",      \
      "en pause : Espace entraîne sur %s, r repart de poids neufs")                     \
    X(MSG_CKPT_COMPLETE, "paused: this run is complete (step %ld of %ld): r restarts from fresh weights, --set train.epochs=N trains longer", \
      "en pause : cette session est finie (pas %ld sur %ld) : r repart de poids neufs, --set train.epochs=N entraîne plus longtemps") \
    X(MSG_KEYS, "Keys", "Touches")                                                      \
    X(MSG_HELP_SCROLL, "Up/Down PgUp/PgDn scroll  ? or Esc back   lines %d-%d of %d",   \
      "Haut/Bas PgUp/PgDn défiler  ? ou Échap retour   lignes %d-%d sur %d")            \
    X(MSG_NOTE_DISMISS, " (Esc: dismiss)", " (Échap : masquer)")                        \
    X(MSG_NOTE_NEXT, " (%d/%d, Esc: next)", " (%d/%d, Échap : suivante)")               \
    X(MSG_KEY_PAUSE, "pause / resume training", "pause / reprise de l'entraînement")    \
    X(MSG_KEY_SAVE, "save a checkpoint (atomic; with [train] save = best: the best model so far)", \
      "sauvegarder (atomique ; avec [train] save = best : le meilleur modèle jusqu'ici)") \
    X(MSG_KEY_RESET, "start again: the seed's initial weights, a fresh optimizer, lr x1 (the pace stays)", \
      "recommencer : poids initiaux de la graine, optimiseur neuf, lr x1 (le rythme reste)") \
    X(MSG_KEY_LR_UP, "learning rate x1.25", "taux d'apprentissage x1.25")               \
    X(MSG_KEY_LR_DOWN, "learning rate /1.25", "taux d'apprentissage /1.25")             \
    X(MSG_KEY_PACE_UP, "train faster: pace x2 (then no limit)", "plus vite : rythme x2 (puis sans limite)") \
    X(MSG_KEY_PACE_DOWN, "train slower: pace /2 (to watch it learn)", "plus lent : rythme /2 (pour le voir apprendre)") \
    X(MSG_KEY_VIEW1, "view 1: dashboard", "vue 1 : tableau de bord")                    \
    X(MSG_KEY_VIEW2, "view 2: attention", "vue 2 : attention")                          \
    X(MSG_KEY_VIEW3, "view 3: positional encoding", "vue 3 : encodage positionnel")     \
    X(MSG_KEY_VIEW4, "view 4: model", "vue 4 : modèle")                                 \
    X(MSG_KEY_NEXT_VIEW, "next view (Shift-Tab: previous)", "vue suivante (Maj-Tab : précédente)") \
    X(MSG_KEY_HELP, "this help", "cette aide")                                          \
    X(MSG_KEY_ESC, "leave the help; dismiss the note on the bottom line (the next one shows)", \
      "quitter l'aide ; masquer la note du bas (la suivante s'affiche)")                  \
    X(MSG_KEY_PAGE, "help: scroll a page", "aide : défiler d'une page")                 \
    X(MSG_KEY_QUIT, "quit (also Ctrl-C)", "quitter (aussi Ctrl-C)")                     \
    X(MSG_KEY_EDIT, "edit the sentence (Enter/Esc to leave; Left/Right Home/End Ctrl-W Ctrl-U)", \
      "modifier la phrase (Entrée/Échap pour sortir ; Gauche/Droite Début/Fin Ctrl-W Ctrl-U)") \
    X(MSG_KEY_HEAD, "previous / next head", "tête précédente / suivante")               \
    X(MSG_KEY_LAYER, "previous / next layer (help: scroll)", "couche précédente / suivante (aide : défiler)") \
    X(MSG_KEY_ALL_HEADS, "all heads of the layer (all layers when room)", "toutes les têtes (toutes les couches si la place)") \
    X(MSG_KEY_CURSOR, "move the cell cursor (key / query); the map scrolls", "déplacer le curseur (clé / requête) ; la carte défile") \
    X(MSG_HINTS, "Space pause  s save  r restart  +/- lr  </> pace  1-4 views  ? help  q quit", \
      "Espace pause  s sauver  r recommencer  +/- lr  </> rythme  1-4 vues  ? aide  q fin")

#define UI_MSG_ENUM(id, en, fr) id,
typedef enum { UI_MESSAGES(UI_MSG_ENUM) MSG_COUNT } MsgId;
#undef UI_MSG_ENUM

/* "en", "fr" or "auto" (then the locale: LC_ALL, LC_MESSAGES, LANG starting with "fr"). */
Lang lang_select(const char *setting);
void lang_set(Lang lang);
Lang lang_current(void);
/* Whether the terminal shows UTF-8 (true until told otherwise): without it,
 * the French strings are folded to ASCII ("é" -> "e"). */
void lang_set_utf8(bool utf8);
const char *msg(MsgId id);
/* A message of the other language, as written (tests compare the two). */
const char *msg_in(Lang lang, MsgId id);

/* The name of a view (a ViewId) in the current language: its tab and help title. */
const char *view_name(int view);
/* Per-view explanation with formulas, lines separated by '\n', in the current
 * language (folded to ASCII without UTF-8). */
const char *view_explanation(int view);

/* text as the terminal shows it: itself, or folded to ASCII into buf without UTF-8. */
const char *lang_shown(const char *text, char *buf, size_t len);

/* Copies UTF-8 text into out (out_len bytes) as ASCII: accented Latin letters
 * lose their accents, typographic quotes and spaces become plain ones, other
 * characters '?'. Returns the length written. */
size_t lang_fold_ascii(const char *text, char *out, size_t out_len);

#endif
