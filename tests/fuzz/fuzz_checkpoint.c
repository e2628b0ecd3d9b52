/* Fuzz target: a model checkpoint file, then what the program does with one: an
 * eval forward pass of a short sentence, and a save that loads back the same.
 * Properties: a file is loaded or refused with a message naming it; a loaded
 * model has only finite weights; finite logits give probabilities that are
 * finite and sum to 1; saving what was loaded gives a file that loads back with
 * the same weights, bit for bit, and the same training info. */
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "checkpoint_meta.h"
#include "fuzz.h"

#define NAME "fuzz.safetensors"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    model_set_threads(1, false);
    return 0;
}

/* One sentence of T <= 6 tokens, ids taken from the input's bytes. */
static void forward_once(Model *m, const uint8_t *data, size_t size)
{
    int T = m->cfg.max_len < 6 ? m->cfg.max_len : 6;
    int tokens[6];
    for (int t = 0; t < T; t++)
        tokens[t] = size ? (int)(data[(size_t)t % size] % (unsigned)m->cfg.vocab_size) : 1;
    Activations *a = activations_create(m, 1, T);
    if (!a)
        return; /* out of memory: nothing to check */
    const float *logits = model_forward(m, a, tokens, 1, T, NULL);
    FUZZ_CHECK(logits != NULL, "forward refused valid tokens");
    const int K = m->cfg.num_classes;
    bool finite = true;
    for (int k = 0; k < K; k++)
        finite = finite && isfinite(logits[k]);
    if (finite && K > 0) { /* a language model (K = 0) has no class probabilities */
        const float *probs = activations_probs(a);
        double sum = 0.0;
        for (int k = 0; k < K; k++) {
            FUZZ_CHECK(isfinite(probs[k]) && probs[k] >= 0.0f, "class %d: p = %g from finite logits",
                       k, (double)probs[k]);
            sum += probs[k];
        }
        FUZZ_CHECK(fabs(sum - 1.0) < 1e-4, "probabilities sum to %g", sum);
    }
    activations_free(a);
}

static void save_and_reload(const Checkpoint *c)
{
    unsigned char *bytes;
    size_t len;
    char err[1024];
    int rc = checkpoint_serialize(NAME, c->model, &c->tokenizer, c->vocab,
                                  (const char *const *)c->labels, c->num_labels, &c->info, &bytes,
                                  &len, err, sizeof err);
    FUZZ_CHECK(rc == 0, "a loaded checkpoint cannot be saved: %s", err);
    Checkpoint again;
    rc = checkpoint_load_memory("resaved", bytes, len, &again, err, sizeof err);
    FUZZ_CHECK(rc == 0, "a saved checkpoint does not load: %s", err);
    FUZZ_CHECK(again.model->num_params == c->model->num_params, "parameter counts differ");
    FUZZ_CHECK(memcmp(again.model->params, c->model->params,
                      c->model->num_params * sizeof(float)) == 0, "weights differ after a round trip");
    FUZZ_CHECK(again.file_hash == checkpoint_hash(bytes, len), "file_hash is not the bytes' hash");
    const CheckpointInfo *a = &c->info, *b = &again.info;
    FUZZ_CHECK(a->step == b->step && a->total_steps == b->total_steps && a->val_step == b->val_step,
               "training steps differ after a round trip");
    FUZZ_CHECK(a->val_step < 0 || a->val_acc == b->val_acc, "val_accuracy differs");
    FUZZ_CHECK(memcmp(&a->val_loss, &b->val_loss, sizeof a->val_loss) == 0 ||
               (isnan(a->val_loss) && isnan(b->val_loss)), "val_loss differs");
    FUZZ_CHECK(strcmp(a->data, b->data) == 0, "data differs");
    checkpoint_free(&again);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Checkpoint c;
    char err[1024] = "";
    if (checkpoint_load_memory(NAME, data, size, &c, err, sizeof err) != 0) {
        FUZZ_CHECK(strncmp(err, NAME ": ", strlen(NAME) + 2) == 0, "message '%s'", err);
        FUZZ_CHECK(c.model == NULL && c.vocab == NULL && c.labels == NULL, "left allocated");
        return 0;
    }
    for (size_t i = 0; i < c.model->num_params; i++)
        FUZZ_CHECK(isfinite(c.model->params[i]), "weight %zu is %g", i, (double)c.model->params[i]);
    fuzz_accepted++;
    forward_once(c.model, data, size);
    save_and_reload(&c);
    checkpoint_free(&c);
    return 0;
}
