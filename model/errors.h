/* The one way to report an error, in model/ and src/ alike: a message into the
 * caller's buffer (the libraries never print). It lives here, at the bottom of
 * the dependency order; src/errors.h includes it. */
#ifndef MINILLM_MODEL_ERRORS_H
#define MINILLM_MODEL_ERRORS_H

#include <stddef.h>

/* Formats into err (when err and err_len are non-zero) and returns -1, so that
 * `return errorf(err, err_len, "%s: ...", path);` reports and fails
 * in one line. */
int errorf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
