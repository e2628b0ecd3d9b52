/* The state fuzz.h declares, for the libFuzzer executables and the replay. */
#include "fuzz.h"

const char *fuzz_input_name;
long fuzz_accepted;
