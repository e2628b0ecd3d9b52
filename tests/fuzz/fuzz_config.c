/* Fuzz target: an INI configuration text, and its round trip.
 * Properties: a text is parsed or refused with "<file>:<line>: ..." (or
 * "<file>: ..."); a parsed config printed as INI (app_config_to_ini) parses
 * again, into the same config: printing that gives the same text. */
#include <string.h>

#include "config.h"
#include "fuzz.h"

#define NAME "fuzz.ini"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static char *to_ini(const AppConfig *cfg)
{
    size_t n = app_config_to_ini(cfg, NULL, 0);
    char *text = malloc(n + 1);
    FUZZ_CHECK(text != NULL, "out of memory");
    FUZZ_CHECK(app_config_to_ini(cfg, text, n + 1) == n, "two lengths");
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The program reads a file without NUL bytes (app_config_load refuses them). */
    if (memchr(data, '\0', size))
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    AppConfig cfg = app_config_default();
    char err[2048] = "";
    if (app_config_parse(&cfg, NAME, text, err, sizeof err) != 0) {
        FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME) + 1) == 0, "message '%s'", err);
        free(text);
        return 0;
    }
    fuzz_accepted++;
    char *printed = to_ini(&cfg);
    AppConfig again = app_config_default();
    int rc = app_config_parse(&again, "printed.ini", printed, err, sizeof err);
    FUZZ_CHECK(rc == 0, "the printed config does not parse: %s\n--- input\n%s\n--- printed\n%s", err,
               text, printed);
    char *reprinted = to_ini(&again);
    FUZZ_CHECK(strcmp(printed, reprinted) == 0, "round trip changed the config:\n%s\n---\n%s",
               printed, reprinted);
    /* Cross-field validation runs on whatever parsed (it may refuse). */
    (void)app_config_validate(&cfg, err, sizeof err);
    free(reprinted);
    free(printed);
    free(text);
    return 0;
}
