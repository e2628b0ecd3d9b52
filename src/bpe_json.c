/* The tokenizer file: writing it, and reading it as hostile input (format in bpe.h). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_internal.h"
#include "errors.h"

#define COUNTS_PER_LINE 10

char *bpe_to_json(const Bpe *bpe)
{
    /* Written by hand, not with cJSON, for one merge per line: diffs of two files
     * then read merge by merge. Bounded: "    [1048831, 1048831],\n" is 24 bytes,
     * a count at most 21 digits and signs plus ", " or ",\n    ". */
    const size_t n = (size_t)bpe->num_merges;
    const size_t cap = 256 + n * 32 + n * 32;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = (size_t)snprintf(out, cap, "{\n  \"format\": \"%s\",\n  \"split\": \"%s\",\n"
                                  "  \"merges\": [", BPE_FORMAT, bpe_split_name(bpe->split));
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s\n    [%" PRId32 ", %" PRId32 "]", i ? "," : "",
                                bpe->merges[2 * i], bpe->merges[2 * i + 1]);
    len += (size_t)snprintf(out + len, cap - len, "%s],\n  \"counts\": [", n ? "\n  " : "");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64,
                                i == 0 ? "\n    " : i % COUNTS_PER_LINE ? ", " : ",\n    ",
                                bpe->counts[i]);
    snprintf(out + len, cap - len, "%s]\n}\n", n ? "\n  " : "");
    return out;
}

/* True when item is an integer number in [lo, hi]; *out gets it. */
static bool integer_in(const cJSON *item, double lo, double hi, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    if (!(v >= lo && v <= hi) || (double)(int64_t)v != v)
        return false;
    *out = (int64_t)v;
    return true;
}

/* Every merge a pair of integer ids (their range is bpe_build's check). */
static int read_merges(const cJSON *jm, int32_t *merges, const char *name,
                       char *err, size_t err_len)
{
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, jm) {
        int64_t ids[2];
        if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 2 ||
            !integer_in(m->child, INT32_MIN, INT32_MAX, &ids[0]) ||
            !integer_in(m->child->next, INT32_MIN, INT32_MAX, &ids[1]))
            return errorf(err, err_len, "%s: merge %d is not a pair of integer ids [left, right]",
                          name, i);
        merges[2 * i] = (int32_t)ids[0];
        merges[2 * i + 1] = (int32_t)ids[1];
        i++;
    }
    return 0;
}

static int read_counts(const cJSON *jc, int num_merges, int64_t *counts, const char *name,
                       char *err, size_t err_len)
{
    if (!cJSON_IsArray(jc) || cJSON_GetArraySize(jc) != num_merges)
        return errorf(err, err_len, "%s: \"counts\" must be an array of one count per merge "
                      "(%d merges)", name, num_merges);
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, jc) {
        /* 2^53: every integer up to it is exact in a JSON number. */
        if (!integer_in(c, 0, 9007199254740992.0, &counts[i]))
            return errorf(err, err_len, "%s: count %d is not an integer >= 0", name, i);
        i++;
    }
    return 0;
}

Bpe *bpe_from_json(const char *json, size_t len, const char *name, char *err, size_t err_len)
{
    if (len > BPE_MAX_FILE_BYTES) {
        errorf(err, err_len, "%s: %zu bytes, more than a tokenizer file may have (%zu)", name, len,
               BPE_MAX_FILE_BYTES);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    size_t at = end ? (size_t)(end - json) : 0;
    while (root && at < len && (json[at] == ' ' || json[at] == '\n' || json[at] == '\r' ||
                                json[at] == '\t'))
        at++;
    if (!root || at < len) {
        errorf(err, err_len, "%s: not a JSON document (%s at byte %zu)", name,
               root ? "trailing bytes" : "parse error", at);
        cJSON_Delete(root);
        return NULL;
    }
    Bpe *bpe = NULL;
    int32_t *merges = NULL;
    int64_t *counts = NULL;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *split_name = cJSON_GetObjectItemCaseSensitive(root, "split");
    const cJSON *jm = cJSON_GetObjectItemCaseSensitive(root, "merges");
    BpeSplit split;
    if (!cJSON_IsString(format) || strcmp(format->valuestring, BPE_FORMAT) != 0) {
        errorf(err, err_len, "%s: not a tokenizer file (\"format\" must be \"%s\")", name,
               BPE_FORMAT);
    } else if (!cJSON_IsString(split_name) ||
               bpe_split_from_name(split_name->valuestring, &split) != 0) {
        errorf(err, err_len, "%s: unknown split rule (\"split\" must be \"%s\")", name,
               bpe_split_name(BPE_SPLIT_GPT2_LIKE));
    } else if (!cJSON_IsArray(jm)) {
        errorf(err, err_len, "%s: \"merges\" is missing or not an array", name);
    } else if (cJSON_GetArraySize(jm) > BPE_MAX_MERGES) {
        errorf(err, err_len, "%s: %d merges, more than %d", name, cJSON_GetArraySize(jm),
               BPE_MAX_MERGES);
    } else {
        int n = cJSON_GetArraySize(jm);
        merges = malloc(((size_t)n * 2 + 1) * sizeof *merges);
        counts = malloc(((size_t)n + 1) * sizeof *counts);
        if (!merges || !counts)
            errorf(err, err_len, "%s: out of memory for %d merges", name, n);
        else if (read_merges(jm, merges, name, err, err_len) == 0 &&
                 read_counts(cJSON_GetObjectItemCaseSensitive(root, "counts"), n, counts, name,
                             err, err_len) == 0)
            bpe = bpe_build(split, n, merges, counts, name, err, err_len);
    }
    free(merges);
    free(counts);
    cJSON_Delete(root);
    return bpe;
}
