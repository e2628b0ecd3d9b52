/* Error messages into a caller's buffer: the library never prints. */
#ifndef MINILLM_ERRORS_H
#define MINILLM_ERRORS_H

#include <stddef.h>

/* Formats into err (when err and err_len are non-zero) and returns -1, so that
 * `return errorf(err, err_len, "%s: ...", path);` reports and fails in one line. */
int errorf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
