/* English and French strings: see lang.h. */
#include "lang.h"

#include <stdlib.h>
#include <string.h>

#include "src/snapshot.h"
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
            "(and \"best\" in its legend) is the best step so far. The bar is the\n"
            "progress through the current epoch.\n"
            "sentences/s is the pace you watch (steps/s x batch); compute is the\n"
            "speed of the same steps without the waits of the pace. ETA: the\n"
            "steps left at the pace watched.\n"
            "A checkpoint opens paused, showing the step and validation figures\n"
            "it was saved with; Space trains it further on the data of this run.\n"
            "On a large terminal: an attention map and the prediction for the\n"
            "current sentence.",
        [VIEW_ATTENTION] =
            "One head of one layer for the current sentence. Row = query token,\n"
            "column = key token; a cell is the weight the query gives the key:\n"
            "  Attention(Q,K,V) = softmax(Q K^T / sqrt(d_k)) V,  d_k = d_model/h\n"
            "  MultiHead = Concat(head_1..head_h) W^O\n"
            "Each row sums to 1. Masked cells (padding, causal) are dotted: their\n"
            "weight is exactly 0 (score -inf before the softmax). The map is\n"
            "recomputed from the latest weights on every keystroke and as the\n"
            "model trains.\n"
            "A word the vocabulary does not have is fed as <UNK> and labelled so.\n"
            "Only the first max_len tokens are read. When the columns are too\n"
            "narrow for words they are numbered, and the rows say which word each\n"
            "number is; a map larger than the screen scrolls with the cursor.\n"
            "Layers and heads are numbered from 1, as in predict's text output.",
        [VIEW_PE] =
            "Positional encoding added to the token embeddings:\n"
            "  PE(pos, 2i)   = sin(pos / 10000^(2i/d_model))\n"
            "  PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))\n"
            "Low dimensions oscillate fast, high ones slowly. The cosine\n"
            "similarity cos(PE_p, PE_q) depends mostly on |p - q|: nearby positions\n"
            "look alike; its shades span its own range, printed under it. With a\n"
            "learned PE the table is a trained parameter.",
        [VIEW_MODEL] =
            "The encoder stack: embedding (+PE), L x [multi-head attention,\n"
            "residual, LayerNorm, feed-forward C->F->C with ReLU, residual,\n"
            "LayerNorm], mean pooling, classifier C->C/2->K.\n"
            "  LayerNorm(x) = gamma (x - mean) / (std + eps) + beta\n"
            "Norms: mean L2 norm of the token vectors after each stage for the\n"
            "current sentence; gradient L2 norm per layer at the last step.",
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
            "meilleur pas jusqu'ici. La barre montre l'avancement de l'époque.\n"
            "phrases/s est le rythme observé (pas/s x lot) ; calcul est la vitesse\n"
            "des mêmes pas sans les attentes du rythme. Reste : les pas restants\n"
            "au rythme observé.\n"
            "Un point de contrôle s'ouvre en pause, avec le pas et les chiffres de\n"
            "validation enregistrés ; Espace poursuit l'entraînement sur les\n"
            "données de cette session.\n"
            "Sur un grand terminal : une carte d'attention et la prédiction pour\n"
            "la phrase courante.",
        [VIEW_ATTENTION] =
            "Une tête d'une couche pour la phrase courante. Ligne = token requête,\n"
            "colonne = token clé ; une case est le poids que la requête donne à la clé :\n"
            "  Attention(Q,K,V) = softmax(Q K^T / sqrt(d_k)) V,  d_k = d_model/h\n"
            "  MultiHead = Concat(tête_1..tête_h) W^O\n"
            "Chaque ligne somme à 1. Les cases masquées (remplissage, causal) sont\n"
            "pointillées : leur poids vaut exactement 0 (score -inf avant le\n"
            "softmax). La carte est recalculée avec les derniers poids à chaque\n"
            "touche et pendant l'entraînement.\n"
            "Un mot absent du vocabulaire est lu comme <UNK> et marqué ainsi.\n"
            "Seuls les max_len premiers tokens sont lus. Quand les colonnes sont\n"
            "trop étroites pour les mots, elles sont numérotées et les lignes\n"
            "disent quel mot porte chaque numéro ; une carte plus grande que\n"
            "l'écran défile avec le curseur.\n"
            "Couches et têtes sont numérotées à partir de 1, comme dans predict.",
        [VIEW_PE] =
            "Encodage positionnel ajouté aux embeddings des tokens :\n"
            "  PE(pos, 2i)   = sin(pos / 10000^(2i/d_model))\n"
            "  PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))\n"
            "Les petites dimensions oscillent vite, les grandes lentement. La\n"
            "similarité cosinus cos(PE_p, PE_q) dépend surtout de |p - q| : des\n"
            "positions voisines se ressemblent ; ses nuances couvrent sa propre\n"
            "plage, écrite dessous. PE appris : la table est un paramètre entraîné.",
        [VIEW_MODEL] =
            "La pile d'encodeurs : embedding (+PE), L x [attention multi-têtes,\n"
            "résiduel, LayerNorm, feed-forward C->F->C avec ReLU, résiduel,\n"
            "LayerNorm], moyenne sur les tokens, classifieur C->C/2->K.\n"
            "  LayerNorm(x) = gamma (x - moyenne) / (écart-type + eps) + beta\n"
            "Normes : norme L2 moyenne des vecteurs après chaque étape pour la\n"
            "phrase courante ; norme L2 du gradient par couche au dernier pas.",
        [VIEW_HELP] = "",
    },
};

static Lang current_lang = LANG_EN;
static bool current_utf8 = true;

/* The French folded to ASCII, made once when a terminal without UTF-8 asks. */
static char folded_store[32768];
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
                                             MSG_VIEW_MODEL, MSG_VIEW_HELP};

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
