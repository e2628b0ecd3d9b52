/* Issue 14, finding 8: a config too large for the machine is refused before
 * anything is allocated, naming its keys; the estimate against what a trainer
 * really allocates; the available memory from the cgroup limit, MemAvailable or
 * MINILLM_MEMORY_LIMIT_MB. */
#include <criterion/criterion.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "rel_util.h"
#include "run.h"

TestSuite(memory, .init = rel_tmp_make, .fini = rel_tmp_remove, .timeout = 60);

/* The issue's config: d_model 4096, d_ff 65536, 2 layers, 1 head (1.2 billion
 * parameters: OOM-killed in 3 GiB before). */
static AppConfig issue_config(void)
{
    AppConfig cfg = app_config_default();
    char err[256];
    const char *sets[][2] = {{"d_model", "4096"}, {"d_ff", "65536"}, {"num_layers", "2"},
                             {"num_heads", "1"}};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(app_config_set(&cfg, "model", sets[i][0], sets[i][1], err, sizeof err), 0,
                     "%s", err);
    return cfg;
}

Test(memory, a_config_above_the_limit_is_refused_naming_its_keys)
{
    cr_assert_eq(setenv("MINILLM_MEMORY_LIMIT_MB", "3072", 1), 0);
    AppConfig cfg = issue_config();
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[1024] = "";
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), -1, "opened under 3 GiB");
    cr_expect(strstr(err, "this run needs about 27."), "%s", err);
    cr_expect(strstr(err, "more than the 3.0 GiB available (MINILLM_MEMORY_LIMIT_MB=3072)"), "%s",
              err);
    cr_expect(strstr(err, "model.d_model=4096, model.d_ff=65536, model.num_layers=2, "
                          "model.num_heads=1"), "names the keys: %s", err);
    cr_expect(strstr(err, "train.batch_size="), "%s", err);
    cr_expect_null(r.trainer, "nothing left open");

    cfg = app_config_default(); /* the default config fits */
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    run_close(&r);
}

/* The estimate is what a trainer allocates: within 10 % below and 30 % above
 * the heap growth of trainer_create (its estimate is an upper bound: activations
 * for max_len, not the longest sentence). Not under ASan, which owns the heap. */
Test(memory, the_estimate_matches_what_a_trainer_allocates)
{
#if defined(__SANITIZE_ADDRESS__)
    cr_skip_test("ASan replaces malloc: mallinfo2 does not see it");
#else
    AppConfig cfg = app_config_default();
    cfg.model.d_model = 256;
    cfg.model.d_ff = 1024;
    cfg.model.num_layers = 2;
    cfg.model.max_len = 32;
    cfg.train.batch_size = 16;
    cfg.train.threads = 1;
    Dataset *d = dataset_embedded_train();
    cr_assert_not_null(d);
    Vocab *v = vocab_from_dataset(d, &cfg.data.tokenizer, 1, 0);
    EncodedDataset *enc = dataset_encode(d, &cfg.data.tokenizer, v, cfg.model.max_len);
    cfg.model.vocab_size = vocab_size(v);
    cfg.model.num_classes = d->num_classes;
    mallopt(M_MMAP_THRESHOLD, 1 << 30); /* every block on the heap, counted once */
    struct mallinfo2 before = mallinfo2();
    char err[512];
    Trainer *t = trainer_create(&cfg, NULL, enc, NULL, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    struct mallinfo2 after = mallinfo2();
    const double used = (double)(after.uordblks - before.uordblks);
    const MemoryEstimate e = memory_estimate_training(&cfg, false, 1);
    cr_log_info("estimate %.2f MiB, trainer_create allocated %.2f MiB", (double)e.total / 1048576.0,
                used / 1048576.0);
    cr_expect(e.total >= 0.9 * used && e.total <= 1.3 * used,
              "estimate %.1f MiB, allocated %.1f MiB", (double)e.total / 1048576.0,
              used / 1048576.0);
    trainer_free(t);
    encoded_dataset_free(enc);
    vocab_free(v);
    dataset_free(d);
#endif
}

Test(memory, available_is_the_smaller_of_cgroup_and_meminfo_or_the_variable)
{
    char cgroup[128], meminfo[128], what[200];
    snprintf(cgroup, sizeof cgroup, "%s", rel_path("memory.max"));
    snprintf(meminfo, sizeof meminfo, "%s", rel_path("meminfo"));
    const char mi[] = "MemTotal:       32000000 kB\nMemFree:  100 kB\nMemAvailable:    2097152 kB\n";
    rel_write(meminfo, mi, sizeof mi - 1);
    rel_write(cgroup, "max\n", 4);
    cr_expect_eq(memory_available_from(cgroup, meminfo, NULL, what, sizeof what), 2ull << 30);
    cr_expect(strstr(what, "MemAvailable"), "%s", what);
    rel_write(cgroup, "1073741824\n", 11);
    cr_expect_eq(memory_available_from(cgroup, meminfo, NULL, what, sizeof what), 1ull << 30);
    cr_expect(strstr(what, "cgroup"), "%s", what);
    cr_expect_eq(memory_available_from(cgroup, meminfo, "512", what, sizeof what), 512ull << 20);
    cr_expect_str_eq(what, "MINILLM_MEMORY_LIMIT_MB=512");
    cr_expect_eq(memory_available_from(cgroup, meminfo, "lots", what, sizeof what), 1ull << 30,
                 "a variable that is not a number is ignored");
    cr_expect_eq(memory_available_from(rel_path("none"), rel_path("none2"), NULL, what, sizeof what),
                 0, "nothing readable: 0, no check");
}
