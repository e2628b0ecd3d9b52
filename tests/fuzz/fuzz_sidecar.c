/* Fuzz target: an optimizer sidecar, then one Adam step with it.
 * Properties: a file is loaded or refused with a message naming it (and the
 * optimizer left as it was); a loaded state holds finite moments, v >= 0, a
 * step >= 0 and settings within the INI config's ranges; the step runs. */
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "config.h"
#include "fuzz.h"
#include "spelling.h"

#define NAME "fuzz.optim"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    model_set_threads(1, false);
    return 0;
}

static void check_in_ini_range(const char *key, float value)
{
    char text[32], problem[256];
    float_to_text(value, text, sizeof text);
    FUZZ_CHECK(app_config_check_value("train", key, text, problem, sizeof problem) == 0,
               "loaded %s = %s: %s", key, text, problem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Optimizer opt = {0};
    char err[1024] = "";
    if (optimizer_state_load_memory(NAME, data, size, &opt, NULL, NULL, err, sizeof err) != 0) {
        FUZZ_CHECK(strncmp(err, NAME ": ", strlen(NAME) + 2) == 0, "message '%s'", err);
        FUZZ_CHECK(opt.m == NULL && opt.v == NULL, "left allocated");
        return 0;
    }
    fuzz_accepted++;
    FUZZ_CHECK(opt.step >= 0, "step %ld", opt.step);
    for (size_t i = 0; i < opt.n; i++) {
        FUZZ_CHECK(isfinite(opt.m[i]), "m[%zu] = %g", i, (double)opt.m[i]);
        FUZZ_CHECK(isfinite(opt.v[i]) && opt.v[i] >= 0.0f, "v[%zu] = %g", i, (double)opt.v[i]);
    }
    check_in_ini_range("lr", opt.cfg.lr);
    check_in_ini_range("beta1", opt.cfg.beta1);
    check_in_ini_range("beta2", opt.cfg.beta2);
    check_in_ini_range("eps", opt.cfg.eps);
    check_in_ini_range("weight_decay", opt.cfg.weight_decay);
    check_in_ini_range("clip_norm", opt.cfg.clip_norm);

    /* One step over parameters and gradients that depend only on the index. */
    float *params = malloc((opt.n ? opt.n : 1) * sizeof *params);
    float *grads = malloc((opt.n ? opt.n : 1) * sizeof *grads);
    if (params && grads) {
        for (size_t i = 0; i < opt.n; i++) {
            params[i] = 0.01f * (float)(i % 17) - 0.08f;
            grads[i] = 0.001f * (float)(i % 13) - 0.006f;
        }
        long before = opt.step;
        optimizer_step(&opt, params, grads, opt.cfg.lr);
        FUZZ_CHECK(opt.step == before + 1, "step %ld after %ld", opt.step, before);
    }
    free(params);
    free(grads);
    optimizer_free(&opt);
    return 0;
}
