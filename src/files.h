/* Files a user names: opened for reading only when they are regular files,
 * read whole under a size limit, replaced atomically, written with every error
 * checked. Messages name the file. */
#ifndef MINILLM_FILES_H
#define MINILLM_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Opens path for reading, the one way the program opens a file it reads. The
 * open never blocks (a FIFO without a writer would wait forever: O_NONBLOCK,
 * cleared once open), and anything but a regular file is refused at once:
 * "<path>: not a regular file (a FIFO)" (a character device, a directory, ...).
 * *fd (close it) and *size. 0, or -1 with the message. */
int file_open_regular(const char *path, int *fd, size_t *size, char *err, size_t err_len);

/* Reads path whole through file_open_regular: a regular file of at most
 * max_bytes. *data is NUL terminated (not counted in *len) and is freed with
 * free(). 0, or -1 with a message naming the file. */
int file_read_all(const char *path, size_t max_bytes, char **data, size_t *len, char *err,
                  size_t err_len);
/* The same; a file above the limit is "<path>: N bytes, more than the M allowed
 * by <limit_name>" (say which setting raises it: "[data] max_file_mb = 1024"). */
int file_read_capped(const char *path, size_t max_bytes, const char *limit_name, char **data,
                     size_t *len, char *err, size_t err_len);

/* Replaces path with data atomically: the data goes to a temporary file in the
 * target's directory (unnamed with O_TMPFILE where the file system has it, else
 * "<target>.tmp-XXXXXX"), is fsynced, and is renamed over the target; the
 * directory is fsynced. On failure the old file (if any) is untouched and
 * nothing is left behind.
 * - A target that exists and is not a regular file (a device, FIFO, directory,
 *   socket) is refused: "<path>: a character device, not a regular file: not
 *   replaced".
 * - A symbolic link is followed on purpose: the file it points to is replaced
 *   (in that file's directory) and the link stays. A new file gets mode 0644, an
 *   existing one keeps its mode.
 * - Temporary files of the same target left by a killed process are removed:
 *   exactly "<target>.tmp-" + 6 letters or digits, regular, and not locked (a
 *   writer holds an exclusive flock on its temporary file until it is renamed).
 * (Public for tests/checkpoint and tests/reliability, which make each step fail.) */
int atomic_write_file(const char *path, const void *data, size_t len, char *err, size_t err_len);
/* What atomic_write_file would refuse before writing anything, checked now (so
 * that `train --save F` can refuse F before the run instead of after it): no file
 * name, too many links, a target that is not a regular file, a directory that
 * does not exist or cannot be written. Nothing is created. 0, or -1 with the
 * message atomic_write_file would give. */
int atomic_write_check(const char *path, char *err, size_t err_len);
/* Tests only: false makes atomic_write_file take the named temporary file even
 * where O_TMPFILE works, so that the fallback is tested on every machine. */
void atomic_write_allow_unnamed(bool allowed);

/* A text output (a metrics CSV, a log) whose every write is checked: the first
 * error is kept and reported by file_writer_flush / file_writer_close, so that a
 * full disk or /dev/full is an error, not a silently empty file. Opening never
 * blocks: a FIFO nobody reads is an error ("no process is reading it"). */
typedef struct {
    FILE *f;           /* for reading the position (ftell); write through file_writer_printf */
    char *path;        /* owned copy, for messages */
    int error;         /* errno of the first failed write; 0 = none */
} FileWriter;

/* Creates or truncates path (append: adds to its end). 0, or -1 with err. */
int file_writer_open(FileWriter *w, const char *path, bool append, char *err, size_t err_len);
/* Formats into the file; a failure is remembered (no return value to forget). */
void file_writer_printf(FileWriter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Pushes buffered text to the file: 0, or -1 with "<path>: write failed: <why>"
 * when this or any earlier write failed. */
int file_writer_flush(FileWriter *w, char *err, size_t err_len);
/* Flushes and closes (also after an error; w is then empty). 0 or -1 as above. */
int file_writer_close(FileWriter *w, char *err, size_t err_len);

#endif
