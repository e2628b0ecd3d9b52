/* Error messages into a caller's buffer: the library never prints. The one
 * helper, errorf, is model/'s (model/errors.h), shared by every library. */
#ifndef MINILLM_ERRORS_H
#define MINILLM_ERRORS_H

#include "model/errors.h"

#endif
