#include "toy_data.h"

#include <stdlib.h>
#include <string.h>

static const char *const sentences[TOY_N] = {
    "this movie is great", "i love this film", "amazing performance", "wonderful story",
    "best movie ever", "terrible movie", "worst film ever", "boring story",
    "bad performance", "waste of time",
};
static const int sentence_labels[TOY_N] = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};

static int compare_words(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int toy_dataset(int *tokens, int *labels)
{
    char text[TOY_N][64];
    char *words[TOY_N][TOY_MAX_LEN];
    int counts[TOY_N];
    const char *vocab[TOY_VOCAB_MAX];
    int V = 0;
    for (int i = 0; i < TOY_N; i++) {
        strcpy(text[i], sentences[i]);
        counts[i] = 0;
        for (char *w = strtok(text[i], " "); w && counts[i] < TOY_MAX_LEN; w = strtok(NULL, " ")) {
            words[i][counts[i]++] = w;
            int seen = 0;
            for (int v = 0; v < V; v++)
                seen |= strcmp(vocab[v], w) == 0;
            if (!seen)
                vocab[V++] = w;
        }
    }
    qsort(vocab, (size_t)V, sizeof vocab[0], compare_words);
    for (int i = 0; i < TOY_N; i++) {
        for (int t = 0; t < TOY_MAX_LEN; t++) {
            int id = 0; /* <PAD> */
            if (t < counts[i])
                for (int v = 0; v < V; v++)
                    if (strcmp(vocab[v], words[i][t]) == 0)
                        id = v + 2;
            tokens[i * TOY_MAX_LEN + t] = id;
        }
        labels[i] = sentence_labels[i];
    }
    return V + 2;
}
