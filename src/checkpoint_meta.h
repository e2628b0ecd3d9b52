/* Inside the checkpoint files (checkpoint.c: models, checkpoint_optim.c: the
 * optimizer sidecar): JSON objects of the metadata driven by key tables, and the
 * checks of values that both make before writing and after reading. */
#ifndef MINILLM_CHECKPOINT_META_H
#define MINILLM_CHECKPOINT_META_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "checkpoint.h"
#include "safetensors.h"
#include "spelling.h"

/* One key of a JSON object of the metadata ("config", "optimizer"): its type,
 * where it lives in the C struct the table describes, and whether files may lack
 * it. One table per object drives writing, reading, and the list of allowed keys. */
typedef enum { J_INT, J_BOOL, J_FLOAT, J_ENUM } JsonType;

typedef struct {
    const char *name;
    JsonType type;
    size_t offset;           /* into the struct */
    const EnumNames *names;  /* J_ENUM: spelling.h's table (the field is an int-sized enum) */
    bool optional;           /* on load: absent keeps the struct's value */
    bool omit_default;       /* on save: J_ENUM not written when it is value 0, J_BOOL when
                              * false (unless the caller writes every key) */
    const char *ini_section; /* the INI config's key for the same value, whose range */
    const char *ini_key;     /* it must be in (config.c's table), or NULL */
} JsonKey;

#define COUNT(table) ((int)(sizeof table / sizeof table[0]))

/* The struct at base as an unformatted JSON object (malloc'ed, cJSON_free), or NULL
 * with err (which names `what` and the key) when an enum value has no name or
 * memory runs out. every_key: omit_default keys are written too. */
char *json_write_object(const JsonKey *keys, int n, const void *base, bool every_key,
                        const char *what, char *err, size_t err_len);
/* Reads the table's keys of object o into the struct at base, in table order;
 * the first problem is reported as "<file>: <section>: key '<name>' ...". */
int json_read_object(const cJSON *o, const JsonKey *keys, int n, void *base, const char *file,
                     const char *section, char *err, size_t err_len);
/* Every key of o is one of the table's. */
int json_check_known(const cJSON *o, const JsonKey *keys, int n, const char *file,
                     const char *section, char *err, size_t err_len);
/* Every key of the table that the INI config also has holds, in the struct at
 * base, a value the INI config allows ("<file>: <section>: key 'beta1': 1 is out
 * of range (allowed: a number in [0, 1))"): the ranges live in config.c only. */
int json_check_ini_ranges(const JsonKey *keys, int n, const void *base, const char *file,
                          const char *section, char *err, size_t err_len);

/* Tensor values. Every value finite and, with non_negative, >= 0; else
 * "<file>: tensor '<name>' element <i> is nan<after>" (after: "" on load, ": not
 * saved ..." on save). values_check reads floats, tensor_values_check the
 * little-endian bytes of a parsed file (nothing is copied before the check). */
int values_check(const float *x, size_t n, bool non_negative, const char *file,
                 const char *tensor, const char *after, char *err, size_t err_len);
int tensor_values_check(const SafeTensor *t, bool non_negative, const char *file,
                        const char *after, char *err, size_t err_len);
#define NOT_SAVED ": not saved (the previous file, if any, is unchanged)"

/* checkpoint_save_info's bytes without the write (*bytes malloc'ed; info may be
 * NULL): the model file that checkpoint_save_with_optimizer writes and hashes. */
int checkpoint_serialize(const char *path, const Model *m, const TokenizerConfig *tc,
                         const Vocab *v, const char *const *labels, int num_labels,
                         const CheckpointInfo *info, unsigned char **bytes, size_t *len,
                         char *err, size_t err_len);

/* The shortest decimal that reads back as the same float (spelling.h), so that
 * the JSON says 0.1 rather than 0.10000000149011612; 0 for a non-finite value. */
double float_for_json(float f);

#endif
