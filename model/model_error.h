/* Error messages into a caller's buffer, for model/ (the library never prints).
 * The same contract as errorf in src/errors.h, which model/ cannot include. */
#ifndef MINILLM_MODEL_ERROR_H
#define MINILLM_MODEL_ERROR_H

#include <stddef.h>

/* Formats into err (when err and err_len are non-zero) and returns -1, so that
 * `return model_errorf(err, err_len, "d_model = %d: ...", d);` reports and fails
 * in one line. */
int model_errorf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
