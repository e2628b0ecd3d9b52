/* Whole files: read with a size limit, replaced atomically. Messages name the file. */
#ifndef MINILLM_FILES_H
#define MINILLM_FILES_H

#include <stddef.h>

/* Reads path whole: it must be a regular file of at most max_bytes. *data is NUL
 * terminated (not counted in *len) and is freed with free(). 0, or -1 with a
 * message naming the file. */
int file_read_all(const char *path, size_t max_bytes, char **data, size_t *len, char *err,
                  size_t err_len);

/* Writes a file atomically: temp file in the same directory, fsync, rename, fsync
 * of the directory. On failure the old file (if any) is untouched and the temp
 * file removed. (Public for tests/checkpoint, which make each step fail.) */
int atomic_write_file(const char *path, const void *data, size_t len, char *err, size_t err_len);

#endif
