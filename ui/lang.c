/* English and French strings: see lang.h. */
#include "lang.h"

#include <stdlib.h>
#include <string.h>

#include "src/snapshot.h"
#include "gen_timing.h"
#include "view_id.h"

#define STRINGIFY(x) #x
#define VALUE_OF(macro) STRINGIFY(macro)

#define UI_MSG_EN(id, en, fr) en,
#define UI_MSG_FR(id, en, fr) fr,
static const char *const messages[2][MSG_COUNT] = {
    {UI_MESSAGES(UI_MSG_EN)},
    {UI_MESSAGES(UI_MSG_FR)},
};
#undef UI_MSG_EN
#undef UI_MSG_FR

static const char *const explanations[2][VIEW_COUNT] = {
    [LANG_EN] = {
        [VIEW_DASHBOARD] =
            "Training, live. The loss is the cross-entropy of the batch,\n"
            "  loss = -1/B sum_b log softmax(logits_b)[label_b],\n"
            "smoothed over the last batches (train: exponential moving average,\n"
            VALUE_OF(TRAIN_CURVE_SMOOTHING) ") and measured on held-out sentences (validation), drawn\n"
            "dashed, with a marker at each pass. Accuracy = share of argmax\n"
            "predictions equal to the label. A diamond on the validation accuracy\n"
            "(and \"best\" in its legend) is the best step so far. The x axis counts\n"
            "optimizer steps; g draws the loss on a log scale (log10), where a\n"
            "steady fall is a straight line. The bar is the progress through the\n"
            "current epoch.\n"
            "sentences/s is the pace you watch (steps/s x batch); compute is the\n"
            "speed of the same steps without the waits of the pace. ETA: the\n"
            "steps left at the pace watched.\n"
            "Learning rate: the schedule planned for the run ([train] schedule:\n"
            "constant, or a linear warm-up then a cosine decay,\n"
            "  lr(t) = min_lr + (lr - min_lr) (1 + cos(pi (t - w) / (T - w))) / 2),\n"
            "times the +/- factor, a diamond at the step now.\n"
            "The notebook's sentences: the workshop's ten examples and yours as the\n"
            "latest weights predict them, the class and its probability (the\n"
            "confidence bar), ticked when it is the notebook's label; refreshed as\n"
            "the model trains. Below the curves on a large terminal (with an\n"
            "attention map when there is room), else on page 2 (v).\n"
            "A checkpoint opens paused, showing the step and validation figures\n"
            "it was saved with; Space trains it further on the data of this run.",
        [VIEW_ATTENTION] =
            "Self-attention of one layer and head on the typed sentence, step by\n"
            "step (v: next, V: previous); row = query token, column = key token:\n"
            "  Attention(Q,K,V) = softmax(Q K^T / sqrt(d_k)) V,  d_k = d_model/h\n"
            "1 Q K V: q = x W_Q, k = x W_K, v = x W_V, d_k columns per head; under\n"
            "  them q . k dimension by dimension for the cursor's query and key.\n"
            "2 QK^T: the scores s = q . k of every query and key.\n"
            "3 /sqrt(d_k): s / sqrt(d_k), with the spread (standard deviation)\n"
            "  before and after. Unscaled, scores grow with d_k and softmax\n"
            "  saturates (one weight near 1): the largest weight per row is shown\n"
            "  both ways.\n"
            "4 mask: -inf on the keys a query may not see (padding; with a causal\n"
            "  mask, the keys after it); exp(-inf) = 0.\n"
            "5 softmax: w = exp(s) / sum exp(s), each row sums to 1; its entropy\n"
            "  -sum w log2 w says how spread the weights are.\n"
            "6 weights x V: the head's output, each row a weighted mean of the v\n"
            "  rows; then MultiHead = Concat(head_1..head_h) W^O.\n"
            "Cells at least 5 columns wide show their values. c: what a causal\n"
            "mask (query t sees keys <= t, the decoder's) would do to these scores\n"
            "and weights: a what-if, marked as such; the model is unchanged.\n"
            "a: every head of the layer side by side on one colour scale, the\n"
            "selected one in brackets, their average, each head's entropy in bits,\n"
            "and 1 head of d_k = d_model against h heads of d_model/h: the same\n"
            "parameters 4 d_model^2 + 4 d_model and FLOPs 8 T d_model^2 +\n"
            "4 T^2 d_model, h times the T x T weights.\n"
            "f: token focus, the cursor's query token's weight to every key as\n"
            "bars, one column per head and their average (J/K: the query).\n"
            "t: the sentence's tokens, each with its id, bytes, characters and\n"
            "what made it. m: a BPE tokenizer's merges in the order learned:\n"
            "rank, the two parts, the piece they make, the pair's count\n"
            "(Up/Down PgUp/PgDn Home/End; / searches the pieces, n/N the next /\n"
            "previous match). A BPE model's pieces of the sentence, joined by |,\n"
            "are on the line above the panel (a marker ends it when they do not\n"
            "fit).\n"
            "A word the vocabulary does not have is fed as <UNK> and labelled so.\n"
            "Only the first max_len tokens are read. Narrow columns are numbered;\n"
            "a map larger than the screen scrolls with the cursor. Layers and\n"
            "heads are numbered from 1, as in predict's text output.",
        [VIEW_PE] =
            "Positional encoding added to the token embeddings:\n"
            "  PE(pos, 2i)   = sin(pos / 10000^(2i/d_model))\n"
            "  PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))\n"
            "The cursor (H J K L) picks a position and a dimension: its value with\n"
            "the formula filled in, and the dimension's wavelength\n"
            "2 pi 10000^(2i/d_model): low dimensions oscillate fast, high ones\n"
            "slowly. The matrix scrolls with the cursor over every position and\n"
            "dimension. The waves: PE(pos, d) of a few dimensions; w adds the\n"
            "cursor's, W brings back the first ones.\n"
            "cos(PE_p, PE_p+k) against the offset k, from position 0 and from the\n"
            "cursor's: one curve, as sin a sin b + cos a cos b = cos(a - b) makes\n"
            "it depend on k only; beside it the matrix of cos(PE_p, PE_q), shaded\n"
            "over its own range.\n"
            "The sentence: each token's embedding E[id] x sqrt(d_model), its\n"
            "PE(pos) and their sum (the first layer's input) with their norms.\n"
            "With a learned PE the table is a trained parameter (no formula).",
        [VIEW_MODEL] =
            "The encoder stack: embedding (+PE), L x [multi-head attention,\n"
            "residual, LayerNorm, feed-forward C->F->C with ReLU, residual,\n"
            "LayerNorm], mean pooling, classifier C->C/2->K.\n"
            "  LayerNorm(x) = gamma (x - mean) / (std + eps) + beta\n"
            "Data flow of the typed sentence: the L2 norm |x| of the token vectors\n"
            "entering each layer, after x + attention(x), after LayerNorm 1, the\n"
            "share of the d_ff ReLU units > 0, after x + FFN(x), after\n"
            "LayerNorm 2; averaged over the tokens for every layer, token by token\n"
            "for the selected one (Up/Down; J/K: the token). LayerNorm brings\n"
            "each vector back near norm sqrt(d_model). Then the pooled vector,\n"
            "the classifier's logits and softmax(logits).\n"
            "The parameters in the workshop's words (d_model, num_heads, d_ff,\n"
            "num_layers, num_classes) for this run and the workshop's own model\n"
            "(7 layers, 353,442 parameters); the count of every component; FLOPs\n"
            "per token. Panels that do not fit go to further pages (v).\n"
            "Gradient: the gradient L2 norm per layer at the last step.",
        [VIEW_GENERATE] =
            "A language model ([model] task = lm) writes one token at a time.\n"
            "Causal mask: in every layer, query t sees keys 1..t only (the scores\n"
            "of later keys are -inf, their weights 0): the triangle, row = query,\n"
            "column = key. Position t's output depends on tokens <= t only, so it\n"
            "can learn to predict token t+1 without seeing it.\n"
            "Teacher forcing: training feeds windows of max_len + 1 true tokens\n"
            "and every position predicts the next true token at once,\n"
            "  loss = -1/T sum_t log p(x_t+1 | x_1..x_t),\n"
            "never the model's own guesses. The dashboard shows this loss, the\n"
            "perplexity exp(loss) and the bits per character (sum of -log2 p\n"
            "over the characters predicted), on training windows and on the\n"
            "validation text (consecutive blocks of max_len + 1 tokens).\n"
            "KV cache: while generating, each layer keeps the k and v of the\n"
            "tokens fed so far; a new token computes only its own q, k and v and\n"
            "attends over the cache: O(context) per token, not a whole forward.\n"
            "When the context is full (max_len) it slides: the model restarts on\n"
            "the last max_len - 1 tokens.\n"
            "Sampling: p = softmax(logits / T). Temperature T ([ and ]): 0 takes\n"
            "the most probable token (greedy), below 1 sharpens, above 1\n"
            "flattens. Top-k ({ and }): only the k most probable tokens,\n"
            "renormalised (0: off). Top-p (nucleus; generate --top-p): the fewest\n"
            "most probable tokens whose probabilities reach p. One draw of the\n"
            "seeded generator per token: the same seed (42, generate's default),\n"
            "weights and settings give the same text as minillm-tui generate.\n"
            "The view: the prompt (the input line, / edits it) and the tokens\n"
            "generated after it; the 10 most probable next tokens as bars, p\n"
            "under the model (T = 1) and the probability the sampler draws it\n"
            "with (after T and top-k); the causal attention of the text in the\n"
            "cache (h/l: head, j/k: layer). n draws one token, N streams one per\n"
            "frame, e starts again from the prompt. While training, a sample of\n"
            "the prompt is drawn again from the latest weights every "
            VALUE_OF(GEN_SAMPLE_EVERY_S_INT) " seconds.\n"
            "Model view: the LM head d_model -> V (no bias; tied: the embedding\n"
            "table itself) in place of the classifier; with norm = pre, the\n"
            "final LayerNorm before it.",
        [VIEW_HELP] = "",
    },
    [LANG_FR] = {
        [VIEW_DASHBOARD] =
            "L'entraînement en direct. La perte est l'entropie croisée du lot,\n"
            "  loss = -1/B somme_b log softmax(logits_b)[label_b],\n"
            "lissée sur les derniers lots (entraînement : moyenne mobile\n"
            "exponentielle, " VALUE_OF(TRAIN_CURVE_SMOOTHING) ") et mesurée sur des phrases mises de côté\n"
            "(validation), en tirets, avec un repère à chaque passage. Exactitude =\n"
            "part des prédictions (argmax) égales à l'étiquette. Un losange sur\n"
            "l'exactitude de validation (« meilleure » dans sa légende) marque le\n"
            "meilleur pas jusqu'ici. L'axe des x compte les pas d'optimisation ;\n"
            "g trace la perte en échelle log (log10), où une baisse régulière est\n"
            "une droite. La barre montre l'avancement de l'époque.\n"
            "phrases/s est le rythme observé (pas/s x lot) ; calcul est la vitesse\n"
            "des mêmes pas sans les attentes du rythme. Reste : les pas restants\n"
            "au rythme observé.\n"
            "Taux d'apprentissage : le calendrier prévu ([train] schedule :\n"
            "constant, ou une montée linéaire puis une décroissance en cosinus,\n"
            "  lr(t) = min_lr + (lr - min_lr) (1 + cos(pi (t - w) / (T - w))) / 2),\n"
            "fois le facteur de +/-, un losange au pas actuel.\n"
            "Les phrases du notebook : les dix exemples de l'atelier et la vôtre,\n"
            "prédites par les derniers poids, la classe et sa probabilité (la barre\n"
            "de confiance), cochées quand c'est l'étiquette du notebook ; mises à\n"
            "jour pendant l'entraînement. Sous les courbes sur un grand terminal\n"
            "(avec une carte d'attention s'il y a la place), sinon en page 2 (v).\n"
            "Un point de contrôle s'ouvre en pause, avec le pas et les chiffres de\n"
            "validation enregistrés ; Espace poursuit l'entraînement sur les\n"
            "données de cette session.",
        [VIEW_ATTENTION] =
            "L'auto-attention d'une couche et d'une tête sur la phrase tapée, étape\n"
            "par étape (v : suivante, V : précédente) ; ligne = token requête,\n"
            "colonne = token clé :\n"
            "  Attention(Q,K,V) = softmax(Q K^T / sqrt(d_k)) V,  d_k = d_model/h\n"
            "1 Q K V : q = x W_Q, k = x W_K, v = x W_V, d_k colonnes par tête ;\n"
            "  dessous, q . k dimension par dimension pour la requête et la clé du\n"
            "  curseur.\n"
            "2 QK^T : les scores s = q . k de chaque requête et clé.\n"
            "3 /sqrt(d_k) : s / sqrt(d_k), avec la dispersion (écart-type) avant\n"
            "  et après. Sans division, les scores grandissent avec d_k et le\n"
            "  softmax sature (un poids proche de 1) : le plus grand poids par\n"
            "  ligne est donné dans les deux cas.\n"
            "4 masque : -inf sur les clés qu'une requête ne doit pas voir\n"
            "  (remplissage ; avec un masque causal, les clés après elle) ;\n"
            "  exp(-inf) = 0.\n"
            "5 softmax : w = exp(s) / somme exp(s), chaque ligne somme à 1 ; son\n"
            "  entropie -somme w log2 w dit si les poids sont nets ou diffus.\n"
            "6 poids x V : la sortie de la tête, chaque ligne une moyenne pondérée\n"
            "  des lignes v ; puis MultiHead = Concat(tête_1..tête_h) W^O.\n"
            "Les cases d'au moins 5 colonnes montrent leur valeur. c : ce qu'un\n"
            "masque causal (la requête t voit les clés <= t, celui du décodeur)\n"
            "ferait de ces scores et poids : une hypothèse, signalée ; le modèle\n"
            "ne change pas.\n"
            "a : toutes les têtes de la couche côte à côte sur une même échelle,\n"
            "la tête choisie entre crochets, leur moyenne, l'entropie de chaque\n"
            "tête en bits, et 1 tête de d_k = d_model contre h têtes de\n"
            "d_model/h : mêmes paramètres 4 d_model^2 + 4 d_model et FLOPs\n"
            "8 T d_model^2 + 4 T^2 d_model, h fois les poids T x T.\n"
            "f : focus sur un token, le poids de la requête du curseur vers chaque\n"
            "clé en barres, une colonne par tête et leur moyenne (J/K : la\n"
            "requête).\n"
            "t : les tokens de la phrase, chacun avec son id, ses octets, ses\n"
            "caractères et ce qui l'a formé. m : les fusions d'un tokenizer BPE\n"
            "dans l'ordre appris : rang, les deux parts, le morceau formé, le\n"
            "compte de la paire (Haut/Bas PgUp/PgDn Début/Fin ; / cherche dans\n"
            "les morceaux, n/N le résultat suivant / précédent). Les morceaux de\n"
            "la phrase d'un modèle BPE, joints par |, sont sur la ligne au-dessus\n"
            "du panneau (une marque la termine quand ils ne tiennent pas).\n"
            "Un mot absent du vocabulaire est lu comme <UNK> et marqué ainsi.\n"
            "Seuls les max_len premiers tokens sont lus. Les colonnes étroites\n"
            "sont numérotées ; une carte plus grande que l'écran défile avec le\n"
            "curseur. Couches et têtes sont numérotées à partir de 1, comme dans\n"
            "predict.",
        [VIEW_PE] =
            "Encodage positionnel ajouté aux embeddings des tokens :\n"
            "  PE(pos, 2i)   = sin(pos / 10000^(2i/d_model))\n"
            "  PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))\n"
            "Le curseur (H J K L) choisit une position et une dimension : sa valeur\n"
            "avec la formule remplie, et la longueur d'onde de la dimension\n"
            "2 pi 10000^(2i/d_model) : les petites dimensions oscillent vite, les\n"
            "grandes lentement. La matrice défile avec le curseur sur toutes les\n"
            "positions et dimensions. Les ondes : PE(pos, d) de quelques\n"
            "dimensions ; w ajoute celle du curseur, W remet les premières.\n"
            "cos(PE_p, PE_p+k) selon le décalage k, depuis la position 0 et depuis\n"
            "celle du curseur : une seule courbe, car sin a sin b + cos a cos b =\n"
            "cos(a - b) ne dépend que de k ; à côté, la matrice de cos(PE_p, PE_q)\n"
            "nuancée sur sa propre plage.\n"
            "La phrase : l'embedding E[id] x sqrt(d_model) de chaque token, son\n"
            "PE(pos) et leur somme (l'entrée de la première couche) avec leurs\n"
            "normes. PE appris : la table est un paramètre entraîné (sans formule).",
        [VIEW_MODEL] =
            "La pile d'encodeurs : embedding (+PE), L x [attention multi-têtes,\n"
            "résiduel, LayerNorm, feed-forward C->F->C avec ReLU, résiduel,\n"
            "LayerNorm], moyenne sur les tokens, classifieur C->C/2->K.\n"
            "  LayerNorm(x) = gamma (x - moyenne) / (écart-type + eps) + beta\n"
            "Flux des données de la phrase tapée : la norme L2 |x| des vecteurs des\n"
            "tokens à l'entrée de chaque couche, après x + attention(x), après\n"
            "LayerNorm 1, la part des d_ff unités ReLU > 0, après x + FFN(x),\n"
            "après LayerNorm 2 ; en moyenne sur les tokens pour chaque couche,\n"
            "token par token pour la couche choisie (Haut/Bas ; J/K : le token).\n"
            "LayerNorm ramène chaque vecteur vers une norme de sqrt(d_model).\n"
            "Puis le vecteur résumé, les logits du classifieur et\n"
            "softmax(logits).\n"
            "Les paramètres dans les mots de l'atelier (d_model, num_heads, d_ff,\n"
            "num_layers, num_classes) pour cette session et le modèle de l'atelier\n"
            "(7 couches, 353 442 paramètres) ; le nombre de chaque composant ; les\n"
            "FLOPs par token. Les panneaux qui ne tiennent pas vont en pages\n"
            "suivantes (v).\n"
            "Gradient : la norme L2 du gradient par couche au dernier pas.",
        [VIEW_GENERATE] =
            "Un modèle de langue ([model] task = lm) écrit un token à la fois.\n"
            "Masque causal : dans chaque couche, la requête t ne voit que les clés\n"
            "1..t (les scores des clés suivantes valent -inf, leurs poids 0) : le\n"
            "triangle, ligne = requête, colonne = clé. La sortie de la position t\n"
            "ne dépend que des tokens <= t : elle peut apprendre à prédire le\n"
            "token t+1 sans le voir.\n"
            "Teacher forcing (forçage par l'enseignant) : l'entraînement lit des\n"
            "fenêtres de max_len + 1 vrais tokens et chaque position prédit en même\n"
            "temps le vrai token suivant,\n"
            "  perte = -1/T somme_t log p(x_t+1 | x_1..x_t),\n"
            "jamais les propositions du modèle lui-même. Le tableau de bord montre\n"
            "cette perte, la perplexité exp(perte) et les bits par caractère\n"
            "(somme des -log2 p sur les caractères prédits), sur les fenêtres\n"
            "d'entraînement et sur le texte de validation (blocs consécutifs de\n"
            "max_len + 1 tokens).\n"
            "Cache KV : pendant la génération, chaque couche garde les k et v des\n"
            "tokens déjà lus ; un nouveau token ne calcule que ses propres q, k et\n"
            "v et regarde le cache : O(contexte) par token, pas un forward entier.\n"
            "Quand le contexte est plein (max_len), il glisse : le modèle repart\n"
            "des max_len - 1 derniers tokens.\n"
            "Échantillonnage : p = softmax(logits / T). Température T ([ et ]) : 0\n"
            "prend le token le plus probable (glouton), en dessous de 1 la\n"
            "distribution s'affine, au-dessus elle s'aplatit. Top-k ({ et }) :\n"
            "seuls les k tokens les plus probables, renormalisés (0 : désactivé).\n"
            "Top-p (noyau ; generate --top-p) : le plus petit ensemble des tokens\n"
            "les plus probables dont la somme atteint p. Un tirage du générateur\n"
            "à graine par token : même graine (42, celle de generate), mêmes poids\n"
            "et réglages donnent le même texte que minillm-tui generate.\n"
            "La vue : l'amorce (la ligne de saisie, / la modifie) et les tokens\n"
            "générés après elle ; les 10 tokens suivants les plus probables en\n"
            "barres, p selon le modèle (T = 1) et la probabilité avec laquelle\n"
            "l'échantillonneur le tire (après T et top-k) ; l'attention causale\n"
            "du texte dans le cache (h/l : tête, j/k : couche). n tire un token,\n"
            "N en tire un par image en continu, e repart de l'amorce. Pendant\n"
            "l'entraînement, un échantillon de l'amorce est tiré à nouveau des\n"
            "derniers poids toutes les " VALUE_OF(GEN_SAMPLE_EVERY_S_INT) " secondes.\n"
            "Vue Modèle : la tête LM d_model -> V (sans biais ; liée : la table\n"
            "d'embedding elle-même) à la place du classifieur ; avec norm = pre,\n"
            "la LayerNorm finale avant elle.",
        [VIEW_HELP] = "",
    },
};

static Lang current_lang = LANG_EN;
static bool current_utf8 = true;

/* The French folded to ASCII, made once when a terminal without UTF-8 asks. */
static char folded_store[65536];
static const char *folded_messages[MSG_COUNT];
static const char *folded_explanations[VIEW_COUNT];
static bool folded_ready;

/* UTF-8 sequences and what they become in ASCII. */
static const struct {
    const char *utf8, *ascii;
} FOLDS[] = {
    {"à", "a"}, {"â", "a"}, {"ä", "a"}, {"ç", "c"}, {"é", "e"}, {"è", "e"}, {"ê", "e"},
    {"ë", "e"}, {"î", "i"}, {"ï", "i"}, {"ô", "o"}, {"ö", "o"}, {"ù", "u"}, {"û", "u"},
    {"ü", "u"}, {"ÿ", "y"}, {"À", "A"}, {"Â", "A"}, {"Ç", "C"}, {"É", "E"}, {"È", "E"},
    {"Ê", "E"}, {"Î", "I"}, {"Ô", "O"}, {"Ù", "U"}, {"Û", "U"}, {"œ", "oe"}, {"Œ", "OE"},
    {"«", "\""}, {"»", "\""}, {"’", "'"}, {"\xc2\xa0", " "}, {"\xe2\x80\xaf", " "},
    {"…", "..."}, {"–", "-"}, {"—", "-"},
};

size_t lang_fold_ascii(const char *text, char *out, size_t out_len)
{
    size_t n = 0;
    if (out_len == 0)
        return 0;
    while (*text && n + 1 < out_len) {
        const char *rep = NULL;
        size_t used = 1;
        if ((unsigned char)*text < 0x80) {
            out[n++] = *text++;
            continue;
        }
        for (size_t i = 0; i < sizeof FOLDS / sizeof FOLDS[0] && !rep; i++) {
            size_t len = strlen(FOLDS[i].utf8);
            if (strncmp(text, FOLDS[i].utf8, len) == 0) {
                rep = FOLDS[i].ascii;
                used = len;
            }
        }
        if (!rep) { /* anything else: one '?' for the whole character */
            rep = "?";
            while ((text[used] & 0xC0) == 0x80)
                used++;
        }
        for (; *rep && n + 1 < out_len; rep++)
            out[n++] = *rep;
        text += used;
    }
    out[n] = '\0';
    return n;
}

/* Folds one French text into the store; the original when the store is full. */
static const char *fold_into_store(const char *text, size_t *used)
{
    size_t room = sizeof folded_store - *used;
    if (strlen(text) + 1 > room) /* no fold is longer than what it replaces */
        return text;
    char *out = folded_store + *used;
    *used += lang_fold_ascii(text, out, room) + 1;
    return out;
}

static void fold_french(void)
{
    if (folded_ready)
        return;
    size_t used = 0;
    for (int i = 0; i < MSG_COUNT; i++)
        folded_messages[i] = fold_into_store(messages[LANG_FR][i], &used);
    for (int v = 0; v < VIEW_COUNT; v++)
        folded_explanations[v] = fold_into_store(explanations[LANG_FR][v], &used);
    folded_ready = true;
}

static int starts_with_fr(const char *s) { return s && strncmp(s, "fr", 2) == 0; }

Lang lang_select(const char *setting)
{
    if (setting && strcmp(setting, "fr") == 0)
        return LANG_FR;
    if (setting && strcmp(setting, "en") == 0)
        return LANG_EN;
    /* the first of these that is set decides, as for gettext */
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return starts_with_fr(v) ? LANG_FR : LANG_EN;
    }
    return LANG_EN;
}

void lang_set(Lang lang) { current_lang = lang; }
Lang lang_current(void) { return current_lang; }

void lang_set_utf8(bool utf8)
{
    current_utf8 = utf8;
    if (!utf8)
        fold_french();
}

const char *msg_in(Lang lang, MsgId id) { return messages[lang][id]; }

const char *msg(MsgId id)
{
    if (current_lang == LANG_FR && !current_utf8)
        return folded_messages[id];
    return messages[current_lang][id];
}

static const MsgId view_names[VIEW_COUNT] = {MSG_VIEW_DASHBOARD, MSG_VIEW_ATTENTION, MSG_VIEW_PE,
                                             MSG_VIEW_MODEL, MSG_VIEW_GENERATE, MSG_VIEW_HELP};

const char *view_name(int view)
{
    return view >= 0 && view < VIEW_COUNT ? msg(view_names[view]) : "";
}

const char *view_explanation(int view)
{
    if (view < 0 || view >= VIEW_COUNT)
        return "";
    if (current_lang == LANG_FR && !current_utf8)
        return folded_explanations[view];
    return explanations[current_lang][view];
}

const char *lang_shown(const char *text, char *buf, size_t len)
{
    if (current_utf8)
        return text;
    lang_fold_ascii(text, buf, len);
    return buf;
}
