/* Option parsing and messages shared by the commands. */
#include "cli_util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_error(const CliCommand *cmd, FILE *err, const char *fmt, ...)
{
    if (cmd && cmd->command)
        fprintf(err, CLI_PROGRAM " %s: ", cmd->command);
    else
        fputs(CLI_PROGRAM ": ", err);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
}

int cli_option(const CliCommand *cmd, const char *name)
{
    for (int i = 0; i < cmd->num_options; i++)
        if (strcmp(cmd->options[i].name, name) == 0)
            return i;
    return -1;
}

const char *cli_value(const CliCommand *cmd, const CliArgs *args, const char *name)
{
    int i = cli_option(cmd, name);
    return i >= 0 ? args->value[i] : NULL;
}

bool cli_flag(const CliCommand *cmd, const CliArgs *args, const char *name)
{
    int i = cli_option(cmd, name);
    return i >= 0 && args->set[i];
}

static void unknown_option(const CliCommand *cmd, FILE *err, int len, const char *name)
{
    cli_error(cmd, err, "unknown option '%.*s' (see '" CLI_PROGRAM "%s%s --help')", len, name,
              cmd->command ? " " : "", cmd->command ? cmd->command : "");
}

int cli_parse(const CliCommand *cmd, int argc, char **argv, int first, CliArgs *args, FILE *err)
{
    memset(args->value, 0, sizeof args->value);
    memset(args->set, 0, sizeof args->set);
    args->num_positional = 0;
    args->num_sets = 0;
    args->help = false;
    bool options_done = false;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {
            args->positional[args->num_positional++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            args->help = true;
            continue;
        }
        if (a[1] != '-') {
            unknown_option(cmd, err, (int)strlen(a), a);
            return CLI_EXIT_USAGE;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        int found = -1;
        for (int k = 0; k < cmd->num_options; k++)
            if (strlen(cmd->options[k].name) == name_len &&
                strncmp(cmd->options[k].name, name, name_len) == 0)
                found = k;
        if (found < 0) {
            unknown_option(cmd, err, (int)name_len + 2, a);
            return CLI_EXIT_USAGE;
        }
        const CliOption *o = &cmd->options[found];
        if (!o->value_name) {
            if (eq) {
                cli_error(cmd, err, "option '--%s' takes no value", o->name);
                return CLI_EXIT_USAGE;
            }
            args->set[found] = true;
            continue;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            cli_error(cmd, err, "option '--%s' needs a value (--%s %s)", o->name, o->name,
                      o->value_name);
            return CLI_EXIT_USAGE;
        }
        args->set[found] = true;
        args->value[found] = value;
        if (strcmp(o->name, "set") == 0) {
            if (args->num_sets == CLI_MAX_SETS) {
                cli_error(cmd, err, "more than %d --set options", CLI_MAX_SETS);
                return CLI_EXIT_USAGE;
            }
            args->sets[args->num_sets++] = value;
        }
    }
    return 0;
}

void cli_print_help(const CliCommand *cmd, FILE *out)
{
    if (cmd->command)
        fprintf(out, "Usage: " CLI_PROGRAM " %s %s\n\n%s\n", cmd->command, cmd->synopsis,
                cmd->description);
    else
        fprintf(out, "Usage: " CLI_PROGRAM " %s\n\n%s\n", cmd->synopsis, cmd->description);
    if (cmd->num_options > 0)
        fputs("\nOptions:\n", out);
    for (int i = 0; i < cmd->num_options; i++) {
        const CliOption *o = &cmd->options[i];
        char left[64];
        if (o->value_name)
            snprintf(left, sizeof left, "--%s %s", o->name, o->value_name);
        else
            snprintf(left, sizeof left, "--%s", o->name);
        fprintf(out, "  %-22s %s\n", left, o->help);
    }
    fprintf(out, "  %-22s %s\n", "-h, --help", "show this help and exit");
    if (cmd->epilogue)
        fprintf(out, "\n%s\n", cmd->epilogue);
}

int cli_get_int(const CliCommand *cmd, const CliArgs *args, const char *name, long lo, long hi,
                int *out, FILE *err)
{
    const char *s = cli_value(cmd, args, name);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi) {
        cli_error(cmd, err, "--%s: '%s' is not an integer in %ld..%ld", name, s, lo, hi);
        return CLI_EXIT_USAGE;
    }
    *out = (int)v;
    return 0;
}

int cli_get_u64(const CliCommand *cmd, const CliArgs *args, const char *name, uint64_t *out,
                FILE *err)
{
    const char *s = cli_value(cmd, args, name);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || s[0] == '-') {
        cli_error(cmd, err, "--%s: '%s' is not an integer in 0..18446744073709551615", name, s);
        return CLI_EXIT_USAGE;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_get_float(const CliCommand *cmd, const CliArgs *args, const char *name, double lo,
                  double hi, float *out, FILE *err)
{
    const char *s = cli_value(cmd, args, name);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < lo || v > hi) {
        cli_error(cmd, err, "--%s: '%s' is not a number in %g..%g", name, s, lo, hi);
        return CLI_EXIT_USAGE;
    }
    *out = (float)v;
    return 0;
}

int cli_copy_path(const CliCommand *cmd, char *dst, size_t dst_len, const char *src,
                  const char *name, FILE *err)
{
    if (strlen(src) >= dst_len) {
        cli_error(cmd, err, "--%s: path longer than %zu bytes", name, dst_len - 1);
        return CLI_EXIT_USAGE;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int cli_load_config(const CliCommand *cmd, const CliArgs *args, AppConfig *cfg, FILE *err)
{
    *cfg = app_config_default();
    char msg[1024];
    const char *path = cli_value(cmd, args, "config");
    if (path && app_config_load(cfg, path, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    for (int i = 0; i < args->num_sets; i++) {
        const char *s = args->sets[i];
        const char *dot = strchr(s, '.'), *eq = strchr(s, '=');
        char section[32], key[64];
        if (!dot || !eq || dot > eq || (size_t)(dot - s) >= sizeof section ||
            (size_t)(eq - dot - 1) >= sizeof key) {
            cli_error(cmd, err, "--set: '%s' is not SECTION.KEY=VALUE (e.g. model.d_model=128)", s);
            return CLI_EXIT_USAGE;
        }
        snprintf(section, sizeof section, "%.*s", (int)(dot - s), s);
        snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
        if (app_config_set(cfg, section, key, eq + 1, msg, sizeof msg) != 0) {
            cli_error(cmd, err, "--set: %s", msg);
            return CLI_EXIT_USAGE;
        }
    }
    const char *data = cli_value(cmd, args, "data");
    if (data && cli_copy_path(cmd, cfg->data.train_path, sizeof cfg->data.train_path, data, "data", err))
        return CLI_EXIT_USAGE;
    const char *val = cli_value(cmd, args, "val");
    if (val && cli_copy_path(cmd, cfg->data.val_path, sizeof cfg->data.val_path, val, "val", err))
        return CLI_EXIT_USAGE;
    return 0;
}

double cli_round6(double x)
{
    return round(x * 1e6) / 1e6;
}

int cli_print_json(FILE *out, const cJSON *root)
{
    char *text = cJSON_PrintUnformatted(root);
    if (!text)
        return -1;
    fprintf(out, "%s\n", text);
    cJSON_free(text);
    return 0;
}
