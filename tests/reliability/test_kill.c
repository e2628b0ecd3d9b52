/* A process killed with SIGKILL at random points while it saves a model and its
 * optimizer sidecar, again and again: after every kill the model file loads, its
 * sidecar either belongs to it or is refused as another save's, and the next save
 * leaves no temporary file behind. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "files.h"
#include "rel_util.h"

TestSuite(kill, .init = rel_tmp_make, .fini = rel_tmp_remove, .timeout = 120);

#define KILLS 100

/* Save i: the model's first weight is i and the optimizer's step is i, so that
 * a loaded pair shows whether its two files came from the same save. Even saves
 * go through checkpoint_save + optimizer_state_save (what the commands call
 * today), odd ones through checkpoint_save_with_optimizer; every other pair of
 * saves uses the named temporary files instead of O_TMPFILE. */
static int save_number(RelModel *r, Optimizer *opt, const char *path, const char *sidecar,
                       long i, char *err, size_t err_len)
{
    r->model->params[0] = (float)i;
    r->model->params[1 + i % 50] += 0.25f;
    opt->step = i;
    opt->m[i % (long)opt->n] = 1e-3f * (float)(i % 7);
    atomic_write_allow_unnamed(i % 4 < 2);
    if (i % 2 == 0)
        return checkpoint_save(path, r->model, &r->tc, r->vocab, r->labels, 2, err, err_len) != 0 ||
                       optimizer_state_save(sidecar, opt, err, err_len) != 0
                   ? -1 : 0;
    return checkpoint_save_with_optimizer(path, r->model, &r->tc, r->vocab, r->labels, 2, NULL, opt,
                                          err, err_len);
}

static void saver(RelModel *r, Optimizer *opt, const char *path, const char *sidecar, long from)
{
    char err[600];
    for (long i = from;; i++)
        if (save_number(r, opt, path, sidecar, i, err, sizeof err) != 0) {
            fprintf(stderr, "child: %s\n", err);
            _exit(1);
        }
}

static int count_temps(void)
{
    DIR *d = opendir(rel_dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

/* xorshift64*: the test's own generator for the kill times. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

Test(kill, sigkill_while_saving_never_costs_the_model)
{
    char path[512], sidecar[600], err[600] = "";
    snprintf(path, sizeof path, "%s", rel_path("run.safetensors"));
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    RelModel r = rel_model_make(1);
    Optimizer opt;
    rel_optimizer_make(&opt, &r, 1, 0);
    long next = 0;
    cr_assert_eq(save_number(&r, &opt, path, sidecar, next++, err, sizeof err), 0, "%s", err);

    uint64_t state = 0x2545F4914F6CDD1Dull;
    int matched = 0, refused = 0, temps_left = 0;
    for (int k = 0; k < KILLS; k++) {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0)
            saver(&r, &opt, path, sidecar, next + 10000L * (k + 1)); /* exact in a float */
        /* A random point in the next few saves (each takes a few ms: two
         * fsyncs of the file, two of the directory). */
        struct timespec ts = {0, (long)(next_random(&state) % 25000000)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status), "the saver stopped by itself (status %d)", status);

        temps_left += count_temps();
        Checkpoint c;
        cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "kill %d: the model: %s", k, err);
        long model_number = (long)c.model->params[0];
        checkpoint_free(&c);
        Optimizer loaded = {0};
        if (optimizer_state_load(sidecar, &loaded, err, sizeof err) == 0) {
            cr_assert_eq(loaded.step, model_number, "kill %d: sidecar of save %ld on model of save %ld",
                         k, loaded.step, model_number);
            matched++;
        } else {
            cr_assert_not_null(strstr(err, "does not belong to"), "kill %d: %s", k, err);
            refused++;
        }
        optimizer_free(&loaded);

        /* The next save (here, in the parent) removes what the killed one left. */
        cr_assert_eq(save_number(&r, &opt, path, sidecar, next++, err, sizeof err), 0, "%s", err);
        cr_assert_eq(count_temps(), 0, "kill %d: a temporary file survived the next save", k);
    }
    fprintf(stderr, "%d kills: the sidecar matched its model %d times and was refused as another "
            "save's %d times; %d temporary files were left by the killed saves, none after the "
            "next save\n", KILLS, matched, refused, temps_left);
    cr_expect_gt(refused, 0, "some kills fall between the two writes");
    cr_expect_gt(matched, 0);
    optimizer_free(&opt);
    rel_model_free(&r);
}
