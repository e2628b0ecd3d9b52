/* Files a user names (see files.h): regular files only, reads under a limit,
 * atomic replacement, checked writes. */
#define _GNU_SOURCE /* O_TMPFILE */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"

/* "a FIFO", "a directory", ...: what a path is when it is not a regular file. */
static const char *file_kind(mode_t mode)
{
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

/* ------------------------------------------------------------ reading */

int file_open_regular(const char *path, int *fd_out, size_t *size, char *err, size_t err_len)
{
    *fd_out = -1;
    *size = 0;
    /* stat first, so that a device is never opened at all (opening some has
     * effects); fstat again after the open, in case the path changed between. */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return errorf(err, err_len, "%s: not a regular file (%s)", path, file_kind(sb.st_mode));
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errorf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
    int e = fstat(fd, &sb) != 0 ? errno : 0;
    if (e || !S_ISREG(sb.st_mode)) {
        close(fd);
        if (e)
            return errorf(err, err_len, "%s: cannot stat: %s", path, strerror(e));
        return errorf(err, err_len, "%s: not a regular file (%s)", path, file_kind(sb.st_mode));
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || sb.st_size < 0 ||
        (uintmax_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return errorf(err, err_len, "%s: cannot read", path);
    }
    *fd_out = fd;
    *size = (size_t)sb.st_size;
    return 0;
}

int file_read_capped(const char *path, size_t max_bytes, const char *limit_name, char **data,
                     size_t *len, char *err, size_t err_len)
{
    *data = NULL;
    *len = 0;
    int fd;
    size_t size;
    if (file_open_regular(path, &fd, &size, err, err_len) != 0)
        return -1;
    if (size > max_bytes) {
        close(fd);
        if (limit_name)
            return errorf(err, err_len, "%s: %zu bytes, more than the %zu allowed by %s", path, size,
                          max_bytes, limit_name);
        return errorf(err, err_len, "%s: %zu bytes, more than the %zu allowed", path, size,
                      max_bytes);
    }
    char *bytes = malloc(size + 1);
    if (!bytes) {
        close(fd);
        return errorf(err, err_len, "%s: out of memory reading %zu bytes", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, bytes + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : 0;
            free(bytes);
            close(fd);
            return errorf(err, err_len, "%s: read failed: %s", path,
                          e ? strerror(e) : "file shrank while reading");
        }
        got += (size_t)r;
    }
    close(fd);
    bytes[size] = '\0';
    *data = bytes;
    *len = size;
    return 0;
}

int file_read_all(const char *path, size_t max_bytes, char **data, size_t *len, char *err,
                  size_t err_len)
{
    return file_read_capped(path, max_bytes, NULL, data, len, err, err_len);
}

/* ------------------------------------------------------------ atomic write */

/* Where a save really goes: the path with symbolic links followed. */
typedef struct {
    char *target;      /* owned */
    char *dir;         /* owned: the target's directory */
    const char *base;  /* the target's last component, inside target */
} Target;

static void target_free(Target *t)
{
    free(t->target);
    free(t->dir);
}

/* dir of path ("." when none), malloc'ed. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Follows symbolic links from path (at most 40, like the kernel); a link whose
 * target does not exist yet resolves to that target (the save creates it). */
static int target_resolve(const char *path, Target *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    char *cur = strdup(path);
    int hops = 0;
    struct stat sb;
    while (cur && lstat(cur, &sb) == 0 && S_ISLNK(sb.st_mode)) {
        if (++hops > 40) {
            free(cur);
            return errorf(err, err_len, "%s: too many levels of symbolic links", path);
        }
        char link[4096];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) {
            int e = errno;
            free(cur);
            return errorf(err, err_len, "%s: cannot read the symbolic link: %s", path, strerror(e));
        }
        link[n] = '\0';
        char *next;
        if (link[0] == '/') {
            next = strdup(link);
        } else {
            char *dir = dir_of(cur);
            next = dir ? malloc(strlen(dir) + strlen(link) + 2) : NULL;
            if (next)
                sprintf(next, "%s/%s", dir, link);
            free(dir);
        }
        free(cur);
        cur = next;
    }
    t->target = cur;
    t->dir = cur ? dir_of(cur) : NULL;
    if (!t->target || !t->dir) {
        target_free(t);
        return errorf(err, err_len, "%s: out of memory", path);
    }
    const char *slash = strrchr(t->target, '/');
    t->base = slash ? slash + 1 : t->target;
    return 0;
}

/* The temporary file's suffix: ".tmp-" and 6 characters of this alphabet (mkstemp's). */
#define TEMP_MARK ".tmp-"
#define TEMP_RANDOM 6
static const char TEMP_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static bool is_our_temp_name(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 || strncmp(name + n, TEMP_MARK, strlen(TEMP_MARK)) != 0)
        return false;
    const char *x = name + n + strlen(TEMP_MARK);
    if (strlen(x) != TEMP_RANDOM)
        return false;
    for (int i = 0; i < TEMP_RANDOM; i++)
        if (!x[i] || !strchr(TEMP_ALPHABET, x[i]))
            return false;
    return true;
}

/* Removes the temporary files of this target that a killed writer left: named
 * by our exact pattern, regular, and not locked (a live writer holds an
 * exclusive flock on its own until it is renamed). Best effort: a directory that
 * cannot be listed is left alone. */
static void remove_stale_temps(const Target *t)
{
    DIR *d = opendir(t->dir);
    if (!d)
        return;
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_our_temp_name(e->d_name, t->base))
            continue;
        int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            continue;
        struct stat held, named;
        /* Locked by us, and the name still is that file: no writer can own it now. */
        if (fstat(fd, &held) == 0 && S_ISREG(held.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            fstatat(dfd, e->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
            named.st_ino == held.st_ino && named.st_dev == held.st_dev)
            (void)unlinkat(dfd, e->d_name, 0);
        close(fd);
    }
    closedir(d);
}

/* The file being written: locked from creation until after the rename. */
typedef struct {
    int fd;
    char *name;        /* its path once it has one (owned), else NULL */
    const char *step;  /* the step that failed */
    int error;         /* and its errno */
} Temp;

static int temp_fail(Temp *tmp, const char *step)
{
    tmp->step = step;
    tmp->error = errno ? errno : EIO;
    return -1;
}

/* "<target>.tmp-" and 6 random characters (pid, time and a counter mixed). */
static char *temp_name(const Target *t)
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                 (uint64_t)++counter * 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    size_t n = strlen(t->target);
    char *name = malloc(n + strlen(TEMP_MARK) + TEMP_RANDOM + 1);
    if (!name)
        return NULL;
    char *p = name + n + strlen(TEMP_MARK);
    memcpy(name, t->target, n);
    memcpy(name + n, TEMP_MARK, strlen(TEMP_MARK));
    for (int i = 0; i < TEMP_RANDOM; i++, x /= sizeof TEMP_ALPHABET - 1)
        p[i] = TEMP_ALPHABET[x % (sizeof TEMP_ALPHABET - 1)];
    p[TEMP_RANDOM] = '\0';
    return name;
}

static bool unnamed_allowed = true;

void atomic_write_allow_unnamed(bool allowed)
{
    unnamed_allowed = allowed;
}

/* An unnamed file in the target's directory (O_TMPFILE): a writer killed while
 * writing it leaves nothing. -1 when the file system (or kernel) lacks it. */
static int temp_create_unnamed(const Target *t, Temp *tmp)
{
#ifdef O_TMPFILE
    tmp->fd = unnamed_allowed ? open(t->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600) : -1;
    if (tmp->fd >= 0 && flock(tmp->fd, LOCK_EX) == 0)
        return 0;
    if (tmp->fd >= 0)
        close(tmp->fd);
#endif
    tmp->fd = -1;
    return -1;
}

/* A named temporary file (mkstemp), locked; retried when a concurrent cleaner
 * removed it between its creation and the lock. */
static int temp_create_named(const Target *t, Temp *tmp)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        size_t n = strlen(t->target);
        tmp->name = malloc(n + sizeof TEMP_MARK "XXXXXX");
        if (!tmp->name)
            return temp_fail(tmp, "allocation");
        memcpy(tmp->name, t->target, n);
        memcpy(tmp->name + n, TEMP_MARK "XXXXXX", sizeof TEMP_MARK "XXXXXX");
        tmp->fd = mkstemp(tmp->name);
        if (tmp->fd < 0) {
            temp_fail(tmp, "create");
            free(tmp->name);
            tmp->name = NULL;
            return -1;
        }
        struct stat held, named;
        if (flock(tmp->fd, LOCK_EX) == 0 && fstat(tmp->fd, &held) == 0 &&
            lstat(tmp->name, &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev)
            return 0;
        close(tmp->fd);
        tmp->fd = -1;
        free(tmp->name);
        tmp->name = NULL;
    }
    errno = EAGAIN;
    return temp_fail(tmp, "create");
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int temp_fill(Temp *tmp, const void *data, size_t len, mode_t mode)
{
    (void)fchmod(tmp->fd, mode); /* mkstemp and O_TMPFILE make 0600 */
    if (write_all(tmp->fd, data, len) != 0)
        return temp_fail(tmp, "write");
    if (fsync(tmp->fd) != 0)
        return temp_fail(tmp, "fsync");
    return 0;
}

/* Gives the unnamed file a temporary name beside the target (rename needs one). */
static int temp_link(const Target *t, Temp *tmp)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", tmp->fd);
    for (int attempt = 0; attempt < 100; attempt++) {
        tmp->name = temp_name(t);
        if (!tmp->name)
            return temp_fail(tmp, "allocation");
        if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp->name, AT_SYMLINK_FOLLOW) == 0)
            return 0;
        int e = errno;
        free(tmp->name);
        tmp->name = NULL;
        if (e != EEXIST) {
            errno = e;
            return temp_fail(tmp, "link");
        }
    }
    errno = EEXIST;
    return temp_fail(tmp, "link");
}

/* Writes the data into a locked temporary file that has a name beside the
 * target: unnamed first (nothing is left if we are killed while writing), a
 * mkstemp file where O_TMPFILE or the link through /proc is not available. */
static int temp_write(const Target *t, Temp *tmp, const void *data, size_t len, mode_t mode)
{
    if (temp_create_unnamed(t, tmp) == 0) {
        if (temp_fill(tmp, data, len, mode) != 0)
            return -1;
        if (temp_link(t, tmp) == 0)
            return 0;
        close(tmp->fd); /* the unnamed file vanishes with its descriptor */
        tmp->fd = -1;
    }
    if (temp_create_named(t, tmp) != 0)
        return -1;
    return temp_fill(tmp, data, len, mode);
}

/* The target of a save, refused when it has no file name or exists and is not a
 * regular file. *exists and *old describe it. */
static int target_open(const char *path, Target *t, bool *exists, struct stat *old, char *err,
                       size_t err_len)
{
    if (target_resolve(path, t, err, err_len) != 0)
        return -1;
    if (!t->base[0]) { /* "dir/": no file name (and no pattern of temporary names) */
        target_free(t);
        return errorf(err, err_len, "%s: not a file name", path);
    }
    *exists = lstat(t->target, old) == 0;
    if (*exists && !S_ISREG(old->st_mode)) {
        target_free(t);
        return errorf(err, err_len, "%s: %s, not a regular file: not replaced", path,
                      file_kind(old->st_mode));
    }
    return 0;
}

int atomic_write_check(const char *path, char *err, size_t err_len)
{
    Target t;
    bool exists;
    struct stat old;
    if (target_open(path, &t, &exists, &old, err, err_len) != 0)
        return -1;
    int rc = 0;
    if (access(t.dir, W_OK | X_OK) != 0)
        rc = errorf(err, err_len, "%s: cannot create a temporary file in %s: %s", path, t.dir,
                    strerror(errno));
    target_free(&t);
    return rc;
}

int atomic_write_file(const char *path, const void *data, size_t len, char *err, size_t err_len)
{
    Target t;
    bool exists;
    struct stat old;
    if (target_open(path, &t, &exists, &old, err, err_len) != 0)
        return -1;
    remove_stale_temps(&t);
    Temp tmp = {-1, NULL, NULL, 0};
    int rc = temp_write(&t, &tmp, data, len, exists ? (old.st_mode & 07777) : 0644);
    if (rc == 0 && rename(tmp.name, t.target) != 0)
        rc = temp_fail(&tmp, "rename");
    if (rc == 0) {
        free(tmp.name); /* renamed: nothing of ours to remove any more */
        tmp.name = NULL;
    }
    if (tmp.name)
        unlink(tmp.name);
    /* Closing releases the lock, only now that the temporary name is gone. */
    if (tmp.fd >= 0 && close(tmp.fd) != 0 && rc == 0)
        rc = temp_fail(&tmp, "close");
    if (rc != 0 && strcmp(tmp.step, "create") == 0)
        errorf(err, err_len, "%s: cannot create a temporary file in %s: %s", path, t.dir,
               strerror(tmp.error));
    else if (rc != 0 && strcmp(tmp.step, "close") == 0)
        errorf(err, err_len, "%s: close failed after the rename: %s", path, strerror(tmp.error));
    else if (rc != 0)
        errorf(err, err_len, "%s: %s failed: %s (the previous file, if any, is unchanged)", path,
               tmp.step, strerror(tmp.error));
    if (rc == 0) {
        /* Make the rename itself durable. Best effort: the data is already safe
         * under one name or the other, and some file systems refuse fsync on a
         * directory. */
        int dir_fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0) {
            (void)fsync(dir_fd);
            close(dir_fd);
        }
    }
    free(tmp.name);
    target_free(&t);
    return rc;
}

/* ------------------------------------------------------------ checked writer */

int file_writer_open(FileWriter *w, const char *path, bool append, char *err, size_t err_len)
{
    memset(w, 0, sizeof *w);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                            (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0)
        return errorf(err, err_len, "%s: cannot open for writing: %s", path,
                      errno == ENXIO ? "a FIFO that no process is reading" : strerror(errno));
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
        !(w->f = fdopen(fd, append ? "a" : "w")) || !(w->path = strdup(path))) {
        int e = errno;
        if (w->f)
            fclose(w->f);
        else
            close(fd);
        memset(w, 0, sizeof *w);
        return errorf(err, err_len, "%s: cannot open for writing: %s", path, strerror(e));
    }
    if (append)
        (void)fseek(w->f, 0, SEEK_END); /* so that ftell says where writing starts */
    return 0;
}

void file_writer_printf(FileWriter *w, const char *fmt, ...)
{
    if (!w->f || w->error)
        return;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    if (vfprintf(w->f, fmt, ap) < 0 || ferror(w->f))
        w->error = errno ? errno : EIO;
    va_end(ap);
}

int file_writer_flush(FileWriter *w, char *err, size_t err_len)
{
    if (!w->f)
        return errorf(err, err_len, "internal error: writer not open");
    errno = 0;
    if (!w->error && fflush(w->f) != 0)
        w->error = errno ? errno : EIO;
    if (w->error)
        return errorf(err, err_len, "%s: write failed: %s", w->path, strerror(w->error));
    return 0;
}

int file_writer_close(FileWriter *w, char *err, size_t err_len)
{
    if (!w->f)
        return 0;
    int rc = file_writer_flush(w, err, err_len);
    errno = 0;
    if (fclose(w->f) != 0 && rc == 0)
        rc = errorf(err, err_len, "%s: close failed: %s", w->path, strerror(errno ? errno : EIO));
    free(w->path);
    memset(w, 0, sizeof *w);
    return rc;
}
