/* English and French strings: see lang.h. The French avoids accents so that
 * the ASCII fallback (no UTF-8 locale) still reads well. */
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

static Lang current_lang = LANG_EN;

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
const char *msg(MsgId id) { return messages[current_lang][id]; }

static const MsgId view_names[VIEW_COUNT] = {MSG_VIEW_DASHBOARD, MSG_VIEW_ATTENTION, MSG_VIEW_PE,
                                             MSG_VIEW_MODEL, MSG_VIEW_HELP};

const char *view_name(int view)
{
    return view >= 0 && view < VIEW_COUNT ? msg(view_names[view]) : "";
}

static const char *const explanations_en[VIEW_COUNT] = {
    [VIEW_DASHBOARD] =
        "Training, live. The loss is the cross-entropy of the batch,\n"
        "  loss = -1/B sum_b log softmax(logits_b)[label_b],\n"
        "smoothed over the last batches (train: exponential moving average,\n"
        VALUE_OF(TRAIN_CURVE_SMOOTHING) ") and measured on held-out sentences (validation). Accuracy =\n"
        "share of argmax predictions equal to the label. The bar is the\n"
        "progress through the current epoch. A marker on the validation\n"
        "accuracy (and \"best\" in its legend) is the best step so far.\n"
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
        "model trains.",
    [VIEW_PE] =
        "Positional encoding added to the token embeddings:\n"
        "  PE(pos, 2i)   = sin(pos / 10000^(2i/d_model))\n"
        "  PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))\n"
        "Low dimensions oscillate fast, high ones slowly. The cosine\n"
        "similarity cos(PE_p, PE_q) depends mostly on |p - q|: nearby positions\n"
        "look alike. With a learned PE the table is a trained parameter.",
    [VIEW_MODEL] =
        "The encoder stack: embedding (+PE), L x [multi-head attention,\n"
        "residual, LayerNorm, feed-forward C->F->C with ReLU, residual,\n"
        "LayerNorm], mean pooling, classifier C->C/2->K.\n"
        "  LayerNorm(x) = gamma (x - mean) / (std + eps) + beta\n"
        "Norms: mean L2 norm of the token vectors after each stage for the\n"
        "current sentence; gradient L2 norm per layer at the last step.",
    [VIEW_HELP] = "",
};

static const char *const explanations_fr[VIEW_COUNT] = {
    [VIEW_DASHBOARD] =
        "L'entrainement en direct. La perte est l'entropie croisee du lot,\n"
        "  loss = -1/B somme_b log softmax(logits_b)[label_b],\n"
        "lissee sur les derniers lots (entrainement : moyenne mobile\n"
        "exponentielle, " VALUE_OF(TRAIN_CURVE_SMOOTHING) ") et mesuree sur des phrases mises de cote\n"
        "(validation). Exactitude = part des predictions (argmax) egales a\n"
        "l'etiquette. La barre montre l'avancement de l'epoque. Un repere sur\n"
        "l'exactitude de validation (\"meilleure\" dans sa legende) marque le\n"
        "meilleur pas jusqu'ici. Sur un grand\n"
        "terminal : une carte d'attention et la prediction pour la phrase.",
    [VIEW_ATTENTION] =
        "Une tete d'une couche pour la phrase courante. Ligne = token requete,\n"
        "colonne = token cle ; une case est le poids que la requete donne a la cle :\n"
        "  Attention(Q,K,V) = softmax(Q K^T / sqrt(d_k)) V,  d_k = d_model/h\n"
        "  MultiHead = Concat(tete_1..tete_h) W^O\n"
        "Chaque ligne somme a 1. Les cases masquees (remplissage, causal) sont\n"
        "pointillees : leur poids vaut exactement 0 (score -inf avant le\n"
        "softmax). La carte est recalculee avec les derniers poids a chaque\n"
        "touche et pendant l'entrainement.",
    [VIEW_PE] =
        "Encodage positionnel ajoute aux embeddings des tokens :\n"
        "  PE(pos, 2i)   = sin(pos / 10000^(2i/d_model))\n"
        "  PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))\n"
        "Les petites dimensions oscillent vite, les grandes lentement. La\n"
        "similarite cosinus cos(PE_p, PE_q) depend surtout de |p - q| : des\n"
        "positions voisines se ressemblent. PE appris : la table est entrainee.",
    [VIEW_MODEL] =
        "La pile d'encodeurs : embedding (+PE), L x [attention multi-tetes,\n"
        "residuel, LayerNorm, feed-forward C->F->C avec ReLU, residuel,\n"
        "LayerNorm], moyenne sur les tokens, classifieur C->C/2->K.\n"
        "  LayerNorm(x) = gamma (x - moyenne) / (ecart-type + eps) + beta\n"
        "Normes : norme L2 moyenne des vecteurs apres chaque etape pour la\n"
        "phrase courante ; norme L2 du gradient par couche au dernier pas.",
    [VIEW_HELP] = "",
};

const char *view_explanation(int view, Lang lang)
{
    if (view < 0 || view >= VIEW_COUNT)
        return "";
    return lang == LANG_FR ? explanations_fr[view] : explanations_en[view];
}
