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
    X(MSG_VIEW_GENERATE, "Generate", "Génération")                                      \
    X(MSG_VIEW_HELP, "Help", "Aide")                                                    \
    X(MSG_PERPLEXITY, "perplexity", "perplexité")                                       \
    X(MSG_BPC, "bits per character", "bits par caractère")                              \
    X(MSG_VAL_FIGURES_LM, "val loss %.3f ppl %.2f bpc %.3f (step %ld)", "val perte %.3f ppl %.2f bpc %.3f (pas %ld)") \
    X(MSG_TRAIN_FIGURES_LM, "train (this epoch) ppl %.2f bpc %.3f", "entraînement (cette époque) ppl %.2f bpc %.3f") \
    X(MSG_CKPT_VAL_LM, "validation loss %.4f, perplexity %.2f (step %ld)", "perte de validation %.4f, perplexité %.2f (pas %ld)") \
    X(MSG_PROMPT, "prompt", "amorce")                                                   \
    X(MSG_NEXT_TOKEN, "next token", "token suivant")                                    \
    X(MSG_GEN_BARS, "next token: p (T=1), p drawn", "token suivant : p (T=1), p tirée") \
    X(MSG_GEN_TEXT, "text: the prompt + %d tokens (n one, N stream, e again)", "texte : l'amorce + %d tokens (n un, N continu, e reprise)") \
    X(MSG_GEN_STREAMING, "STREAMING (N: stop)", "EN CONTINU (N : arrêt)")               \
    X(MSG_GEN_SETTINGS, "T %.1f  top-k %d  seed %llu  weights of step %ld", "T %.1f  top-k %d  graine %llu  poids du pas %ld") \
    X(MSG_GEN_CAUSAL, "causal attention  layer %d/%d  head %d/%d", "attention causale  couche %d/%d  tête %d/%d") \
    X(MSG_GEN_SAMPLE, "sample of the prompt (weights of step %ld, every %d s while training):", "échantillon de l'amorce (poids du pas %ld, toutes les %d s à l'entraînement) :") \
    X(MSG_GEN_FULL, "the text is full: e starts again", "le texte est plein : e repart de l'amorce") \
    X(MSG_LM_HEAD, "LM head", "tête LM")                                                \
    X(MSG_TIED, "tied", "liée")                                                         \
    X(MSG_FINAL_NORM, "final LayerNorm", "LayerNorm finale")                            \
    X(MSG_DECODER_LAYER, "decoder layer", "couche de décodeur")                         \
    X(MSG_LM_FLOW_NEXT, "next token after the sentence's last one, softmax(LM head):", "token après le dernier de la phrase, softmax(tête LM) :") \
    X(MSG_LOSS, "loss", "perte (loss)")                                                 \
    X(MSG_ACCURACY, "accuracy", "exactitude")                                           \
    X(MSG_TRAIN, "train", "entraînement")                                               \
    X(MSG_VAL, "validation", "validation")                                              \
    X(MSG_BEST, "best", "meilleure")                                                    \
    X(MSG_STEP, "step", "pas")                                                          \
    X(MSG_EPOCH, "epoch", "époque")                                                     \
    X(MSG_SENT_PER_S, "sentences/s", "phrases/s")                                       \
    X(MSG_TOKENS_PER_S, "tokens/s", "tokens/s")                                         \
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
    X(MSG_NOT_FINITE, "the model's output is NaN or infinite: no prediction (weights diverged or too large)", \
      "la sortie du modèle est NaN ou infinie : pas de prédiction (poids divergents ou trop grands)") \
    X(MSG_UNKNOWN_WORDS, "unknown words, fed as <UNK>: %d", "mots inconnus, lus comme <UNK> : %d") \
    X(MSG_NO_KNOWN_WORD, "no known word: the model sees only <UNK>", "aucun mot connu : le modèle ne voit que <UNK>") \
    X(MSG_TRUNCATED, "%d tokens: the model reads the first %d (max_len)", "%d tokens : le modèle lit les %d premiers (max_len)") \
    X(MSG_MAP_WINDOW, "rows %d-%d of %d, columns %d-%d of %d (H J K L move)",        \
      "lignes %d-%d sur %d, colonnes %d-%d sur %d (H J K L)")                          \
    X(MSG_MAP_WINDOW_SHORT, "rows %d-%d/%d, cols %d-%d/%d", "lignes %d-%d/%d, col. %d-%d/%d") \
    X(MSG_PE_MATRIX, "PE matrix: position x dimension (H J K L: the cursor; w: its dimension's wave)", \
      "matrice PE : position x dimension (H J K L : le curseur ; w : l'onde de sa dimension)") \
    X(MSG_PE_LEARNED_VALUE, "PE(pos %d, dim %d) = %.4f: a trained parameter, no formula", \
      "PE(pos %d, dim %d) = %.4f : un paramètre entraîné, sans formule")              \
    X(MSG_PE_WAVELENGTH, "dimension %d: wavelength 2 pi 10000^(%d/%d) = %.2f positions", \
      "dimension %d : longueur d'onde 2 pi 10000^(%d/%d) = %.2f positions")              \
    X(MSG_PE_SHOWN, "pos %d-%d of %d, dim %d-%d of %d", "pos %d-%d sur %d, dim %d-%d sur %d") \
    X(MSG_PE_COS_OFFSET, "cos(PE_p, PE_p+k) by offset k: p=0 solid, p=%d dashed", \
      "cos(PE_p, PE_p+k) selon k : p=0 plein, p=%d tirets")                              \
    X(MSG_PE_COS_GAP, "the curves differ by %.1e at most: only k counts", \
      "écart entre les courbes : %.1e au plus : seul k compte")                        \
    X(MSG_PE_SENTENCE, "the sentence: E x sqrt(d_model) + PE = layer 1's input (%d of %d dims)", \
      "la phrase : E x sqrt(d_model) + PE = l'entrée de la couche 1 (%d dim. sur %d)") \
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
    X(MSG_KEY_VIEW5, "view 5: generate (a language model)", "vue 5 : génération (un modèle de langue)") \
    X(MSG_KEY_GEN_TOKEN, "Generate: draw one token after the text", "Génération : tirer un token après le texte") \
    X(MSG_KEY_GEN_STREAM, "Generate: stream, a token every frame (again: stop)", "Génération : en continu, un token par image (encore : arrêt)") \
    X(MSG_KEY_GEN_ERASE, "Generate: back to the prompt alone and the seed's first draw", "Génération : retour à l'amorce seule et au premier tirage de la graine") \
    X(MSG_KEY_GEN_TEMPERATURE, "Generate: temperature down / up (0: greedy, the most probable token)", "Génération : température plus basse / plus haute (0 : glouton, le token le plus probable)") \
    X(MSG_KEY_GEN_TOP_K, "Generate: top-k down / up (0: off)", "Génération : top-k plus petit / plus grand (0 : désactivé)") \
    X(MSG_KEY_NEXT_VIEW, "next view (Shift-Tab: previous)", "vue suivante (Maj-Tab : précédente)") \
    X(MSG_KEY_HELP, "this help", "cette aide")                                          \
    X(MSG_KEY_ESC, "leave the help; dismiss the note on the bottom line (the next one shows)", \
      "quitter l'aide ; masquer la note du bas (la suivante s'affiche)")                  \
    X(MSG_KEY_PAGE, "help, merges: scroll a page, to the start / end", "aide, fusions : défiler d'une page, au début / à la fin") \
    X(MSG_KEY_QUIT, "quit (also Ctrl-C)", "quitter (aussi Ctrl-C)")                     \
    X(MSG_KEY_EDIT, "edit the sentence (Enter/Esc to leave; Left/Right Home/End Ctrl-W Ctrl-U); in the merges panel: search the merges", \
      "modifier la phrase (Entrée/Échap pour sortir ; Gauche/Droite Début/Fin Ctrl-W Ctrl-U) ; dans le panneau des fusions : chercher une fusion") \
    X(MSG_KEY_HEAD, "previous / next head", "tête précédente / suivante")               \
    X(MSG_KEY_LAYER, "previous / next layer (help, merges: scroll)", "couche précédente / suivante (aide, fusions : défiler)") \
    X(MSG_KEY_ALL_HEADS, "Attention: every head of the layer side by side, their average, entropy and cost", \
      "Attention : toutes les têtes de la couche côte à côte, leur moyenne, entropie et coût") \
    X(MSG_KEY_CURSOR, "move the cursor: the cell (Attention: key / query; the map scrolls), the position / dimension (Positional encoding), the token (Model)", \
      "déplacer le curseur : la case (Attention : clé / requête ; la carte défile), la position / dimension (Encodage positionnel), le token (Modèle)") \
    X(MSG_STEP_QKV, "Q K V", "Q K V")                                                   \
    X(MSG_STEP_RAW, "QK^T", "QK^T")                                                     \
    X(MSG_STEP_SCALED, "/sqrt(d_k)", "/sqrt(d_k)")                                      \
    X(MSG_STEP_MASK, "mask", "masque")                                                  \
    X(MSG_STEP_SOFTMAX, "softmax", "softmax")                                           \
    X(MSG_STEP_OUTPUT, "weights x V", "poids x V")                                      \
    X(MSG_STEP_QKV_TEXT, "Each token's vector x is projected three times: q = x W_Q (what it looks for), k = x W_K (what it offers), v = x W_V (what it passes on), %d dimensions per head, from inputs x of mean norm %.1f. Spread: sd(q) %.2f, sd(k) %.2f.", \
      "Le vecteur x de chaque token est projeté trois fois : q = x W_Q (ce qu'il cherche), k = x W_K (ce qu'il offre), v = x W_V (ce qu'il transmet), %d dimensions par tête, à partir d'entrées x de norme moyenne %.1f. Dispersion : écart-type(q) %.2f, écart-type(k) %.2f.") \
    X(MSG_STEP_NEURONS, "q . k dimension by dimension at the cursor (H J K L move it):", \
      "q . k dimension par dimension au curseur (H J K L le déplacent) :")             \
    X(MSG_STEP_NEURON_SUM, "sum = %.3f, / sqrt(%d) = %.3f: the score of this cell",     \
      "somme = %.3f, / sqrt(%d) = %.3f : le score de cette case")                       \
    X(MSG_STEP_RAW_TEXT, "scores = Q K^T: row = query, column = key, each cell q . k. Spread: sd %.2f, from %.2f to %.2f.", \
      "scores = Q K^T : ligne = requête, colonne = clé, chaque case q . k. Dispersion : écart-type %.2f, de %.2f à %.2f.") \
    X(MSG_STEP_SCALED_TEXT, "scaled = Q K^T / sqrt(%d) = / %.2f: sd %.2f -> %.2f. Largest weight per row (mean): %.2f unscaled, %.2f scaled: the scaling keeps softmax out of saturation.", \
      "mis à l'échelle = Q K^T / sqrt(%d) = / %.2f : écart-type %.2f -> %.2f. Plus grand poids par ligne (moyenne) : %.2f sans, %.2f avec : la division garde le softmax hors saturation.") \
    X(MSG_STEP_MASK_PAD, "mask: padding keys get -inf (their weight becomes exactly 0); the other scores pass unchanged.", \
      "masque : les clés de remplissage reçoivent -inf (leur poids devient exactement 0) ; les autres scores passent inchangés.") \
    X(MSG_STEP_MASK_NONE, "mask: none. This model (the notebook's) lets padding take part; with [model] pad_mask = true padding keys get -inf.", \
      "masque : aucun. Ce modèle (celui du notebook) laisse le remplissage participer ; avec [model] pad_mask = true les clés de remplissage reçoivent -inf.") \
    X(MSG_STEP_MASK_CAUSAL, "causal mask: a key after the query gets -inf, so each token sees itself and the past only (a decoder); padding keys too with the padding mask.", \
      "masque causal : une clé après la requête reçoit -inf, chaque token ne voit que lui-même et le passé (un décodeur) ; les clés de remplissage aussi avec le masque de remplissage.") \
    X(MSG_STEP_SOFTMAX_TEXT, "weights = softmax of each row, exp(s) / sum exp(s): rows sum to 1, -inf gives 0. Entropy %.2f bits (all keys alike: %.2f): low = sharp, high = spread.", \
      "poids = softmax de chaque ligne, exp(s) / somme exp(s) : chaque ligne somme à 1, -inf donne 0. Entropie %.2f bits (toutes les clés égales : %.2f) : basse = net, haute = diffus.") \
    X(MSG_STEP_OUTPUT_TEXT, "output = weights x V: each query's row is the weighted mean of the v rows; the heads' outputs are then concatenated and multiplied by W_O.", \
      "sortie = poids x V : la ligne de chaque requête est la moyenne pondérée des lignes v ; les sorties des têtes sont ensuite concaténées et multipliées par W_O.") \
    X(MSG_STEP_OUTPUT_MAP, "weights x V (the head's output)", "poids x V (sortie de la tête)") \
    X(MSG_WHATIF_CAUSAL, "WHAT-IF: causal mask (c)", "HYPOTHÈSE : masque causal (c)")      \
    X(MSG_WHATIF_NOT_CAUSAL, "WHAT-IF: no causal mask (c)", "HYPOTHÈSE : sans masque causal (c)") \
    X(MSG_PANEL_HEADS, "every head of the layer, their average (a: the steps)", \
      "toutes les têtes de la couche, leur moyenne (a : les étapes)")                  \
    X(MSG_PANEL_FOCUS, "token focus: a query's weights in every head (f: the steps)", \
      "focus sur un token : les poids d'une requête par tête (f : les étapes)")         \
    X(MSG_PANEL_TOKENS, "tokens: the sentence's pieces, ids and merges (t: the steps)", \
      "tokens : les morceaux de la phrase, leurs ids et fusions (t : les étapes)")      \
    X(MSG_PANEL_MERGES, "merges: the tokenizer's, in the order learned (m: the steps)", \
      "fusions : celles du tokenizer, dans l'ordre appris (m : les étapes)")           \
    X(MSG_PIECES, "pieces", "morceaux")                                               \
    X(MSG_MERGES_NONE, "No merges: this model's tokens are words or characters, not BPE ([data] tokenizer = bpe learns merges).", \
      "Aucune fusion : les tokens de ce modèle sont des mots ou des caractères, pas du BPE ([data] tokenizer = bpe apprend des fusions).") \
    X(MSG_MERGES_EMPTY, "No merges: this tokenizer learned none (every token is one byte).", \
      "Aucune fusion : ce tokenizer n'en a appris aucune (chaque token est un octet).") \
    X(MSG_MERGES_HINT, "%d merges in the order learned  (/ search)", "%d fusions dans l'ordre appris  (/ chercher)") \
    X(MSG_MERGES_SEARCH, "search: ", "chercher : ")                                   \
    X(MSG_MERGES_FOUND, "%d merges contain it (n/N)", "%d fusions le contiennent (n/N)") \
    X(MSG_MERGES_NOT_FOUND, "no merge contains it", "aucune fusion ne le contient")   \
    X(MSG_MERGES_WINDOW, "%d-%d of %d", "%d-%d sur %d")                                \
    X(MSG_MERGES_RANK, "rank", "rang")                                                \
    X(MSG_MERGES_LEFT, "left", "gauche")                                              \
    X(MSG_MERGES_RIGHT, "right", "droite")                                            \
    X(MSG_MERGES_PIECE, "piece", "morceau")                                           \
    X(MSG_MERGES_COUNT, "count", "compte")                                            \
    X(MSG_SEARCH_KEYS, "search: type text  Backspace/Ctrl-U erase  Enter/Esc done  n/N next/previous", \
      "recherche : tapez  Retour/Ctrl-U effacer  Entrée/Échap fini  n/N suivante/préc.") \
    X(MSG_TOKENS_HEADER, " #  piece            id  bytes chars  made by", \
      " #  morceau          id octets car.  formé par")                                \
    X(MSG_TOKENS_BYTE, "a byte value", "un octet")                                    \
    X(MSG_TOKENS_MERGE, "merge %d of %d (seen %lld times)", "fusion %d sur %d (vue %lld fois)") \
    X(MSG_TOKENS_WORD, "in the vocabulary", "dans le vocabulaire")            \
    X(MSG_TOKENS_UNK, "not in the vocabulary: <UNK>", "hors du vocabulaire : <UNK>")  \
    X(MSG_TOKENS_MORE, "... %d more tokens (the model reads %d)", "... %d tokens de plus (le modèle en lit %d)") \
    X(MSG_HEADS_AVG, "avg", "moy.")                                                     \
    X(MSG_HEADS_ENTROPY, "over each head: the entropy of its weights in bits (0: one key; high: spread)", \
      "au-dessus de chaque tête : l'entropie de ses poids en bits (0 : une clé ; haute : diffus)") \
    X(MSG_HEADS_COST_TITLE, "cost of the attention for d_model %d and this sentence (T = %d):", \
      "coût de l'attention pour d_model %d et cette phrase (T = %d) :")                 \
    X(MSG_HEADS_COST_ROW, "%2d head(s) of d_k %3d: %s parameters, %s FLOPs, %ld weights", \
      "%2d tête(s) de d_k %3d : %s paramètres, %s FLOPs, %ld poids")                    \
    X(MSG_HEADS_COST_NOTE, "The same parameters (4 d_model^2 + 4 d_model) and FLOPs (8 T d_model^2 + 4 T^2 d_model): heads cut d_model in parts, each with its own T x T weights.", \
      "Mêmes paramètres (4 d_model^2 + 4 d_model) et FLOPs (8 T d_model^2 + 4 T^2 d_model) : les têtes coupent d_model en parts, chacune avec ses propres poids T x T.") \
    X(MSG_FOCUS_QUERY, "\"%s\" (query %d/%d, J/K): its weight to each key, per head of layer %d", \
      "« %s » (requête %d/%d, J/K) : son poids vers chaque clé, par tête de la couche %d") \
    X(MSG_FOCUS_KEYS, "key", "clé")                                                     \
    X(MSG_FOCUS_WINDOW, "keys %d-%d of %d (H/L move)", "clés %d-%d sur %d (H/L)")        \
    X(MSG_KEY_STEP, "Attention: next / previous step (Q K V, QK^T, /sqrt(d_k), mask, softmax, weights x V); other views: next / previous page", \
      "Attention : étape suivante / précédente (Q K V, QK^T, /sqrt(d_k), masque, softmax, poids x V) ; autres vues : page suivante / précédente") \
    X(MSG_KEY_WHATIF, "Attention: what a causal mask would do to these scores and weights (a what-if, marked as such)", \
      "Attention : ce qu'un masque causal ferait de ces scores et poids (une hypothèse, signalée)") \
    X(MSG_KEY_FOCUS, "Attention: token focus, the query's weights to every key in every head", \
      "Attention : focus sur un token, les poids de la requête vers chaque clé dans chaque tête") \
    X(MSG_KEY_TOKENS, "Attention: the sentence's tokens: pieces with their boundaries (un|watch|able), ids, bytes, characters, the merge that made each", \
      "Attention : les tokens de la phrase : morceaux et frontières (un|watch|able), ids, octets, caractères, la fusion qui a formé chacun") \
    X(MSG_KEY_MERGES, "Attention: the tokenizer's merges in the order learned: rank, the two parts, the piece they make, its count (Up/Down PgUp/PgDn Home/End scroll, / search)", \
      "Attention : les fusions du tokenizer dans l'ordre appris : rang, les deux parts, le morceau formé, son compte (Haut/Bas PgUp/PgDn Début/Fin défiler, / chercher)") \
    X(MSG_KEY_MERGE_NEXT, "merges panel: next / previous merge that the search text is in", \
      "panneau des fusions : fusion suivante / précédente qui contient le texte cherché") \
    X(MSG_KEY_WAVES, "Positional encoding: the cursor's dimension joins the waves (W: the first ones again)", \
      "Encodage positionnel : la dimension du curseur rejoint les ondes (W : les premières à nouveau)") \
    X(MSG_KEY_LOG, "Dashboard: the loss on a log scale (again: linear)", "Tableau de bord : la perte en échelle log (encore : linéaire)") \
    X(MSG_PAGE_MARK, " page %d/%d (v) ", " page %d/%d (v) ")                           \
    X(MSG_FLOW_IN, "|x| in", "entrée")                                                  \
    X(MSG_FLOW_RELU, "ReLU on", "ReLU>0")                                               \
    X(MSG_FLOW_TITLE, "data flow of the sentence: mean over its tokens (Up/Down: layer)", \
      "flux des données de la phrase : moyenne sur ses tokens (Haut/Bas : couche)")      \
    X(MSG_FLOW_NOTE, "|x|: L2 norm of a token's vector in the residual stream. +attn = x + attention(x), LN1 its LayerNorm, ReLU on: share of the d_ff units > 0, +FFN = LN1 + FFN(LN1), LN2 the layer's output.", \
      "|x| : norme L2 du vecteur d'un token dans le flux résiduel (entrée : celui qui entre dans la couche). +attn = x + attention(x), LN1 sa LayerNorm, ReLU>0 : part des d_ff unités > 0, +FFN = LN1 + FFN(LN1), LN2 la sortie de la couche.") \
    X(MSG_FLOW_TOKENS, "layer %d token by token (J/K: token)", "couche %d token par token (J/K : token)") \
    X(MSG_FLOW_WINDOW, "tokens %d-%d of %d", "tokens %d-%d sur %d")                      \
    X(MSG_FLOW_POOLED, "pooled (%s of the last layer's tokens), |x| %.2f:", "vecteur résumé (%s des tokens de la dernière couche), |x| %.2f :") \
    X(MSG_FLOW_MEAN, "mean", "moyenne")                                                 \
    X(MSG_FLOW_MAX, "max", "max")                                                       \
    X(MSG_FLOW_LOGITS, "logits = classifier(pooled):", "logits = classifieur(vecteur résumé) :") \
    X(MSG_FLOW_SOFTMAX, "softmax(logits):", "softmax(logits) :")                        \
    X(MSG_PARAMS_TITLE, "the parameters in the workshop's words", "les paramètres dans les mots de l'atelier") \
    X(MSG_PARAMS_RUN, "this run", "cette session")                                      \
    X(MSG_PARAMS_WORKSHOP, "workshop", "atelier")                                       \
    X(MSG_LOG_SCALE, " (log scale, g)", " (échelle log, g)")                            \
    X(MSG_EXAMPLES_TITLE, "the notebook's sentences, predicted by the weights of step %ld", \
      "les phrases du notebook, prédites par les poids du pas %ld")                     \
    X(MSG_EXAMPLES_RIGHT, "%d/%d right", "%d/%d justes")                                \
    X(MSG_EXAMPLES_SENTENCE, "sentence", "phrase")                                      \
    X(MSG_EXAMPLES_LABEL, "label", "étiq.")                                             \
    X(MSG_EXAMPLES_PREDICTED, "predicted", "prédit")                                    \
    X(MSG_EXAMPLES_CONF, "confidence", "confiance")                                     \
    X(MSG_EXAMPLES_YOURS, "yours: %s", "la vôtre : %s")                                 \
    X(MSG_LR_TITLE, "learning rate: %s", "taux d'apprentissage : %s")                  \
    X(MSG_LR_NOW, "now %.2e (step %ld)", "%.2e au pas %ld")                            \
    X(MSG_LR_CONSTANT, "constant", "constant")                                          \
    X(MSG_LR_COSINE, "warm-up then cosine", "montée puis cosinus")                      \
    X(MSG_EV_SAVED, "saved %s (step %ld)", "enregistré : %s (pas %ld)")                \
    X(MSG_EV_SAVED_BEST, "saved the best model (%.1f%% at step %ld) to %s",            \
      "meilleur modèle (%.1f %% au pas %ld) enregistré : %s")                            \
    X(MSG_EV_SAVED_BEST_LM, "saved the best model (validation loss %.4f at step %ld) to %s", \
      "meilleur modèle (perte de validation %.4f au pas %ld) enregistré : %s")           \
    X(MSG_EV_SAVE_FAILED, "save failed: %s", "échec de l'enregistrement : %s")         \
    X(MSG_EV_LR, "learning rate x%.3g", "taux d'apprentissage x%.3g")                   \
    X(MSG_EV_PACE, "pace %.3g steps/s", "rythme %.3g pas/s")                            \
    X(MSG_EV_PACE_MAX, "pace max", "rythme max")                                        \
    X(MSG_EV_RESTARTED, "restarted: the initial weights of seed %llu, learning rate x1", \
      "relancé : les poids initiaux de la graine %llu, taux d'apprentissage x1")         \
    X(MSG_EV_COMPLETE, "training complete (r: start again)",                           \
      "entraînement terminé (r : recommencer)")                                         \
    X(MSG_EV_NOTHING_LEFT, "nothing left to train (step %ld of %ld): r starts again, --set train.epochs=N trains longer", \
      "plus rien à entraîner (pas %ld sur %ld) : r recommence, --set train.epochs=N entraîne plus longtemps") \
    X(MSG_EV_ERROR, "training error (paused): %s", "erreur d'entraînement (en pause) : %s") \
    X(MSG_HINTS, "Space pause  s save  r restart  +/- lr  </> pace  1-4 views  ? help  q quit", \
      "Espace pause  s sauver  r relancer  +/- lr  </> rythme  1-4 vues  ? aide  q fin") \
    X(MSG_HINTS_LM, "Space pause  s save  r restart  </> pace  1-5 views  ? help  q quit", \
      "Espace pause  s sauver  r relancer  </> rythme  1-5 vues  ? aide  q fin")

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
