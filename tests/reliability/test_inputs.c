/* Hostile inputs: every file the program reads is opened without blocking and
 * must be a regular file (a FIFO, a device, a directory is a one-line error at
 * once, never a hang or a read until memory runs out); data files are refused
 * above a size cap before anything is read. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "corpus.h"
#include "dataset.h"
#include "rel_util.h"

TestSuite(inputs, .init = rel_tmp_make, .fini = rel_tmp_remove, .timeout = 20);

/* Each reader of a user file, as one call: 0 or -1 with err. */
typedef int (*Reader)(const char *path, char *err, size_t err_len);

static int read_dataset(const char *path, char *err, size_t err_len)
{
    Dataset *d = dataset_load(path, NULL, 0, NULL, err, err_len);
    dataset_free(d);
    return d ? 0 : -1;
}

static int read_config(const char *path, char *err, size_t err_len)
{
    AppConfig c = app_config_default();
    return app_config_load(&c, path, err, err_len);
}

static int read_checkpoint(const char *path, char *err, size_t err_len)
{
    Checkpoint c;
    int rc = checkpoint_load(path, &c, err, err_len);
    if (rc == 0)
        checkpoint_free(&c);
    return rc;
}

static int read_sidecar(const char *path, char *err, size_t err_len)
{
    Optimizer opt = {0};
    int rc = optimizer_state_load(path, &opt, err, err_len);
    optimizer_free(&opt);
    return rc;
}

static int read_corpus(const char *path, char *err, size_t err_len)
{
    Corpus c;
    int rc = corpus_load(path, &c, NULL, err, err_len);
    if (rc == 0)
        corpus_free(&c);
    return rc;
}

static const struct {
    const char *what;
    Reader read;
} READERS[] = {
    {"data file", read_dataset},   {"config", read_config}, {"checkpoint", read_checkpoint},
    {"optimizer sidecar", read_sidecar}, {"corpus", read_corpus},
};
#define NUM_READERS (sizeof READERS / sizeof READERS[0])

static void expect_refused(const char *path, const char *expect)
{
    for (size_t i = 0; i < NUM_READERS; i++) {
        char err[512] = "";
        cr_expect_eq(READERS[i].read(path, err, sizeof err), -1, "%s: %s was read", READERS[i].what,
                     path);
        cr_expect_eq(strncmp(err, path, strlen(path)), 0, "%s: '%s' does not name %s",
                     READERS[i].what, err, path);
        cr_expect_not_null(strstr(err, expect), "%s: '%s' lacks '%s'", READERS[i].what, err, expect);
        cr_expect_null(strchr(err, '\n'), "one line: %s", err);
    }
}

/* Keeps a reader that does not stop from taking the machine's memory: the
 * address space may grow by `extra` bytes from here. */
static void limit_address_space(size_t extra)
{
    FILE *f = fopen("/proc/self/status", "r");
    cr_assert_not_null(f);
    char line[256];
    unsigned long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
            break;
    fclose(f);
    cr_assert_gt(kb, 0);
    struct rlimit lim = {.rlim_cur = kb * 1024 + extra, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
}

Test(inputs, a_fifo_is_refused_at_once)
{
    /* Before: open() waited for a writer forever. */
    const char *names[] = {"data.tsv", "c.ini", "m.safetensors", "m.safetensors.optim", "t.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *path = rel_path(names[i]);
        cr_assert_eq(mkfifo(path, 0600), 0, "%s", strerror(errno));
        expect_refused(path, "not a regular file (a FIFO)");
    }
}

Test(inputs, devices_and_directories_are_refused)
{
    /* Before: /dev/zero was read until memory ran out (here: the limit). */
    limit_address_space((size_t)256 << 20);
    expect_refused("/dev/zero", "not a regular file (a character device)");
    expect_refused("/dev/urandom", "not a regular file (a character device)");
    expect_refused("/dev/null", "not a regular file (a character device)");
    cr_assert_eq(mkdir(rel_path("dir.tsv"), 0755), 0);
    expect_refused(rel_path("dir.tsv"), "not a regular file (a directory)");
}

Test(inputs, a_data_file_above_the_cap_is_refused_before_reading)
{
    /* A sparse file: 1 GiB + 1 byte of zeros that take no disk. The default cap
     * ([data] max_file_mb = 1024) refuses it from its size alone. */
    limit_address_space((size_t)256 << 20);
    const char *path = rel_path("huge.tsv");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, ((off_t)1 << 30) + 1), 0);
    close(fd);
    char err[512] = "";
    cr_expect_null(dataset_load(path, NULL, 0, NULL, err, sizeof err));
    cr_expect_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
    cr_expect_not_null(strstr(err, "1073741825 bytes, more than the 1073741824 allowed by "
                                   "[data] max_file_mb = 1024"), "%s", err);
}

Test(inputs, the_cap_is_the_config_key)
{
    AppConfig c = app_config_default();
    cr_expect_eq(c.data.max_file_mb, DATASET_DEFAULT_MAX_FILE_MB);
    char err[512] = "";
    cr_expect_eq(app_config_set(&c, "data", "max_file_mb", "0", err, sizeof err), -1);
    cr_expect_str_eq(err, "data.max_file_mb: 0 is out of range (allowed: an integer from 1 to 1048576 (MiB))");
    cr_assert_eq(app_config_set(&c, "data", "max_file_mb", "2", err, sizeof err), 0, "%s", err);

    /* 2 MiB + 1 byte: one byte over a cap of 2. */
    const char *path = rel_path("big.tsv");
    size_t n = ((size_t)2 << 20) + 1;
    char *text = malloc(n);
    cr_assert_not_null(text);
    memset(text, 'a', n);
    memcpy(text, "sentence\tlabel\n", 15);
    rel_write(path, text, n);
    const DatasetOptions opt = {.max_file_mb = c.data.max_file_mb};
    cr_expect_null(dataset_load_with(path, &opt, err, sizeof err));
    char want[700];
    snprintf(want, sizeof want, "%s: 2097153 bytes, more than the 2097152 allowed by "
             "[data] max_file_mb = 2", path);
    cr_expect_str_eq(err, want);
    /* One byte less is read (and is a file of one long bad line). */
    rel_write(path, text, n - 1);
    cr_expect_null(dataset_load_with(path, &opt, err, sizeof err));
    cr_expect_not_null(strstr(err, "no usable line (1 bad line skipped)"), "%s", err);
    free(text);
}
