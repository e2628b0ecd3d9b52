/* Saves: a target that is not a regular file is refused, a symbolic link is
 * followed and stays, temporary files of a killed writer are removed (and a live
 * writer's are not), and every write error is reported. Each case runs with the
 * unnamed temporary file (O_TMPFILE) and with the named fallback. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "files.h"
#include "rel_util.h"

TestSuite(writes, .init = rel_tmp_make, .fini = rel_tmp_remove, .timeout = 30);

static void expect_content(const char *path, const char *want)
{
    size_t len;
    unsigned char *got = rel_read(path, &len);
    cr_assert_not_null(got, "%s unreadable", path);
    cr_expect_eq(len, strlen(want), "%s: %zu bytes", path, len);
    cr_expect_eq(memcmp(got, want, len < strlen(want) ? len : strlen(want)), 0, "%s: '%s'", path, got);
    free(got);
}

static void make_socket(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_geq(s, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    cr_assert_eq(bind(s, (struct sockaddr *)&addr, sizeof addr), 0, "%s", strerror(errno));
    close(s);
}

static void refuses_non_regular_targets(bool unnamed)
{
    atomic_write_allow_unnamed(unnamed);
    cr_assert_eq(mkfifo(rel_path("fifo"), 0600), 0);
    cr_assert_eq(mkdir(rel_path("dir"), 0755), 0);
    make_socket(rel_path("sock"));
    /* As root, `train --save /dev/full` once turned the device into a regular file:
     * reached through a link here, so that a failure harms nothing but the link. */
    cr_assert_eq(symlink("/dev/full", rel_path("full")), 0);
    struct {
        const char *name, *kind;
        mode_t type;
    } cases[] = {
        {"fifo", "a FIFO", S_IFIFO},
        {"dir", "a directory", S_IFDIR},
        {"sock", "a socket", S_IFSOCK},
        {"full", "a character device", S_IFLNK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = rel_path(cases[i].name);
        char err[512] = "", want[600];
        cr_expect_eq(atomic_write_file(path, "data", 4, err, sizeof err), -1, "%s replaced", path);
        snprintf(want, sizeof want, "%s: %s, not a regular file: not replaced", path, cases[i].kind);
        cr_expect_str_eq(err, want);
        struct stat sb;
        cr_assert_eq(lstat(path, &sb), 0);
        cr_expect_eq(sb.st_mode & S_IFMT, cases[i].type, "%s changed type", path);
    }
    struct stat dev;
    cr_assert_eq(stat("/dev/full", &dev), 0);
    cr_expect(S_ISCHR(dev.st_mode), "/dev/full is still a device");
    /* A checkpoint to the device: nothing written, no sidecar created beside it. */
    RelModel r = rel_model_make(1);
    char err[512] = "";
    cr_expect_eq(checkpoint_save(rel_path("full"), r.model, &r.tc, r.vocab, r.labels, 2, err,
                                 sizeof err), -1);
    cr_expect_not_null(strstr(err, "a character device, not a regular file"), "%s", err);
    rel_model_free(&r);
    cr_expect_eq(rel_count_prefixed(rel_dir, ""), 4, "nothing else in the directory");
    /* No file name: refused (and no ".tmp-XXXXXX" file of the directory is taken
     * for a temporary file of ours). */
    char dir_path[600];
    snprintf(dir_path, sizeof dir_path, "%s/", rel_dir);
    rel_write(rel_path(".tmp-AbC123"), "not ours", 8);
    cr_expect_eq(atomic_write_file(dir_path, "x", 1, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "/: not a file name"), "%s", err);
    cr_expect_eq(atomic_write_file("", "x", 1, err, sizeof err), -1);
    cr_expect_str_eq(err, ": not a file name");
    cr_expect_eq(access(rel_path(".tmp-AbC123"), F_OK), 0, "kept");
}

Test(writes, a_save_target_can_be_checked_before_the_work)
{
    /* What `train --save /dev/full` needs to refuse the path before training. */
    cr_assert_eq(symlink("/dev/full", rel_path("full")), 0);
    cr_assert_eq(mkfifo(rel_path("fifo"), 0600), 0);
    char err[512] = "", want[600];
    cr_expect_eq(atomic_write_check(rel_path("full"), err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: a character device, not a regular file: not replaced",
             rel_path("full"));
    cr_expect_str_eq(err, want);
    cr_expect_eq(atomic_write_check(rel_path("fifo"), err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "a FIFO, not a regular file"), "%s", err);
    cr_expect_eq(atomic_write_check(rel_path("no/such/dir/m.safetensors"), err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "cannot create a temporary file in"), "%s", err);
    cr_expect_not_null(strstr(err, "No such file or directory"), "%s", err);
    cr_expect_eq(atomic_write_check("", err, sizeof err), -1);
    /* Fine targets, new or existing: accepted, and nothing is created. */
    rel_write(rel_path("old.safetensors"), "old", 3);
    cr_expect_eq(atomic_write_check(rel_path("old.safetensors"), err, sizeof err), 0, "%s", err);
    cr_expect_eq(atomic_write_check(rel_path("new.safetensors"), err, sizeof err), 0, "%s", err);
    cr_expect_eq(access(rel_path("new.safetensors"), F_OK), -1, "nothing created");
    cr_expect_eq(rel_count_prefixed(rel_dir, ""), 3);
}

Test(writes, non_regular_targets_are_refused_unnamed) { refuses_non_regular_targets(true); }
Test(writes, non_regular_targets_are_refused_named) { refuses_non_regular_targets(false); }

static void follows_symlinks(bool unnamed)
{
    atomic_write_allow_unnamed(unnamed);
    cr_assert_eq(mkdir(rel_path("sub"), 0755), 0);
    rel_write(rel_path("sub/real.safetensors"), "old", 3);
    cr_assert_eq(chmod(rel_path("sub/real.safetensors"), 0640), 0);
    /* relative link, then a link to the link (absolute) */
    cr_assert_eq(symlink("sub/real.safetensors", rel_path("link")), 0);
    cr_assert_eq(symlink(rel_path("link"), rel_path("link2")), 0);
    char err[512] = "";
    cr_assert_eq(atomic_write_file(rel_path("link"), "new!", 4, err, sizeof err), 0, "%s", err);
    expect_content(rel_path("sub/real.safetensors"), "new!");
    cr_assert_eq(atomic_write_file(rel_path("link2"), "newer", 5, err, sizeof err), 0, "%s", err);
    expect_content(rel_path("sub/real.safetensors"), "newer");
    struct stat sb;
    cr_assert_eq(lstat(rel_path("link"), &sb), 0);
    cr_expect(S_ISLNK(sb.st_mode), "the link stays a link");
    cr_assert_eq(lstat(rel_path("link2"), &sb), 0);
    cr_expect(S_ISLNK(sb.st_mode), "the link stays a link");
    cr_assert_eq(stat(rel_path("sub/real.safetensors"), &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0640, "the target keeps its mode");
    /* A link to a file that does not exist yet creates that file. */
    cr_assert_eq(symlink("sub/later.bin", rel_path("dangling")), 0);
    cr_assert_eq(atomic_write_file(rel_path("dangling"), "x", 1, err, sizeof err), 0, "%s", err);
    expect_content(rel_path("sub/later.bin"), "x");
    cr_assert_eq(lstat(rel_path("dangling"), &sb), 0);
    cr_expect(S_ISLNK(sb.st_mode));
    /* A loop of links is an error, not a hang. */
    cr_assert_eq(symlink("loop_b", rel_path("loop_a")), 0);
    cr_assert_eq(symlink("loop_a", rel_path("loop_b")), 0);
    cr_expect_eq(atomic_write_file(rel_path("loop_a"), "x", 1, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "too many levels of symbolic links"), "%s", err);
    cr_expect_eq(rel_count_prefixed(rel_path("sub"), ""), 2, "no temporary file in sub/");
    cr_expect_eq(rel_count_prefixed(rel_dir, ""), 6, "no temporary file beside the links");
}

Test(writes, symlinks_are_followed_and_stay_unnamed) { follows_symlinks(true); }
Test(writes, symlinks_are_followed_and_stay_named) { follows_symlinks(false); }

/* A child that holds an exclusive flock on path until it reads from the pipe. */
static pid_t hold_lock(const char *path, int *release)
{
    int to_child[2], ready[2];
    cr_assert_eq(pipe(to_child), 0);
    cr_assert_eq(pipe(ready), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(to_child[1]);
        int fd = open(path, O_RDONLY);
        char c = fd >= 0 && flock(fd, LOCK_EX) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(to_child[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    char c = 0;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(c, 'y');
    close(ready[0]);
    close(ready[1]);
    close(to_child[0]);
    *release = to_child[1];
    return pid;
}

static void stale_temps(bool unnamed)
{
    atomic_write_allow_unnamed(unnamed);
    char target[512], live[512];
    snprintf(target, sizeof target, "%s", rel_path("m.safetensors"));
    snprintf(live, sizeof live, "%s", rel_path("m.safetensors.tmp-Live99"));
    /* What a killed writer leaves: our exact pattern, unlocked. */
    const char *stale[] = {"m.safetensors.tmp-AbC123", "m.safetensors.tmp-000000"};
    /* Not ours, or not removable: kept. */
    const char *others[] = {"m.safetensors.tmp-AbC12", "m.safetensors.tmp-AbC1234",
                            "m.safetensors.tmp-AbC12_", "n.safetensors.tmp-AbC123",
                            "m.safetensors.optim.tmp-AbC12", "m.safetensors"};
    for (size_t i = 0; i < 2; i++)
        rel_write(rel_path(stale[i]), "partial", 7);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        rel_write(rel_path(others[i]), "keep", 4);
    cr_assert_eq(mkdir(rel_path("m.safetensors.tmp-Dir123"), 0755), 0);
    cr_assert_eq(symlink("m.safetensors.tmp-AbC12", rel_path("m.safetensors.tmp-Lnk123")), 0);
    /* A live writer's temporary file: locked by another process. */
    rel_write(live, "writing", 7);
    int release;
    pid_t holder = hold_lock(live, &release);

    char err[512] = "";
    cr_assert_eq(atomic_write_file(target, "saved", 5, err, sizeof err), 0, "%s", err);
    expect_content(target, "saved");
    for (size_t i = 0; i < 2; i++)
        cr_expect_eq(access(rel_path(stale[i]), F_OK), -1, "%s survived the save", stale[i]);
    for (size_t i = 0; i < sizeof others / sizeof others[0] - 1; i++)
        expect_content(rel_path(others[i]), "keep");
    cr_expect_eq(access(rel_path("m.safetensors.tmp-Dir123"), F_OK), 0, "a directory is kept");
    cr_expect_eq(access(rel_path("m.safetensors.tmp-Lnk123"), F_OK), 0, "a link is kept");
    expect_content(live, "writing");

    /* Its writer dies: the next save removes it. */
    close(release);
    int status;
    cr_assert_eq(waitpid(holder, &status, 0), holder);
    cr_assert_eq(atomic_write_file(target, "again", 5, err, sizeof err), 0, "%s", err);
    cr_expect_eq(access(live, F_OK), -1, "a dead writer's temporary file is removed");
    cr_expect_eq(rel_count_prefixed(rel_dir, "m.safetensors.tmp-"), 5, "the 5 that are not ours");
}

Test(writes, stale_temps_are_removed_live_ones_kept_unnamed) { stale_temps(true); }
Test(writes, stale_temps_are_removed_live_ones_kept_named) { stale_temps(false); }

Test(writes, checked_writer_reports_a_full_device)
{
    /* What `--metrics /dev/full` needs: the first failed write is an error. */
    FileWriter w;
    char err[512] = "";
    cr_assert_eq(file_writer_open(&w, "/dev/full", false, err, sizeof err), 0, "%s", err);
    file_writer_printf(&w, "step,loss\n");
    cr_expect_eq(file_writer_flush(&w, err, sizeof err), -1);
    cr_expect_str_eq(err, "/dev/full: write failed: No space left on device");
    file_writer_printf(&w, "1,0.5\n"); /* ignored after the error */
    cr_expect_eq(file_writer_close(&w, err, sizeof err), -1);
    cr_expect_str_eq(err, "/dev/full: write failed: No space left on device");
    cr_expect_null(w.f);

    /* A FIFO nobody reads: an error at once, not a hang. */
    cr_assert_eq(mkfifo(rel_path("fifo.csv"), 0600), 0);
    cr_expect_eq(file_writer_open(&w, rel_path("fifo.csv"), false, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "a FIFO that no process is reading"), "%s", err);

    /* A regular file, then appended to. */
    const char *path = rel_path("m.csv");
    cr_assert_eq(file_writer_open(&w, path, false, err, sizeof err), 0, "%s", err);
    file_writer_printf(&w, "a,%d\n", 1);
    cr_assert_eq(file_writer_close(&w, err, sizeof err), 0, "%s", err);
    cr_assert_eq(file_writer_open(&w, path, true, err, sizeof err), 0, "%s", err);
    cr_expect_eq(ftell(w.f), 4, "append starts at the end");
    file_writer_printf(&w, "b,%d\n", 2);
    cr_assert_eq(file_writer_close(&w, err, sizeof err), 0, "%s", err);
    expect_content(path, "a,1\nb,2\n");
}
