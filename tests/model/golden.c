#include "golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_tensor(Golden *g, const char *name, size_t count)
{
    GoldenTensor *t = realloc(g->tensors, (size_t)(g->num_tensors + 1) * sizeof *t);
    if (!t)
        return -1;
    g->tensors = t;
    t = &g->tensors[g->num_tensors];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->count = count;
    t->values = malloc((count ? count : 1) * sizeof(double));
    if (!t->values)
        return -1;
    g->num_tensors++;
    return 0;
}

int golden_load(Golden *g, const char *path, char *err, size_t err_len)
{
    memset(g, 0, sizeof *g);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open", path);
        return -1;
    }
    char line[4096];
    int lineno = 0;
    GoldenTensor *open_tensor = NULL;
    size_t filled = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (open_tensor && filled < open_tensor->count) {
            char *p = line, *end;
            for (;;) {
                double v = strtod(p, &end);
                if (end == p)
                    break;
                if (filled == open_tensor->count) {
                    snprintf(err, err_len, "%s:%d: more than %zu values for %s", path, lineno,
                             open_tensor->count, open_tensor->name);
                    goto fail;
                }
                open_tensor->values[filled++] = v;
                p = end;
            }
            continue;
        }
        char word[32], name[128];
        size_t count;
        if (sscanf(line, "tensor %127s %zu", name, &count) == 2) {
            if (add_tensor(g, name, count) != 0) {
                snprintf(err, err_len, "%s:%d: out of memory", path, lineno);
                goto fail;
            }
            open_tensor = &g->tensors[g->num_tensors - 1];
            filled = 0;
            continue;
        }
        /* a `section key value key value ...` line */
        int used = 0, n;
        if (sscanf(line, "%31s%n", word, &used) != 1)
            continue;
        char *p = line + used;
        char key[32], value[32];
        while (sscanf(p, "%31s %31s%n", key, value, &n) == 2 && g->num_keys < 64) {
            snprintf(g->keys[g->num_keys], sizeof g->keys[0], "%s", key);
            snprintf(g->values[g->num_keys], sizeof g->values[0], "%s", value);
            g->num_keys++;
            p += n;
        }
    }
    if (open_tensor && filled < open_tensor->count) {
        snprintf(err, err_len, "%s: %s has %zu of %zu values", path, open_tensor->name, filled,
                 open_tensor->count);
        goto fail;
    }
    fclose(f);
    return 0;
fail:
    fclose(f);
    golden_free(g);
    return -1;
}

void golden_free(Golden *g)
{
    for (int i = 0; i < g->num_tensors; i++)
        free(g->tensors[i].values);
    free(g->tensors);
    memset(g, 0, sizeof *g);
}

const GoldenTensor *golden_tensor(const Golden *g, const char *name)
{
    for (int i = 0; i < g->num_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return &g->tensors[i];
    return NULL;
}

const char *golden_value(const Golden *g, const char *key)
{
    for (int i = 0; i < g->num_keys; i++)
        if (strcmp(g->keys[i], key) == 0)
            return g->values[i];
    return NULL;
}
