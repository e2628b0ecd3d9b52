/* Whole files: read with a size limit, replaced atomically. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

/* ------------------------------------------------------------ whole read */

int file_read_all(const char *path, size_t max_bytes, char **data, size_t *len, char *err,
                  size_t err_len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errorf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return errorf(err, err_len, "%s: not a regular file", path);
    }
    if ((uintmax_t)sb.st_size > max_bytes) {
        close(fd);
        return errorf(err, err_len, "%s: %jd bytes, more than the %zu allowed", path,
                      (intmax_t)sb.st_size, max_bytes);
    }
    size_t size = (size_t)sb.st_size, got = 0;
    char *bytes = malloc(size + 1);
    if (!bytes) {
        close(fd);
        return errorf(err, err_len, "%s: out of memory reading %zu bytes", path, size);
    }
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

/* ------------------------------------------------------------ atomic write */

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

int atomic_write_file(const char *path, const void *data, size_t len, char *err, size_t err_len)
{
    size_t path_len = strlen(path);
    char *tmp = malloc(path_len + sizeof ".tmp-XXXXXX");
    char *dir = malloc(path_len + 2);
    if (!tmp || !dir) {
        free(tmp);
        free(dir);
        return errorf(err, err_len, "%s: out of memory", path);
    }
    /* Same directory as the target, so that rename() replaces it atomically. */
    memcpy(tmp, path, path_len);
    memcpy(tmp + path_len, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    const char *slash = strrchr(path, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == path)
        strcpy(dir, "/");
    else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }

    int rc = 0;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = errorf(err, err_len, "%s: cannot create a temporary file in %s: %s", path, dir,
                  strerror(errno));
        goto done;
    }
    /* mkstemp makes 0600; a checkpoint is an ordinary file. Keep an old file's mode. */
    struct stat old;
    fchmod(fd, stat(path, &old) == 0 ? (old.st_mode & 07777) : 0644);
    const char *step = "write";
    bool ok = write_all(fd, data, len) == 0;
    if (ok) {
        step = "fsync";
        ok = fsync(fd) == 0;
    }
    int saved_errno = errno;
    if (close(fd) != 0 && ok) {
        step = "close";
        ok = false;
        saved_errno = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        step = "rename";
        ok = false;
        saved_errno = errno;
    }
    if (!ok) {
        unlink(tmp);
        rc = errorf(err, err_len, "%s: %s failed: %s (the previous file, if any, is unchanged)", path,
                  step, strerror(saved_errno));
        goto done;
    }
    /* Make the rename itself durable. Best effort: the data is already safe under
     * one name or the other, and some filesystems refuse fsync on a directory. */
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        (void)fsync(dir_fd);
        close(dir_fd);
    }
done:
    free(tmp);
    free(dir);
    return rc;
}
