/* The Generate view's text: see gen.h. */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "src/errors.h"
#include "src/lm_generate.h"

int gen_init(GenState *gs, const Model *m, uint64_t seed, char *err, size_t err_len)
{
    memset(gs, 0, sizeof *gs);
    gs->seed = seed;
    gs->sampling = (SamplingConfig){.temperature = 1.0f, .top_k = 0, .top_p = 1.0f};
    gs->weights_version = gs->sample_version = gs->sample_step = -1;
    if (m->cfg.task != MODEL_TASK_LM)
        return 0;
    gs->V = m->cfg.vocab_size;
    gs->T = m->cfg.max_len;
    gs->g = generator_create(m, gs->T, err, err_len);
    if (!gs->g)
        return -1;
    size_t V = (size_t)gs->V;
    gs->logits = malloc(V * sizeof(float));
    gs->probs = malloc(V * sizeof(float));
    gs->sampled = malloc(V * sizeof(float));
    gs->scratch = malloc(2 * V * sizeof(float));
    gs->history = malloc(GEN_HISTORY_MAX * sizeof(int));
    if (!gs->logits || !gs->probs || !gs->sampled || !gs->scratch || !gs->history) {
        gen_free(gs);
        return errorf(err, err_len, "out of memory for the Generate view (vocabulary %d)", (int)V);
    }
    return 0;
}

void gen_free(GenState *gs)
{
    generator_free(gs->g);
    free(gs->logits);
    free(gs->probs);
    free(gs->sampled);
    free(gs->scratch);
    free(gs->history);
    memset(gs, 0, sizeof *gs);
}

int gen_generated(const GenState *gs) { return gs->n_history - gs->n_prompt; }

/* Whether token a comes before b in the bars: more probable, then the lower id. */
static bool ranks_before(const float *p, int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); }

/* softmax(logits / t) into out (t <= 0: all on the first most probable token). */
void gen_softmax(const float *logits, int V, float t, float *out)
{
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best])
            best = i;
    if (t <= 0.0f) {
        for (int i = 0; i < V; i++)
            out[i] = i == best ? 1.0f : 0.0f;
        return;
    }
    double sum = 0;
    for (int i = 0; i < V; i++) {
        out[i] = expf((logits[i] - logits[best]) / t);
        sum += out[i];
    }
    for (int i = 0; i < V; i++)
        out[i] = (float)(out[i] / sum);
}

void gen_resample_view(GenState *gs)
{
    if (!gs->valid)
        return;
    int V = gs->V, k = gs->sampling.top_k;
    gen_softmax(gs->logits, V, gs->sampling.temperature, gs->sampled);
    if (k > 0 && k < V) { /* keep the k most probable (ties: the lower id), renormalised */
        int kept_ids[GEN_TOP_K_MAX], n = k < GEN_TOP_K_MAX ? k : GEN_TOP_K_MAX;
        gen_top_tokens(gs->sampled, V, kept_ids, n);
        double kept = 0;
        for (int j = 0; j < n; j++)
            kept += gs->sampled[kept_ids[j]];
        float keep_p[GEN_TOP_K_MAX];
        for (int j = 0; j < n; j++)
            keep_p[j] = kept > 0 ? (float)(gs->sampled[kept_ids[j]] / kept) : 0.0f;
        memset(gs->sampled, 0, (size_t)V * sizeof(float));
        for (int j = 0; j < n; j++)
            gs->sampled[kept_ids[j]] = keep_p[j];
    }
}

void gen_top_tokens(const float *p, int V, int *top, int n)
{
    int have = 0;
    for (int i = 0; i < V; i++) {
        int at = have < n ? have++ : n;
        while (at > 0 && ranks_before(p, i, top[at - 1])) {
            if (at < n)
                top[at] = top[at - 1];
            at--;
        }
        if (at < n)
            top[at] = i;
    }
}

void gen_token_label(const Vocab *v, int id, char *out, size_t len)
{
    const char *t = id == MODEL_UNK_ID ? NULL : lm_token_text(v, id);
    if (t && vocab_bpe(v) && id >= vocab_num_specials(v)) {
        /* a BPE token's bytes may hold line ends or part of a character */
        size_t n = 0;
        const char *bytes = vocab_token_bytes(v, id, &n);
        char shown[32];
        token_display(bytes, n, shown);
        snprintf(out, len, "'%s'", shown);
    } else if (!t)
        snprintf(out, len, "<UNK>");
    else if (id == MODEL_PAD_ID)
        snprintf(out, len, "<PAD>");
    else if (strcmp(t, "\n") == 0)
        snprintf(out, len, "'\\n'");
    else if (strcmp(t, "\t") == 0)
        snprintf(out, len, "'\\t'");
    else
        snprintf(out, len, "'%s'", t);
}

/* probs and the top tokens from the logits. */
static void distribution_update(GenState *gs)
{
    gen_softmax(gs->logits, gs->V, 1.0f, gs->probs);
    gs->n_top = gs->V < GEN_TOP ? gs->V : GEN_TOP;
    gen_top_tokens(gs->probs, gs->V, gs->top, gs->n_top);
    gs->valid = true;
    gen_resample_view(gs);
}

/* The cache restarted on history[window..n_history); the logits after its last token. */
static void feed_window(GenState *gs)
{
    generator_reset(gs->g);
    const float *logits = NULL;
    for (int i = gs->window; i < gs->n_history; i++)
        logits = generator_feed(gs->g, gs->history[i]);
    gs->valid = logits != NULL;
    if (logits) {
        memcpy(gs->logits, logits, (size_t)gs->V * sizeof(float));
        distribution_update(gs);
    }
}

void gen_restart(GenState *gs, const Model *m, const TokenizerConfig *tc, const Vocab *v,
                 const char *prompt, long version)
{
    (void)m;
    gs->valid = false;
    gs->streaming = false;
    if (!gs->g)
        return;
    size_t len = strnlen(prompt, GEN_PROMPT_MAX - 1);
    memcpy(gs->prompt, prompt, len);
    gs->prompt[len] = '\0';
    const char *text = len > 0 ? gs->prompt : "\n";
    long n = encode_text(tc, v, text, len > 0 ? len : 1, gs->history, NULL);
    gs->n_history = gs->n_prompt = n > 0 ? (int)n : 0;
    rng_seed(&gs->rng, gs->seed);
    gs->weights_version = version;
    if (gs->n_history <= 0)
        return;
    int keep = gs->n_history < gs->T ? gs->n_history : gs->T - 1;
    gs->window = gs->n_history - keep;
    feed_window(gs);
}

void gen_refeed(GenState *gs, long version)
{
    gs->weights_version = version;
    if (gs->g && gs->n_history > 0)
        feed_window(gs);
}

bool gen_step(GenState *gs)
{
    if (!gs->valid || gs->n_history >= GEN_HISTORY_MAX)
        return false;
    int id = sample_next_token(gs->logits, gs->V, &gs->sampling, &gs->rng, gs->scratch, NULL);
    gs->history[gs->n_history++] = id;
    if (generator_position(gs->g) < gs->T) {
        const float *logits = generator_feed(gs->g, id);
        gs->valid = logits != NULL;
        if (logits) {
            memcpy(gs->logits, logits, (size_t)gs->V * sizeof(float));
            distribution_update(gs);
        }
    } else { /* the context is full: slide to the last max_len - 1 tokens */
        gs->window = gs->n_history - (gs->T - 1);
        feed_window(gs);
    }
    return gs->valid;
}
