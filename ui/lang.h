/* Every string the UI shows, in English and French (the workshop was French):
 * one X-macro table, one line per message. */
#ifndef MINILLM_UI_LANG_H
#define MINILLM_UI_LANG_H

typedef enum { LANG_EN = 0, LANG_FR = 1 } Lang;

/* X(id, English, French) */
#define UI_MESSAGES(X)                                                                  \
    X(MSG_VIEW_DASHBOARD, "Dashboard", "Tableau de bord")                               \
    X(MSG_VIEW_ATTENTION, "Attention", "Attention")                                     \
    X(MSG_VIEW_PE, "Positional encoding", "Encodage positionnel")                       \
    X(MSG_VIEW_MODEL, "Model", "Modele")                                                \
    X(MSG_VIEW_HELP, "Help", "Aide")                                                    \
    X(MSG_LOSS, "loss", "loss (perte)")                                                 \
    X(MSG_ACCURACY, "accuracy", "exactitude")                                           \
    X(MSG_TRAIN, "train", "entrainement")                                               \
    X(MSG_VAL, "validation", "validation")                                              \
    X(MSG_BEST, "best", "meilleure")                                                    \
    X(MSG_EPOCH, "epoch", "epoque")                                                     \
    X(MSG_SENT_PER_S, "sentences/s", "phrases/s")                                       \
    X(MSG_PACE, "pace", "rythme")                                                       \
    X(MSG_STEPS_PER_S, "steps/s", "pas/s")                                              \
    X(MSG_PACE_MAX, "max", "max")                                                       \
    X(MSG_ELAPSED, "elapsed", "duree")                                                  \
    X(MSG_RUNNING, "running", "en cours")                                               \
    X(MSG_PAUSED, "PAUSED", "EN PAUSE")                                                 \
    X(MSG_DONE, "done", "termine")                                                      \
    X(MSG_ERROR, "ERROR", "ERREUR")                                                     \
    X(MSG_STARTING, "starting", "demarrage")                                            \
    X(MSG_TOO_SMALL, "terminal too small", "terminal trop petit")                       \
    X(MSG_NEED_SIZE, "need at least %dx%d, have %dx%d", "il faut au moins %dx%d, ici %dx%d") \
    X(MSG_SENTENCE, "sentence", "phrase")                                               \
    X(MSG_EDIT_HINT, "/ edit  Enter/Esc done", "/ modifier  Entree/Echap fini")         \
    X(MSG_PREDICTION, "prediction", "prediction")                                       \
    X(MSG_LAYER, "layer", "couche")                                                     \
    X(MSG_HEAD, "head", "tete")                                                         \
    X(MSG_ALL_HEADS, "all heads", "toutes les tetes")                                   \
    X(MSG_QUERY, "query", "requete")                                                    \
    X(MSG_KEYCOL, "key", "cle")                                                         \
    X(MSG_MASKED, "masked", "masque")                                                   \
    X(MSG_WEIGHTS_OF_STEP, "weights of step", "poids du pas")                           \
    X(MSG_EMPTY_SENTENCE, "(type a sentence: press /)", "(tapez une phrase : touche /)") \
    X(MSG_PE_MATRIX, "PE matrix: position x dimension", "matrice PE : position x dimension") \
    X(MSG_PE_LEARNED, "learned PE table", "table PE apprise")                           \
    X(MSG_PE_WAVES, "PE(pos, d) for a few dimensions d", "PE(pos, d) pour quelques dimensions d") \
    X(MSG_PE_COSINE, "cosine similarity between positions", "similarite cosinus entre positions") \
    X(MSG_ARCH, "architecture", "architecture")                                         \
    X(MSG_PARAMS, "parameters", "parametres")                                           \
    X(MSG_TOTAL, "total", "total")                                                      \
    X(MSG_FLOPS, "FLOPs per token", "FLOPs par token")                                  \
    X(MSG_REPR_NORM, "mean representation norm (this sentence)", "norme moyenne des representations (cette phrase)") \
    X(MSG_GRAD_NORM, "gradient norm per layer (last step)", "norme du gradient par couche (dernier pas)") \
    X(MSG_AFTER_EMB, "embedding+PE", "embedding+PE")                                    \
    X(MSG_KEYS, "Keys", "Touches")                                                      \
    X(MSG_HELP_SCROLL, "Up/Down scroll  ? or Esc back", "Haut/Bas defiler  ? ou Echap retour") \
    X(MSG_KEY_PAUSE, "pause / resume training", "pause / reprise de l'entrainement")    \
    X(MSG_KEY_SAVE, "save a checkpoint (atomic; save=best: the best)", "sauvegarder (atomique; save=best : le meilleur)")             \
    X(MSG_KEY_RESET, "reset the model to fresh weights", "reinitialiser le modele")     \
    X(MSG_KEY_LR_UP, "learning rate x1.25", "taux d'apprentissage x1.25")               \
    X(MSG_KEY_LR_DOWN, "learning rate /1.25", "taux d'apprentissage /1.25")             \
    X(MSG_KEY_PACE_UP, "train faster: pace x2 (then no limit)", "plus vite : rythme x2 (puis sans limite)") \
    X(MSG_KEY_PACE_DOWN, "train slower: pace /2 (to watch it learn)", "plus lent : rythme /2 (pour voir apprendre)") \
    X(MSG_KEY_VIEW1, "view 1: dashboard", "vue 1 : tableau de bord")                    \
    X(MSG_KEY_VIEW2, "view 2: attention", "vue 2 : attention")                          \
    X(MSG_KEY_VIEW3, "view 3: positional encoding", "vue 3 : encodage positionnel")     \
    X(MSG_KEY_VIEW4, "view 4: model", "vue 4 : modele")                                 \
    X(MSG_KEY_NEXT_VIEW, "next view", "vue suivante")                                   \
    X(MSG_KEY_HELP, "this help", "cette aide")                                          \
    X(MSG_KEY_QUIT, "quit (also Ctrl-C)", "quitter (aussi Ctrl-C)")                     \
    X(MSG_KEY_EDIT, "edit the sentence (Enter/Esc to leave)", "modifier la phrase (Entree/Echap pour sortir)") \
    X(MSG_KEY_HEAD, "previous / next head (help: scroll)", "tete precedente / suivante") \
    X(MSG_KEY_LAYER, "previous / next layer (help: scroll)", "couche precedente / suivante") \
    X(MSG_KEY_ALL_HEADS, "all heads of the layer (all layers when room)", "toutes les tetes (toutes les couches si la place)") \
    X(MSG_KEY_CURSOR, "move the cell cursor (key / query)", "deplacer le curseur (cle / requete)") \
    X(MSG_SAVED_TO, "saving to", "sauvegarde dans")                                     \
    X(MSG_HINTS, "Space pause  s save  r reset  +/- lr  </> pace  1-4 views  ? help  q quit", \
      "Espace pause  s sauver  r reinit  +/- lr  </> rythme  1-4 vues  ? aide  q fin")

#define UI_MSG_ENUM(id, en, fr) id,
typedef enum { UI_MESSAGES(UI_MSG_ENUM) MSG_COUNT } MsgId;
#undef UI_MSG_ENUM

/* "en", "fr" or "auto" (then the locale: LC_ALL, LC_MESSAGES, LANG starting with "fr"). */
Lang lang_select(const char *setting);
void lang_set(Lang lang);
Lang lang_current(void);
const char *msg(MsgId id);

/* The name of a view (a ViewId) in the current language: its tab and help title. */
const char *view_name(int view);
/* Per-view explanation with formulas, lines separated by '\n'. */
const char *view_explanation(int view, Lang lang);

#endif
