/* Metadata objects from key tables, and value checks (see checkpoint_meta.h). */
#include "checkpoint_meta.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "errors.h"

double float_for_json(float f)
{
    if (!isfinite(f))
        return 0.0;
    char text[32];
    float_to_text(f, text, sizeof text);
    return strtod(text, NULL);
}

/* The struct at base as an unformatted JSON object (malloc'ed, cJSON_free), or NULL
 * with err (which names `what` and the key) when an enum value has no name or
 * memory runs out. */
char *json_write_object(const JsonKey *keys, int n, const void *base, bool every_key,
                        const char *what, char *err, size_t err_len)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;
    for (int i = 0; ok && i < n; i++) {
        const JsonKey *k = &keys[i];
        const char *field = (const char *)base + k->offset;
        int iv;
        float fv;
        switch (k->type) {
        case J_INT:
            memcpy(&iv, field, sizeof iv);
            ok = cJSON_AddNumberToObject(o, k->name, iv) != NULL;
            break;
        case J_BOOL:
            if (k->omit_default && !every_key && !*(const bool *)field)
                break;
            ok = cJSON_AddBoolToObject(o, k->name, *(const bool *)field) != NULL;
            break;
        case J_FLOAT:
            memcpy(&fv, field, sizeof fv);
            ok = cJSON_AddNumberToObject(o, k->name, float_for_json(fv)) != NULL;
            break;
        case J_ENUM:
            memcpy(&iv, field, sizeof iv);
            if (k->omit_default && !every_key && iv == 0)
                break;
            if (!enum_name(k->names, iv)) {
                cJSON_Delete(o);
                errorf(err, err_len, "%s: key '%s': %d is not a value (allowed: %s)", what, k->name,
                       iv, k->names->allowed);
                return NULL;
            }
            ok = cJSON_AddStringToObject(o, k->name, enum_name(k->names, iv)) != NULL;
            break;
        }
    }
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        errorf(err, err_len, "%s: out of memory", what);
    return text;
}

/* Reads one key into field; messages name the file, the object (`section`) and the key. */
static int json_read_key(const cJSON *item, const JsonKey *k, char *field, const char *file,
                         const char *section, char *err, size_t err_len)
{
    switch (k->type) {
    case J_INT: {
        double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
        if (!(d >= 0.0 && d <= 2147483647.0) || d != floor(d))
            return errorf(err, err_len, "%s: %s: key '%s' must be a non-negative integer", file,
                          section, k->name);
        int v = (int)d;
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case J_BOOL:
        if (!cJSON_IsBool(item))
            return errorf(err, err_len, "%s: %s: key '%s' must be true or false", file, section,
                          k->name);
        *(bool *)field = cJSON_IsTrue(item);
        return 0;
    case J_FLOAT: {
        if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
            return errorf(err, err_len, "%s: %s: key '%s' must be a number", file, section, k->name);
        float v = (float)item->valuedouble;
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case J_ENUM: {
        int v = cJSON_IsString(item) ? enum_value(k->names, item->valuestring) : -1;
        if (v < 0) {
            char choices[128];
            enum_quoted_choices(k->names, choices, sizeof choices);
            return errorf(err, err_len, "%s: %s: key '%s' must be %s", file, section, k->name,
                          choices);
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    }
    return errorf(err, err_len, "%s: %s: internal error: bad key type", file, section);
}

/* Reads the table's keys of object o into the struct at base, in table order;
 * the first problem is reported. */
int json_read_object(const cJSON *o, const JsonKey *keys, int n, void *base, const char *file,
                     const char *section, char *err, size_t err_len)
{
    for (int i = 0; i < n; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, keys[i].name);
        if (!item && keys[i].optional)
            continue;
        if (!item)
            return errorf(err, err_len, "%s: %s: missing key '%s'", file, section, keys[i].name);
        if (json_read_key(item, &keys[i], (char *)base + keys[i].offset, file, section, err,
                          err_len) != 0)
            return -1;
    }
    return 0;
}

/* Every key of o is one of the table's. */
int json_check_known(const cJSON *o, const JsonKey *keys, int n, const char *file,
                     const char *section, char *err, size_t err_len)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, o) {
        bool known = false;
        for (int i = 0; i < n && !known; i++)
            known = strcmp(item->string, keys[i].name) == 0;
        if (known)
            continue;
        char allowed[512] = "";
        for (int i = 0; i < n; i++) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "", keys[i].name);
        }
        return errorf(err, err_len, "%s: %s: unknown key '%s' (allowed: %s)", file, section,
                      item->string, allowed);
    }
    return 0;
}

/* The text an INI file would hold for the key's value in the struct at base. */
static void key_value_text(const JsonKey *k, const void *base, char *out, size_t out_len)
{
    const char *field = (const char *)base + k->offset;
    int iv;
    float fv;
    switch (k->type) {
    case J_INT:
        memcpy(&iv, field, sizeof iv);
        snprintf(out, out_len, "%d", iv);
        return;
    case J_BOOL:
        snprintf(out, out_len, "%s", *(const bool *)field ? "true" : "false");
        return;
    case J_FLOAT:
        memcpy(&fv, field, sizeof fv);
        float_to_text(fv, out, out_len);
        return;
    case J_ENUM:
        memcpy(&iv, field, sizeof iv);
        if (enum_name(k->names, iv))
            snprintf(out, out_len, "%s", enum_name(k->names, iv));
        else
            snprintf(out, out_len, "%d", iv);
        return;
    }
}

int json_check_ini_ranges(const JsonKey *keys, int n, const void *base, const char *file,
                          const char *section, char *err, size_t err_len)
{
    for (int i = 0; i < n; i++) {
        if (!keys[i].ini_key)
            continue;
        char text[64], problem[256];
        key_value_text(&keys[i], base, text, sizeof text);
        if (app_config_check_value(keys[i].ini_section, keys[i].ini_key, text, problem,
                                   sizeof problem) != 0)
            return errorf(err, err_len, "%s: %s: key '%s': %s", file, section, keys[i].name,
                          problem);
    }
    return 0;
}

/* ------------------------------------------------------------ tensor values */

static int value_error(float x, size_t i, const char *file, const char *tensor, const char *after,
                       char *err, size_t err_len)
{
    char text[32];
    float_to_text(x, text, sizeof text);
    if (isfinite(x))
        return errorf(err, err_len, "%s: tensor '%s' element %zu is %s: a second moment is never "
                      "negative%s", file, tensor, i, text, after);
    return errorf(err, err_len, "%s: tensor '%s' element %zu is %s%s", file, tensor, i, text, after);
}

static bool value_ok(float x, bool non_negative)
{
    return isfinite(x) && !(non_negative && x < 0.0f);
}

int values_check(const float *x, size_t n, bool non_negative, const char *file,
                 const char *tensor, const char *after, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++)
        if (!value_ok(x[i], non_negative))
            return value_error(x[i], i, file, tensor, after, err, err_len);
    return 0;
}

int tensor_values_check(const SafeTensor *t, bool non_negative, const char *file,
                        const char *after, char *err, size_t err_len)
{
    for (size_t i = 0; i < t->numel; i++) {
        const unsigned char *p = t->data + 4 * i;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        float x;
        memcpy(&x, &u, sizeof x);
        if (!value_ok(x, non_negative))
            return value_error(x, i, file, t->name, after, err, err_len);
    }
    return 0;
}
