/* Memory before allocation: see memory.h. */
#include "memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

MemoryEstimate memory_estimate_training(const AppConfig *cfg, bool has_val, int shards)
{
    const ModelConfig *mc = &cfg->model;
    const TrainConfig *tc = &cfg->train;
    const uint64_t P = model_param_budget(mc).total, f = sizeof(float);
    const int B = tc->batch_size, T = mc->max_len;
    const uint64_t one_pass = activations_bytes(mc, B, T);
    const uint64_t model = 2 * P * f + (uint64_t)T * (uint64_t)mc->d_model * f; /* + sinusoid */
    const bool average = tc->ema_decay > 0 || tc->swa_start > 0;
    MemoryEstimate e = {
        .weights = model,
        .adam = 2 * P * f,
        .copies = (has_val ? model : 0) + (average ? model : 0),
        .activations = one_pass * (1 + (tc->rdrop_alpha > 0) + average) +
                       (tc->adversarial_eps > 0 ? (uint64_t)B * T * mc->d_model * f : 0),
        .shards = shards > 1 ? (uint64_t)(shards - 1) * P * f : 0,
    };
    e.total = e.weights + e.adam + e.copies + e.activations + e.shards;
    return e;
}

/* The first number of a file (memory.max: "max" or bytes), or of the line of
 * /proc/meminfo that starts with key (in kB). 0 when absent or unreadable. */
static uint64_t read_number(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    uint64_t value = 0;
    while (fgets(line, sizeof line, f)) {
        const char *at = line;
        if (key) {
            if (strncmp(line, key, strlen(key)) != 0)
                continue;
            at += strlen(key);
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(at, &end, 10);
        if (end != at && errno == 0)
            value = key ? (uint64_t)v * 1024 : (uint64_t)v;
        break;
    }
    fclose(f);
    return value;
}

uint64_t memory_available_from(const char *cgroup_max_path, const char *meminfo_path,
                               const char *env_mb, char *what, size_t what_len)
{
    if (env_mb && *env_mb) {
        char *end;
        errno = 0;
        unsigned long long mb = strtoull(env_mb, &end, 10);
        if (*end == '\0' && errno == 0 && mb > 0 && mb < (1ull << 44)) {
            snprintf(what, what_len, "MINILLM_MEMORY_LIMIT_MB=%llu", mb);
            return (uint64_t)mb << 20;
        }
    }
    const uint64_t cgroup = read_number(cgroup_max_path, NULL);
    const uint64_t avail = read_number(meminfo_path, "MemAvailable:");
    if (cgroup > 0 && (avail == 0 || cgroup < avail)) {
        snprintf(what, what_len, "the cgroup limit, %s", cgroup_max_path);
        return cgroup;
    }
    snprintf(what, what_len, "MemAvailable in %s", meminfo_path);
    return avail;
}

uint64_t memory_available(char *what, size_t what_len)
{
    return memory_available_from("/sys/fs/cgroup/memory.max", "/proc/meminfo",
                                 getenv("MINILLM_MEMORY_LIMIT_MB"), what, what_len);
}

static double gib(uint64_t bytes)
{
    return (double)bytes / (double)(1ull << 30);
}

int memory_check_training(const AppConfig *cfg, bool has_val, int shards, char *err,
                          size_t err_len)
{
    char what[160];
    const uint64_t available = memory_available(what, sizeof what);
    const MemoryEstimate e = memory_estimate_training(cfg, has_val, shards);
    if (available == 0 || e.total <= available)
        return 0;
    const ModelConfig *mc = &cfg->model;
    return errorf(err, err_len,
                  "this run needs about %.1f GiB (weights and gradients %.1f, Adam moments %.1f, "
                  "copies %.1f, activations %.1f for %d x %d tokens, shard gradients %.1f), more "
                  "than the %.1f GiB available (%s): lower model.d_model=%d, model.d_ff=%d, "
                  "model.num_layers=%d, model.num_heads=%d, model.max_len=%d, data.max_vocab "
                  "(vocabulary %d) or train.batch_size=%d",
                  gib(e.total), gib(e.weights), gib(e.adam), gib(e.copies), gib(e.activations),
                  cfg->train.batch_size, mc->max_len, gib(e.shards), gib(available), what,
                  mc->d_model, mc->d_ff, mc->num_layers, mc->num_heads, mc->max_len,
                  mc->vocab_size, cfg->train.batch_size);
}
