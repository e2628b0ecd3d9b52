/* Memory before allocation: what a training run of a config will allocate, and
 * what the process may use, so that a config too large for the machine is a
 * clear error naming its keys instead of a process the OOM killer ends. */
#ifndef MINILLM_MEMORY_H
#define MINILLM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The bytes a training run allocates, by part (cfg->model complete: vocab_size
 * and num_classes filled in). Activations for batch_size x max_len (attention
 * maps (B, NH, T, T) included), per model pass that keeps them. */
typedef struct {
    uint64_t weights;     /* parameters and gradients of the model being trained */
    uint64_t adam;        /* the optimizer's two moments */
    uint64_t copies;      /* the best copy (with validation) and the weight average */
    uint64_t activations; /* every pass's activations, the adversarial perturbation */
    uint64_t shards;      /* per-shard gradient buffers (batch sharding on threads) */
    uint64_t total;
} MemoryEstimate;

/* has_val: a validation set (a best copy is kept); shards: activations_auto_shards. */
MemoryEstimate memory_estimate_training(const AppConfig *cfg, bool has_val, int shards);

/* The bytes this process may still allocate: the smaller of the cgroup v2 limit
 * (/sys/fs/cgroup/memory.max, when a number) and MemAvailable of /proc/meminfo;
 * the environment variable MINILLM_MEMORY_LIMIT_MB (MiB) replaces both. `what`
 * says which one gave the figure. 0 when none can be read (no check then). */
uint64_t memory_available(char *what, size_t what_len);
/* The same from the given files (tests); env_mb NULL: not set. */
uint64_t memory_available_from(const char *cgroup_max_path, const char *meminfo_path,
                               const char *env_mb, char *what, size_t what_len);

/* 0 when the training run of cfg fits in memory_available(), else -1 with
 * "this run needs about N GiB (...), more than the M GiB available (<what>):
 * lower <the keys that size it, with their values>". */
int memory_check_training(const AppConfig *cfg, bool has_val, int shards, char *err,
                          size_t err_len);

#endif
