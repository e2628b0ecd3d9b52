/* `minillm-tui eval` of a language model: the evaluation protocol (lm_eval.h)
 * on the text of --data (default: the embedded text's validation part). */
#include <cjson/cJSON.h>
#include <math.h>

#include "cli_util.h"
#include "lm_score.h"
#include "run.h"

/* Blocks per forward pass. */
#define EVAL_LM_BATCH 32

int cli_eval_lm(Run *run, bool json, FILE *out, FILE *err)
{
    LmEvalResult r;
    char msg[512];
    if (lm_evaluate_model(run->model, NULL, EVAL_LM_BATCH, &run->lm->val, &r, msg, sizeof msg) != 0) {
        fprintf(err, CLI_PROGRAM " eval: %s: %s\n", run->data_name, msg);
        return 1;
    }
    if (!json) {
        fprintf(out, "%s: %ld tokens predicted (%ld characters), blocks of %d\n", run->data_name,
                r.tokens, r.chars, run->model->cfg.max_len + 1);
        fprintf(out, "loss %.4f nats/token, perplexity %.3f, %.4f bits/char\n", r.loss,
                r.perplexity, r.bits_per_char);
        return 0;
    }
    cJSON *root = cJSON_CreateObject();
    bool ok = root && cJSON_AddNumberToObject(root, "loss", cli_round6(r.loss)) &&
              cJSON_AddNumberToObject(root, "perplexity", cli_round6(r.perplexity)) &&
              cJSON_AddNumberToObject(root, "bits_per_char", cli_round6(r.bits_per_char)) &&
              cJSON_AddNumberToObject(root, "tokens", (double)r.tokens);
    int rc = ok ? cli_print_json(out, root) : -1;
    cJSON_Delete(root);
    if (rc != 0)
        fprintf(err, CLI_PROGRAM " eval: out of memory writing JSON\n");
    return rc == 0 ? 0 : 1;
}
